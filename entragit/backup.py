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

import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entragit import canonical, catalog, config, render, reports
from entragit.catalog import ObjectType, Relationship
from entragit.errors import EntragitError
from entragit.graph.client import DeltaExpired, GraphClient, GraphError
from entragit.reports import REPORT_FOLDER
from entragit.store import Snapshot, Store

ProgressFn = Callable[[str], None]

PROGRESS_EVERY = 10_000  # a progress line per this many objects of a long delta round
GONE = "@gone"  # marks, among an object's relationship values, that the object vanished mid-listing
RENDER_AHEAD = 6  # pages handed to the render workers before the listing thread waits for the oldest
TYPE_WORKERS = 8  # types listed at the same time (mostly waiting on Graph); each also fans out via $batch
BODY_LINES = 500  # commit message body cap
PAGE_TOP = "999"  # Graph's maximum page size for directory collections


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


@dataclass
class BackupResult:
    commit: str | None
    added: int = 0
    changed: int = 0
    deleted: int = 0
    types: dict[str, TypeSummary] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line for the end of a run."""
        what = f"{self.changed} changed, {self.added} added, {self.deleted} deleted"
        commit = f"commit {self.commit[:10]}" if self.commit else "no changes, no commit"
        objects = sum(t.objects for t in self.types.values())
        line = f"backup: {objects} objects in {len(self.types)} types; {what}; {commit}"
        line += f"; {self.stats.get('requests', 0)} Graph requests in {self.stats.get('seconds', 0):.1f}s"
        if self.errors:
            failed = sorted(t.name for t in self.types.values() if t.error)
            if any(e.startswith(f"{REPORT_FOLDER}/") for e in self.errors):
                failed.append("reports")
            if any(e.startswith(("git push", "--push")) for e in self.errors):
                failed.append("push")
            line += f"; FAILED: {', '.join(failed or ['?'])}"
        return line


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


# ---------------------------------------------------------------------------------------------------- helpers


def _ids(items: Iterable[Any]) -> list[str]:
    return sorted({str(i["id"]) for i in items if isinstance(i, Mapping) and i.get("id")})


def _rel_value_from_list(rel: Relationship, items: Sequence[Mapping[str, Any]]) -> Any:
    if rel.kind == "ref-single":
        ids = _ids(items)
        return ids[0] if ids else None
    if rel.kind == "app-role-assignment":
        fields = rel.item_fields or ("appRoleId", "principalId", "principalType")
        return [{f: i.get(f) for f in fields} for i in items]
    return _ids(items)


def _apply_delta_links(rel: Relationship, previous: Any, changes: Any) -> Any:
    """Previous link value + a `<rel>@delta` slice (adds, and removes marked `@removed`)."""
    if isinstance(changes, Mapping):
        changes = [changes]
    if not isinstance(changes, list):
        return previous
    if rel.kind == "ref-single":
        current = previous
        for c in changes:
            if not isinstance(c, Mapping):
                continue
            if "@removed" in c:
                if current == c.get("id"):
                    current = None
            elif c.get("id"):
                current = str(c["id"])
        return current
    members = set(previous or [])
    for c in changes:
        if not isinstance(c, Mapping) or not c.get("id"):
            continue
        if "@removed" in c:
            members.discard(str(c["id"]))
        else:
            members.add(str(c["id"]))
    return sorted(members)


def _initial_links(rel: Relationship, item: Mapping[str, Any]) -> Any:
    """Link value from an initial (full) delta round: everything present is current."""
    changes = item.get(f"{rel.name}@delta")
    if isinstance(changes, Mapping):
        changes = [changes]
    present = [c for c in changes or [] if isinstance(c, Mapping) and "@removed" not in c]
    return _rel_value_from_list(rel, present)


def _prefetched(pages: Iterator[dict[str, Any]], depth: int = 3) -> Iterator[dict[str, Any]]:
    """The same pages, fetched ahead on a thread: the next request is on the wire while this page is
    processed (a delta round is a chain of hundreds of dependent requests)."""
    q: queue.Queue[Any] = queue.Queue()
    done = object()
    stop = threading.Event()
    room = threading.Semaphore(depth)

    def fetch() -> None:
        try:
            for page in pages:
                while not room.acquire(timeout=0.2):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                q.put(page)
            q.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            q.put(exc)

    worker = threading.Thread(target=fetch, name="entragit-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            room.release()
            yield item
    finally:
        stop.set()
        worker.join()


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


# ---------------------------------------------------------------------------------------------------- the run


class _Run:
    def __init__(
        self,
        store: Store,
        client: GraphClient,
        cfg: config.Config | None,
        *,
        full: bool,
        progress: ProgressFn | None,
        snapshot: Snapshot | None = None,
    ) -> None:
        self.store = store
        self.snapshot = snapshot or store.snapshot()
        self.renderer = render.RenderPool()
        # Set on Ctrl-C: listing threads stop at their next page instead of finishing the whole tenant.
        self.cancelled = threading.Event()
        self.client = client
        self.full = full
        self.progress = progress or (lambda _msg: None)
        self.exclude_attrs: dict[str, set[str]] = {
            k: set(v) for k, v in (cfg.exclude_attributes.items() if cfg else ())
        }
        # What HEAD holds: a file is "added" unless HEAD has it, whatever else lies in the work tree (a stray
        # or left-over untracked file must neither make a first backup report "changed" nor, when its bytes
        # happen to equal the new content, be skipped and so never committed).
        self._tracked: frozenset[str] | None = None
        self._tracked_lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------------------------

    def _perm(self, t: ObjectType) -> str | None:
        return " and ".join(t.permissions_backup) or None

    def _list_params(self, t: ObjectType, *, deleted: bool = False) -> dict[str, str]:
        params: dict[str, str] = {}
        sel = catalog.select_param(t)
        if sel:
            params["$select"] = self._trim_select(t, sel)
        if t.list_filter and not deleted:
            params["$filter"] = t.list_filter
        if t.shard or deleted:
            params["$top"] = PAGE_TOP
        return params

    def _trim_select(self, t: ObjectType, sel: str) -> str:
        excluded = self.exclude_attrs.get(t.name, set()) - set(t.identity)
        return ",".join(p for p in sel.split(",") if p not in excluded)

    def _uses_delta(self, t: ObjectType) -> bool:
        return t.delta and not t.singleton and all(r.via_delta for r in t.relationships)

    def _read_relationships(
        self, t: ObjectType, ids: Sequence[str], rels: Sequence[Relationship]
    ) -> dict[str, dict[str, Any]]:
        """Per object id, the value of each relationship read through $batch."""
        out: dict[str, dict[str, Any]] = {i: {} for i in ids}
        for rel in rels:
            if rel.kind == "ref-single":
                for oid in ids:
                    try:
                        obj = self.client.get(rel.read.format(id=oid), {"$select": "id"})
                        out[oid][rel.name] = obj.get("id")
                    except GraphError as exc:
                        if exc.status != 404:
                            raise
                        out[oid][rel.name] = None
                continue
            params = {"$select": "id", "$top": PAGE_TOP} if rel.kind == "ref-collection" else None
            paths = [rel.read.format(id=oid) for oid in ids]
            try:
                got: dict[str, list[dict[str, Any]] | None] = dict(
                    self.client.list_many(paths, params, required_permission=self._perm(t))
                )
            except GraphError as exc:
                if exc.status != 404:
                    raise
                got = self._read_each(t, paths, params)
            for oid, p in zip(ids, paths, strict=True):
                items = got[p]
                if items is None:
                    out[oid][GONE] = True
                else:
                    out[oid][rel.name] = _rel_value_from_list(rel, items)
        return out

    def _read_each(
        self, t: ObjectType, paths: Sequence[str], params: Mapping[str, str] | None
    ) -> dict[str, list[dict[str, Any]] | None]:
        """Slow path after a 404 inside a $batch: an object deleted while the type was being listed. Read one
        by one; None marks the objects that are gone (the next run's listing or delta round accounts for
        them), every other failure still fails the type."""

        def one(path: str) -> list[dict[str, Any]] | None:
            try:
                return list(self.client.list(path, params, required_permission=self._perm(t)))
            except GraphError as exc:
                if exc.status == 404:
                    return None
                raise

        return dict(zip(paths, self.client.map_concurrent(one, paths), strict=True))

    def _list_deleted(self, t: ObjectType) -> list[dict[str, Any]]:
        if not t.soft_delete_cast:
            return []
        path = f"directory/deletedItems/{t.soft_delete_cast}"
        items = self.client.list(path, self._list_params(t, deleted=True), required_permission=self._perm(t))
        return [o for o in items if isinstance(o, dict) and o.get("id") and catalog.is_backed_up(t, o)]

    def _previous(self, t: ObjectType, path: str) -> dict[str, Any] | None:
        text = self.store.read_text(path)
        if text is None:
            return None
        try:
            return canonical.load(text)
        except Exception:
            return None

    def _previous_links(self, t: ObjectType, path: str) -> dict[str, Any]:
        prev = self._previous(t, path) or {}
        return {r.name: prev.get(r.name) for r in t.relationships if r.name in prev}

    def _drop(self, t: ObjectType) -> list[str]:
        return sorted(self.exclude_attrs.get(t.name, set()) - set(t.identity))

    def _canonical(self, t: ObjectType, raw: Mapping[str, Any], links: Mapping[str, Any]) -> dict[str, Any]:
        if GONE in links:  # (fetch_object passes _read_relationships' values straight in)
            links = {k: v for k, v in links.items() if k != GONE}
        return render.canonical_of(t, raw, links, self._drop(t))

    def tracked(self) -> frozenset[str]:
        with self._tracked_lock:
            if self._tracked is None:
                self._tracked = frozenset(self.store.all_tracked())
            return self._tracked

    def fetch_object(self, t: ObjectType, object_id: str) -> dict[str, Any] | None:
        """One object as this run would write it; see the module-level `fetch_object`."""
        sel = catalog.select_param(t)
        params = {"$select": self._trim_select(t, sel)} if sel else None
        perm = self._perm(t)

        def get(path: str) -> dict[str, Any] | None:
            try:
                return self.client.get(path, params, required_permission=perm)
            except GraphError as exc:
                if exc.status == 404:
                    return None
                raise

        raw = get(t.item_path(object_id))
        if raw is not None:
            linked = t.relationships and not t.singleton
            links = self._read_relationships(t, [object_id], t.relationships)[object_id] if linked else {}
            return self._canonical(t, raw, links)
        deleted = get(f"directory/deletedItems/{object_id}") if t.soft_delete_cast else None
        if deleted is None:
            return None
        return self._canonical(t, deleted, self._previous_links(t, catalog.object_path(t, object_id)))

    def close(self) -> None:
        self.renderer.close()

    # -- one type ------------------------------------------------------------------------------------------

    def backup_type(self, t: ObjectType, old: Mapping[str, Any]) -> _Outcome:
        summary = TypeSummary(t.name)
        outcome = _Outcome(t, summary)
        if self.cancelled.is_set():
            raise KeyboardInterrupt
        try:
            link = old.get("deltaLink") if self._uses_delta(t) and not self.full else None
            if link:
                try:
                    self._incremental(outcome, str(link), old)
                    summary.mode = "delta"
                    return outcome
                except DeltaExpired:
                    self.progress(f"{t.name}: delta token rejected, listing everything again")
                    summary.mode = "delta→full"
                    self.snapshot.discard(outcome.entries)
                    outcome.entries.clear()
            self._full(outcome, old)
            if summary.mode != "delta→full":
                summary.mode = "full"
        except (GraphError, EntragitError) as exc:
            summary.mode = "failed"
            summary.error = f"{t.name}: {exc}"
            self.snapshot.discard(outcome.entries)  # none of its files change
            outcome.entries.clear()
        return outcome

    def _full(self, out: _Outcome, old: Mapping[str, Any]) -> None:
        """Everything of the type; files of objects absent from the complete listing are deleted.

        Delta types are read as an initial delta round, processed page by page: at 100k users, holding every
        Graph object until the round ends would cost gigabytes; a digest and (for changed objects) the YAML
        text per object cost about a kilobyte.
        """
        t = out.t
        state: dict[str, Any] = {}
        perm = self._perm(t)
        digests_old = {} if self.full else dict(old.get("digests") or {})
        digests: dict[str, str] = {}
        seats: dict[str, str] = {}
        kept: set[str] = set()

        def take(item: Mapping[str, Any], links: Mapping[str, Any]) -> None:
            oid = str(item.get("id") or t.path.rsplit("/", 1)[-1])
            path = catalog.object_path(t, oid)
            self._process(out, path, self._canonical(t, item, links), digests_old, digests)
            if t.name == "users":
                seats[oid] = reports.seat_code(item)
            if t.name == "organization" and out.domain is None:
                out.domain = default_domain(item)

        listed_links = self._uses_delta(t) and all(r.kind == "ref-collection" for r in t.relationships)
        if listed_links:
            # Groups and admin units: a delta round returns big groups' members 500 links per page, one
            # dependent page after another (at 100k users: ~1,700 pages, a minute of round trips). Listing
            # the objects and reading their members through concurrent $batch requests is bound by the
            # resource-unit budget instead (DESIGN.md performance model). The deltaLink is taken first, with
            # $deltatoken=latest, so that changes made during the listing come with the next incremental run.
            sel = self._trim_select(t, catalog.delta_select_param(t) or "")
            latest = self.client.delta(
                f"{t.path}/delta", {"$select": sel, "$deltatoken": "latest"}, required_permission=perm
            )
            state["deltaLink"] = latest.delta_link
        if self._uses_delta(t) and not listed_links:
            sel = self._trim_select(t, catalog.delta_select_param(t) or "")
            # A big group arrives in slices on consecutive pages: its links are merged across the round.
            seen_links: dict[str, dict[str, Any]] = {}
            delta_link: str | None = None
            pages = self.client.pages(f"{t.path}/delta", {"$select": sel}, required_permission=perm)
            in_flight: deque[Future[list[render.Rendered]]] = deque()
            drop = self._drop(t)

            def settle(limit: int) -> None:
                while len(in_flight) > limit:
                    for rendered in in_flight.popleft().result():
                        self._apply(out, rendered, digests)

            seen, next_report = 0, PROGRESS_EVERY
            for page in _prefetched(pages):
                if self.cancelled.is_set():
                    raise KeyboardInterrupt
                # Multi-page rounds go to the worker processes; a one-page round is not worth their start.
                pooled = bool(page.get("@odata.nextLink") or in_flight) and self.renderer.available()
                batch: list[render.Job] = []
                for item in page.get("value", []):
                    if "@removed" in item or not item.get("id") or not catalog.is_backed_up(t, item):
                        continue
                    oid = str(item["id"])
                    links = seen_links.get(oid)
                    if links is None:
                        links = {r.name: _initial_links(r, item) for r in t.relationships}
                        if any(r.kind != "ref-single" for r in t.relationships):
                            seen_links[oid] = links
                    else:
                        for r in t.relationships:
                            extra = _initial_links(r, item)
                            if r.kind == "ref-single":
                                links[r.name] = extra or links.get(r.name)
                            else:
                                links[r.name] = sorted(set(links.get(r.name) or []) | set(extra or []))
                    if not pooled:
                        take(item, links)
                        continue
                    path = catalog.object_path(t, oid)
                    batch.append(
                        (path, render.strip_annotations(item, t), dict(links), digests_old.get(path))
                    )
                    if t.name == "users":
                        seats[oid] = reports.seat_code(item)
                if pooled and batch:
                    in_flight.append(self.renderer.submit(t.name, drop, batch))
                    settle(RENDER_AHEAD)
                delta_link = page.get("@odata.deltaLink") or delta_link
                seen += len(page.get("value", []))
                if seen >= next_report:
                    self.progress(f"{t.name}: {seen} listed so far")
                    next_report = seen + PROGRESS_EVERY
            settle(0)
            if not delta_link:
                raise GraphError(
                    None, "NoDeltaLink", "delta round ended without a deltaLink", method="GET", url=t.path
                )
            state["deltaLink"] = delta_link
        else:
            raw: list[dict[str, Any]]
            if t.singleton:
                single = catalog.select_param(t)
                params = {"$select": self._trim_select(t, single)} if single else None
                raw = [self.client.get(t.path, params, required_permission=perm)]
            else:
                raw = list(self.client.list(t.path, self._list_params(t), required_permission=perm))
            raw = [o for o in raw if catalog.is_backed_up(t, o)]
            rel_values: dict[str, dict[str, Any]] = {}
            if t.relationships and not t.singleton:
                if len(raw) >= 1000:
                    names = " and ".join(r.name for r in t.relationships)
                    self.progress(f"{t.name}: {len(raw)} listed, reading their {names}")
                rel_values = self._read_relationships(t, [str(o["id"]) for o in raw], t.relationships)
            for item in raw:
                values = rel_values.get(str(item.get("id")), {})
                if values.pop(GONE, False):
                    # 404 while reading its links: deleted meanwhile, or a replication hiccup. Its file stays
                    # as it is (never deleted on a 404 alone); the next delta round settles it.
                    path = catalog.object_path(t, str(item["id"]))
                    kept.add(path)
                    if path in digests_old:
                        digests[path] = digests_old[path]
                    continue
                take(item, values)

        soft: list[str] = []
        for item in self._list_deleted(t):
            oid = str(item["id"])
            path = catalog.object_path(t, oid)
            if path in digests:
                continue  # restored between the two reads: the live listing wins
            self._process(
                out, path, self._canonical(t, item, self._previous_links(t, path)), digests_old, digests
            )
            soft.append(oid)
        if soft:
            state["soft"] = sorted(soft)
        if seats:
            state["seats"] = seats
        out.summary.objects = len(digests)
        self.progress(f"{t.name}: {len(digests)} objects" + (f" ({len(soft)} deleted)" if soft else ""))
        if not t.singleton:
            for path in self.store.tracked_files([t.folder]):
                if path not in digests and path not in kept and catalog.type_for_path(path) is t:
                    name = _name_from_text(t, self.store.read_text(path), path)
                    out.entries[path] = _Entry("deleted", name)
        state["digests"] = digests
        out.state = state

    def _incremental(self, out: _Outcome, link: str, old: Mapping[str, Any]) -> None:
        t = out.t
        perm = self._perm(t)
        rnd = self.client.delta(link, required_permission=perm)
        digests = dict(old.get("digests") or {})
        seats = dict(old.get("seats") or {})
        previously_soft = set(old.get("soft") or [])
        objects: dict[str, dict[str, Any]] = {}
        removed_hard: list[str] = []
        for item in rnd.items:
            oid = item.get("id")
            if not oid:
                continue
            oid = str(oid)
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
            prev_links = self._previous_links(t, path)
            links = {
                r.name: _apply_delta_links(r, prev_links.get(r.name), item[f"{r.name}@delta"])
                if f"{r.name}@delta" in item
                else prev_links.get(r.name, [] if r.kind != "ref-single" else None)
                for r in t.relationships
            }
            objects[path] = self._canonical(t, item, links)
            if t.name == "users":
                seats[oid] = reports.seat_code(item)
        soft_now: list[str] = []
        for item in self._list_deleted(t):
            oid = str(item["id"])
            path = catalog.object_path(t, oid)
            if path in objects:
                continue
            objects[path] = self._canonical(t, item, self._previous_links(t, path))
            soft_now.append(oid)
            seats.pop(oid, None)
        # Objects that were soft-deleted, are no longer in deletedItems and did not come back through delta
        # were either purged (404: remove the file) or restored and not yet replicated to delta (keep).
        for oid in sorted(previously_soft - set(soft_now)):
            path = catalog.object_path(t, oid)
            if path in objects:
                continue
            try:
                self.client.get(f"{t.path}/{oid}", {"$select": "id"}, required_permission=perm)
                soft_now.append(oid)  # alive again; the next delta round carries it
            except GraphError as exc:
                if exc.status != 404:
                    raise
                removed_hard.append(path)
        out.summary.objects = len(digests) + sum(1 for p in objects if p not in digests)
        self.progress(f"{t.name}: {len(objects)} changed in delta, {len(removed_hard)} removed")
        digests_old = dict(digests)
        for path, obj in objects.items():
            self._process(out, path, obj, digests_old, digests)
        for path in removed_hard:
            digests.pop(path, None)
            text = self.store.read_text(path)
            if text is not None:
                out.entries[path] = _Entry("deleted", _name_from_text(t, text, path))
        out.summary.objects = len(digests)
        out.state = {"deltaLink": rnd.delta_link, "digests": digests}
        if soft_now:
            out.state["soft"] = sorted(soft_now)
        if t.name == "users":
            out.state["seats"] = seats

    def _process(
        self,
        out: _Outcome,
        path: str,
        obj: dict[str, Any],
        digests_old: Mapping[str, str],
        digests_new: dict[str, str],
    ) -> None:
        """Record the object's digest; if it differs from last run's, dump it and compare with the file."""
        self._apply(out, render.render(out.t, path, obj, digests_old.get(path)), digests_new)

    def _apply(self, out: _Outcome, rendered: render.Rendered, digests_new: dict[str, str]) -> None:
        """Take a rendered object: its digest, and its file change if its text differs from the file's."""
        path, d, text, name, deleted = rendered
        digests_new[path] = d
        entry = None
        if text is not None:
            entry = _classify(self.store, path, text, name, deleted, path in self.tracked())
            if entry is not None:
                self.snapshot.put(path, text)  # straight into git's pack; not kept in memory
        if entry is None:
            if out.entries.pop(path, None) is not None:  # a repeated delta entry that ends up unchanged
                self.snapshot.discard([path])
        else:
            earlier = out.entries.get(path)
            if earlier is not None and earlier.kind == "added":
                entry.kind = "added"  # a big group's second slice: still new in this run
            out.entries[path] = entry


def _classify(store: Store, path: str, text: bytes, name: str, deleted: bool, tracked: bool) -> _Entry | None:
    """The file change for a dumped object, or None when HEAD's file already holds exactly this text.

    Only a tracked file is compared (check_clean guarantees its work-tree copy equals HEAD's); an untracked
    file at that path is not in any commit, so the object is "added"."""
    raw = _read_bytes(store.root / path) if tracked else None
    if raw == text:
        return None
    current = raw.decode("utf-8", "replace") if raw is not None else None
    if current is None:
        kind = "added"
    elif deleted and "deletedDateTime" not in _loaded_keys(current):
        kind = "soft-deleted"
    elif not deleted and "deletedDateTime" in _loaded_keys(current):
        kind = "restored"
    else:
        kind = "changed"
    return _Entry(kind, name)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _loaded_keys(text: str) -> set[str]:
    """Keys set to a non-null value at the top level of a canonical file (cheap: no YAML parse needed)."""
    keys: set[str] = set()
    for line in text.splitlines():
        if line and not line[0].isspace() and ":" in line and not line.startswith("-"):
            key, _, value = line.partition(":")
            if value.strip() not in ("", "null", "~"):
                keys.add(key.strip().strip("'\""))
    return keys


# ---------------------------------------------------------------------------------------------------- entry


def build_client(cfg: config.Config, env: Mapping[str, str] | None = None) -> GraphClient:
    """A Graph client from entragit.yaml plus the azure-identity environment (credentials never in files)."""
    from entragit.graph.auth import AuthConfig, token_provider

    env = os.environ if env is None else env
    eff = cfg.with_env(env)
    auth = AuthConfig(
        tenant_id=eff.tenant_id,
        client_id=eff.client_id,
        method=eff.auth,
        authority_host=eff.effective_authority_host,
        graph_url=eff.effective_graph_url,
        ca_bundle=env.get("REQUESTS_CA_BUNDLE") or None,
    )
    token = token_provider(auth, env)
    token()  # fail here, once, with the auth error rather than once per type
    return GraphClient(eff.effective_graph_url, token, ca_bundle=auth.ca_bundle)


def fetch_object(
    repo_dir: str | Path, t: ObjectType, object_id: str, *, client: GraphClient | None = None
) -> dict[str, Any] | None:
    """One object as a backup run into repo_dir would write it now, in canonical form.

    For `compare OBJECT live` and restore checks: the same $select (trimmed by the repository's excluded
    attributes), relationships read live, and canonical form as a run, so an unchanged object equals its
    latest file. A soft-deleted object is read from directory/deletedItems and keeps the links of its current
    file, as a run keeps them. None when Graph has neither the object nor a soft-deleted copy. Without
    `client`, one is built from entragit.yaml and the environment, and closed afterwards.
    """
    store = Store.open(repo_dir)
    cfg = config.load(store.root)
    own = client is None
    graph = build_client(cfg) if client is None else client
    try:
        run = _Run(store, graph, cfg, full=True, progress=None)
        try:
            return run.fetch_object(t, object_id)
        finally:
            run.close()
            run.snapshot.close()
    finally:
        if own:
            graph.close()


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


def _commit_message(domain: str, outcomes: Sequence[_Outcome], extra: Sequence[tuple[str, str]]) -> str:
    counts = {"changed": 0, "added": 0, "deleted": 0}
    lines: list[str] = []
    for out in outcomes:
        for path, e in sorted(out.entries.items(), key=lambda kv: (kv[1].kind, kv[1].name.lower(), kv[0])):
            bucket = e.kind if e.kind in counts else "changed"
            counts[bucket] += 1
            lines.append(f"{out.t.name}: {e.kind} {e.name} ({path})")
    for path, kind in extra:
        lines.append(f"reports: {kind} {path}")
    head = (
        f"backup {domain}: {counts['changed']} changed, {counts['added']} added, {counts['deleted']} deleted"
    )
    if len(lines) > BODY_LINES:
        lines = [*lines[:BODY_LINES], f"… and {len(lines) - BODY_LINES} more"]
    return head + ("\n\n" + "\n".join(lines) + "\n" if lines else "\n")


def run_backup(
    repo_dir: str | Path,
    *,
    types: Sequence[str] | None = None,
    full: bool = False,
    push: bool = False,
    client: GraphClient | None = None,
    progress: ProgressFn | None = None,
) -> BackupResult:
    """Back up the tenant into the repository at repo_dir; see the module docstring for the rules.

    Returns the result even when some types failed (their errors are in `errors`; the complete types were
    committed); raises EntragitError only when the run could not start.
    """
    started = time.monotonic()
    store = Store.open(repo_dir)
    cfg = config.load(store.root)
    chosen = selected_types(cfg, types)
    if push:
        store.push_remote()
    if client is None:
        client = build_client(cfg)
    requests_before = client.stats.get("requests", 0)
    say = progress or (lambda _msg: None)

    folders = sorted({t.folder for t in catalog.CATALOG if not t.singleton} | {REPORT_FOLDER, "policies"})
    with store.session(folders):
        prior = store.load_state()
        old_types: dict[str, Any] = dict(prior.get("types") or {})
        snapshot = store.snapshot()
        try:
            result = _run_types(store, client, cfg, snapshot, chosen, old_types, full, say)
            if push:
                try:
                    store.push()
                except EntragitError as exc:
                    kept = f"commit {result.commit[:10]} is" if result.commit else "the backup is"
                    result.errors.append(f"{exc} ({kept} safe in the local repository; push again later)")
        finally:
            snapshot.close()

    result.stats = {
        "seconds": round(time.monotonic() - started, 2),
        "requests": client.stats.get("requests", 0) - requests_before,
        "retries": client.stats.get("retries", 0),
        "throttled": client.stats.get("throttled", 0),
    }
    return result


def _run_types(
    store: Store,
    client: GraphClient,
    cfg: config.Config,
    snapshot: Snapshot,
    chosen: Sequence[ObjectType],
    old_types: dict[str, Any],
    full: bool,
    say: ProgressFn,
) -> BackupResult:
    """List the types concurrently into the snapshot, add the reports, commit, save the state."""
    run = _Run(store, client, cfg, full=full, progress=say, snapshot=snapshot)
    try:
        with ThreadPoolExecutor(
            max_workers=TYPE_WORKERS, thread_name_prefix="entragit-type", initializer=render.block_sigint
        ) as pool:
            try:
                outcomes = list(pool.map(lambda t: run.backup_type(t, old_types.get(t.name) or {}), chosen))
            except BaseException:
                run.cancelled.set()  # Ctrl-C: let the other listings stop early; the snapshot is then undone
                raise
    finally:
        run.close()

    result = BackupResult(commit=None)
    new_types = dict(old_types)
    domain: str | None = None
    for out in outcomes:
        result.types[out.t.name] = out.summary
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

    report_changes: list[tuple[str, str]] = []
    tracked_reports = set(store.tracked_files([REPORT_FOLDER]))  # (not the whole index on a quiet run)
    seat_codes = (new_types.get("users") or {}).get("seats") or {}
    for path, build in (
        (reports.SECURE_SCORE_FILE, lambda: reports.secure_score_report(client)),
        (reports.SEATS_FILE, lambda: reports.seats_report(client, seat_codes)),
    ):
        if path == reports.SEATS_FILE and not seat_codes:
            continue  # users never listed successfully: no estimate rather than a wrong one
        try:
            data = build()
        except (GraphError, EntragitError) as exc:
            result.errors.append(f"{path}: {exc}")
            continue
        if data is None:
            continue
        text = canonical.dump(data)
        current = store.read_text(path) if path in tracked_reports else None
        if current != text:
            snapshot.put(path, text.encode("utf-8"))
            report_changes.append((path, "added" if current is None else "updated"))

    if domain is None:
        domain = _domain_from_graph(client) or cfg.tenant_id
    message = _commit_message(domain, [o for o in outcomes if not o.summary.error], report_changes)
    result.commit = snapshot.commit(message)
    store.save_state(new_types)
    return result


def _domain_from_graph(client: GraphClient) -> str | None:
    try:
        for org in client.list("organization", {"$select": "verifiedDomains"}):
            return default_domain(org)
    except (GraphError, EntragitError):
        return None
    return None


def tty_progress(stream: Any = None) -> ProgressFn | None:
    """A progress printer for interactive use (stderr on a TTY), None otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def show(msg: str) -> None:
        stream.write(f"  {msg}\n")
        stream.flush()

    return show
