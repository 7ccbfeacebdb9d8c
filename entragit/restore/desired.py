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
from entragit.restore.sources import Backup, Revision


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


def revision_digests(backup: Backup, at: str | None) -> tuple[Revision, dict[str, str]]:
    """Every object file at the revision (those of objects soft-deleted then left out), as the digest of its
    text: what a whole-tenant plan compares with the live tenant before it parses the few files that differ
    (at 100k objects, parsing every file would cost about as much as reading the tenant)."""
    rev = backup.revision(at)
    return rev, backup.file_digests(rev.sha, backup.object_paths(rev.sha))


def read(backup: Backup, specs: Sequence[str], at: str | None) -> tuple[Revision, list[Desired]]:
    """The revision restored to and the objects that specs name (a whole revision is planned by digests:
    `revision_digests`)."""
    rev = backup.revision(at)
    out: dict[str, Desired] = {}
    for spec in specs:
        path = backup.resolve(spec, rev.sha) if at is None else backup.resolve_then_and_now(spec, rev.sha)
        if path in out:
            continue
        out[path] = _at(backup, spec, path, rev) if at is not None else _latest_alive(backup, spec, path)
    return rev, list(out.values())


def _at(backup: Backup, spec: str, path: str, rev: Revision) -> Desired:
    text = backup.read_files(rev.sha, [path])[0]
    if text is None:
        raise UsageError(
            f"{spec}: {path} does not exist at {rev.short} ({rev.when}); see `entragit versions {spec}`"
        )
    return load(path, text, rev)


def _latest_alive(backup: Backup, spec: str, path: str) -> Desired:
    loaded = [load(v.path, v.text, v.revision) for v in backup.versions(path, None)]
    alive = next((d for d in loaded if not d.deleted), None)
    if alive is None:
        if loaded:
            return loaded[0]  # deleted in every backup: planned as a skip that says so
        raise UsageError(f"{spec}: {path} has no committed version")
    return alive


def alive_until(backup: Backup, path: str) -> Revision | None:
    """The last revision whose tree holds the object of path alive (see `Backup.alive_until`)."""
    return backup.alive_until(path, lambda text: not is_deleted(canonical.load(text, source=path)))


def read_worktree(backup: Backup, specs: Sequence[str]) -> tuple[Revision, list[Desired]]:
    """The work tree's object files under specs (all when empty) as desired objects; InvalidFiles listing
    every problem found when any file is malformed, so that nothing is written."""
    rev = backup.worktree_revision()
    paths = backup.worktree_paths(specs)
    texts = backup.worktree_texts(paths)
    before = backup.committed_text(paths)
    committed = backup.committed()
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
