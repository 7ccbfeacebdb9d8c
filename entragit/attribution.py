"""Who changed what: a backup run's changes grouped into one commit per actor from the directory audit log.

A run reads the audit records since the previous run started (`audit_log.read`, one request on a quiet tenant
and none when nothing changed and nothing waits for a late record) and gives each changed object the actors
whose activities targeted it by id. Each actor gets a commit authored as them, in the time order of their last
activity; an object two actors changed goes with the last, both named in trailers. Changes no record explains
go in a final commit by the repository's identity, marked `Unattributed:`; its objects wait (in
`.git/entragit/audit.json`) for a record that arrives late, which then names its actor in a git note on that
commit (repo.authorship). Records lag minutes behind their change: the first run that starts `LAG` after the
unattributed commit is the last to look, so a quiet tenant's runs soon read no audit log again. Without
AuditLog.Read.All, or without audit access at all, a run makes the single unattributed commit and says so
in one line (a run without changes says nothing); its objects wait like late ones, and so do those already
waiting, until a run can read the log (for as long as the log keeps records, `RETENTION`). Attribution never
fails a backup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from entragit import audit_log
from entragit.errors import EntragitError
from entragit.graph.client import GraphClient, GraphError
from entragit.repo.authorship import CHANGED_BY, UNATTRIBUTED, ident, note_line, one_line
from entragit.repo.writer import Author, Store

STATE_FILE = "audit.json"
LAG = timedelta(hours=1)  # by then every audit record of a captured change has arrived
RETENTION = timedelta(days=30)  # the directory audit log keeps no older records
AUDIT_LINES = 200  # `Audit:` trailers per commit before `… and N more`


@dataclass
class Group:
    """One commit of the run: its paths (None: every change no other group took), author and trailers."""

    paths: frozenset[str] | None
    author: Author | None = None
    trailers: list[str] = field(default_factory=list)


@dataclass
class Plan:
    groups: list[Group]  # in commit order; the last takes the rest
    notices: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None  # audit.json after the run (None: leave it)
    waiting: dict[str, str] = field(default_factory=dict)  # id → path of the unattributed commit's objects
    notes: dict[str, list[str]] = field(default_factory=dict)  # earlier commit → note lines to add


def plan(
    store: Store, client: GraphClient, enabled: bool, changes: Mapping[str, str | None], started: datetime
) -> Plan:
    """The commits for this run's changes (`changes`: path → object id, None for a file that is no object)."""
    if not enabled:
        return Plan([Group(None)], state={})
    saved = store.load_json(STATE_FILE)
    since = _time(saved.get("since"))
    waiting = [w for w in saved.get("pending") or [] if _pending_age(w, started) < RETENTION]
    # Looked for in this run; kept for the next only while their records may still be on their way.
    state: dict[str, Any] = {
        "since": _iso(started),
        "pending": [w for w in waiting if _pending_age(w, started) < LAG],
    }
    ids = {oid.lower(): path for path, oid in changes.items() if oid}
    if since is None or not (ids or waiting):  # the first run (nothing to attribute yet) or nothing to do
        return Plan([Group(None)], state=state)
    state["previous"] = _iso(since)  # this run's window start: where its unattributed changes' records lie
    start = min([since, *(_time(w["since"]) or since for w in waiting)])
    try:
        activities = audit_log.read(client, _iso(start))
    except (GraphError, EntragitError) as exc:
        # Said only when this run has changes to attribute. Nothing looked for is given up: this run's
        # changes and those already waiting are looked for again by the next run that can read the log.
        reason = (
            f"403 {audit_log.PERMISSION}" if isinstance(exc, GraphError) and exc.status == 403 else str(exc)
        )
        reason = one_line(reason)[:120]
        note = f"changes not attributed: the directory audit log could not be read ({reason})"
        rest = Group(None, trailers=[f"{UNATTRIBUTED}: audit log unavailable ({reason})"] if ids else [])
        state["pending"] = waiting
        return Plan([rest], notices=[note] if ids else [], state=state, waiting=ids)
    targets = audit_log.by_target(activities)
    result = Plan([], state=state)
    _late_notes(result, waiting, targets)
    state["pending"] = [w for w in state["pending"] if w["ids"]]
    result.groups = _groups(ids, targets, since)
    claimed = set().union(*(g.paths or () for g in result.groups))
    left = {oid: path for oid, path in ids.items() if path not in claimed}
    if result.groups and not left:
        # Every object change is attributed: the report files (derived from them) ride with the last commit,
        # so a run with one actor stays one commit.
        result.groups[-1].paths = None
        return result
    rest = Group(None)
    if left:
        rest.trailers.append(f"{UNATTRIBUTED}: no audit record for {len(left)} change(s) yet")
        result.waiting = left
    result.groups.append(rest)
    return result


def finish(store: Store, done: Plan, commits: Sequence[str | None]) -> None:
    """After the run's commits: notes on earlier commits, and the objects of this run's unattributed commit
    left waiting for their audit records."""
    for sha, lines in done.notes.items():
        current = store.note(sha).rstrip("\n")
        store.set_note(sha, "\n".join([current, *lines] if current else lines) + "\n")
    if done.state is None:
        return
    rest = commits[-1] if commits else None
    if rest and done.waiting:
        done.state["pending"] = [
            *done.state.get("pending", []),
            {
                "commit": rest,
                "since": done.state["previous"],
                "until": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "ids": done.waiting,
            },
        ]
    done.state.pop("previous", None)
    store.save_json(STATE_FILE, done.state)


def _groups(
    ids: Mapping[str, str], targets: Mapping[str, list[audit_log.Activity]], since: datetime
) -> list[Group]:
    """One group per last actor, in the order of that actor's last activity."""
    per_actor: dict[str, tuple[audit_log.Actor, list[str], list[audit_log.Activity]]] = {}
    for oid, path in ids.items():
        acts = [a for a in targets.get(oid, []) if (_time(a.time) or since) >= since]
        if not acts:
            continue
        actor, paths, seen = per_actor.setdefault(acts[-1].actor.key, (acts[-1].actor, [], []))
        paths.append(path)
        seen.extend(acts)
    groups: list[tuple[float, Group]] = []
    for actor, paths, seen in per_actor.values():
        acts = sorted({a.id or id(a): a for a in seen}.values(), key=lambda a: _sort_key(a.time))
        last = max(_sort_key(a.time) for a in acts if a.actor.key == actor.key)
        trailers = [f"{CHANGED_BY}: {who}" for who in dict.fromkeys(_who(a.actor) for a in acts)]
        trailers += [f"Audit: {one_line(a.detail())}; by {_who(a.actor)}" for a in acts[:AUDIT_LINES]]
        if len(acts) > AUDIT_LINES:
            trailers.append(f"Audit: … and {len(acts) - AUDIT_LINES} more")
        author = Author(actor.name, actor.email, int(last))
        groups.append((last, Group(frozenset(paths), author, trailers)))
    groups.sort(key=lambda g: g[0])
    return [g for _, g in groups]


def _late_notes(
    result: Plan, waiting: list[dict[str, Any]], targets: Mapping[str, list[audit_log.Activity]]
) -> None:
    """Records that arrived after the run that captured their change: note lines on that run's commit."""
    for w in sorted(waiting, key=lambda w: str(w.get("until")), reverse=True):
        lo, hi = _time(w.get("since")), _time(w.get("until"))
        for oid, path in list(w["ids"].items()):
            acts = [a for a in targets.get(oid, []) if lo and hi and lo <= (_time(a.time) or hi) <= hi]
            if acts:
                a = acts[-1]
                result.notes.setdefault(str(w["commit"]), []).append(
                    note_line(path, _who(a.actor), a.detail())
                )
                del w["ids"][oid]


def _who(actor: audit_log.Actor) -> str:
    return ident(actor.name, actor.email)


def _pending_age(w: Any, now: datetime) -> timedelta:
    """How long ago the run that left these objects unattributed ended (forever for a damaged entry)."""
    until = _time(w.get("until")) if isinstance(w, dict) else None
    if until is None or not isinstance(w.get("ids"), dict) or not w.get("commit"):
        return timedelta.max
    return now - until


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: Any) -> datetime | None:
    """An ISO 8601 UTC time as Graph writes it (up to 7 fraction digits, which datetime does not take)."""
    if not isinstance(text, str) or not text:
        return None
    main, _, frac = text.rstrip("Z").partition(".")
    # fromisoformat, not strptime (a tenth of the cost, a thousand records a run), on exactly the form
    # strptime("%Y-%m-%dT%H:%M:%S") took: fromisoformat alone would also take a date or an offset.
    if len(main) != 19 or main[10] != "T" or not main[:4].isdigit():
        return None
    try:
        when = datetime.fromisoformat(main).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    digits = "".join(c for c in frac if c.isdigit())[:6]
    return when + timedelta(microseconds=int(digits.ljust(6, "0"))) if digits else when


def _sort_key(text: str) -> float:
    when = _time(text)
    return when.timestamp() if when else 0.0
