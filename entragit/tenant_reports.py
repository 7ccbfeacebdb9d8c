"""Tenant reports: built from Graph by each backup, and read back from the repository.

This module owns the report files' shapes, both ways: `secure_score_report` and `seats_report` build what a
backup writes under `reports/`, and `score` and `seats` answer `entragit score` and `entragit seats` from what
backups already committed, so they work offline, in CI, and for any past date.

The secure score's trend has two sources: each version of `reports/secureScore.yaml` embeds the daily
`history` Graph still held at that backup (about 90 days, oldest first), and the file's git history keeps the
days Graph has since forgotten. They are merged per day, the newest backup's value winning, so the first
backup already shows a trend and years of backups do not repeat a day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from typing import TYPE_CHECKING, Any

from entragit import canonical, catalog
from entragit.errors import EntragitError
from entragit.repo.entries import Entry, is_deleted, load_text
from entragit.repo.reader import BackupRepo

if TYPE_CHECKING:
    from entragit.graph.client import GraphClient

REPORT_FOLDER = "reports"
SECURE_SCORE_FILE = catalog.report("secureScore").file
SEATS_FILE = catalog.report("seats").file
SPARKS = "▁▂▃▄▅▆▇█"


# --------------------------------------------------------------------------------------------------- building


def _report_items(client: GraphClient, name: str) -> Iterator[dict[str, Any]]:
    """The items a report is built from, read as its catalog entry says (path, query, permission)."""
    r = catalog.report(name)
    return client.list(r.path, dict(r.params) or None, required_permission=r.permissions[0])


def secure_score_report(client: GraphClient) -> dict[str, Any] | None:
    """The content of reports/secureScore.yaml: the latest secure score record in detail, plus the daily
    history Graph still holds; None when Graph has no record.

    Graph answers newest first, one record per day, and forgets records after about 90 days; the repository
    keeps them for good. Embedding the history means `entragit score` has a trend from the very first backup
    instead of only from the second day on. `history` is oldest first (the order `entragit score` shows) and
    carries only date and scores, so the file changes once a day at most, when Graph adds a day.
    """
    pages = _report_items(client, "secureScore")
    # Stop after the window even if Graph pages further: the next page would be older than anyone charts.
    records = [r for r in islice(pages, catalog.SECURE_SCORE_DAYS) if isinstance(r, Mapping)]
    if not records:
        return None
    by_day: dict[str, Mapping[str, Any]] = {}
    for r in sorted(records, key=lambda r: str(r.get("createdDateTime") or "")):
        day = _score_day(r)
        if day is not None:
            by_day[day] = r  # two records on one day (never seen): the later one is the day's score
    r = max(records, key=lambda r: str(r.get("createdDateTime") or ""))
    controls = sorted(
        (
            {
                "controlName": c.get("controlName"),
                "controlCategory": c.get("controlCategory"),
                "score": c.get("score"),
            }
            for c in r.get("controlScores") or []
            if isinstance(c, Mapping)
        ),
        key=lambda c: str(c["controlName"]),
    )
    current, maximum = r.get("currentScore"), r.get("maxScore")
    percent = round(100.0 * float(current) / float(maximum), 1) if current is not None and maximum else None
    return {
        "date": _score_day(r),
        "currentScore": current,
        "maxScore": maximum,
        "percent": percent,
        "activeUserCount": r.get("activeUserCount"),
        "licensedUserCount": r.get("licensedUserCount"),
        "averageComparativeScores": sorted(
            (
                {"basis": a.get("basis"), "averageScore": a.get("averageScore")}
                for a in r.get("averageComparativeScores") or []
                if isinstance(a, Mapping)
            ),
            key=lambda a: str(a["basis"]),
        ),
        "controlScores": controls,
        "history": [
            {"date": day, "currentScore": rec.get("currentScore"), "maxScore": rec.get("maxScore")}
            for day, rec in sorted(by_day.items())
        ],
    }


def _score_day(record: Mapping[str, Any]) -> str | None:
    """The UTC day (`YYYY-MM-DD`) a secure score record is for, from its createdDateTime."""
    return str(record.get("createdDateTime") or "")[:10] or None


def seat_code(user: Mapping[str, Any]) -> str:
    """Compact per-user seat facts (enabled/disabled, member/guest, licensed/unlicensed: e.g. "eml").

    A backup keeps one per user in its incremental state, so that a run that reads only the changed users can
    still count the seats of all of them; `seats_report` counts these codes."""
    enabled = "e" if user.get("accountEnabled") else "d"
    kind = "g" if str(user.get("userType") or "Member").lower() == "guest" else "m"
    licensed = "l" if user.get("assignedLicenses") else "u"
    return enabled + kind + licensed


def seats_report(client: GraphClient, seat_codes: Mapping[str, str]) -> dict[str, Any]:
    """The content of reports/seats.yaml: user counts from the `seat_code` of every user id, and the
    tenant's subscribed SKUs (bought, consumed and still available units) read from Graph."""
    skus = list(_report_items(client, "seats"))
    codes = list(seat_codes.values())
    sku_rows = []
    for s in sorted(skus, key=lambda s: str(s.get("skuPartNumber") or s.get("skuId"))):
        prepaid = s.get("prepaidUnits") or {}
        enabled = prepaid.get("enabled") if isinstance(prepaid, Mapping) else None
        consumed = s.get("consumedUnits")
        sku_rows.append(
            {
                "skuPartNumber": s.get("skuPartNumber"),
                "skuId": s.get("skuId"),
                "capabilityStatus": s.get("capabilityStatus"),
                "appliesTo": s.get("appliesTo"),
                "consumedUnits": consumed,
                "prepaidUnits": dict(prepaid) if isinstance(prepaid, Mapping) else None,
                "available": enabled - consumed
                if isinstance(enabled, int) and isinstance(consumed, int)
                else None,
            }
        )
    return {
        # Billable estimate: enabled member accounts holding at least one license.
        "billableUsers": sum(1 for c in codes if c == "eml"),
        "users": len(codes),
        "members": sum(1 for c in codes if c[1] == "m"),
        "guests": sum(1 for c in codes if c[1] == "g"),
        "disabledUsers": sum(1 for c in codes if c[0] == "d"),
        "licensedUsers": sum(1 for c in codes if c[2] == "l"),
        "unlicensedEnabledMembers": sum(1 for c in codes if c == "emu"),
        "skus": sku_rows,
    }


def seats_now(
    repo_dir: str | None, client: GraphClient, users: Mapping[str, Mapping[str, Any] | None]
) -> str | None:
    """The text of reports/seats.yaml a backup would write now, without listing the users: the seat codes
    of HEAD's user files with `users` (a user file's path → that user as now live, None when it is gone)
    in their place, and the subscribed SKUs read from Graph. A restore writes it with the files it records,
    since recreating or restoring a licensed user changes the counts: otherwise the first backup after it
    would commit the stale report. None when HEAD has no seat report (a backup never listed the users)."""
    repo = BackupRepo(repo_dir)
    if repo.read(repo.head().sha, SEATS_FILE) is None:
        return None
    codes = {
        e.path: seat_code(
            {"accountEnabled": e.account_enabled, "userType": e.user_type, "assignedLicenses": e.licensed}
        )
        for e in repo.index().values()
        if e.type == "users" and not e.deleted
    }
    for path, user in users.items():
        codes.pop(path, None)
        if user is not None and not is_deleted(user):
            codes[path] = seat_code(user)
    return canonical.dump(seats_report(client, codes))


# ---------------------------------------------------------------------------------------------------- reading


class ReportError(EntragitError):
    """The repository holds nothing to report on (no backup of that report yet)."""


@dataclass(frozen=True)
class ScorePoint:
    date: str  # ISO 8601 UTC
    current: float
    maximum: float | None

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date, "currentScore": self.current, "maxScore": self.maximum}


@dataclass(frozen=True)
class ScoreReport:
    current: float
    maximum: float | None
    date: str
    history: list[ScorePoint]  # oldest first

    def to_json(self) -> dict[str, Any]:
        """Everything `entragit score` prints: the figures, the percentage, the trend's low and high."""
        low = min(self.history, key=lambda p: p.current, default=None)
        high = max(self.history, key=lambda p: p.current, default=None)
        return {
            "currentScore": self.current,
            "maxScore": self.maximum,
            "percent": round(100 * self.current / self.maximum, 1) if self.maximum else None,
            "date": self.date,
            "low": low.to_json() if low else None,
            "high": high.to_json() if high else None,
            "history": [p.to_json() for p in self.history],
        }


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _iso(v: Any, fallback: str) -> str:
    """A Graph date (`2019-03-19T15:21:00Z`, with or without fractions/offset) as ISO 8601 UTC seconds."""
    if not isinstance(v, str) or not v:
        return fallback
    text = v.strip().replace("Z", "+00:00")
    if "." in text:  # Graph sends 7 fractional digits, more than fromisoformat takes before 3.11
        head, _, rest = text.partition(".")
        tz = next((rest[i:] for i in range(len(rest)) if rest[i] in "+-"), "")
        text = head + tz
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _points(obj: dict[str, Any], fallback_date: str) -> list[ScorePoint]:
    """Every score record in one version of the report file: any embedded history, then the record itself
    (last, so that it is the file's latest point and wins over a history entry of its own day)."""
    records: list[dict[str, Any]] = []
    for key in ("history", "value", "records"):
        if isinstance(obj.get(key), list):
            records.extend(r for r in obj[key] if isinstance(r, dict))
    records.append(obj)
    points = []
    for r in records:
        current = _number(r.get("currentScore"))
        if current is None:
            continue
        date = _iso(r.get("createdDateTime") or r.get("date"), fallback_date)
        points.append(ScorePoint(date, current, _number(r.get("maxScore"))))
    return points


def score(repo_dir: str | None) -> ScoreReport:
    """The latest secure score and its history, oldest first, one point per day.

    A day seen by several backups takes the value of the newest one: Graph recomputes a day's score until the
    day is over, and a later backup's embedded history has the final figure.
    """
    repo = BackupRepo(repo_dir)
    head = repo.head()
    present = [c for c, status, _ in repo.file_log([SECURE_SCORE_FILE]) if status != "D"]
    if not present:
        raise ReportError(
            f"no secure score in {repo.root} yet ({SECURE_SCORE_FILE} is written by `entragit backup`)"
        )
    texts = repo.read_many([f"{c.sha}:{SECURE_SCORE_FILE}" for c in present])
    by_day: dict[str, ScorePoint] = {}
    latest: ScorePoint | None = None
    # Oldest first, so that newer versions of a day overwrite older ones.
    for commit, text in zip(reversed(present), reversed(texts), strict=True):
        if text is None:
            continue
        points = _points(load_text(text, f"{SECURE_SCORE_FILE} at {commit.short}"), commit.iso)
        for p in sorted(points, key=lambda p: p.date):
            by_day[p.date[:10]] = p
        if commit.sha == present[0].sha and points:
            latest = points[-1]
    if latest is None:
        raise ReportError(f"{SECURE_SCORE_FILE} at {head.short} has no currentScore")
    history = sorted(by_day.values(), key=lambda p: p.date)
    return ScoreReport(latest.current, latest.maximum, latest.date, history)


def sparkline(values: list[float], width: int = 60) -> str:
    """A one-line trend: the last `width` values scaled between their min and max."""
    values = values[-width:]
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[len(SPARKS) // 2] * len(values)
    scale = (len(SPARKS) - 1) / (high - low)
    return "".join(SPARKS[round((v - low) * scale)] for v in values)


@dataclass(frozen=True)
class SeatReport:
    billable: list[Entry]
    guests: list[Entry]
    disabled: list[Entry]
    licensed: list[Entry]
    total: int
    commit: str = ""
    date: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def reclaim(self) -> list[Entry]:
        """Licensed users that are not billable (guests, disabled): licenses to review. By path, not by
        `in` on the billable list: that was quadratic, a minute for 60k users."""
        billed = {e.path for e in self.billable}
        return [e for e in self.licensed if e.path not in billed]

    def counts(self) -> dict[str, int]:
        return {
            "billable": len(self.billable),
            "guests": len(self.guests),
            "disabled": len(self.disabled),
            "licensed": len(self.licensed),
            "total": self.total,
        }

    def to_json(self) -> dict[str, Any]:
        """The counts plus what `entragit seats` lists: the backup they are from and every licensed user
        who is not billable (the text shows the first 20), with the reason."""
        return {
            **self.counts(),
            "commit": self.commit,
            "date": self.date,
            "reclaim": [
                {
                    "id": e.id,
                    "displayName": e.display_name,
                    "userPrincipalName": e.identity or None,
                    "path": e.path,
                    "reason": "guest" if e.guest else "disabled",
                }
                for e in self.reclaim
            ],
        }


def seats(repo_dir: str | None) -> SeatReport:
    """Estimated billable users from the latest backup's user files.

    Billable = enabled member users holding at least one license. Soft-deleted users are not counted; guests
    and disabled users are reported apart (a disabled user that still holds a license is a seat to reclaim).
    """
    repo = BackupRepo(repo_dir)
    head = repo.head()
    users = [e for e in repo.index().values() if e.type == "users" and not e.deleted]
    if not users:
        raise ReportError(f"no user files at {head.short} in {repo.root}; run `entragit backup` first")
    guests = [e for e in users if e.guest]
    disabled = [e for e in users if e.account_enabled is False]
    licensed = [e for e in users if e.licensed]
    billable = [e for e in licensed if e.account_enabled is not False and not e.guest]
    key = lambda e: ((e.display_name or "").lower(), e.id)  # noqa: E731
    return SeatReport(
        billable=sorted(billable, key=key),
        guests=sorted(guests, key=key),
        disabled=sorted(disabled, key=key),
        licensed=sorted(licensed, key=key),
        total=len(users),
        commit=head.short,
        date=head.iso,
    )
