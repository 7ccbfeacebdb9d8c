"""The one reader of the live tenant: a Graph client from entragit.yaml; Graph responses as canonical objects.

Backup, `compare … live` and restore must see the tenant identically, or a restore plan would compare unlike
things (a `$select` that differs by one property would plan a write for every object). So everything that
turns Graph into canonical objects lives here, once: which properties are selected (trimmed by the
repository's excluded attributes), how each relationship is read (a `$batch` of per-object reads, a delta
round's `<rel>@delta` slices, or the links a soft-deleted object keeps from its file), and the canonical form
itself (through `render.canonical_of`). Backup keeps what makes a run: digests, the snapshot, the commit.

This module knows nothing of git: the links of a soft-deleted object come from the caller (`file_links`),
which reads them from the backup repository.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import threading
import zlib
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlencode

from entragit import canonical, catalog, config, extension_discovery, render
from entragit.catalog import ObjectType, Relationship
from entragit.graph.auth import AuthConfig, token_provider
from entragit.graph.client import DeltaRound, GraphClient, GraphError, RawPage, odata_string

# Runs over which an incremental backup reads, in turn, what Graph offers no cheaper way to follow than one
# read per object (`in_sweep`): applications' extension definitions where discovery answers nothing, the
# groups of a Selected expiration policy. A change there reaches the files within this many runs; a full
# backup (`--full`) reads them all.
SWEEP_RUNS = 10
GONE = "@gone"  # marks, among an object's relationship values, that the object vanished mid-listing
PAGE_TOP = "999"  # Graph's maximum page size for directory collections
READ_CHUNK = 500  # objects whose relationships are read, and then handed on, together (`Reader.listing`)
CHUNKS_IN_FLIGHT = 4  # such chunks read at the same time: a big group's chain of pages overlaps the others
# An expanding listing read beside a delta round (`Reader._side_listing`) is split in up to SIDE_RANGES
# ranges of about SIDE_RANGE_OBJECTS objects or more: at 100k users the guests' 60 pages of 100 took two
# seconds one after the other, most of a no-change run.
SIDE_RANGES = 8
SIDE_RANGE_OBJECTS = 500
# The bounds of a first run, which has no last run's to go by: initials of names cut in eight parts of about
# an eighth of the names each (a to b, c to d, e to i, j to k, l to m, n to q, r to s, t to z). Any bounds
# give the whole listing; these keep a first backup's guests from being one chain of 60 pages, which held
# the users' rendering back four seconds at 100k users.
FIRST_SPLIT = ("c", "e", "j", "l", "n", "r", "t")
RENDER_AHEAD = 6  # pages of a delta round handed to the render workers before the reader waits for the oldest
EXPAND_TOP = "100"  # the largest page Graph returns when a listing expands a relationship (docs/graph.md)
EXPANDED_MAX = (
    20  # related objects Graph returns per object and expanded relationship; a full list may be cut
)

FileLinks = Callable[[ObjectType, str], Mapping[str, Any]]  # (type, repository path) → links in its file
Listed = tuple[dict[str, Any], dict[str, Any]]  # a Graph object and its relationship values


def connect(
    cfg: config.Config,
    env: Mapping[str, str] | None = None,
    *,
    prompt: Callable[[str], None] | None = None,
    **client_options: Any,
) -> GraphClient:
    """A Graph client from entragit.yaml plus the azure-identity environment (credentials never in files).

    `prompt` shows the device-code sign-in message (the CLI prints it; services never write to the screen).
    The first token is fetched here, so a credential problem fails once, before any listing starts.
    """
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
    token = token_provider(auth, env, prompt=prompt)
    token()
    return GraphClient(
        eff.effective_graph_url, token, ca_bundle=auth.ca_bundle, env=env, app=eff.client_id, **client_options
    )


# ---------------------------------------------------------------------------------------------------- links


def rel_kept(rel: Relationship, items: Iterable[Any]) -> list[Any]:
    """What a relationship's value is made of, from one page of related objects: their ids, or for app role
    assignments, extension definitions and contained entities the fields kept. Taken page by page, so that
    a group of a million members is held as a million ids while its pages arrive, not as a million decoded
    objects."""
    if rel.holds_items:
        return [canonical.relationship_item(rel, i) for i in items if isinstance(i, Mapping)]
    return [str(i["id"]) for i in items if isinstance(i, Mapping) and i.get("id")]


def rel_value(rel: Relationship, kept: list[Any]) -> Any:
    """A relationship's canonical value from everything `rel_kept` took of its pages."""
    if rel.holds_items:
        return kept
    if rel.kind == "ref-single":
        return min(kept) if kept else None
    return sorted(set(kept))


def in_sweep(object_id: str, sweep: int) -> bool:
    """Whether a run whose turn is `sweep` reads this object: a stable share of one in SWEEP_RUNS, the same
    for an object on every machine (crc32, not Python's salted hash)."""
    return zlib.crc32(object_id.encode()) % SWEEP_RUNS == sweep % SWEEP_RUNS


def rel_value_from_list(rel: Relationship, items: Sequence[Mapping[str, Any]]) -> Any:
    """A relationship's canonical value from the related objects Graph listed."""
    return rel_value(rel, rel_kept(rel, items))


def apply_delta_links(rel: Relationship, previous: Any, changes: Any) -> Any:
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


def initial_links(rel: Relationship, item: Mapping[str, Any]) -> Any:
    """Link value from an initial (full) delta round: everything present is current."""
    changes = item.get(f"{rel.name}@delta")
    if isinstance(changes, Mapping):
        changes = [changes]
    present = [c for c in changes or [] if isinstance(c, Mapping) and "@removed" not in c]
    return rel_value_from_list(rel, present)


# A page of an initial delta round, rendered: the objects, their (id, seat code) pairs when asked for, the
# page's own nextLink and deltaLink, and how many items it held (None: the body was not JSON).
RenderedPage = tuple[list[render.Rendered], list[tuple[str, str]], "str | None", "str | None", "int | None"]


def round_objects(
    t: ObjectType, items: Iterable[Mapping[str, Any]], side: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[str, Mapping[str, Any], dict[str, Any]]]:
    """(id, Graph object, links) of the items of an initial delta round page that are backed up; `side`
    holds the values of the relationships read beside the round (`Reader.side_links`)."""
    for item in items:
        if "@removed" in item or not item.get("id") or not catalog.is_backed_up(t, item):
            continue
        oid = str(item["id"])
        links = {r.name: initial_links(r, item) for r in t.relationships if r.via_delta}
        yield oid, item, with_side(t, item, links, side.get(oid))


def reads_beside(t: ObjectType, item: Mapping[str, Any]) -> bool:
    """Whether some of item's relationships come from the side listing (`only_when`: a guest's sponsors)."""
    return any(rel.only_when is not None and rel.applies(item) for rel in t.relationships)


def with_side(
    t: ObjectType, item: Mapping[str, Any], links: dict[str, Any], side: Mapping[str, Any] | None
) -> dict[str, Any]:
    """links plus the `only_when` relationships that apply to item, from what the side listing read of it.

    An object the side listing did not return although the relationship applies to it (it became a guest
    after that listing) gets no value here, never an empty list on no evidence: an incremental run keeps
    its file's, a full one leaves the key out until the next run's listing has it."""
    for rel in t.relationships:
        if rel.only_when is not None and rel.applies(item) and side is not None and rel.name in side:
            links[rel.name] = side[rel.name]
    return links


def render_round_page(
    type_name: str,
    drop: list[str],
    content: bytes,
    seat: Callable[[Mapping[str, Any]], str] | None,
    side: render.Packed | None = None,
) -> RenderedPage:
    """One undecoded page of an initial delta round of a type whose links never span pages, rendered.

    It runs in a render worker (module-level: pickled by reference), so that neither decoding the JSON nor
    pickling the decoded objects costs the backup process anything: at 100k users that was a fifth of its
    CPU, taken on the thread that sends the round's next request. Unchanged-since-last-run is the caller's
    to tell (the worker has no digests), so every object comes with its YAML."""
    t = catalog.by_name(type_name)
    try:
        page = json.loads(content)
    except ValueError:
        return [], [], None, None, None
    if not isinstance(page, dict):
        return [], [], None, None, None
    items = page.get("value") or []
    beside = render.unpack(side) if side is not None else {}
    listed = [(item, links) for _oid, item, links in round_objects(t, items, beside)]
    seats = [(str(item["id"]), seat(item)) for item, _ in listed] if seat is not None else []
    rendered = render_listed(type_name, drop, listed, {})
    return rendered, seats, page.get("@odata.nextLink"), page.get("@odata.deltaLink"), len(items)


def render_listed(
    type_name: str,
    drop: list[str],
    listed: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    old: Mapping[str, str],
) -> list[render.Rendered]:
    """Listed objects with their relationship values, rendered; `old` holds the previous run's digests of
    their files, so that an unchanged object comes back without its text. Module-level, for the render
    workers: a 100k-user tenant's ten thousand groups (some with a hundred thousand members) took the
    backup process nine seconds of CPU, on the thread the users' delta round needed."""
    t = catalog.by_name(type_name)
    out: list[render.Rendered] = []
    for item, links in listed:
        path = catalog.object_path(t, str(item["id"]))
        out.append(render.render(t, path, render.canonical_of(t, item, links, drop), old.get(path)))
    return out


def _oid(rendered: render.Rendered) -> str:
    return rendered[0].rsplit("/", 1)[-1].removesuffix(".yaml")


# The values a backup repository's files hold for some properties of a type: (type, properties) → id → values
# of the objects whose files hold any (`Reader.held`).
Held = Callable[[ObjectType, Sequence[str]], dict[str, dict[str, Any]]]

# Extension names by targetObjects value, or what reads them when a run needs them (`Reader`).
Known = Mapping[str, Sequence[str]] | Callable[[], Mapping[str, Sequence[str]]]

P = TypeVar("P")
R = TypeVar("R")


def in_flight(fn: Callable[[P], R], items: Sequence[P], limit: int) -> Iterator[R]:
    """fn over items on `limit` threads, each result as it is done (not in input order), never more than
    `limit` started ahead of the consumer; the first failure is raised and the rest are dropped. The first
    `limit` start at once, before the consumer asks for a result (it has other work meanwhile); closing
    the iterator stops the rest."""
    results = _in_flight(fn, items, limit)
    next(results)  # (primed: started, so that close() shuts the pool down)
    return cast(Iterator[R], results)


def _in_flight(fn: Callable[[P], R], items: Sequence[P], limit: int) -> Iterator[R | None]:
    pool = ThreadPoolExecutor(max_workers=max(limit, 1), thread_name_prefix="entragit-chunk")
    try:
        todo = iter(items)
        running = {pool.submit(fn, x) for x in itertools.islice(todo, limit)}
        yield None
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                running.update(pool.submit(fn, x) for x in itertools.islice(todo, 1))
                yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _started(name: str, fn: Callable[..., R], *args: Any) -> Future[R]:
    """fn(*args) begun now on a thread of its own, whose result the caller collects later."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    future = pool.submit(fn, *args)
    pool.shutdown(wait=False)
    return future


def _outcome(fn: Callable[[], R]) -> tuple[R | None, Exception | None]:
    """fn's result or the exception it raised, for jobs run side by side whose failures are each the
    caller's to weigh."""
    try:
        return fn(), None
    except Exception as exc:
        return None, exc


def prefetched(pages: Iterator[P], depth: int = 3) -> Iterator[P]:
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


# ---------------------------------------------------------------------------------------------------- reader


def keyed(t: ObjectType, obj: dict[str, Any]) -> dict[str, Any]:
    """The object with its key (catalog `key`) as its `id`, for a type Graph keys otherwise: files, id maps
    and plans all name objects by `id`."""
    if t.key != "id" and obj.get(t.key):
        obj["id"] = obj[t.key]
    return obj


def _odata_query(params: Mapping[str, str]) -> str:
    """Query options as Graph's pages write them (`$filter=groupId eq '…'`, spaces encoded)."""
    return urlencode(params, quote_via=quote, safe="$,'()*:/@")


class Reader:
    """Reads catalog types from Graph as a backup with this configuration writes them."""

    expand_in_listing = True  # False reads every relationship per object (tests compare both ways)

    def __init__(
        self,
        client: GraphClient,
        cfg: config.Config | None = None,
        held: Held | None = None,
        *,
        known_extensions: Known | None = None,
        sweep: int | None = None,
    ) -> None:
        """`known_extensions` (targetObjects value → names, from the last backup's state, or what gives them
        from the repository's files when asked: only a run whose discovery fails asks) lets a run go on when
        discovery fails (`extension_problem` then says so); without it such a failure fails the read.
        `sweep` is the turn of a backup that keeps what its files hold (`held`) for the objects whose turn it
        is not (`in_sweep`): applications' extension definitions when discovery shows none, the groups of a
        Selected expiration policy; None reads them all."""
        self.client = client
        self.exclude_attrs: dict[str, set[str]] = {
            k: set(v) for k, v in (cfg.exclude_attributes.items() if cfg else ())
        }
        self._known = known_extensions
        self._extensions: dict[str, tuple[str, ...]] | None = None
        self._definitions: dict[str, list[Mapping[str, Any]]] | None = None  # by owner appId, if discovered
        self._read_first: dict[str, list[Mapping[str, Any]]] | None = None  # by app id, read before listing
        self._sweep = sweep
        self._reach: tuple[frozenset[str], int] | None = None
        self._extensions_lock = threading.Lock()
        self.opted_in = cfg.opted_in if cfg else frozenset()
        # Where opted-in properties the app cannot read come from (`unreadable`): a backup passes the values
        # its files hold, which then stay as they are; without it (compare, plan) they are left out, unknown.
        self.held = held
        self._granted: tuple[frozenset[str] | None] | None = None
        self._defined: dict[str, set[str]] = {}
        self._learned_lock = threading.Lock()
        self._early: dict[str, Future[dict[str, dict[str, Any]]]] = {}  # `start_side_links`
        self._early_ids: dict[str, list[Future[list[dict[str, Any]]]]] = {}  # `start_id_listings`
        self._held_ahead: dict[str, Future[dict[str, dict[str, Any]]]] = {}  # `_hold_ahead`
        # Bounds of the ranges `_side_listing` reads side by side (type name → bounds): the last run's, set
        # by the backup before its listings start; and those this run found, for the next.
        self.side_split: Mapping[str, Sequence[str]] = {}
        self.split_found: dict[str, list[str]] = {}
        self.extension_problem = ""  # one line: discovery failed, and what the run did instead
        # The last run's tenant was past discovery's limit (set by the backup from its state): the count and
        # the check of the known names that discovery's empty answer then needs go beside it (`_discover`).
        self.expect_unanswered = False
        self._named_scopes: dict[str, list[str]] = {"pim_groups": list(cfg.pim_groups)} if cfg else {}
        self._scope_cache: dict[tuple[str, str], list[str]] = {}  # (source, filter) → ids (catalog `scopes`)
        self._scopes_lock = threading.Lock()

    # -- what is asked for ---------------------------------------------------------------------------------

    @staticmethod
    def permission(t: ObjectType) -> str | None:
        """The permission a 403 on this type's reads names."""
        return " and ".join(t.permissions_backup) or None

    def drop(self, t: ObjectType) -> list[str]:
        """Attributes the repository excludes for this type (identity fields are never dropped), those it
        does not opt in to (catalog `opt_in`), and, where no file values stand in for them (`held`), those
        the app cannot read (`unreadable`)."""
        dropped = self.exclude_attrs.get(t.name, set()) | set(catalog.opted_out(t, self.opted_in))
        if self.held is None:
            dropped |= set(self.unreadable(t))
        return sorted(dropped - set(t.identity))

    def unreadable(self, t: ObjectType) -> dict[str, str]:
        """Opted-in properties of `t` → the permission reading them takes that the app's token does not list
        (`GraphClient.granted`; its ReadWrite form counts too). Graph answers such a read without an error,
        with null (custom security attribute values: concepts/custom-security-attributes-examples.md), which
        a backup would take for "no values": so they are not read at all. A token that tells nothing counts
        as holding nothing."""
        out: dict[str, str] = {}
        excluded = self.exclude_attrs.get(t.name, set())
        for o in t.opt_in:
            if o.setting not in self.opted_in:
                continue
            missing = [p for p in o.permissions_backup if not self._holds(p)]
            if missing:
                out.update({prop: missing[0] for prop in o.properties if prop not in excluded})
        return out

    def _holds(self, permission: str) -> bool:
        if self._granted is None:  # (asked once: the token's claims do not change within a run)
            self._granted = (self.client.granted(),)
        granted = {p.lower() for p in self._granted[0] or ()}
        return permission.lower() in granted or permission.lower().replace(".read.", ".readwrite.") in granted

    def carried(self, t: ObjectType) -> dict[str, dict[str, Any]] | None:
        """The unreadable properties' values as the files hold them (`held`), id → values; None when the app
        reads them all (or no file values stand in)."""
        props = list(self.unreadable(t))
        return self.held(t, props) if props and self.held is not None else None

    def rendering(self, t: ObjectType) -> dict[str, Any]:
        """The repository's settings that change how this type's files are written (entragit.yaml keys →
        their value for the type), kept with a backup's incremental state: when they differ from the last
        run's, every file of the type is written again, not only those of objects that changed since.

        The directory extensions the type takes count too: a new definition's values are returned only when
        selected, so an object unchanged since would never show them to an incremental run (nor to the delta
        link, whose $select was fixed when it was made); a run that finds another set reads the type whole.
        Absent when the tenant has none, so that a tenant without extensions keeps its state as it was. An
        opt-in setting appears only when it is on (older state has none)."""
        names = self.extensions(t)
        out: dict[str, Any] = {
            "exclude_attributes": sorted(self.exclude_attrs.get(t.name, set()) - set(t.identity)),
            **({"extensions": list(names)} if names else {}),
        }
        out.update({o.setting: True for o in t.opt_in if o.setting in self.opted_in})
        return out

    def extensions(self, t: ObjectType) -> tuple[str, ...]:
        """Names of the directory extensions the tenant has for this type, sorted: discovered once per
        reader (`extension_discovery`, synced and cloud ones alike: the page returns both when
        isSyncedFromOnPremises is left out), so that every listing of a run asks for the same ones."""
        if not t.extension_target:
            return ()
        return self._discovered().get(t.extension_target, ())

    def _discovered(self) -> dict[str, tuple[str, ...]]:
        with self._extensions_lock:
            if self._extensions is None:
                self._extensions = self._discover()
            return self._extensions

    def _discover(self) -> dict[str, tuple[str, ...]]:
        """The names by target; the definitions by owner kept for `listing`.

        When discovery fails, a backup (`known_extensions`) goes on with the names of its last run: they stay
        selectable while their definitions exist (those no longer selectable are dropped, `_selectable`),
        and a run without them would commit every value as removed. Anything else raises: a restore must
        not plan against values it could not select. Where discovery cannot answer (more than 1,000
        service principals) and no names are known (a repository's first backup, a plan), every
        application's definitions are read first (`_read_first`): their values are then kept from the
        first run on."""

        def known_names() -> dict[str, tuple[str, ...]]:
            known = self._known() if callable(self._known) else self._known
            return {k: tuple(sorted(set(v))) for k, v in (known or {}).items() if v}

        # Past the limit, discovery's empty answer, the service principals' count and the check of the known
        # names were three round trips in a row, which every listing of an extension target waited for
        # (0.2 s of a 100k-user incremental run): where the last run was past it, they go side by side.
        names = known_names() if self.expect_unanswered and self._known is not None else None
        jobs: list[Callable[[], Any]] = [partial(extension_discovery.discover, self.client)]
        if names:
            jobs += [self._service_principals, partial(self._selectable, names)]
        (answer, failed), *ahead = self.client.map_concurrent(_outcome, jobs)
        found: list[dict[str, Any]] = answer or []
        checked = ahead[1][0] if ahead and ahead[1][1] is None else None
        try:
            if failed is not None:
                raise failed
            if not found:
                count = self._service_principals()[1]
                if count > extension_discovery.ANSWERS_UP_TO:
                    raise extension_discovery.too_many_to_answer(count)
        except extension_discovery.Unavailable as exc:
            names = known_names() if names is None else names
            if isinstance(exc, extension_discovery.Unanswered) and not names:
                self._read_first, read = self._every_definition()
                reach = self._service_principals()[0] or frozenset()
                usable = [d for app, defs in self._read_first.items() if app in reach for d in defs]
                self.extension_problem = (
                    f"{exc}: read the extension definitions of {read:,} of {len(self._read_first):,} "
                    "application(s) first (those that have any)"
                    if read < len(self._read_first)
                    else f"{exc}: read the extension definitions of {read:,} application(s) one by one first"
                )
                return extension_discovery.names_by_target(usable)
            if self._known is None:
                raise exc.__cause__ if isinstance(exc.__cause__, GraphError) else exc from None
            names = checked if checked is not None else self._selectable(names)
            count = len({n for v in names.values() for n in v})
            sweeping = (
                f"definitions read for one application in {SWEEP_RUNS} this run, the "
                "others kept from their files"
                if self._sweep is not None and self.held is not None
                else "definitions read per application"
            )
            self.extension_problem = f"{exc}: " + (
                f"kept the {count} extension name(s) of the last backup, {sweeping}"
                if count
                else "no directory extension values backed up this run"
            )
            return names
        self._definitions = extension_discovery.by_owner(found)
        return extension_discovery.names_by_target(found)

    def _every_definition(self) -> tuple[dict[str, list[Mapping[str, Any]]], int]:
        """Application appId (lower case) → its extension definitions, for every application: those that
        have any (application.md: extensionProperties supports `$filter` on `/$count ne 0`, an advanced
        query) read one by one (`applications/{id}/extensionProperties` through $batch), the others none.
        Where the advanced query is refused, every application is read; how many were is returned too.
        An application whose first definition is seconds old may be missing from that eventually consistent
        answer: its values come when the in-turn reads (`in_sweep`) meet it, as for any definition made
        after a first backup."""
        apps = catalog.by_name("applications")
        params = {"$select": "id,appId", "$top": PAGE_TOP}
        defining = {**params, "$select": "id", "$filter": "extensionProperties/$count ne 0", "$count": "true"}

        def ids(query: dict[str, str]) -> list[dict[str, Any]] | None:
            eventual = {"ConsistencyLevel": "eventual"} if "$count" in query else None
            try:
                return list(
                    self.client.list(apps.path, query, eventual, required_permission=self.permission(apps))
                )
            except GraphError as exc:
                if eventual is None or exc.status != 400:
                    raise
                return None  # (refused: every application is read)

        every, owning = self.client.map_concurrent(ids, [params, defining])
        listed = {str(a["id"]): str(a.get("appId") or "").lower() for a in every or ()}
        read = (
            [str(a["id"]) for a in owning if str(a.get("id")) in listed]
            if owning is not None
            else list(listed)
        )
        rel = next(r for r in apps.relationships if r.kind == "extension-property")
        got = self.relationships(apps, read, (rel,))
        out: dict[str, list[Mapping[str, Any]]] = {app_id: [] for app_id in listed.values()}
        out.update({listed[oid]: list(values.get(rel.name) or ()) for oid, values in got.items()})
        return out, len(read)

    def _selectable(self, names: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """The known names less those Graph no longer knows (a definition deleted since they were learned):
        one `$top=1` listing per target selecting them, each refusal naming one (`missing_name`) and dropped.
        Without this a deleted definition's name would fail the type's every listing."""

        def still(target: str, kept: tuple[str, ...]) -> tuple[str, ...]:
            t = next((t for t in catalog.CATALOG if t.extension_target == target), None)
            if t is None:
                return kept
            left = list(kept)
            while left:
                try:
                    self.client.get(
                        t.path,
                        {"$select": ",".join(["id", *left]), **({} if t.singleton else {"$top": "1"})},
                        required_permission=self.permission(t),
                    )
                    break
                except GraphError as exc:
                    gone = extension_discovery.missing_name(exc, left)
                    if gone is None:
                        break  # not about the names: the type's own listing meets it and says so
                    left.remove(gone)
            return tuple(left)

        # (the targets side by side: they are on the way of every listing that selects extensions)
        kept = self.client.map_concurrent(lambda pair: still(*pair), list(names.items()))
        return {k: v for k, v in zip(names, kept, strict=True) if v}

    def _learn_usable(
        self, rel: Relationship, read: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
    ) -> None:
        """`_learn` the definitions read one app at a time, of the apps whose service principal is live: an
        app without one has definitions nobody can select (extensibility-overview.md: undiscoverable)."""
        reach = self._service_principals()[0] or frozenset()
        for app, got in read:
            if str(app.get("appId") or "").lower() in reach:
                self._learn(got.get(rel.name) or ())

    def _learn(self, definitions: Iterable[Mapping[str, Any]]) -> None:
        """Note the names of definitions this run read with their applications (`defined`)."""
        with self._learned_lock:
            for target, names in extension_discovery.names_by_target(definitions).items():
                self._defined.setdefault(target, set()).update(names)

    def defined(self) -> dict[str, list[str]]:
        """targetObjects value → names of the usable definitions this run read with the tenant's applications:
        kept in the backup's state, they are the names a later run selects when discovery fails, though this
        one could not select them (a tenant of more than 1,000 service principals, where discovery never
        answers, still gets its values, one run late)."""
        with self._learned_lock:
            return {k: sorted(v) for k, v in sorted(self._defined.items())}

    def _service_principals(self) -> tuple[frozenset[str] | None, int]:
        """appIds of the live service principals and their count (read once); (None, 0) when they cannot be
        read."""
        if self._reach is None:
            try:
                self._reach = extension_discovery.service_principals(self.client)
            except GraphError:
                return None, 0
        return self._reach

    def _take_discovered(
        self,
        t: ObjectType,
        rel: Relationship,
        items: Sequence[Mapping[str, Any]],
        values: dict[str, dict[str, Any]],
    ) -> list[str] | None:
        """Applications' definitions known without reading each one: from the discovery answer (for those
        whose service principal is live: discovery shows no other's), read first (`_read_first`), or, on a
        sweeping backup's run, kept from the files of the applications whose turn it is not; returns the ids
        still to read one by one, or None: read them all."""
        self._discovered()
        known = self._known_definitions(t, rel, items)
        if known is None:
            return None
        again = []
        for item in items:
            oid = str(item["id"])
            if oid in known:
                values[oid][rel.name] = rel_value_from_list(rel, known[oid])
            else:
                again.append(oid)
        self._learn_usable(rel, [(i, values[str(i["id"])]) for i in items if str(i["id"]) in known])
        return again

    def _hold_ahead(self, t: ObjectType) -> None:
        """On a sweeping run, start reading the extension definitions the files hold (`held`: two `git
        grep`s of 2,000 files at 100k users) while the listing goes on, for `_known_definitions`."""
        rel = next((r for r in t.relationships if r.kind == "extension-property"), None)
        if rel is None or self.held is None or self._sweep is None:
            return
        self._discovered()
        if self._read_first is None and self._definitions is None:
            self._held_ahead[t.name] = _started("entragit-held", self.held, t, [rel.name])

    def _known_definitions(
        self, t: ObjectType, rel: Relationship, items: Sequence[Mapping[str, Any]]
    ) -> dict[str, Sequence[Mapping[str, Any]]] | None:
        """Application id → its definitions, for the listed applications whose definitions need no read."""

        def app_id(item: Mapping[str, Any]) -> str:
            return str(item.get("appId") or "").lower()

        if self._read_first is not None:  # (an application created since is read)
            return {str(i["id"]): self._read_first[app_id(i)] for i in items if app_id(i) in self._read_first}
        if self._definitions is not None:
            reach = self._service_principals()[0]
            if reach is None:
                return None
            return {str(i["id"]): self._definitions.get(app_id(i), []) for i in items if app_id(i) in reach}
        if self._sweep is None or self.held is None:
            return None
        ahead = self._held_ahead.pop(t.name, None)
        files = ahead.result() if ahead is not None else self.held(t, [rel.name])
        return {
            str(i["id"]): (files.get(str(i["id"])) or {}).get(rel.name) or []
            for i in items
            if not in_sweep(str(i["id"]), self._sweep)
        }

    def opted_values(self, t: ObjectType) -> dict[str, dict[str, Any]] | None:
        """For a type whose opted-in properties a delta round is never asked for (`OptIn.not_in_delta`), those
        properties of every object that has any, from one listing of `$select=id,<properties>`: Graph returns
        them only when selected, and no delta page documents them. None when the repository opts in to
        none."""
        props = [p for p in catalog.not_in_delta(t) if p not in self.drop(t)]
        if not props or not t.delta:
            return None
        carried = self.carried(t)
        if carried is not None:
            return carried
        params = {"$select": ",".join(["id", *props]), "$top": PAGE_TOP}
        out: dict[str, dict[str, Any]] = {}
        for item in self.client.list(t.path, params, required_permission=self.opt_in_permission(t)):
            values = {p: item.get(p) for p in props if item.get(p) is not None}
            if values and item.get("id"):
                out[str(item["id"])] = values
        return out

    def opt_in_permission(self, t: ObjectType) -> str | None:
        """The permissions reading a type with its opted-in properties takes."""
        perms = [
            *t.permissions_backup,
            *(p for o in t.opt_in if o.setting in self.opted_in for p in o.permissions_backup),
        ]
        return " and ".join(perms) or None

    def select(self, t: ObjectType, sel: str | None) -> str:
        """A `$select` value: the catalog's properties but the excluded ones and those the app cannot read
        (`unreadable`), and the type's extensions."""
        excluded = {*self.drop(t), *self.unreadable(t)}
        props = [p for p in (sel or "").split(",") if p and p not in excluded]
        if props:
            props += [n for n in self.extensions(t) if n not in excluded]
        return ",".join(props)

    def list_params(self, t: ObjectType, *, deleted: bool = False, ids_only: bool = False) -> dict[str, str]:
        """The query of a type's listing; `ids_only`, of a listing that brings one expansion by id, which
        selects no extension and so need not wait for their discovery."""
        params: dict[str, str] = {}
        sel = catalog.select_param(t)
        if ids_only:
            params["$select"] = "id"
        elif sel:
            params["$select"] = self.select(t, sel)
        if t.list_filter and not deleted:
            params["$filter"] = t.list_filter
        if t.expand and not deleted:
            params["$expand"] = ",".join(t.expand)
        if t.shard or deleted:
            params["$top"] = PAGE_TOP
        return params

    @staticmethod
    def uses_delta(t: ObjectType) -> bool:
        """Whether a delta round returns this type with all of its relationships (but those read beside it
        each run, `only_when`)."""
        return t.delta and not t.singleton and all(r.via_delta or r.only_when for r in t.relationships)

    def by_delta_round(self, t: ObjectType) -> bool:
        """Whether a full read of the type is an initial delta round (users: the manager comes in it, one
        link per object) rather than a listing. A type whose links span pages is listed although delta
        returns it: a delta round gives a big group's members 500 links per page, one dependent page after
        another (at 100k users ~1,700 pages, a minute of round trips), where a listing with its relationships
        expanded or read through concurrent $batch requests is bound by the resource-unit budget
        (docs/architecture.md). So no page of a round depends on another (`render_round_page`)."""
        return (
            self.uses_delta(t)
            and bool(t.relationships)
            and all(r.kind == "ref-single" or r.only_when for r in t.relationships)
        )

    def canonical(self, t: ObjectType, raw: Mapping[str, Any], links: Mapping[str, Any]) -> dict[str, Any]:
        if GONE in links:
            links = {k: v for k, v in links.items() if k != GONE}
        return render.canonical_of(t, raw, links, self.drop(t))

    # -- listings ------------------------------------------------------------------------------------------

    def singleton(self, t: ObjectType) -> dict[str, Any]:
        sel = catalog.select_param(t)
        params = {"$select": self.select(t, sel)} if sel else None
        return self.client.get(t.path, params, required_permission=self.permission(t))

    def listing(self, t: ObjectType) -> Iterator[Listed]:
        """`listed`, with the values the files hold for the properties the app cannot read (`carried`)."""
        carried = self.carried(t)
        if carried is None:
            yield from self.listed(t)
            return
        props = list(self.unreadable(t))
        for item, values in self.listed(t):
            held = carried.get(str(item.get("id")), {})
            yield {**item, **{p: held.get(p) for p in props}}, values

    def listed(self, t: ObjectType) -> Iterator[Listed]:
        """Every object of a type that is re-listed each run, with its relationships, as each is complete.

        A relationship Graph can expand comes inside a listing (`Relationship.expand`; Graph expands one
        relationship per request, so each further one is another listing, of ids only, sent at the same
        time); an object whose expanded list came back full (20, perhaps cut) and every relationship that
        cannot be expanded are read per object through $batch. Either way the values are the same, so are
        the files.

        Objects the listings made complete come first; the others follow in chunks of READ_CHUNK, a few
        chunks read at a time, each yielded (in the order chunks finish) once its reads are done and then
        let go: at 1M users the groups' members are tens of millions of ids, which the backup held all at
        once when the whole type was returned together.

        An object that vanished while its links were read carries `GONE` among its values: the caller must
        neither write nor delete its file on that evidence alone.
        """
        first, rest = self._expansions(t)
        started = self._early_ids.pop(t.name, None) or self._id_listings(t, rest)
        self._hold_ahead(t)
        raw = self._list(t, self.list_params(t), first)
        more = [f.result() for f in started]
        items = [o for o in raw if catalog.is_backed_up(t, o)]
        del raw
        ids = [str(o["id"]) for o in items]
        inline: dict[str, dict[str, Any]] = {}
        if first is not None:
            inline[first.name] = {str(o["id"]): o.pop(first.name, None) for o in items}
        for rel, listed in zip(rest, more, strict=True):
            inline[rel.name] = {str(o["id"]): o.get(rel.name) for o in listed}
        del more
        values: dict[str, dict[str, Any]] = {i: {} for i in ids}
        to_read: dict[str, list[Relationship]] = {}
        for rel in t.relationships:
            pending = (
                self._take_discovered(t, rel, items, values) if rel.kind == "extension-property" else None
            )
            if pending is None:
                pending = self._take_inline(rel, ids, inline.pop(rel.name, None), values)
            kept = {str(o["id"]) for o in items if rel.applies(o)} if rel.only_when else None
            for oid in pending:
                if kept is None or oid in kept:  # (`only_when`: other objects' files leave it out)
                    to_read.setdefault(oid, []).append(rel)
        waiting: dict[str, dict[str, Any]] = {}
        complete: list[Listed] = []
        for item, oid in zip(items, ids, strict=True):
            if oid in to_read:
                waiting[oid] = item  # (an id listed twice: its later copy)
            else:
                complete.append((item, values[oid]))
        del items, ids
        for oid in [oid for oid in values if oid not in to_read]:
            del values[oid]
        pending = list(to_read)
        chunks = [pending[i : i + READ_CHUNK] for i in range(0, len(pending), READ_CHUNK)]

        def read(chunk: list[str]) -> list[str]:
            for rel in t.relationships:
                need = [oid for oid in chunk if rel in to_read[oid]]
                if need:
                    for oid, got in self.relationships(t, need, (rel,)).items():
                        values[oid].update(got)
                    if rel.kind == "extension-property":
                        self._learn_usable(rel, [(waiting[oid], values[oid]) for oid in need])
            return chunk

        # The reads start before the complete objects go to the caller: rendering or comparing 2,000
        # applications took longer than reading a tenth of their extension definitions.
        reads = in_flight(read, chunks, CHUNKS_IN_FLIGHT)
        try:
            yield from complete
            del complete
            for chunk in reads:
                for oid in chunk:
                    yield waiting.pop(oid), values.pop(oid)
        finally:
            cast(Generator[Any, None, None], reads).close()

    def _expansions(self, t: ObjectType) -> tuple[Relationship | None, list[Relationship]]:
        """The relationship a type's listing expands, and those each listed by id beside it.

        A small type's first expansion comes in the listing itself (one request). A big one's listing is
        read in pages of 999 without any, and each expansion in a listing of ids (pages of 100 when
        expanding): the chains of light pages run side by side, where the objects' whole properties in
        pages of 100 were the run's longest chain (2,000 applications: 21 pages)."""
        expanded = [r for r in t.relationships if r.expand] if self.expand_in_listing else []
        first = expanded[0] if expanded and not t.shard else None
        return first, [r for r in expanded if r is not first]

    def _id_listings(self, t: ObjectType, rels: Sequence[Relationship]) -> list[Future[list[dict[str, Any]]]]:
        params = self.list_params(t, ids_only=True)
        return [_started("entragit-ids", self._list, t, params, rel) for rel in rels]

    def start_id_listings(self, t: ObjectType) -> None:
        """Start now the listings of ids that bring a listed type's further expansions (`_expansions`), for
        `listed` to take. They are the longest chains of an incremental run at 100k users (applications' and
        service principals', 21 pages of 100 each), and they select no extension: so they need not wait, as
        the type's own listing does, for the discovery of the tenant's extensions."""
        rest = self._expansions(t)[1]
        if rest and t.name not in self._early_ids:
            self._early_ids[t.name] = self._id_listings(t, rest)

    def _list(self, t: ObjectType, params: dict[str, str], rel: Relationship | None) -> list[dict[str, Any]]:
        if rel is not None:
            params = {**params, "$expand": rel.expand, "$top": EXPAND_TOP}
        listed: Iterable[Any]
        if t.scopes is None:
            listed = self.client.list(t.path, params, required_permission=self.permission(t))
        else:
            listed = self._scoped(t, params)
        items = [keyed(t, o) for o in listed if isinstance(o, dict)]
        if t.contained:
            self.client.map_concurrent(lambda o: self._contain(t, o), items)
        return items

    def _scoped(self, t: ObjectType, params: dict[str, str]) -> list[Any]:
        """A type Graph lists one scope at a time (catalog `scopes`): the scopes' ids (listed once per run for
        every type that shares them), then one listing per scope, 20 to a $batch: at 40 role-assignable groups
        the four PIM for Groups types cost a listing of the groups and 8 $batch requests a run."""
        scopes = t.scopes
        assert scopes is not None
        ids = sorted({*self._scope_ids(scopes.source, scopes.source_filter), *self.named_scopes(scopes)})
        paths = [f"{t.path}?{_odata_query({'$filter': scopes.filter.format(id=i)})}" for i in ids]
        rest = {k: v for k, v in params.items() if k != "$filter"}
        got = self.client.list_many(paths, rest, required_permission=self.permission(t))
        return [o for path in paths for o in got[path]]

    def named_scopes(self, scopes: catalog.Scopes) -> list[str]:
        """The scopes entragit.yaml names for this kind of scope (`Scopes.named_by`: PIM for Groups' groups
        that are not role-assignable)."""
        return list(self._named_scopes.get(scopes.named_by, ())) if scopes.named_by else []

    def _scope_ids(self, source: str, source_filter: str) -> list[str]:
        with self._scopes_lock:
            key = (source, source_filter)
            if key not in self._scope_cache:
                params = {"$filter": source_filter, "$select": "id", "$top": PAGE_TOP}
                permission = " and ".join(catalog.by_name(source).permissions_backup) or None
                listed = self.client.list(source, params, required_permission=permission)
                self._scope_cache[key] = sorted(str(o["id"]) for o in listed if isinstance(o, dict))
            return self._scope_cache[key]

    def _contain(self, t: ObjectType, obj: dict[str, Any]) -> None:
        """Add the object's contained entities (catalog `contained`), each read on its own path; a 404
        means the object has none (a partner without a cross-tenant sync policy)."""
        for name in t.contained:
            try:
                got = self.client.get(
                    f"{t.item_path(str(obj['id']))}/{name}", required_permission=self.permission(t)
                )
            except GraphError as exc:
                if exc.status != 404:
                    raise
                got = None
            obj[name] = got

    @staticmethod
    def _take_inline(
        rel: Relationship,
        ids: Sequence[str],
        inline: Mapping[str, Any] | None,
        values: dict[str, dict[str, Any]],
    ) -> list[str]:
        """Store the complete expanded values; the ids still to read per object: all of them when the
        relationship was not expanded, else those whose list came back full or missing."""
        if inline is None:
            return list(ids)
        again = []
        for oid in ids:
            if oid not in inline:  # listed first, gone by the second listing
                values[oid][GONE] = True
                continue
            got = inline[oid]
            if not isinstance(got, list) or len(got) >= EXPANDED_MAX:
                again.append(oid)
            else:
                values[oid][rel.name] = rel_value_from_list(rel, got)
        return again

    def side_links(self, t: ObjectType) -> dict[str, dict[str, Any]]:
        """Per object, the values of the relationships kept only for some objects (`only_when`), which the
        type's delta query does not track: one listing per relationship, filtered to those objects and
        expanding it (`users?$filter=userType eq 'Guest'&$expand=sponsors($select=id)`), the lists that
        came back full (20, perhaps cut) read again through $batch. Guests are a small part of a tenant, so
        this costs a few pages a run where re-reading every user would cost the incremental backup.

        A failed read raises, and the caller's type fails as a whole: no file changes on a read that did
        not happen (a missing list is never taken for "none")."""
        out: dict[str, dict[str, Any]] = {}
        for rel in t.relationships:
            if rel.only_when is None:
                continue
            expand = rel.expand if self.expand_in_listing else ""
            params = {"$select": ",".join(["id", *([rel.split_by] if rel.split_by else [])])}
            if expand:
                params.update({"$expand": expand, "$top": EXPAND_TOP})
            inline = {str(o["id"]): o.get(rel.name) for o in self._side_listing(t, rel, params)}
            values: dict[str, dict[str, Any]] = {oid: {} for oid in inline}
            again = self._take_inline(rel, list(inline), inline if expand else None, values)
            for oid, got in self.relationships(t, again, (rel,)).items():
                values[oid].update(got)
            for oid, got in values.items():
                if rel.name in got:  # (not: gone while its list was read again)
                    out.setdefault(oid, {})[rel.name] = got[rel.name]
        return out

    def _side_listing(
        self, t: ObjectType, rel: Relationship, params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """The objects `side_filter` selects, in the ranges of `split_by` the last run found (`side_split`;
        a first run: `FIRST_SPLIT`) read side by side, each object once; and the ranges for the next run
        (`split_found`: none for a few objects, where one listing is cheaper).

        The ranges are `le b1`, `ge b1 and le b2`, ..., `ge bN`: whatever the bounds and however Graph
        orders the values, every value falls in one of them (one that equals a bound in two), so no bound
        can leave an object out. An object whose value changes between two ranges' reads may be missed or
        read twice: missed, its file keeps the values it has (`with_side`) until the next run reads it."""
        base, prop = str(rel.side_filter), rel.split_by
        last = self.side_split.get(t.name)
        bounds = list(FIRST_SPLIT if last is None else last) if prop else []

        ranges = [""]
        if bounds:
            ranges = [f" and {prop} le {odata_string(bounds[0])}"]
            ranges += [
                f" and {prop} ge {odata_string(a)} and {prop} le {odata_string(b)}"
                for a, b in itertools.pairwise(bounds)
            ]
            ranges.append(f" and {prop} ge {odata_string(bounds[-1])}")

        def one(part: str) -> list[dict[str, Any]]:
            query = {**params, "$filter": base + part}
            return list(self.client.list(t.path, query, required_permission=self.permission(t)))

        try:
            listings = self.client.map_concurrent(one, ranges)
        except GraphError as exc:
            if len(ranges) == 1 or exc.status != 400:
                raise
            # Refused: user.md lists ge and le for mailNickname, but the filter table of
            # includes/filter-directory-objects.md leaves its ge/le cell blank. One listing, now and on the
            # next runs (no bounds kept), rather than a users type that fails on every run.
            listings, prop = [one("")], ""
            self.split_found[t.name] = []
        found: dict[str, dict[str, Any]] = {}
        for part in listings:
            for obj in part:
                if obj.get("id"):
                    found.setdefault(str(obj["id"]), obj)
        if prop:
            values = sorted(str(o[prop]).lower() for o in found.values() if isinstance(o.get(prop), str))
            parts = min(SIDE_RANGES, len(values) // SIDE_RANGE_OBJECTS)
            split = {values[i * len(values) // parts] for i in range(1, parts)} if parts > 1 else set()
            self.split_found[t.name] = sorted(split)
        return list(found.values())

    def raw_delta_pages(self, t: ObjectType) -> Iterator[RawPage]:
        """An initial delta round as undecoded pages (`render_round_page`), fetched ahead."""
        sel = self.select(t, catalog.delta_select_param(t))
        path = f"{t.path}/delta"
        return prefetched(
            self.client.raw_pages(path, {"$select": sel}, required_permission=self.permission(t))
        )

    def rendered_round(
        self,
        t: ObjectType,
        pool: render.RenderPool,
        seat: Callable[[Mapping[str, Any]], str] | None = None,
        beside: Callable[[Mapping[str, Mapping[str, Any]]], None] | None = None,
    ) -> Iterator[RenderedPage]:
        """An initial delta round (`by_delta_round`), each page rendered and handed on in page order, so
        that an object listed twice ends as its later copy.

        The pages of a multi-page round go undecoded to the pool's workers, several at a time (a page needs
        nothing from the others: an object's links never span pages in such a round); at 100k users,
        holding the round until it ends would cost gigabytes, and decoding and rendering it on the thread
        that follows its links would make that thread the run's bottleneck. Each page's links were found in
        its bytes and followed before it was decoded, so a page whose decoded links differ (or that is not
        JSON) ends the round with a GraphError. Backup and the whole-tenant plan both read a round here.

        The relationships read beside the round (`side_links`: guests' sponsors) are read meanwhile, a chain
        of pages of its own; the round's pages wait for them, undecoded, while the round goes on. `beside`
        hears their values once the round is read."""
        drop = self.drop(t)
        in_flight: deque[tuple[RawPage, Future[RenderedPage]]] = deque()

        def checked(raw: RawPage, page: RenderedPage) -> RenderedPage:
            _rendered, _seats, next_link, delta_link, count = page
            if count is None or (next_link, delta_link) != (raw.next_link, raw.delta_link):
                what = "is not JSON" if count is None else "has links other than those found in its body"
                raise GraphError(
                    None, "InvalidResponse", f"a page of the delta round {what}", method="GET", url=t.path
                )
            return page

        def settled(limit: int) -> Iterator[RenderedPage]:
            while len(in_flight) > limit:
                raw, job = in_flight.popleft()
                yield checked(raw, job.result())

        def hand_on(raw: RawPage, side: render.Packed) -> Iterator[RenderedPage]:
            # A one-page round is not worth the workers' start.
            if (raw.next_link or in_flight) and pool.available():
                job = pool.submit(render_round_page, t.name, drop, raw.content, seat, side)
                in_flight.append((raw, job))
                yield from settled(RENDER_AHEAD)
            else:
                yield checked(raw, render_round_page(t.name, drop, raw.content, seat, side))

        with self.beside(t) as side_job:
            held: list[RawPage] = []
            packed: render.Packed | None = None
            for raw in self.raw_delta_pages(t):
                held.append(raw)
                if side_job.done():
                    packed = packed or render.pack(side_job.result())
                    for page in held:
                        yield from hand_on(page, packed)
                    held.clear()
            for page in held:
                packed = packed or render.pack(side_job.result())
                yield from hand_on(page, packed)
            if beside is not None:
                beside(side_job.result())
        yield from settled(0)

    def rendered_round_with_values(
        self,
        t: ObjectType,
        pool: render.RenderPool,
        seat: Callable[[Mapping[str, Any]], str] | None = None,
        found: Callable[[Mapping[str, Mapping[str, Any]]], None] | None = None,
        beside: Callable[[Mapping[str, Mapping[str, Any]]], None] | None = None,
    ) -> Iterator[RenderedPage]:
        """`rendered_round`, with the opted-in properties a delta round never carries (`opted_values`, listed
        on a thread while the round runs) put into the objects that have any; `found` hears of them."""
        if not [p for p in catalog.not_in_delta(t) if p not in self.drop(t)]:
            yield from self.rendered_round(t, pool, seat, beside)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="entragit-optin") as ex:
            listing = ex.submit(self.opted_values, t)
            values: dict[str, dict[str, Any]] | None = None
            for rendered, seats, next_link, delta_link, count in self.rendered_round(t, pool, seat, beside):
                if values is None:
                    values = listing.result() or {}
                    if found is not None:
                        found(values)
                page = [
                    self.with_values(t, r, values[oid], None) if (oid := _oid(r)) in values else r
                    for r in rendered
                ]
                yield page, seats, next_link, delta_link, count
            if values is None and found is not None:
                found(listing.result() or {})

    def with_values(
        self, t: ObjectType, rendered: render.Rendered, values: Mapping[str, Any], old_digest: str | None
    ) -> render.Rendered:
        """A rendered object again, with `values` (opted-in properties) put in."""
        path, _digest, text, _name, _deleted = rendered
        assert text is not None  # (a round's pages always come with their text)
        return self.put_values(t, path, canonical.load(text.decode("utf-8")), values, old_digest)

    def put_values(
        self, t: ObjectType, path: str, obj: Mapping[str, Any], values: Mapping[str, Any], old: str | None
    ) -> render.Rendered:
        """A canonical object (a file's) with its opted-in properties set to `values`, rendered."""
        return render.render(t, path, self.file_values(t, obj, values), old)

    def file_values(self, t: ObjectType, obj: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        """A canonical object (a file's) with its opted-in properties set to `values` (missing: null); its
        relationship values stay (they go in as links: `render.canonical_of` takes none from the object)."""
        props = [p for p in catalog.not_in_delta(t) if p not in self.drop(t)]
        merged = {**obj, **{p: values.get(p) for p in props}}
        links = {r.name: obj[r.name] for r in t.relationships if r.name in obj}
        return render.canonical_of(t, merged, links, self.drop(t))

    def start_side_links(self, types: Sequence[ObjectType]) -> None:
        """Start `side_links` of these types now, each on a thread of its own, for `beside` to hand over: the
        guests' sponsors are a chain of dependent pages (60 at 100k users, Graph pages an expanded listing by
        100) that needs neither the extension discovery nor anything else a run does before its listings."""
        for t in types:
            if t.reads_beside and t.name not in self._early:
                self._early[t.name] = _started("entragit-side", self.side_links, t)

    @contextlib.contextmanager
    def beside(self, t: ObjectType) -> Iterator[Future[dict[str, dict[str, Any]]]]:
        """`side_links(t)` read on a thread of its own while the caller follows the type's delta round (the
        one `start_side_links` began, if any)."""
        early = self._early.pop(t.name, None)
        if early is not None:
            yield early
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="entragit-side") as reader:
            yield reader.submit(self.side_links, t)

    def latest_delta_link(self, t: ObjectType) -> str | None:
        """A deltaLink for "from now on" ($deltatoken=latest), taken before a plain listing."""
        sel = self.select(t, catalog.delta_select_param(t))
        params = {"$select": sel, "$deltatoken": "latest"}
        return self.client.delta(f"{t.path}/delta", params, required_permission=self.permission(t)).delta_link

    def portable(self, link: str) -> str:
        """A deltaLink as the incremental state keeps it: relative to the Graph root, so that the state
        follows ENTRAGIT_GRAPH_URL or --cloud instead of pinning the host it was made on."""
        base = self.client.base_url + "/"
        return link[len(base) :] if link.startswith(base) else link

    def resumable(self, link: str) -> str | None:
        """The saved link to resume from, or None when it was made on another Graph host (older state kept
        absolute links): a token of one host means nothing to another, so the type is listed in full."""
        if "://" not in link or link.startswith(self.client.base_url + "/"):
            return link
        return None

    def delta_round(self, t: ObjectType, link: str) -> DeltaRound:
        """The changes since a saved deltaLink (DeltaExpired when Graph no longer accepts it)."""
        return self.client.delta(link, required_permission=self.permission(t))

    def start_delta_round(self, t: ObjectType, link: str) -> Future[DeltaRound]:
        """`delta_round` begun now on a thread of its own; `result()` raises what it raised."""
        return _started("entragit-delta", self.delta_round, t, link)

    def deleted(self, t: ObjectType) -> list[dict[str, Any]]:
        """The type's soft-deleted objects (its catalog `recycle_bin`), for types that have one."""
        if t.recycle_bin is None:
            return []
        items = self.client.list(
            t.recycle_bin.listing, self.list_params(t, deleted=True), required_permission=self.permission(t)
        )
        return [o for o in items if isinstance(o, dict) and o.get("id") and catalog.is_backed_up(t, o)]

    def exists(self, t: ObjectType, object_id: str) -> bool:
        """Whether the live (not deleted) object is there: 404 is the only 'no'."""
        try:
            self.client.get(
                f"{t.path}/{object_id}", {"$select": t.key}, required_permission=self.permission(t)
            )
        except GraphError as exc:
            if exc.status != 404:
                raise
            return False
        return True

    # -- relationships -------------------------------------------------------------------------------------

    def relationships(
        self, t: ObjectType, ids: Sequence[str], rels: Sequence[Relationship]
    ) -> dict[str, dict[str, Any]]:
        """Per object id, the value of each relationship, read through $batch."""
        out: dict[str, dict[str, Any]] = {i: {} for i in ids}
        for rel in rels:
            if rel.inverse:
                linked = self._inverse(t, rel)
                for oid in ids:
                    out[oid][rel.name] = sorted(linked.get(oid, ()))
                continue
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
            # Pages of 999 (Graph's largest; the default is 100): an enterprise app assigned to a whole
            # department is thousands of assignments, one dependent page after another. Contained entities
            # are read whole: a polymorphic one's properties cannot all be selected on the base type, and
            # their pages document no $top (an application has at most 20 federated credentials).
            params: dict[str, str] | None = {"$select": "id", "$top": PAGE_TOP}
            if rel.kind == "contained":
                params = None
            elif rel.holds_items:
                params = {"$select": ",".join(rel.item_fields), "$top": PAGE_TOP}
            paths = [rel.read.format(id=oid) for oid in ids]
            value = partial(rel_value_from_list, rel)
            if rel.missing_is_404:  # one by one: a 404 says "none" here, not "the object is gone"
                read = self._read_each(t, paths, params, empty_404=True)
                for oid, p in zip(ids, paths, strict=True):
                    out[oid][rel.name] = value(read[p] or [])
                continue
            try:
                got: dict[str, Any] = self.client.list_many(
                    paths,
                    params,
                    required_permission=self.permission(t),
                    keep=partial(rel_kept, rel),
                    convert=partial(rel_value, rel),
                )
            except GraphError as exc:
                if exc.status != 404:
                    raise
                got = {
                    p: None if items is None else value(items)
                    for p, items in self._read_each(t, paths, params).items()
                }
            for oid, p in zip(ids, paths, strict=True):
                if got[p] is None:
                    out[oid][GONE] = True
                else:
                    out[oid][rel.name] = got[p]
        return out

    def _inverse(self, t: ObjectType, rel: Relationship) -> dict[str, set[str]]:
        """Per owner id, the objects linking to it, read from the linked side (`Relationship.inverse`): the
        candidates listed (ids only), then each one's `read` through $batch; a candidate gone meanwhile (a 404
        inside the batch: read one by one) links to nothing."""
        path, _, query = rel.inverse.partition("?")
        params = {k: v for k, _, v in (p.partition("=") for p in query.split("&") if p)}
        params = {**params, "$select": "id", "$top": PAGE_TOP}  # (pages of 100 by default: 36 at 100k users)
        listed = self.client.list(path, params, required_permission=self.permission(t))
        candidates = [str(o["id"]) for o in listed if o.get("id")]
        linked, candidates = self._carried_links(t, rel, candidates)
        paths = [rel.read.format(id=c) for c in candidates]
        sel = {"$select": "id"}
        try:
            got: dict[str, Any] = self.client.list_many(paths, sel, required_permission=self.permission(t))
        except GraphError as exc:
            if exc.status != 404:
                raise
            got = self._read_each(t, paths, sel)
        for candidate, p in zip(candidates, paths, strict=True):
            for owner in got[p] or ():
                linked.setdefault(str(owner.get("id")), set()).add(candidate)
        return linked

    def _carried_links(
        self, t: ObjectType, rel: Relationship, candidates: list[str]
    ) -> tuple[dict[str, set[str]], list[str]]:
        """On a sweeping backup's run, the links the files hold for the candidates whose turn it is not (those
        still listed: a group deleted since links to nothing), and the candidates to read; else nothing
        carried and every candidate read. One read per candidate is all Graph documents for a Selected
        expiration policy's groups (3,500 reads a run in a tenant of 100k users)."""
        if self._sweep is None or self.held is None:
            return {}, candidates
        turn, listed = self._sweep, set(candidates)
        carried = {
            owner: {str(c) for c in values.get(rel.name) or () if c in listed and not in_sweep(str(c), turn)}
            for owner, values in self.held(t, [rel.name]).items()
        }
        return carried, [c for c in candidates if in_sweep(c, turn)]

    def _read_each(
        self,
        t: ObjectType,
        paths: Sequence[str],
        params: Mapping[str, str] | None,
        empty_404: bool = False,
    ) -> dict[str, list[dict[str, Any]] | None]:
        """Slow path after a 404 inside a $batch: an object deleted while the type was being listed. Read one
        by one; None marks the objects that are gone (the next run's listing or delta round accounts for
        them), every other failure still fails the type. With `empty_404` a 404 is an empty list
        (`Relationship.missing_is_404`: the page says so for an owner that has none)."""

        def one(path: str) -> list[dict[str, Any]] | None:
            try:
                return list(self.client.list(path, params, required_permission=self.permission(t)))
            except GraphError as exc:
                if exc.status == 404:
                    return [] if empty_404 else None
                raise

        return dict(zip(paths, self.client.map_concurrent(one, paths), strict=True))

    # -- a whole type ---------------------------------------------------------------------------------------

    def read_all(
        self,
        t: ObjectType,
        file_links: FileLinks,
        take: Callable[[str, render.Rendered], None],
        pool: render.RenderPool,
    ) -> set[str]:
        """Every object of a (non-singleton) type, read and rendered as a full backup reads and renders it,
        handed to `take` (id, rendered file) as it comes, soft-deleted ones with the links of their file;
        returns the ids the read could not settle (gone while their links were read), for the caller to read
        one by one. A whole-tenant restore plan reads this way: the requests of one backup rather than one
        read per object, the rendering in the pool's workers where the backup renders there, and (taken as
        they come) not a 100k-object tenant held in memory."""
        seen: set[str] = set()
        unsettled: set[str] = set()

        if self.by_delta_round(t):
            for page in self.rendered_round_with_values(t, pool):
                for done in page[0]:
                    parsed = catalog.parse_path(done[0])
                    assert parsed is not None  # (the path catalog.object_path gave the worker)
                    oid = parsed[1]
                    seen.add(oid)
                    take(oid, done)
        else:
            for item, values in self.listing(t):
                oid = str(item["id"])
                seen.add(oid)
                if values.get(GONE):
                    unsettled.add(oid)
                else:
                    take(oid, render.render_new(t, oid, self.canonical(t, item, values)))
        for item in self.deleted(t):
            oid = str(item["id"])
            if oid not in seen or oid in unsettled:  # restored between the two reads: the listing wins
                take(
                    oid,
                    render.render_new(
                        t, oid, self.canonical(t, item, file_links(t, catalog.object_path(t, oid)))
                    ),
                )
                unsettled.discard(oid)
        return unsettled

    # -- one object ----------------------------------------------------------------------------------------

    def read_object(self, t: ObjectType, object_id: str, file_links: FileLinks) -> dict[str, Any] | None:
        """One object as a backup would write it now, in canonical form; None when Graph has neither the
        object nor a soft-deleted copy. A soft-deleted object keeps the links of its file (`file_links`), as
        a backup run keeps them: deletedItems does not return relationships."""
        sel = catalog.select_param(t)
        params = {"$select": self.select(t, sel)} if sel else {}
        if t.expand:
            params["$expand"] = ",".join(t.expand)

        def get(path: str) -> dict[str, Any] | None:
            try:
                return self.client.get(path, params or None, required_permission=self.permission(t))
            except GraphError as exc:
                if exc.status == 404:
                    return None
                raise

        raw = get(t.item_path(object_id))
        if raw is not None:
            raw = keyed(t, raw)
            if t.contained:
                self._contain(t, raw)
            rels = [r for r in t.relationships if r.applies(raw)] if not t.singleton else []
            links = self.relationships(t, [object_id], rels)[object_id] if rels else {}
            return self.canonical(t, raw, links)
        deleted = get(t.recycle_bin.item_path(object_id)) if t.recycle_bin else None
        if deleted is None:
            return None
        return self.canonical(t, deleted, file_links(t, catalog.object_path(t, object_id)))
