"""The report's content as plain data, built from the repository alone (no tenant access).

Everything is dated relative to the last backup, not to the clock: a report regenerated without a new
backup is byte for byte the same, so a pipeline that commits it after each backup never commits noise, and a
report of an old checkout describes that day. One `git log --name-status` pass gives the commits (who, when,
which files, `Failed-Type:` trailers) behind the overview, the charts and the recent changes; object states
come from `cat-file --batch` reads of the few files a section needs.
"""

from __future__ import annotations

import shlex
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from entragit import catalog, history, tenant_reports
from entragit.errors import UsageError
from entragit.history.diff import diff, summarize_change
from entragit.repo import dangling
from entragit.repo.entries import Entry, is_deleted, load_text, stem, summarize
from entragit.repo.reader import BackupRepo, LoggedCommit
from entragit.repo.roles import PRIVILEGED_ROLE_IDS
from entragit.report.conditional_access import BREAK_GLASS, Namer, PolicySummary, describe
from entragit.report.settings import security_changes

SINCE_DAYS = 30  # recent changes, by default
CHART_DAYS = 90  # changes per day
HISTORY_DAYS = 365  # objects per type over time
RESTORE_DAYS = 30  # deleted items stay restorable this long (Graph: directory-deleteditems.md)
EXPIRY_DAYS = 30  # credentials expiring within this are listed
CHART_SERIES = 8  # lines or stacks per chart: the palette's size, and what the legend has room for
OTHER = "other types"
MAX_CHANGES = 1000  # changes listed one by one (newest first); the per-day counts are always complete
BACKUP_AUTHOR = "entragit@localhost"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


@dataclass(frozen=True)
class Change:
    date: str
    type: str
    kind: str  # created | recreated (by a restore, new id) | changed | soft-deleted | restored | deleted
    name: str
    path: str
    summary: str  # the attributes that changed, in words
    by: str | None  # who made it, when the commit says so (a commit not made by a backup)
    commit: str
    # The tenant-wide security settings it changes, for the report to call out: in words where settings.py
    # has them (`security defaults turned off`), else each changed setting of a type the catalog marks
    # `security` (`inboundTrust.isMfaAccepted: false → true`).
    security: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deleted:
    type: str
    name: str
    path: str
    soft: bool  # soft-deleted (restorable in place) or gone for good (restorable by recreation)
    deleted: str  # when: deletedDateTime, else the backup that found it gone
    restorable_until: str | None  # soft-deleted only: deletedDateTime + 30 days
    command: str


@dataclass(frozen=True)
class RoleHolder:
    role: str
    principal: str
    principal_type: str
    scope: str
    path: str


@dataclass(frozen=True)
class Credential:
    application: str
    type: str  # applications | servicePrincipals
    kind: str  # secret | certificate
    name: str
    expires: str
    days_left: int  # negative: expired that many days ago
    path: str


@dataclass(frozen=True)
class Charts:
    score: list[tuple[str, float, float | None]]  # (day, current, max)
    objects: dict[str, list[tuple[str, int]]]  # type → (day, files of that type at the day's last backup)
    days: list[str]  # the last 90 days up to the last backup
    changes: dict[str, list[int]]  # type → changed files per day of `days`


@dataclass(frozen=True)
class Report:
    tenant: str
    as_of: str  # the last backup's date: every "within N days" counts from here
    since: str
    last_backup: dict[str, Any]
    objects: list[dict[str, Any]]
    seats: dict[str, Any] | None
    score: dict[str, Any] | None
    charts: Charts
    changes: list[Change]
    changes_total: int
    deleted: list[Deleted]
    policies: list[PolicySummary]
    privileged: list[RoleHolder]
    credentials: list[Credential]
    # References to objects that are gone (`repo/dangling.py`), as `Dangling.to_json` gives them.
    dangling: list[dict[str, Any]] = field(default_factory=list)
    root: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("root")
        return data


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, tz=timezone.utc).date()


def _parse_time(value: Any) -> datetime | None:
    """A Graph timestamp (7 fractional digits, `Z`) as an aware datetime; None when it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        when = datetime.fromisoformat(value[:19].replace("Z", ""))
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc)


def _is_backup(c: LoggedCommit) -> bool:
    return c.subject.startswith("backup ")


def _by(c: LoggedCommit) -> str | None:
    """The person behind a commit: nobody for a backup run (its git author is the pipeline, not whoever
    changed the tenant), the author for a hand-made commit (a reviewed edit, a revert)."""
    return None if _is_backup(c) or c.email == BACKUP_AUTHOR else c.author


class _Builder:
    def __init__(self, repo_dir: str | None, since: str | None) -> None:
        self.repo_dir = repo_dir
        self.repo = BackupRepo(repo_dir)
        self.head = self.repo.head()
        self.log = list(self.repo.log_details())
        last = next((c for c in self.log if _is_backup(c)), None)
        if last is None:
            raise tenant_reports.ReportError(
                f"{self.repo.root} has no backup yet; run `entragit backup` first"
            )
        self.last = last
        self.as_of = self.last.commit.time
        self.since = _day(self.as_of) - timedelta(days=SINCE_DAYS) if since is None else _since(since)
        self.index = self.repo.index()
        self.names = self.repo.names()
        self.by_id: dict[str, Entry] = {e.id: e for e in self.index.values()}

    def name(self, oid: str) -> str:
        """An id as a person knows it; the id itself only when the repository names nothing by it."""
        e = self.by_id.get(oid)
        return (history.entry_name(e, self.names) if e else None) or self.names.get(oid) or oid

    def load(self, paths: Sequence[str], rev: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        texts = self.repo.read_many([f"{rev or self.head.sha}:{p}" for p in paths])
        return [(p, load_text(t, p)) for p, t in zip(paths, texts, strict=True) if t is not None]

    def of_type(self, *names: str) -> list[Entry]:
        return sorted((e for e in self.index.values() if e.type in names), key=lambda e: e.path)

    # -- overview ---------------------------------------------------------------------------------

    def tenant(self) -> str:
        org = next(iter(self.of_type("organization")), None)
        domain = self.last.subject.removeprefix("backup ").split(":", 1)[0] if _is_backup(self.last) else ""
        name = org.display_name if org and org.display_name else ""
        return f"{name} ({domain})" if name and domain else name or domain or "tenant"

    def last_backup(self) -> dict[str, Any]:
        failed = []
        for value in self.last.trailers("Failed-Type"):
            type_name, _, reason = value.partition(" ")
            failed.append({"type": type_name, "reason": reason.strip("()")})
        return {
            "commit": self.last.commit.short,
            "date": _iso(self.as_of),
            "summary": self.last.subject,
            "complete": not failed,
            "failedTypes": failed,
        }

    def objects(self) -> list[dict[str, Any]]:
        counts: Counter[str] = Counter()
        soft: Counter[str] = Counter()
        for e in self.index.values():
            counts[e.type] += 1
            soft[e.type] += e.deleted
        return [
            {"type": t.name, "count": counts[t.name] - soft[t.name], "softDeleted": soft[t.name]}
            for t in catalog.CATALOG
            if counts[t.name]
        ]

    def seats(self) -> dict[str, Any] | None:
        try:
            return tenant_reports.seats(self.repo_dir).to_json()
        except tenant_reports.ReportError:
            return None

    def score(self) -> tuple[dict[str, Any] | None, list[tuple[str, float, float | None]]]:
        try:
            s = tenant_reports.score(self.repo_dir)
        except tenant_reports.ReportError:
            return None, []
        percent = round(100 * s.current / s.maximum, 1) if s.maximum else None
        now = {"current": s.current, "max": s.maximum, "percent": percent, "date": s.date}
        return now, [(p.date[:10], p.current, p.maximum) for p in s.history]

    # -- charts -----------------------------------------------------------------------------------

    def type_of(self, path: str) -> str | None:
        t = self.repo.object_type(path)
        return t.name if t else None

    def object_history(self) -> dict[str, list[tuple[str, int]]]:
        """Files per type after each day's last commit, from the additions and removals in the log."""
        counts: Counter[str] = Counter()
        per_day: dict[str, dict[str, int]] = {}
        for c in reversed(self.log):
            for status, path in c.changes:
                t = self.type_of(path)
                if t is not None and status in "AD":
                    counts[t] += 1 if status == "A" else -1
            if counts:  # `entragit init`'s commit holds no object yet
                per_day[_day(c.commit.time).isoformat()] = dict(counts)
        last = _day(self.as_of)
        first = (last - timedelta(days=HISTORY_DAYS)).isoformat()
        days = sorted(d for d in per_day if first <= d <= last.isoformat())
        types = [t.name for t in catalog.CATALOG if any(per_day[d].get(t.name) for d in days)]
        counts_by_type = {t: [per_day[d].get(t, 0) for d in days] for t in types}
        return {t: list(zip(days, n, strict=True)) for t, n in _top(counts_by_type, lambda n: n[-1]).items()}

    def changes_per_day(self) -> tuple[list[str], dict[str, list[int]]]:
        end = _day(self.as_of)
        days = [end - timedelta(days=i) for i in range(CHART_DAYS - 1, -1, -1)]
        slot = {d: i for i, d in enumerate(days)}
        counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
        for c in self.log:
            i = slot.get(_day(c.commit.time))
            if i is None:
                continue
            for _, path in c.changes:
                t = self.type_of(path)
                if t is not None:
                    counts[t][i] += 1
        order = [t.name for t in catalog.CATALOG if t.name in counts]
        return [d.isoformat() for d in days], _top({t: counts[t] for t in order}, sum)

    # -- recent changes ---------------------------------------------------------------------------

    def changes(self) -> tuple[list[Change], int]:
        start = datetime(self.since.year, self.since.month, self.since.day, tzinfo=timezone.utc).timestamp()
        found = [
            (c, status, path)
            for c in self.log
            if c.commit.time >= start
            for status, path in c.changes
            if self.repo.object_type(path) is not None
        ]
        shown = found[:MAX_CHANGES]
        specs: list[str] = []
        for c, status, path in shown:
            specs.append(f"{c.commit.sha}^:{path}" if status != "A" else "")
            specs.append(f"{c.commit.sha}:{path}" if status != "D" else "")
        texts = iter(self.repo.read_many([s or "-" for s in specs]))  # "-": a spec git reports missing
        recreated = set(self.repo.successors().ids.values())  # new ids a restore gave hard-deleted objects
        out = []
        for c, _status, path in shown:
            old_text, new_text = next(texts), next(texts)
            t = self.repo.object_type(path)
            assert t is not None
            old = load_text(old_text, path) if old_text is not None else None
            new = load_text(new_text, path) if new_text is not None else None
            lists = {r.name for r in t.relationships}
            summary = summarize_change(old, new, existed=old is not None, lists=lists)
            security = security_changes(t.name, old, new)
            if security:
                summary = ", ".join(security)
            kind = _kind(old, new)
            if kind == "created" and stem(path) in recreated:
                kind = summary = "recreated"
            text = new_text if new_text is not None else old_text
            entry = summarize(path, t, text) if text is not None else None
            name = (history.entry_name(entry, self.names) if entry else None) or stem(path)
            if not security and t.security and kind == "changed":
                security = _settings(old, new)
            out.append(
                Change(
                    _iso(c.commit.time), t.name, kind, name, path, summary, _by(c), c.commit.short, security
                )
            )
        return out, len(found)

    # -- deleted objects --------------------------------------------------------------------------

    def deleted(self) -> list[Deleted]:
        soft = history.list_objects(self.repo_dir, deleted=True)
        out = []
        for path, obj in self.load([r.entry.path for r in soft]):
            entry = self.index[path]
            when = _parse_time(obj.get("deletedDateTime"))
            until = when + timedelta(days=RESTORE_DAYS) if when else None
            out.append(
                Deleted(
                    entry.type,
                    history.entry_name(entry, self.names) or entry.id,
                    path,
                    True,
                    str(obj.get("deletedDateTime")),
                    until.strftime("%Y-%m-%dT%H:%M:%SZ") if until else None,
                    f"entragit restore {shlex.quote(path)}",
                )
            )
        for r in history.list_objects(self.repo_dir, removed=True):
            out.append(
                Deleted(
                    r.entry.type,
                    history.entry_name(r.entry, self.names) or r.entry.id,
                    r.entry.path,
                    False,
                    r.last.iso if r.last else "",
                    None,
                    f"entragit restore {shlex.quote(r.entry.path)}",
                )
            )
        return out

    # -- dangling references ----------------------------------------------------------------------

    def dangling(self) -> list[dict[str, Any]]:
        return [d.to_json() for d in dangling.current(self.repo)]

    # -- conditional access and privileged access -------------------------------------------------

    def role_assignments(self) -> list[dict[str, Any]]:
        return [obj for _, obj in self.load([e.path for e in self.of_type("roleAssignments")])]

    def privileged(self, assignments: Iterable[Mapping[str, Any]]) -> list[RoleHolder]:
        out = []
        for a in assignments:
            role, principal = str(a.get("roleDefinitionId")), str(a.get("principalId"))
            if role not in PRIVILEGED_ROLE_IDS:
                continue
            scope = str(a.get("directoryScopeId") or "/")
            if scope == "/":
                scope_name = "whole tenant"
            elif scope.startswith("/administrativeUnits/"):
                scope_name = f"administrative unit {self.name(scope.rsplit('/', 1)[-1])}"
            else:
                scope_name = self.name(scope.strip("/"))
            kind = self.by_id[principal].type if principal in self.by_id else "unknown"
            path = catalog.object_path(catalog.by_name("roleAssignments"), str(a.get("id")))
            out.append(RoleHolder(self.name(role), self.name(principal), kind, scope_name, path))
        return sorted(out, key=lambda h: (h.role.lower(), h.principal.lower()))

    def policies(self, assignments: Iterable[Mapping[str, Any]]) -> list[PolicySummary]:
        admins = {str(a.get("principalId")) for a in assignments if a.get("roleDefinitionId") == GLOBAL_ADMIN}
        apps = {
            e.identity: history.entry_name(e, self.names) or e.id
            for e in self.of_type("servicePrincipals", "applications")
            if e.identity
        }

        def break_glass(oid: str) -> bool:
            e = self.by_id.get(oid)
            words = [e.display_name or "", *e.identities] if e else []
            return oid in admins or any(BREAK_GLASS.search(w) for w in words)

        namer = Namer(self.name, lambda app_id: apps.get(app_id, app_id), break_glass)
        found = [
            describe(obj, path, namer)
            for path, obj in self.load([e.path for e in self.of_type("conditionalAccessPolicies")])
        ]
        return sorted(found, key=lambda p: p.name.lower())

    def credentials(self) -> list[Credential]:
        """Secrets and certificates (their metadata: Graph never returns the secret itself) expired or
        expiring within 30 days of the last backup. Only files holding a non-empty credential list are
        parsed: thousands of applications without credentials cost one read each."""
        entries = self.of_type("applications", "servicePrincipals")
        texts = self.repo.read_many([f"{self.head.sha}:{e.path}" for e in entries])
        as_of = datetime.fromtimestamp(self.as_of, tz=timezone.utc)
        out = []
        for e, text in zip(entries, texts, strict=True):
            if text is None or not ("\npasswordCredentials:\n" in text or "\nkeyCredentials:\n" in text):
                continue
            obj = load_text(text, e.path)
            for key, kind in (("passwordCredentials", "secret"), ("keyCredentials", "certificate")):
                for cred in obj.get(key) or []:
                    end = _parse_time(cred.get("endDateTime")) if isinstance(cred, Mapping) else None
                    if end is None or end > as_of + timedelta(days=EXPIRY_DAYS):
                        continue
                    days = (end - as_of).days if end >= as_of else -((as_of - end).days)
                    out.append(
                        Credential(
                            history.entry_name(e, self.names) or e.id,
                            e.type,
                            kind,
                            str(cred.get("displayName") or ""),
                            end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            days,
                            e.path,
                        )
                    )
        return sorted(out, key=lambda c: (c.expires, c.application.lower()))


def _top(series: dict[str, list[int]], size: Callable[[list[int]], int]) -> dict[str, list[int]]:
    """The CHART_SERIES biggest series (catalog order kept), the rest summed as "other types": a chart of
    fifteen lines, most of them flat at one object, is one nobody can read, and the legend must fit."""
    if len(series) <= CHART_SERIES:
        return series
    keep = set(sorted(series, key=lambda t: -size(series[t]))[: CHART_SERIES - 1])
    rest = [n for t, n in series.items() if t not in keep]
    kept = {t: n for t, n in series.items() if t in keep}
    return {**kept, OTHER: [sum(x) for x in zip(*rest, strict=True)]}


def _settings(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
    """Each changed setting of a tenant-wide trust object as `dotted.path: old → new`."""
    out = []
    for d in diff(old or {}, new or {}):
        path = ".".join(step.replace("~1", "/").replace("~0", "~") for step in d.path.split("/")[1:])
        out.append(f"{path}: {history.format_value(d.old)} → {history.format_value(d.new)}")
    return out


def _since(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since: invalid date '{text}' (a day, YYYY-MM-DD)") from None


def _kind(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str:
    if new is None:
        return "deleted"
    if old is None:
        return "created"
    if is_deleted(new) and not is_deleted(old):
        return "soft-deleted"
    if is_deleted(old) and not is_deleted(new):
        return "restored"
    return "changed"


def build(repo_dir: str | None, since: str | None = None) -> Report:
    """The report of the repository at repo_dir; since is a `YYYY-MM-DD` day (default: 30 days before the
    last backup)."""
    b = _Builder(repo_dir, since)
    score_now, score_history = b.score()
    days, per_day = b.changes_per_day()
    changes, total = b.changes()
    assignments = b.role_assignments()
    return Report(
        tenant=b.tenant(),
        as_of=_iso(b.as_of),
        since=b.since.isoformat(),
        last_backup=b.last_backup(),
        objects=b.objects(),
        seats=b.seats(),
        score=score_now,
        charts=Charts(score_history, b.object_history(), days, per_day),
        changes=changes,
        changes_total=total,
        deleted=b.deleted(),
        policies=b.policies(assignments),
        privileged=b.privileged(assignments),
        credentials=b.credentials(),
        dangling=b.dangling(),
        root=str(b.repo.root),
    )
