"""The desired state of a restore: a revision's object files, read and checked before anything is written.

Without `--at`, each named object is taken at its latest version in which it was alive: after Alice was
deleted and a backup ran, her file at HEAD says "deleted", and `restore alice` means the Alice before that.
With `--at REV` it is exactly REV's file, and a file that did not exist then is an error, not a guess.

For `apply` it is the work tree's files, each checked first as `entragit validate` checks it
(validate.check_object): a hand edit that Graph would refuse, or worse accept wrongly, stops the run before
anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from entragit import canonical, catalog, validate
from entragit.catalog import ObjectType
from entragit.errors import EntragitError, UsageError
from entragit.restore import sources
from entragit.restore.sources import Revision


class InvalidFiles(UsageError):
    """Work-tree files apply refuses: one line per problem, naming the file and the property."""


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


def load(path: str, text: str, rev: Revision) -> Desired:
    parsed = catalog.parse_path(path)
    if parsed is None:
        raise UsageError(f"{path} is not an object file")
    t, oid = parsed
    obj = canonical.load(text, source=f"{path} at {rev.short}")
    if not t.singleton and str(obj.get("id")) != oid:
        raise EntragitError(f"{path} at {rev.short}: id {obj.get('id')!r} differs from the file name")
    return Desired(path, t, oid, canonical.normalize(t, obj), rev)


def revision_digests(repo_dir: str | None, at: str | None) -> tuple[Revision, dict[str, str]]:
    """Every object file at the revision (those of objects soft-deleted then left out), as the digest of its
    text: what a whole-tenant plan compares with the live tenant before it parses the few files that differ
    (at 100k objects, parsing every file would cost about as much as reading the tenant)."""
    rev = sources.revision(repo_dir, at)
    return rev, sources.file_digests(repo_dir, rev.sha, sources.object_paths(repo_dir, rev.sha))


def read(repo_dir: str | None, specs: Sequence[str], at: str | None) -> tuple[Revision, list[Desired]]:
    """The revision restored to and the objects that specs name (a whole revision is planned by digests:
    `revision_digests`)."""
    rev = sources.revision(repo_dir, at)
    out: dict[str, Desired] = {}
    for spec in specs:
        path = (
            sources.resolve(repo_dir, spec, rev.sha)
            if at is None
            else sources.resolve_then_and_now(repo_dir, spec, rev.sha)
        )
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
    return load(path, text, rev)


def _latest_alive(repo_dir: str | None, spec: str, path: str) -> Desired:
    loaded = [load(v.path, v.text, v.revision) for v in sources.versions(repo_dir, path, None)]
    alive = next((d for d in loaded if not d.deleted), None)
    if alive is None:
        if loaded:
            return loaded[0]  # deleted in every backup: planned as a skip that says so
        raise UsageError(f"{spec}: {path} has no committed version")
    return alive


def latest_alive(repo_dir: str | None, path: str) -> Revision | None:
    """The revision of path's latest committed version in which its object was alive (None: never)."""
    for v in sources.versions(repo_dir, path, None):
        if not load(v.path, v.text, v.revision).deleted:
            return v.revision
    return None


def read_worktree(repo_dir: str | None, specs: Sequence[str]) -> tuple[Revision, list[Desired]]:
    """The work tree's object files under specs (all when empty) as desired objects; InvalidFiles listing
    every problem found when any file is malformed, so that nothing is written."""
    rev = sources.worktree_revision(repo_dir)
    paths = sources.worktree_paths(repo_dir, specs)
    texts = sources.worktree_texts(repo_dir, paths)
    before = sources.committed_text(repo_dir, paths)
    committed = sources.committed(repo_dir)
    out: list[Desired] = []
    problems: list[str] = []
    for path, text, old in zip(paths, texts, before, strict=True):
        parsed = catalog.parse_path(path)
        assert parsed is not None  # worktree_paths lists object files only
        t, oid = parsed
        try:
            obj = canonical.normalize(t, canonical.load(text, source=path))
        except EntragitError as exc:
            problems.append(str(exc))
            continue
        head = validate.load_committed(old, path)  # None for a new file (or a broken committed one)
        head = canonical.normalize(t, head) if head is not None else None
        found = validate.check_object(path, obj, head, committed)
        problems += found
        if not found:
            out.append(Desired(path, t, oid, obj, rev))
    if problems:
        raise InvalidFiles("\n".join(problems))
    return rev, out
