"""Objects of a backup repository as the live tenant has them now, for `compare OBJECT live` and restore.

They are read through the one live reader with the repository's own settings (its excluded attributes trim
the `$select` as they trim a backup's), so an object nobody changed since the last backup equals its file.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from entragit import canonical, config, extension_discovery, live, render
from entragit.catalog import ObjectType
from entragit.graph.client import GraphClient, RetryNotice
from entragit.repo.reader import BackupRepo

Live = dict[str, Any] | None  # an object in canonical form, None when Graph has it neither live nor deleted
Key = tuple[ObjectType, str]  # type and object id


def live_object(
    repo_root: str,
    t: ObjectType,
    object_id: str,
    *,
    client: GraphClient | None = None,
    prompt: Callable[[str], None] | None = None,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> Live:
    """The object in canonical form as a backup into repo_root would write it now; None when Graph has it
    neither live nor soft-deleted. Without `client`, one is built from entragit.yaml and the environment."""
    if client is not None:
        return live_objects(repo_root, [(t, object_id)], client)[0]
    graph = live.connect(config.load(BackupRepo(repo_root).root), prompt=prompt, on_retry=on_retry)
    try:
        return live_objects(repo_root, [(t, object_id)], graph)[0]
    finally:
        if client is None:
            graph.close()


def live_objects(repo_root: str | BackupRepo, keys: Sequence[Key], client: GraphClient) -> list[Live]:
    """Many objects at once, in the order of keys (see `_read`)."""
    found = _read(repo_root, keys, client)
    return [found[k] for k in keys]


def live_unlike(
    repo_root: str | BackupRepo, digests: Mapping[Key, str], client: GraphClient
) -> dict[Key, Live]:
    """The live objects whose files would differ from the texts whose digests are given (`render.text_digest`;
    None for those Graph has no more); objects whose backup would write exactly that text are left out, so a
    whole-tenant comparison holds only what differs, neither the tenant nor the revision's texts."""
    return _read(repo_root, list(digests), client, lambda key, digest: digest != digests[key])


def _read(
    repo_root: str | BackupRepo,
    keys: Sequence[Key],
    client: GraphClient,
    keep: Callable[[Key, str], bool] | None = None,
) -> dict[Key, Live]:
    """Where a type's objects would cost more to read one by one than the type costs to read whole
    (`reads_whole`), the type is read as a full backup reads it and only what that read leaves open
    (absent objects, objects gone mid-read) is read one by one: an object missing from a listing is
    confirmed absent before a plan recreates it. Objects whose file digest (`render.text_digest` of what a
    backup would write now) `keep` declines are left out of the result; without `keep`, none is."""
    repo = repo_root if isinstance(repo_root, BackupRepo) else BackupRepo(repo_root)
    reader = live.Reader(
        client,
        config.load(repo.root),
        known_extensions=lambda: extension_discovery.names_by_target(repo.extension_definitions("HEAD")),
    )
    file_links = _file_links(repo)
    wanted: dict[ObjectType, set[str]] = defaultdict(set)
    for t, oid in keys:
        wanted[t].add(oid)
    # Only a type with more than one object asked for can be cheaper whole: a plan of one object does not
    # load the repository's index (a second at 100k files) to find that out.
    sizes = (
        Counter(e.type for e in repo.index("HEAD").values())
        if any(len(i) > 1 for i in wanted.values())
        else {}
    )
    whole = {
        t for t, ids in wanted.items() if len(ids) > 1 and reads_whole(t, len(ids), sizes.get(t.name, 0))
    }
    found: dict[Key, Live] = {}
    settled: set[Key] = set()
    lock = threading.Lock()

    def settle(key: Key, obj: Live, kept: bool = True) -> None:
        """One object as a backup would write it now (None: Graph has it neither live nor deleted), or
        left out (a later copy in a delta round may settle what an earlier one kept)."""
        with lock:
            settled.add(key)
            if kept:
                found[key] = obj
            else:
                found.pop(key, None)

    def take_rendered(key: Key, done: render.Rendered) -> None:
        if key[1] not in wanted[key[0]]:
            return
        path, digest, text, _name, _deleted = done
        if keep is not None and not keep(key, digest):
            settle(key, None, kept=False)  # (its text is parsed back only when kept)
            return
        assert text is not None  # rendered without previous digests: every text comes back
        settle(key, canonical.load(text.decode("utf-8"), source=path))

    def read(job: tuple[ObjectType, str | None]) -> set[str]:
        t, oid = job
        if oid is None:
            return reader.read_all(t, file_links, lambda i, done: take_rendered((t, i), done), pool)
        obj = reader.read_object(t, oid, file_links)
        # (its file rendered for the digest only where a `keep` asks for it)
        kept = obj is None or keep is None or keep((t, oid), render.render_new(t, oid, obj)[1])
        settle((t, oid), obj, kept)
        return set()

    # Whole types and single objects all at once, as a backup lists its types: each endpoint has its own
    # throttle, so one type's listing does not wait for another's.
    jobs: list[tuple[ObjectType, str | None]] = [(t, None) for t in sorted(whole, key=lambda t: t.name)]
    jobs += sorted({k for k in keys if k[0] not in whole}, key=lambda k: (k[0].name, k[1]))
    pool = render.RenderPool()
    try:
        for (t, _), unsettled in zip(jobs, client.map_concurrent(read, jobs), strict=True):
            settled.difference_update((t, i) for i in unsettled)
    finally:
        pool.close()
    # What a whole read left open, read one by one: confirmed absent before a plan recreates it.
    left = sorted({k for k in keys if k not in settled}, key=lambda k: (k[0].name, k[1]))
    client.map_concurrent(read, left)
    return found


def reads_whole(t: ObjectType, wanted: int, backed_up: int) -> bool:
    """Whether reading `wanted` objects of a type of about `backed_up` objects costs more requests one by
    one (one per object and per relationship) than as a full read (listing pages of at least 100 objects,
    relationships mostly inline, plus the deleted items). Counting requests, not resource units, is the
    right measure where it matters most: the conditional access endpoints allow about one request per
    second, so ten policies read one by one take ten seconds and their listing one."""
    if t.singleton:
        return False
    return wanted * (1 + len(t.relationships)) > -(-backed_up // int(live.EXPAND_TOP)) + 1


def _file_links(repo: BackupRepo) -> Callable[[ObjectType, str], Mapping[str, Any]]:
    """The links a soft-deleted object keeps: those of its file at HEAD (deletedItems returns none)."""

    def file_links(t: ObjectType, path: str) -> Mapping[str, Any]:
        committed = repo.load("HEAD", path) or {}
        return {r.name: committed[r.name] for r in t.relationships if r.name in committed}

    return file_links
