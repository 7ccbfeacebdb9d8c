"""Graph objects → file contents: canonical form, YAML text, and the digest that tells an unchanged file.

A backup renders every listed object; for big listings that CPU work goes to worker processes
(`RenderPool`), because with the GIL one Python process cannot turn pages into files as fast as Graph serves
them. What runs there is a module-level function, pickled by reference (`live.render_round_page`: a page of
a delta round, sent undecoded; `live.render_listed`: a chunk of a big listing with its links); a spawned
worker re-imports the caller's main module too (for `python -m entragit`, the CLI group).

The same functions render in-process for small listings, so both paths give byte-identical files.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any, TypeVar

from entragit import canonical, catalog
from entragit.catalog import ObjectType

WORKERS = 2  # worker processes turning big listings into YAML (0: all in the calling process)

# (path, digest, YAML bytes or None when the digest is unchanged, display name, soft-deleted)
Rendered = tuple[str, str, "bytes | None", str, bool]
T = TypeVar("T")


def strip_annotations(obj: Mapping[str, Any], t: ObjectType) -> dict[str, Any]:
    """Graph object without delta/OData annotations and relationship keys (those go in as links)."""
    rel_names = {r.name for r in t.relationships}
    kind = t.keep_odata_type or t.derived_type(obj) is not None
    return {
        k: v for k, v in obj.items() if k not in rel_names and ("@" not in k or (k == "@odata.type" and kind))
    }


def display_name(t: ObjectType, obj: Mapping[str, Any], path: str) -> str:
    """The name a commit message gives the object: its catalog display property, else the file's id; for a
    type named by what it links, those ids joined by ` → ` (the backup names them: `backup.named_links`)."""
    refs = [str(obj[k]) for k in t.named_by if isinstance(obj.get(k), str) and obj[k]]
    if refs:
        return " → ".join(refs)
    for key in (t.display, "displayName", "userPrincipalName"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def canonical_of(
    t: ObjectType, raw: Mapping[str, Any], links: Mapping[str, Any], drop: list[str]
) -> dict[str, Any]:
    """The canonical form of a Graph object with its relationship values, minus excluded attributes."""
    return canonical.canonicalize(t, strip_annotations(raw, t), links, drop=drop)


def text_digest(text: bytes) -> str:
    """The digest of a file's text, as the incremental state records it and a whole-tenant plan compares."""
    return hashlib.blake2b(text, digest_size=20).hexdigest()


@functools.cache
def _code() -> bytes:
    """A digest of the code that turns Graph objects into files (every module of the package but the
    emulated tenant's), so that an input digest made by another version of entragit never matches."""
    root = Path(__file__).parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith("sandbox/"):
            h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.digest()


def input_seed(t: ObjectType, drop: list[str]) -> bytes:
    """What besides an object and its links decides its file: the code (`_code`), the type and the
    attributes excluded from it."""
    return hashlib.blake2b(_code() + json.dumps([t.name, drop]).encode(), digest_size=16).digest()


def input_digest(seed: bytes, raw: Mapping[str, Any], links: Mapping[str, Any]) -> str | None:
    """A digest of what Graph returned for an object (its JSON as decoded, with its relationship values),
    which the incremental state keeps beside its file's digest (`inputs`): a listed object whose input
    digest is the last run's has the same file, so a run neither renders nor dumps it. Rendering is what
    a no-change run of a type listed whole spends its CPU on (the 4,000 applications and service
    principals of a 100k-user tenant: a third of that run's CPU). Any difference (another key order, say)
    costs only a render, whose text digest then decides; None when the values are not JSON."""
    try:
        data = json.dumps(raw, separators=(",", ":"), check_circular=False).encode()
        # (links with sorted keys: an application's extension definitions, read from Graph on its turn
        # and taken from its file on the others, come in another order; so do fields from a file)
        data += json.dumps(links, separators=(",", ":"), sort_keys=True).encode()
    except (TypeError, ValueError):
        return None
    return hashlib.blake2b(seed + data, digest_size=16).hexdigest()


def render(t: ObjectType, path: str, obj: Mapping[str, Any], old_digest: str | None) -> Rendered:
    """YAML of a canonical object and the digest of that text; the text only when the digest differs from
    the previous run's. Hashing the text itself (rather than, say, the object's JSON) makes the digest
    exactly "would the file change", and costs a hash on top of the dump that a changed or new object needs
    anyway (most rendered objects are: a full round's pages are rendered where no digests are known)."""
    text = canonical.dump(obj).encode("utf-8")
    d = text_digest(text)
    return (
        path,
        d,
        text if d != old_digest else None,
        display_name(t, obj, path),
        bool(obj.get("deletedDateTime")),
    )


def render_new(t: ObjectType, oid: str, obj: Mapping[str, Any]) -> Rendered:
    """An object's file as a backup would write it now, where no previous digest is known (so the text
    always comes back): what a whole-tenant plan compares with a revision's digests."""
    return render(t, catalog.object_path(t, oid), obj, None)


def block_sigint() -> None:
    """Ctrl-C belongs to the main thread (it cancels the run); the listing threads block it for good."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked while workers are spawned, then the caller's own mask back.

    A process inherits the mask of the thread that spawns it, so a terminal's Ctrl-C (sent to the whole
    process group) does not make each worker print its own KeyboardInterrupt traceback; the parent shuts
    them down. Restoring the mask matters as much: a main thread left blocking SIGINT ignores Ctrl-C, and so
    does every program it starts afterwards (a test process that once rendered in workers did exactly that
    to the backups it ran next)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker_init(parent: int) -> None:
    """A render worker exits by itself when the backup process is gone (killed: no shutdown message ever
    comes, and an orphan would keep the caller's stdout pipe open)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="entragit-parent-watch", daemon=True).start()


@dataclass(frozen=True)
class Packed:
    """A value every job of a run needs (the guests' sponsors, for each of 500 pages of users), pickled once.

    A job's arguments are pickled in the backup process and unpickled in a worker for each job: at 100k
    users the 6,000 guests' sponsors went to the workers with every page, and unpickling them there cost
    more CPU than decoding the pages. Bytes cross the pipe as one copy; `unpack` decodes them once per
    worker (`key`: which value the worker holds)."""

    key: str
    data: bytes


def pack(value: Any) -> Packed:
    """`value` ready to go with many jobs, for `unpack` to decode once in each process that gets it."""
    return Packed(uuid.uuid4().hex, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


_unpacked: tuple[str, Any] | None = None  # the last value a process unpacked: (key, value)


def unpack(packed: Packed) -> Any:
    """The value `pack` pickled, decoded on the first call for its key in this process (a run packs one
    value at a time, so only the last one is kept)."""
    global _unpacked
    last = _unpacked
    if last is not None and last[0] == packed.key:
        return last[1]
    value = pickle.loads(packed.data)  # (bytes this run pickled itself)
    _unpacked = (packed.key, value)
    return value


class RenderPool:
    """Worker processes for rendering big listings, started on first need and shared by the listing threads.

    `spawn` (no fork of a process that has threads); like any multiprocessing user, a script calling
    run_backup on a big tenant needs an `if __name__ == "__main__"` guard. When the workers cannot start
    (or `workers` is 0), `available` says so and the caller renders in its own process.
    """

    def __init__(self, workers: int = WORKERS) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._failed = False
        self._lock = threading.Lock()

    def available(self) -> bool:
        """Whether batches can be submitted; starts the workers on the first call."""
        with self._lock:
            if self._pool is None and not self._failed and self.workers > 0:
                try:
                    with _sigint_blocked():
                        self._pool = ProcessPoolExecutor(
                            max_workers=self.workers,
                            mp_context=multiprocessing.get_context("spawn"),
                            initializer=_worker_init,
                            initargs=(os.getpid(),),
                        )
                        # (started here, where SIGINT is blocked, rather than by the first submit)
                        resource_tracker.ensure_running()
                except (OSError, ValueError):
                    self._failed = True
            return self._pool is not None

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run a module-level function (pickled by reference) in a worker; only after `available()` said
        yes."""
        if self._pool is None:
            raise RuntimeError("RenderPool.submit before available()")
        with _sigint_blocked():  # a submit may spawn a worker (and the first one the pool's manager thread)
            return self._pool.submit(fn, *args)

    def close(self) -> None:
        """Stop the workers, waiting for the batch each one is on (queued batches are dropped)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
