"""One backup run: every catalog type from Graph → canonical YAML files → one git commit.

Per type, a run is either *full* (the complete collection: objects missing from it are deleted) or
*incremental* (a delta round from the saved deltaLink: only what changed). A type is read incrementally
only when delta returns all of its relationships too (`Relationship.via_delta`); other types are re-listed
each run, which for them is a handful of pages.

Safety: a type whose reads fail changes none of its files and keeps its previous incremental state; the other
types are still committed and the run reports the failure. Files are removed only on evidence: absence from a
complete listing, or a delta `@removed` with reason "deleted".

Cost: each canonical object is hashed (cheap JSON) and only objects whose hash differs from the previous
run's are dumped to YAML and compared with the file on disk, so an unchanged tenant costs the Graph reads
plus a hash per listed object, and writes nothing.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from entragit import (
    attribution,
    canonical,
    catalog,
    config,
    extension_discovery,
    live,
    render,
    tenant_reports,
)
from entragit.catalog import ObjectType
from entragit.errors import EntragitError, UsageError
from entragit.graph.client import DeltaExpired, DeltaRound, GraphClient, GraphError, RetryNotice
from entragit.repo import dangling, records
from entragit.repo.authorship import one_line
from entragit.repo.entries import LINK_ARROW, linked_name, stem, top_field
from entragit.repo.reader import BackupRepo
from entragit.repo.writer import Part, Snapshot, Store
from entragit.tenant_reports import REPORT_FOLDER
from entragit.wording import count

ProgressFn = Callable[[str], None]

PROGRESS_EVERY = 10_000  # a progress line per this many objects of a long delta round
LISTED_CHUNK = 250  # listed objects per render-worker task (a listing of fewer than two renders in-process)
TYPE_WORKERS = 8  # types listed at the same time (mostly waiting on Graph); each also fans out via $batch
BODY_LINES = 500  # commit message body cap


class BackupError(EntragitError):
    """The run could not start (no repository, bad configuration, credentials)."""


@dataclass
class TypeSummary:
    """What one type contributed to the run."""

    name: str
    mode: str = "full"  # "full", "delta", "delta→full" (token rejected), "failed"
    objects: int = 0
    added: int = 0
    changed: int = 0
    deleted: int = 0
    error: str | None = None
    reason: str = ""  # the error in a few words, for the commit's Failed-Type trailer
    # Opted-in properties not read, each with the permission the app lacks (`live.Reader.unreadable`): the
    # type is backed up, its files keep the values they hold for them, and the run counts as failed.
    unread: dict[str, str] = field(default_factory=dict)

    @property
    def partial(self) -> str:
        """What the type's backup left out, in a few words, for the Failed-Type trailer ("" when nothing)."""
        by_permission: dict[str, list[str]] = {}
        for prop, permission in self.unread.items():
            by_permission.setdefault(permission, []).append(prop)
        return "; ".join(f"{' and '.join(props)} not read, no {p}" for p, props in by_permission.items())


@dataclass
class BackupResult:
    commit: str | None
    added: int = 0
    changed: int = 0
    deleted: int = 0
    types: dict[str, TypeSummary] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # one line each: a recovered run, a full re-listing
    dangling: list[dangling.Dangling] = field(default_factory=list)  # references the run left dangling
    unreachable: str | None = None  # Graph never answered: the one reason every type failed
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line for the end of a run."""
        what = f"{self.changed:,} changed, {self.added:,} added, {self.deleted:,} deleted"
        commit = f"commit {self.commit[:10]}" if self.commit else "no changes, no commit"
        objects = sum(t.objects for t in self.types.values())
        line = f"backup: {count(objects, 'object')} in {count(len(self.types), 'type')}; {what}; {commit}"
        line += f"; {self.stats.get('requests', 0)} Graph requests in {self.stats.get('seconds', 0):.1f}s"
        if self.errors:
            failed = sorted(t.name for t in self.types.values() if t.error or t.unread)
            if any(e.startswith(f"{REPORT_FOLDER}/") for e in self.errors):
                failed.append("reports")
            if any(e.startswith(("git push", "--push")) for e in self.errors):
                failed.append("push")
            line += f"; FAILED: {', '.join(failed or ['?'])}"
        return line


@dataclass
class RunStatus:
    """What a running backup has done so far, updated as it goes (no I/O) for a display to read at any time:
    objects read per type, the types finished, and the client's request counters."""

    listed: dict[str, int] = field(default_factory=dict)
    finished: dict[str, str] = field(default_factory=dict)  # type → mode ("full", "delta", "failed", …)
    types: int = 0  # how many types the run lists
    requests: Callable[[], Mapping[str, int]] = dict

    def count(self, type_name: str, n: int = 1) -> None:
        self.listed[type_name] = self.listed.get(type_name, 0) + n


@dataclass
class _Entry:
    """One file change of a type, for the counts and the commit message (the content went to the snapshot)."""

    kind: str  # added, changed, deleted, soft-deleted, restored
    name: str


@dataclass
class _Outcome:
    t: ObjectType
    summary: TypeSummary
    entries: dict[str, _Entry] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    domain: str | None = None
    notices: list[str] = field(default_factory=list)  # what the user should know, though nothing failed
    resettled: str = ""  # `_settings_changed`: why every file of the type was rendered again


# ---------------------------------------------------------------------------------------------------- helpers


def _name_from_text(t: ObjectType, text: str | None, path: str) -> str:
    if text:
        try:
            return render.display_name(t, canonical.load(text), path)
        except Exception:  # a hand-edited file must not break the commit message
            pass
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def default_domain(org: Mapping[str, Any]) -> str | None:
    domains = [d for d in org.get("verifiedDomains") or [] if isinstance(d, Mapping)]
    for flag in ("isDefault", "isInitial"):
        for d in domains:
            if d.get(flag) and d.get("name"):
                return str(d["name"])
    return None


@dataclass
class _Pass:
    """What one full listing of a type accumulates: the new digests, the seat codes, the paths it keeps."""

    out: _Outcome
    digests_old: dict[str, str]
    inputs_old: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # of listed objects (`render.input_digest`)
    seats: dict[str, str] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # objects that vanished mid-listing: file left as it is
    state: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------- the run


class _Run:
    def __init__(
        self,
        store: Store,
        reader: live.Reader,
        *,
        full: bool,
        progress: ProgressFn | None,
        snapshot: Snapshot,
        status: RunStatus,
    ) -> None:
        self.status = status
        self.store = store
        self.snapshot = snapshot
        self.reader = reader
        self.renderer = render.RenderPool()
        # Set on Ctrl-C: listing threads stop at their next page instead of finishing the whole tenant.
        self.cancelled = threading.Event()
        self.full = full
        self.progress = progress or (lambda _msg: None)
        # What HEAD holds: a file is "added" unless HEAD has it, whatever else lies in the work tree (a stray
        # or left-over untracked file must neither make a first backup report "changed" nor, when its bytes
        # happen to equal the new content, be skipped and so never committed).
        self._tracked: list[str] | None = None
        self._tracked_lock = threading.Lock()

    def close(self) -> None:
        self.renderer.close()

    def _index(self) -> list[str]:
        """HEAD's paths, sorted, from one `git ls-files` a run (the listings do not touch the index)."""
        with self._tracked_lock:
            if self._tracked is None:
                self._tracked = sorted(self.store.all_tracked())
            return self._tracked

    def is_tracked(self, path: str) -> bool:
        paths = self._index()
        at = bisect.bisect_left(paths, path)
        return at < len(paths) and paths[at] == path

    def tracked_under(self, folder: str) -> list[str]:
        """HEAD's paths under a type's folder. Not a `git ls-files` per type: each reads the whole index
        (115,000 entries at 100k users), and the 37 types listed whole every run asked for theirs, 1.5 s of
        git's CPU in a run that changed 1% of the tenant, on the cores the run shares."""
        paths = self._index()
        prefix = folder.rstrip("/") + "/"
        return paths[bisect.bisect_left(paths, prefix) : bisect.bisect_left(paths, prefix[:-1] + "0")]

    def file_links(self, t: ObjectType, path: str) -> dict[str, Any]:
        """The relationship values in the object's current file (kept for soft-deleted objects)."""
        return file_links(self.store, t, path)

    # -- one type ------------------------------------------------------------------------------------------

    def backup_type(self, t: ObjectType, old: Mapping[str, Any]) -> _Outcome:
        summary = TypeSummary(t.name)
        outcome = _Outcome(t, summary)
        if self.cancelled.is_set():
            raise KeyboardInterrupt
        try:
            summary.unread = self.reader.unreadable(t)
            if not self.reader.uses_delta(t):
                self.reader.start_id_listings(t)  # (before the settings' check waits for discovery)
            saved = old.get("deltaLink") if self.reader.uses_delta(t) and not self.full else None
            link = self.reader.resumable(str(saved)) if saved else None
            # A saved link carries its own $select: its round need not wait, as the settings' check does,
            # for the discovery of the tenant's extensions (the users' round is a 1% run's longest chain).
            # Under changed settings the type is listed in full and the round is left unread.
            ahead = self.reader.start_delta_round(t, link) if link else None
            outcome.resettled = _settings_changed(self.reader, t, old)
            if outcome.resettled:
                old, saved, link, ahead = {}, None, None, None
            if saved and link is None:
                host = str(saved).split("/")[2]
                now = self.reader.client.graph_url
                outcome.notices.append(
                    f"{t.name}: the incremental state was made on {host}, not {now}; listing everything"
                )
            if ahead is not None:
                try:
                    self._incremental(outcome, ahead, old)
                    summary.mode = "delta"
                    outcome.state["deltaLink"] = self.reader.portable(str(outcome.state["deltaLink"]))
                    self.status.finished[t.name] = summary.mode
                    return outcome
                except DeltaExpired:
                    self.progress(f"{t.name}: delta token rejected, listing everything again")
                    summary.mode = "delta→full"
                    self.snapshot.discard(outcome.entries)
                    outcome.entries.clear()
            self._full(outcome, old)
            if summary.mode != "delta→full":
                summary.mode = "full"
            if outcome.state.get("deltaLink"):
                outcome.state["deltaLink"] = self.reader.portable(str(outcome.state["deltaLink"]))
        except (GraphError, EntragitError) as exc:
            summary.mode = "failed"
            summary.error = f"{t.name}: {exc}"
            summary.reason = _failure_reason(exc, self.reader.permission(t))
            self.snapshot.discard(outcome.entries)  # none of its files change
            outcome.entries.clear()
        self.status.finished[t.name] = summary.mode
        return outcome

    # -- a full listing: one strategy per kind of type, then soft-deleted objects, then deletions ------------

    def _full(self, out: _Outcome, old: Mapping[str, Any]) -> None:
        """Everything of the type; files of objects absent from the complete listing are deleted."""
        t = out.t
        p = _Pass(out, {} if self.full else dict(old.get("digests") or {}))
        if not self.full:
            p.inputs_old = dict(old.get("inputs") or {})
        if t.singleton:
            obj = self.reader.singleton(t)
            if catalog.is_backed_up(t, obj):
                self._take(p, obj, {})
        elif self.reader.by_delta_round(t):
            self._from_delta_round(p)
        else:
            if self.reader.uses_delta(t):
                # The deltaLink is taken first, so that changes made during the listing come with the next
                # incremental run.
                p.state["deltaLink"] = self.reader.latest_delta_link(t)
            self._from_listing(p)
        soft = self._take_soft_deleted(p)
        if soft:
            p.state["soft"] = sorted(soft)
        if p.seats:
            p.state["seats"] = p.seats
        out.summary.objects = len(p.digests)
        self.progress(
            f"{t.name}: {count(len(p.digests), 'object')}" + (f" ({len(soft)} deleted)" if soft else "")
        )
        if not t.singleton:
            self._find_deletions(p)
        p.state["digests"] = p.digests
        if p.inputs:
            p.state["inputs"] = p.inputs
        out.state = p.state

    def _take(self, p: _Pass, item: Mapping[str, Any], links: Mapping[str, Any]) -> None:
        """Render one listed object in this thread (small listings; see `_from_delta_round` for big ones)."""
        t = p.out.t
        oid = str(item.get("id") or t.path.rsplit("/", 1)[-1])
        path = catalog.object_path(t, oid)
        self._process(p.out, path, self.reader.canonical(t, item, links), p.digests_old, p.digests)
        if t.name == "users":
            p.seats[oid] = tenant_reports.seat_code(item)
        if t.name == "organization" and p.out.domain is None:
            p.out.domain = default_domain(item)

    def _from_listing(self, p: _Pass) -> None:
        """A listed type's objects with their relationships, taken as the listing completes them; once a
        listing has reached two chunks it is rendered by the workers, chunk by chunk, taken back in order
        (users and organization, which feed the seat and domain reports, are never listed at that size:
        users come by delta round, organization is one object)."""
        t = p.out.t
        if t.relationships:
            names = " and ".join(r.name for r in t.relationships)
            self.progress(f"{t.name}: listing, then reading their {names}")
        drop = self.reader.drop(t)
        seed = render.input_seed(t, drop)
        held: list[live.Listed] = []
        in_flight: deque[Future[list[render.Rendered]]] = deque()
        mode = "local" if t.name in ("users", "organization") else "undecided"
        # Input digests for the types listed whole every run: a type with a delta query is listed whole
        # only in a full run, and the next run follows its delta (users and organization feed reports
        # from every object: always taken).
        keyed = mode != "local" and not self.reader.uses_delta(t)

        def settle(limit: int) -> None:
            while len(in_flight) > limit:
                self._apply(p.out, in_flight.popleft().result(), p.digests)

        def hand_on(chunk: list[live.Listed]) -> None:
            paths = (catalog.object_path(t, str(item["id"])) for item, _ in chunk)
            old = {path: p.digests_old[path] for path in paths if path in p.digests_old}
            in_flight.append(self.renderer.submit(live.render_listed, t.name, drop, chunk, old))
            settle(live.RENDER_AHEAD)

        for item, values in self.reader.listing(t):
            if self.cancelled.is_set():
                raise KeyboardInterrupt
            if values.get(live.GONE):
                # 404 while reading its links: deleted meanwhile, or a replication hiccup. Its file stays
                # as it is (never deleted on a 404 alone); the next delta round settles it.
                path = catalog.object_path(t, str(item["id"]))
                p.kept.add(path)
                if path in p.digests_old:
                    p.digests[path] = p.digests_old[path]
                continue
            if keyed and self._same_input(p, seed, item, values):
                continue
            if mode == "local":
                self._take(p, item, values)
                continue
            held.append((item, values))
            if mode == "undecided" and len(held) == 2 * LISTED_CHUNK:
                mode = "pooled" if self.renderer.available() else "local"
                if mode == "local":
                    for item_, values_ in held:
                        self._take(p, item_, values_)
                    held.clear()
            while mode == "pooled" and len(held) >= LISTED_CHUNK:
                hand_on(held[:LISTED_CHUNK])
                del held[:LISTED_CHUNK]
        if mode == "pooled" and held:
            hand_on(held)
        else:  # a small listing: not worth the workers
            for item, values in held:
                self._take(p, item, values)
        settle(0)

    def _same_input(self, p: _Pass, seed: bytes, item: Mapping[str, Any], links: Mapping[str, Any]) -> bool:
        """Whether a listed object came as the last run listed it (its input digest, `render.input_digest`,
        is the one kept with its file's): then its file is too, and it is taken unrendered."""
        path = catalog.object_path(p.out.t, str(item["id"]))
        key = render.input_digest(seed, item, links)
        if key is None:
            return False
        p.inputs[path] = key
        digest = p.digests_old.get(path)
        if digest is None or p.inputs_old.get(path) != key:
            return False
        self._apply(p.out, [(path, digest, None, "", False)], p.digests)
        return True

    def _from_delta_round(self, p: _Pass) -> None:
        """An initial delta round, taken page by page as the workers render it (`live.Reader.rendered_round`):
        a digest and, for a changed object, its YAML are kept, never the Graph objects."""
        t = p.out.t
        seat = tenant_reports.seat_code if t.name == "users" else None
        delta_link: str | None = None
        seen, next_report = 0, PROGRESS_EVERY

        def found(values: Mapping[str, Mapping[str, Any]]) -> None:
            p.state["opted"] = _values_digests(values)

        def beside(values: Mapping[str, Mapping[str, Any]]) -> None:
            if t.reads_beside:
                p.state["side"] = _values_digests(values)

        pages = self.reader.rendered_round_with_values(t, self.renderer, seat, found, beside)
        for rendered, seats, _next, page_delta, listed in pages:
            if self.cancelled.is_set():
                raise KeyboardInterrupt
            # unchanged since the last run (same digest): no file to compare
            unchanged = p.digests_old.get
            page = [
                (path, d, None if unchanged(path) == d else text, name, deleted)
                for path, d, text, name, deleted in rendered
            ]
            self._apply(p.out, page, p.digests)
            p.seats.update(seats)
            delta_link = page_delta or delta_link
            seen += listed or 0
            if seen >= next_report:
                self.progress(f"{t.name}: {seen} listed so far")
                next_report = seen + PROGRESS_EVERY
        if not delta_link:
            raise GraphError(
                None, "NoDeltaLink", "delta round ended without a deltaLink", method="GET", url=t.path
            )
        p.state["deltaLink"] = delta_link

    def _take_soft_deleted(self, p: _Pass) -> list[str]:
        """Soft-deleted objects keep their file, with deletedDateTime and the links they had."""
        t = p.out.t
        soft: list[str] = []
        for item in self.reader.deleted(t):
            oid = str(item["id"])
            path = catalog.object_path(t, oid)
            if path in p.digests:
                continue  # restored between the two reads: the live listing wins
            obj = self.reader.canonical(t, item, self.file_links(t, path))
            self._process(p.out, path, obj, p.digests_old, p.digests)
            soft.append(oid)
        return soft

    def _find_deletions(self, p: _Pass) -> None:
        """Files of the type that the complete listing did not return: the objects were deleted for good."""
        t = p.out.t
        for path in self.tracked_under(t.folder):
            if path not in p.digests and path not in p.kept and catalog.type_for_path(path) is t:
                name = _name_from_text(t, self.store.read_text(path), path)
                p.out.entries[path] = _Entry("deleted", name)

    # -- an incremental round --------------------------------------------------------------------------------

    def _incremental(self, out: _Outcome, ahead: Future[DeltaRound], old: Mapping[str, Any]) -> None:
        t = out.t
        digests = dict(old.get("digests") or {})
        seats = dict(old.get("seats") or {})
        previously_soft = set(old.get("soft") or [])
        objects: dict[str, dict[str, Any]] = {}
        # Objects whose values the side listing decides (guests' sponsors) wait for it; the others are taken
        # while it runs: at 100k users its chains of pages outlast a 1% round.
        waiting: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
        removed_hard: list[str] = []
        with self.reader.beside(t) as side_job:
            rnd = ahead.result()
            values = self.reader.opted_values(t)
            blank = dict.fromkeys(catalog.not_in_delta(t))
            for item in rnd.items:
                oid = item.get("id")
                if not oid:
                    continue
                oid = str(oid)
                if values is not None:  # opted-in properties a delta round never carries (`opted_values`)
                    item = {**item, **blank, **values.get(oid, {})}
                path = catalog.object_path(t, oid)
                removed = item.get("@removed")
                if removed is not None:
                    reason = removed.get("reason") if isinstance(removed, Mapping) else None
                    seats.pop(oid, None)
                    if reason == "changed":
                        continue  # soft-deleted: the deletedItems listing below supplies its current state
                    removed_hard.append(path)
                    continue
                if not catalog.is_backed_up(t, item):
                    continue
                prev_links = self.file_links(t, path)
                links = {
                    r.name: live.apply_delta_links(r, prev_links.get(r.name), item[f"{r.name}@delta"])
                    if f"{r.name}@delta" in item
                    else prev_links.get(r.name, [] if r.kind != "ref-single" else None)
                    for r in t.relationships
                    if r.via_delta
                }
                # read beside the round: the side listing's value, else the file's (never "none" on no
                # evidence)
                links.update(
                    (r.name, prev_links[r.name])
                    for r in t.relationships
                    if r.only_when and r.applies(item) and r.name in prev_links
                )
                objects.pop(path, None)  # (listed twice in the round: the later copy is the one kept)
                waiting.pop(path, None)
                if live.reads_beside(t, item):
                    waiting[path] = (oid, item, links)
                else:
                    objects[path] = self.reader.canonical(t, item, links)
                if t.name == "users":
                    seats[oid] = tenant_reports.seat_code(item)
            side = side_job.result()
        for path, (oid, item, links) in waiting.items():
            objects[path] = self.reader.canonical(t, item, live.with_side(t, item, links, side.get(oid)))
        side_now = _values_digests(side)
        objects.update(self._side_changes(t, side, objects, values, old.get("side") or {}, side_now))
        soft_now: list[str] = []
        for item in self.reader.deleted(t):
            oid = str(item["id"])
            path = catalog.object_path(t, oid)
            if path in objects:
                continue
            objects[path] = self.reader.canonical(t, item, self.file_links(t, path))
            soft_now.append(oid)
            seats.pop(oid, None)
        # Objects that were soft-deleted, are no longer in deletedItems and did not come back through delta
        # were either purged (404: remove the file) or restored and not yet replicated to delta (keep).
        for oid in sorted(previously_soft - set(soft_now)):
            path = catalog.object_path(t, oid)
            if path in objects:
                continue
            if self.reader.exists(t, oid):
                soft_now.append(oid)  # alive again; the next delta round carries it
            else:
                removed_hard.append(path)
        self.progress(f"{t.name}: {len(objects)} changed in delta, {len(removed_hard)} removed")
        digests_old = dict(digests)
        for path, obj in objects.items():
            self._process(out, path, obj, digests_old, digests)
        opted = self._opted_changes(out, values, old, objects, removed_hard, digests_old, digests)
        for path in removed_hard:
            digests.pop(path, None)
            text = self.store.read_text(path)
            if text is not None:
                out.entries[path] = _Entry("deleted", _name_from_text(t, text, path))
        out.summary.objects = len(digests)
        out.state = {"deltaLink": rnd.delta_link, "digests": digests}
        if opted is not None:
            out.state["opted"] = opted
        if soft_now:
            out.state["soft"] = sorted(soft_now)
        if t.name == "users":
            out.state["seats"] = seats
        if t.reads_beside:
            out.state["side"] = side_now

    def _opted_changes(
        self,
        out: _Outcome,
        values: Mapping[str, Mapping[str, Any]] | None,
        old: Mapping[str, Any],
        objects: Mapping[str, Any],
        removed: Sequence[str],
        digests_old: Mapping[str, str],
        digests: dict[str, str],
    ) -> dict[str, str] | None:
        """Objects the delta round did not return whose opted-in values changed since the last run (the state
        keeps a digest of each object's values): their files again, with the new values. Returns the digests
        for the next run; None when the repository opts in to nothing here."""
        if values is None:
            return None
        t = out.t
        before: Mapping[str, str] = old.get("opted") or {}
        now = _values_digests(values)
        for oid in sorted(set(before) | set(now)):
            path = catalog.object_path(t, oid)
            if before.get(oid) == now.get(oid) or path in objects or path in removed:
                continue
            text = self.store.read_text(path)
            if text is None:
                continue  # not backed up (yet): the delta round brings it with its values
            rendered = self.reader.put_values(
                t, path, canonical.load(text), values.get(oid, {}), digests_old.get(path)
            )
            self._apply(out, [rendered], digests)
        return now

    def _side_changes(
        self,
        t: ObjectType,
        side: Mapping[str, Mapping[str, Any]],
        objects: Mapping[str, Any],
        opted: Mapping[str, Mapping[str, Any]] | None,
        before: Mapping[str, str],
        after: Mapping[str, str],
    ) -> dict[str, dict[str, Any]]:
        """Files whose relationships read beside the delta round (`only_when`: guests' sponsors) changed
        though the object did not come in the round: the file with the new values (and this run's opted-in
        values, which `_opted_changes` then leaves to it). An object whose values have the digest the last
        run kept (`before`; `after`: this run's) is not compared: parsing 6,000 guests' files
        was a fifth of a no-change run's CPU at 100k users."""
        out: dict[str, dict[str, Any]] = {}
        for oid, values in side.items():
            if before.get(oid) == after[oid]:
                continue
            path = catalog.object_path(t, oid)
            text = None if path in objects else self.store.read_text(path)
            if text is None:  # in the round, or not backed up yet (the next round brings it)
                continue
            try:
                prev = canonical.load(text)
            except Exception:  # a damaged file: the next full run writes it again
                continue
            if any(prev.get(k) != v for k, v in values.items()):
                now = {**prev, **values}
                out[path] = (
                    canonical.normalize(t, now)
                    if opted is None
                    else self.reader.file_values(t, now, opted.get(oid, {}))
                )
        return out

    # -- rendering into the snapshot -------------------------------------------------------------------------

    def _process(
        self,
        out: _Outcome,
        path: str,
        obj: dict[str, Any],
        digests_old: Mapping[str, str],
        digests_new: dict[str, str],
    ) -> None:
        """Record the object's digest; if it differs from last run's, dump it and compare with the file."""
        self._apply(out, [render.render(out.t, path, obj, digests_old.get(path))], digests_new)

    def _apply(self, out: _Outcome, rendered: Sequence[render.Rendered], digests_new: dict[str, str]) -> None:
        """Take rendered objects: their digests, and a file change where a text differs from the file's.

        The changed files of a page go to the snapshot together (`Snapshot.put_many`): one write of the run
        marker and one of git's stream per page rather than per file, on the thread that the users' round
        waits for."""
        puts: list[tuple[str, bytes]] = []
        for path, d, text, name, deleted in rendered:
            digests_new[path] = d
            self.status.count(out.t.name)
            entry = None
            if text is not None:
                entry = _classify(self.store, path, text, name, deleted, self.is_tracked(path))
                if entry is not None:
                    puts.append((path, text))  # straight into git's pack; not kept in memory
            if entry is None:
                if out.entries.pop(path, None) is not None:  # a repeated delta entry that ends up unchanged
                    self.snapshot.put_many(puts)  # (in order: an earlier slice of it may be among them)
                    puts = []
                    self.snapshot.discard([path])
            else:
                earlier = out.entries.get(path)
                if earlier is not None and earlier.kind == "added":
                    entry.kind = "added"  # a big group's second slice: still new in this run
                out.entries[path] = entry
        self.snapshot.put_many(puts)


def file_links(store: Store, t: ObjectType, path: str) -> dict[str, Any]:
    """The relationship values recorded in an object's file at the work tree (HEAD's after check_clean)."""
    text = store.read_text(path)
    try:
        return canonical.load_top(text, [r.name for r in t.relationships]) if text is not None else {}
    except Exception:  # a damaged file: its links are unknown, not a reason to fail the run
        return {}


def _classify(store: Store, path: str, text: bytes, name: str, deleted: bool, tracked: bool) -> _Entry | None:
    """The file change for a dumped object, or None when HEAD's file already holds exactly this text.

    Only a tracked file is compared (check_clean guarantees its work-tree copy equals HEAD's); an untracked
    file at that path is not in any commit, so the object is "added"."""
    raw = store.read_bytes(path) if tracked else None
    if raw == text:
        return None
    current = raw.decode("utf-8", "replace") if raw is not None else None
    if current is None:
        kind = "added"
    elif deleted and not _soft_deleted(current):
        kind = "soft-deleted"
    elif not deleted and _soft_deleted(current):
        kind = "restored"
    else:
        kind = "changed"
    return _Entry(kind, name)


def _soft_deleted(text: str) -> bool:
    """Whether a canonical file sets a top-level deletedDateTime (read without parsing the file)."""
    found = top_field(text, "deletedDateTime")
    return found is not None and found[0] not in ("", "null", "~")


# ---------------------------------------------------------------------------------------------------- entry


def selected_types(cfg: config.Config | None, names: Sequence[str] | None) -> list[ObjectType]:
    """Catalog types for this run: --type names, else entragit.yaml's include/exclude lists."""
    if names:
        return list(dict.fromkeys(catalog.by_name(n) for n in names))
    chosen = list(catalog.CATALOG)
    if cfg and cfg.include_types:
        wanted = {catalog.by_name(n).name for n in cfg.include_types}
        chosen = [t for t in chosen if t.name in wanted]
    if cfg and cfg.exclude_types:
        unwanted = {catalog.by_name(n).name for n in cfg.exclude_types}
        chosen = [t for t in chosen if t.name not in unwanted]
    return chosen


def _commit_message(
    domain: str,
    outcomes: Sequence[_Outcome],
    extra: Sequence[tuple[str, str]],
    group: attribution.Group | None = None,
    claimed: frozenset[str] = frozenset(),
    dangling_refs: Sequence[tuple[str, dangling.Dangling]] = (),
    why: Sequence[str] = (),
) -> str:
    """Summary line, why files changed that no object change explains (`settings changed: …`), one body
    line per changed object, a paragraph of the references the changes left dangling, and a `Failed-Type:`
    trailer per type that failed, so that `git log` tells a partial backup from a complete one (on each
    commit of the run). With a group: only its objects (the rest group: those no other group `claimed`),
    followed by its trailers; a dangling reference goes with the change that made it (the removed object's,
    else the holder's)."""
    counts = {"changed": 0, "added": 0, "deleted": 0}
    lines: list[str] = []
    listed = 0  # lines there would be without the limit
    failed: list[str] = []
    paths = group.paths if group is not None else None
    for out in outcomes:
        if out.summary.error:
            failed.append(f"Failed-Type: {out.t.name} ({out.summary.reason})")
            continue
        if out.summary.unread:  # backed up, but without some properties: a partial backup too
            failed.append(f"Failed-Type: {out.t.name} ({out.summary.partial})")
        mine = [
            kv
            for kv in out.entries.items()
            if (kv[0] in paths if paths is not None else kv[0] not in claimed)
        ]
        for _, e in mine:
            counts[e.kind if e.kind in counts else "changed"] += 1
        listed += len(mine)
        # Only the lines the body keeps are sorted out and formatted (a first backup has 100k entries).
        first = heapq.nsmallest(
            max(0, BODY_LINES - len(lines)), mine, key=lambda kv: (kv[1].kind, kv[1].name.lower(), kv[0])
        )
        for path, e in first:
            # one line whatever the name holds: a name cannot add a paragraph or forge a trailer
            lines.append(f"{out.t.name}: {e.kind} {one_line(e.name)} ({path})")
    reports_lines = [f"reports: {kind} {path}" for path, kind in extra]
    listed += len(reports_lines)
    lines += reports_lines[: max(0, BODY_LINES - len(lines))]
    head = (
        f"backup {domain}: {counts['changed']} changed, {counts['added']} added, {counts['deleted']} deleted"
    )
    if listed > BODY_LINES:
        lines.append(f"… and {listed - BODY_LINES} more")
    trailers = [*(group.trailers if group is not None else []), *failed]
    mine_dangling = [
        f"Dangling: {d.line()}"
        for cause, d in dangling_refs
        if (cause in paths if paths is not None else cause not in claimed)
    ]
    paragraphs = [
        head,
        "\n".join(why),
        "\n".join(lines),
        "\n".join(mine_dangling[:BODY_LINES]),
        "\n".join(trailers),
    ]
    return "\n\n".join(p for p in paragraphs if p) + "\n"


def _dangling_news(
    store: Store, snapshot: Snapshot, outcomes: Sequence[_Outcome]
) -> list[tuple[str, dangling.Dangling]]:
    """The references this run leaves dangling that were not before, each with the path whose change made
    it dangle (the object removed, else the holder changed). Only the run's removals and the changed files
    of holders and appId/templateId owners are looked at. A first backup has no history to dangle into:
    nothing can have gone where no commit ever held an object's file (only `init`'s), and reading the 10,000
    holders it adds at 100k users to find that cost it a second."""
    head = store.head()
    if head is None:
        return []
    removed: list[str] = []
    kept: list[str] = []
    watched: list[str] = []
    for out in outcomes:
        if out.summary.error:
            continue
        for path, e in out.entries.items():
            if e.kind == "deleted":
                removed.append(path)
                continue
            kept.append(path)
            if out.t.name in dangling.WATCHED:
                watched.append(path)
    if not (removed or watched) or not _held_objects(store, head):
        return []
    snapshot.flush()
    written = {p: text for p in watched if (text := store.read_text(p)) is not None}
    found = dangling.news(BackupRepo(store.root), store.all_tracked(), removed, written, kept)
    return [(d.target.path if d.target.last == head else d.holder, d) for d in found]


def _held_objects(store: Store, head: str) -> bool:
    """Whether any commit up to `head` touched an object's file (one `git log -1` over the type folders)."""
    folders = sorted({t.folder for t in catalog.CATALOG})
    return bool(BackupRepo(store.root).git("log", "-1", "--format=%H", head, "--", *folders).strip())


def _changed(
    outcomes: Sequence[_Outcome], report_changes: Sequence[tuple[str, str]]
) -> dict[str, str | None]:
    """path → object id of every file the run changes (None: a singleton or a report, which no audit record
    targets by id)."""
    found: dict[str, str | None] = {p: None for p, _ in report_changes}
    for out in outcomes:
        if out.summary.error:
            continue
        for path in out.entries:
            found[path] = None if out.t.singleton else path.rsplit("/", 1)[-1].removesuffix(".yaml")
    return found


def _failure_reason(exc: EntragitError, permission: str | None) -> str:
    """A failed type's reason in a few words: the status and the missing permission or Graph's error code."""
    if isinstance(exc, GraphError):
        if exc.status == 403 and permission:
            return f"403 {permission}"
        return " ".join(str(x) for x in (exc.status, exc.code) if x) or "error"
    return " ".join(str(exc).split())[:80]


def run_backup(
    repo_dir: str | Path,
    *,
    types: Sequence[str] | None = None,
    full: bool = False,
    push: bool = False,
    client: GraphClient | None = None,
    progress: ProgressFn | None = None,
    prompt: ProgressFn | None = None,
    status: RunStatus | None = None,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> BackupResult:
    """Back up the tenant into the repository at repo_dir; see the module docstring for the rules.

    Returns the result even when some types failed (their errors are in `errors`; the complete types were
    committed); raises EntragitError only when the run could not start. `progress` hears about long work,
    `prompt` shows the device-code sign-in instructions when that is the repository's auth method; `status` is
    kept up to date while the run goes on, for a live display; `on_retry` hears of every retried request.
    """
    started = time.monotonic()
    started_at = datetime.now(timezone.utc)
    store = Store.open(repo_dir)
    cfg = config.load(store.root)
    chosen = selected_types(cfg, types)
    out_of_reach = [t for t in chosen if t.delegated_only and not cfg.signs_in_user]
    if types and out_of_reach:
        raise UsageError(f"{out_of_reach[0].name}: {out_of_reach[0].delegated_only}")
    chosen = [t for t in chosen if t not in out_of_reach]
    if push:
        store.push_remote()
    say = progress or (lambda _msg: None)

    folders = sorted({t.folder for t in catalog.CATALOG if not t.singleton} | {REPORT_FOLDER, "policies"})
    with store.session(folders):  # before any Graph request: a repository that cannot be written fails first
        if client is None:
            client = live.connect(cfg, prompt=prompt, on_retry=on_retry)
        requests_before = client.stats.get("requests", 0)
        old_types: dict[str, Any] = dict(store.load_state(folders).get("types") or {})
        reader = live.Reader(
            client,
            cfg,
            held=partial(_held, store),
            known_extensions=partial(_known_extensions, store, old_types),
            sweep=None if full else _sweep(old_types),
        )
        reader.side_split = {k: list(v.get("sideSplit") or ()) for k, v in old_types.items()}
        last_sps = (old_types.get("servicePrincipals") or {}).get("digests") or {}
        reader.expect_unanswered = len(last_sps) > extension_discovery.ANSWERS_UP_TO
        reader.start_side_links(
            [t for t in chosen if old_types.get(t.name, {}).get("deltaLink") and not full]
        )
        status = status or RunStatus()
        status.requests = lambda: dict(client.stats)
        status.types = len(chosen)
        snapshot = store.snapshot()
        try:
            outcomes = _list_types(store, reader, snapshot, chosen, old_types, full, say, status)
            resettled = {out.t.name: out.resettled for out in outcomes if out.resettled}
            for out in outcomes:
                out.state["rendering"] = reader.rendering(out.t)
                out.state["sweep"] = (_sweep(old_types) or 0) + 1
                if out.t.name in reader.split_found:  # (none: one listing next run)
                    out.state["sideSplit"] = reader.split_found[out.t.name]
                if any(r.kind == "extension-property" for r in out.t.relationships):
                    out.state["definedExtensions"] = reader.defined()
            result, new_types, domain = _tally(outcomes, snapshot, old_types)
            result.notices += [
                f"{why}: every {name} file rendered again from a full listing"
                for name, why in resettled.items()
            ]
            if reader.extension_problem:
                result.notices.insert(0, reader.extension_problem)
            # Said where a user's sign-in backed them up before (their files would age unseen); a repository
            # that never had them hears it from `entragit permissions` and the README, not on every run.
            result.notices += [
                f"{t.name} not backed up (its files are kept): {t.delegated_only}"
                for t in out_of_reach
                if (store.root / t.folder).is_dir()
            ]
            if store.recovered:
                result.notices.insert(
                    0,
                    f"an interrupted backup left {len(store.recovered)} file(s) changed; they were put back "
                    "to the last commit before this run",
                )
            _name_links(store, outcomes)
            report_changes = _add_reports(store, client, snapshot, new_types, result)
            news = _dangling_news(store, snapshot, outcomes)
            result.dangling = [d for _, d in news]
            domain = domain or _domain_from_graph(client) or cfg.tenant_id
            plan = attribution.plan(
                store, client, cfg.attribution, _changed(outcomes, report_changes), started_at
            )
            result.notices.extend(plan.notices)
            claimed = frozenset().union(*(g.paths or () for g in plan.groups))
            parts = [
                Part(
                    _commit_message(
                        domain,
                        outcomes,
                        [] if g.paths else report_changes,
                        g,
                        claimed,
                        news,
                        []
                        if g.paths
                        else [why for name, why in resettled.items() if not result.types[name].error],
                    ),
                    g.paths,
                    g.author,
                )
                for g in plan.groups
            ]
            commits = snapshot.commit_chain(parts)
            result.commit = next((c for c in reversed(commits) if c), None)
            store.save_state(new_types)
            attribution.finish(store, plan, commits)
            if push:
                _push(store, result)
        finally:
            snapshot.close()

    if client.unreachable is not None and not client.reached:
        result.unreachable = str(client.unreachable)
    result.stats = {
        "seconds": round(time.monotonic() - started, 2),
        "requests": client.stats.get("requests", 0) - requests_before,
        "retries": client.stats.get("retries", 0),
        "throttled": client.stats.get("throttled", 0),
    }
    _record_run(store, result)
    return result


def _name_links(store: Store, outcomes: Sequence[_Outcome]) -> None:
    """Role assignments and grants (types named by what they link) get the names of what they link in the
    commit message, `Global Administrator → Megan Bowen`, not ids: the names this run wrote, else HEAD's
    (built-in roles by their template id)."""
    named = [e for out in outcomes if out.t.named_by for e in out.entries.values()]
    if not named:
        return
    ids = {x for e in named for x in e.name.split(LINK_ARROW)}
    names = {stem(p): e.name for out in outcomes if not out.t.named_by for p, e in out.entries.items()}
    if store.head() is not None:
        names = {**BackupRepo(store.root).names(None, ids - names.keys()), **names}
    for e in named:
        e.name = linked_name(e.name.split(LINK_ARROW), names)


def _known_extensions(store: Store, old_types: Mapping[str, Any]) -> dict[str, list[str]]:
    """targetObjects value → the extension names the last backup selected (each type's `rendering`) and
    those of the definitions it read with the applications (`definedExtensions`), for a run whose discovery
    fails (live.Reader); without that state (a fresh clone in CI), those the application files at HEAD
    define, so that such a run need not read every application's definitions before its listings."""
    if not old_types and store.head() is not None:
        found = BackupRepo(store.root).extension_definitions("HEAD")
        return {k: list(v) for k, v in extension_discovery.names_by_target(found).items()}
    known: dict[str, set[str]] = {}
    for t in catalog.CATALOG:
        old: Mapping[str, Any] = old_types.get(t.name) or {}
        if t.extension_target:
            selected = (old.get("rendering") or {}).get("extensions") or []
            known.setdefault(t.extension_target, set()).update(str(n) for n in selected)
        for target, names in (old.get("definedExtensions") or {}).items():
            known.setdefault(str(target), set()).update(str(n) for n in names)
    return {k: sorted(v) for k, v in known.items() if v}


def _sweep(old_types: Mapping[str, Any]) -> int | None:
    """This run's turn in reading what a backup reads in turn (`live.in_sweep`), counted on from the last
    run's; None (read it all) without one."""
    for t in catalog.CATALOG:
        turn = (old_types.get(t.name) or {}).get("sweep")
        if isinstance(turn, int):
            return turn
    return None


def _settings_changed(reader: live.Reader, t: ObjectType, old: Mapping[str, Any]) -> str:
    """`settings changed: exclude_attributes for users` when the type's rendering settings
    (`Reader.rendering`) differ from those its incremental state was written with, else "". Digests and a
    delta round only find objects that changed in the tenant, so such a type is listed in full without its
    old digests, and every file whose text the new settings change is written. A type without state is
    listed in full anyway: nothing to say. Asked in each type's own worker: only the types that take
    extensions wait for their discovery."""
    if not old:
        return ""
    before: Mapping[str, Any] = old.get("rendering") or {}
    now = reader.rendering(t)
    keys = [k for k in {**now, **before} if before.get(k, []) != now.get(k, [])]
    return f"settings changed: {', '.join(keys)} for {t.name}" if keys else ""


def _held(store: Store, t: ObjectType, props: Sequence[str]) -> dict[str, dict[str, Any]]:
    """id → the values of props the files of `t` hold (`live.Reader.held`): what a run that cannot read them
    keeps, found with `git grep` so that only the files holding any are parsed."""
    out: dict[str, dict[str, Any]] = {}
    for path in store.holding(t.folder, props):
        parsed = catalog.parse_path(path)
        text = store.read_text(path)
        if parsed is None or parsed[0].name != t.name or text is None:
            continue
        obj = canonical.load(text, source=path)
        values = {p: obj[p] for p in props if obj.get(p) is not None}
        if values:
            out[parsed[1]] = values
    return out


def _values_digests(values: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """id → digest of each object's values read apart from its listing: the opted-in properties
    (incremental state, `opted`) or the relationships read beside the round (`side`)."""
    return {
        oid: render.text_digest(json.dumps(v, sort_keys=True).encode("utf-8")) for oid, v in values.items()
    }


def _record_run(store: Store, result: BackupResult) -> None:
    """`.git/entragit/last-run.json` for `entragit status`: a run that committed nothing leaves no other
    trace.
    Best effort: the backup itself is done, a read-only state folder must not turn it into a failure."""
    data = {
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": result.commit,
        "head": store.head(),
        "failed": {
            t.name: t.reason or t.partial or "error" for t in result.types.values() if t.error or t.unread
        },
        "errors": len(result.errors),
        "summary": result.summary(),
    }
    with contextlib.suppress(OSError):
        records.write(store.state_dir.parent, records.LAST_RUN, data)


def _list_types(
    store: Store,
    reader: live.Reader,
    snapshot: Snapshot,
    chosen: Sequence[ObjectType],
    old_types: Mapping[str, Any],
    full: bool,
    say: ProgressFn,
    status: RunStatus,
) -> list[_Outcome]:
    """List the types concurrently, their changed files streaming into the snapshot."""
    run = _Run(store, reader, full=full, progress=say, snapshot=snapshot, status=status)
    try:
        with ThreadPoolExecutor(
            max_workers=TYPE_WORKERS, thread_name_prefix="entragit-type", initializer=render.block_sigint
        ) as pool:
            try:
                return list(pool.map(lambda t: run.backup_type(t, old_types.get(t.name) or {}), chosen))
            except BaseException:
                run.cancelled.set()  # Ctrl-C: let the other listings stop early; the snapshot is then undone
                raise
    finally:
        run.close()


def _tally(
    outcomes: Sequence[_Outcome], snapshot: Snapshot, old_types: Mapping[str, Any]
) -> tuple[BackupResult, dict[str, Any], str | None]:
    """Counts per type and run, deletions into the snapshot, and the state of the types that completed (a
    failed type keeps its previous state, so its next run starts from what was last committed)."""
    result = BackupResult(commit=None)
    new_types = dict(old_types)
    domain: str | None = None
    result.errors += _unread_lines(outcomes)
    for out in outcomes:
        result.types[out.t.name] = out.summary
        result.notices.extend(out.notices)
        if out.summary.error:
            result.errors.append(out.summary.error)
            continue
        new_types[out.t.name] = out.state
        domain = domain or out.domain
        for path, e in out.entries.items():
            if e.kind == "deleted":
                snapshot.delete(path)
            bucket = e.kind if e.kind in ("added", "deleted") else "changed"
            setattr(result, bucket, getattr(result, bucket) + 1)
            setattr(out.summary, bucket, getattr(out.summary, bucket) + 1)
    return result, new_types, domain


def _unread_lines(outcomes: Sequence[_Outcome]) -> list[str]:
    """One error line per missing permission that left opted-in properties unread, naming the types."""
    types: dict[tuple[str, str], list[str]] = {}
    for out in outcomes:
        if out.summary.error:  # (its Failed-Type line says why)
            continue
        for prop, permission in out.summary.unread.items():
            types.setdefault((prop, permission), []).append(out.t.name)
    return [
        f"{', '.join(names)}: {prop} not read: the app lacks the Graph application permission {permission} "
        "(Graph answers null without it, not an error); the files keep the values they hold"
        for (prop, permission), names in types.items()
    ]


def _add_reports(
    store: Store, client: GraphClient, snapshot: Snapshot, new_types: Mapping[str, Any], result: BackupResult
) -> list[tuple[str, str]]:
    """The secure score and seat report files; a report that cannot be read is an error, not a stale file."""
    changes: list[tuple[str, str]] = []
    tracked = set(store.tracked_files([REPORT_FOLDER]))  # (not the whole index on a quiet run)
    seat_codes = (new_types.get("users") or {}).get("seats") or {}
    for path, build in (
        (tenant_reports.SECURE_SCORE_FILE, lambda: tenant_reports.secure_score_report(client)),
        (tenant_reports.SEATS_FILE, lambda: tenant_reports.seats_report(client, seat_codes)),
    ):
        if path == tenant_reports.SEATS_FILE and not seat_codes:
            continue  # users never listed successfully: no estimate rather than a wrong one
        try:
            data = build()
        except (GraphError, EntragitError) as exc:
            result.errors.append(f"{path}: {exc}")
            continue
        if data is None:
            continue
        text = canonical.dump(data)
        current = store.read_text(path) if path in tracked else None
        if current != text:
            snapshot.put(path, text.encode("utf-8"))
            changes.append((path, "added" if current is None else "updated"))
    return changes


def _push(store: Store, result: BackupResult) -> None:
    try:
        store.push()
    except EntragitError as exc:
        kept = f"commit {result.commit[:10]} is" if result.commit else "the backup is"
        result.errors.append(f"{exc} ({kept} safe in the local repository; push again later)")


def _domain_from_graph(client: GraphClient) -> str | None:
    try:
        for org in client.list("organization", {"$select": "verifiedDomains"}):
            return default_domain(org)
    except (GraphError, EntragitError):
        return None
    return None
