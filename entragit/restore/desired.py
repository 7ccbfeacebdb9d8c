"""The desired state of a restore: a revision's object files, read and checked before anything is written.

Without `--at`, each named object is taken at its latest version in which it was alive: after Alice was
deleted and a backup ran, her file at HEAD says "deleted", and `restore alice` means the Alice before that.
With `--at REV` it is exactly REV's file, and a file that did not exist then is an error, not a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from entragit import canonical, catalog
from entragit.catalog import ObjectType
from entragit.errors import EntragitError, UsageError
from entragit.restore import sources
from entragit.restore.sources import Revision


@dataclass(frozen=True)
class Desired:
    path: str
    type: ObjectType
    id: str
    obj: dict[str, Any]
    revision: Revision

    @property
    def name(self) -> str:
        return str(self.obj.get(self.type.display) or self.id)

    @property
    def deleted(self) -> bool:
        return is_deleted(self.obj)


def is_deleted(obj: dict[str, Any] | None) -> bool:
    """A soft-deleted object, as backup files and live reads mark it."""
    return obj is not None and obj.get("deletedDateTime") not in (None, "")


def _load(path: str, text: str, rev: Revision) -> Desired:
    parsed = catalog.parse_path(path)
    if parsed is None:
        raise UsageError(f"{path} is not an object file")
    t, oid = parsed
    obj = canonical.load(text, source=f"{path} at {rev.short}")
    if not t.singleton and str(obj.get("id")) != oid:
        raise EntragitError(f"{path} at {rev.short}: id {obj.get('id')!r} differs from the file name")
    return Desired(path, t, oid, canonical.normalize(t, obj), rev)


def read(repo_dir: str | None, specs: Sequence[str], at: str | None) -> tuple[Revision, list[Desired]]:
    """The revision restored to and the desired objects: the named ones, or every object file at it."""
    rev = sources.revision(repo_dir, at)
    if not specs:
        paths = sources.object_paths(repo_dir, rev.sha)
        texts = sources.read_files(repo_dir, rev.sha, paths)
        return rev, [_load(p, text, rev) for p, text in zip(paths, texts, strict=True) if text is not None]
    out: dict[str, Desired] = {}
    for spec in specs:
        path = sources.resolve(repo_dir, spec, rev.sha)
        if path in out:
            continue
        out[path] = _at(repo_dir, spec, path, rev) if at is not None else _latest_alive(repo_dir, spec, path)
    return rev, list(out.values())


def _at(repo_dir: str | None, spec: str, path: str, rev: Revision) -> Desired:
    text = sources.read_files(repo_dir, rev.sha, [path])[0]
    if text is None:
        raise UsageError(
            f"{spec}: {path} does not exist at {rev.short} ({rev.when}); see `entragit versions {spec}`"
        )
    return _load(path, text, rev)


def _latest_alive(repo_dir: str | None, spec: str, path: str) -> Desired:
    found = sources.versions(repo_dir, path, None)
    loaded = [_load(v.path, v.text, v.revision) for v in found]
    alive = next((d for d in loaded if not d.deleted), None)
    if alive is None:
        if loaded:
            return loaded[0]  # deleted in every backup: planned as a skip that says so
        raise UsageError(f"{spec}: {path} has no committed version")
    return alive
