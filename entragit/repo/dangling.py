"""Dangling references: ids that object files hold of objects the backup had once and the tenant has no more.

Graph drops a deleted object's links (memberships, ownerships, a manager), but not every reference to it: a
conditional access policy keeps a deleted group's id in `conditions.users.includeGroups`, a method policy its
include targets, an application the appId of a deleted API it requires. Such a policy now covers fewer people
than it says, and nobody is told. The references are the catalog's (`catalog.Reference`, and the principals of
app role assignments), found by `canonical.find_references`; members, owners and managers are left out, since
Graph removes those with the object.

A reference counts only when its value was, at some revision, the id (or the appId or templateId that the
`Reference.key` names) of an object file of the repository, and is none now: "All", built-in role template
ids and Microsoft's own appIds never were objects of the backup, so they never dangle. Each dangling
reference is told with the revision where its object last existed (the last commit whose tree had its file)
and one command that brings the object back and points the holder at it (`entragit restore` of the object:
recreating it puts back the references other objects held to it, restore/inbound.py).

Cost at 100k objects: nothing parses every file. `current` (status, report) takes the objects removed over
the history from the cached last-change map, and `git grep` finds the few holders naming one of them;
`news` (a backup run) looks only at the objects that run removed and the holders it changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import shlex
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from entragit import canonical, catalog
from entragit.canonical import Ref
from entragit.catalog import ObjectType
from entragit.repo.authorship import one_line
from entragit.repo.entries import load_text
from entragit.repo.git import RepoError
from entragit.repo.reader import BackupRepo

Key = tuple[str, str]  # (property of the target: "id", "appId", "templateId"; its value)

# Types whose files hold references that Graph leaves in place when the target goes.
HOLDERS: tuple[ObjectType, ...] = tuple(
    t
    for t in catalog.CATALOG
    if t.references or any(r.kind == "app-role-assignment" for r in t.relationships)
)
_HOLDER_NAMES = frozenset(t.name for t in HOLDERS)
# Type name → the properties other than `id` that references name its objects by (appId, templateId).
ALT_KEYS: dict[str, frozenset[str]] = {}
for _holder in HOLDERS:
    for _ref in _holder.references:
        if _ref.key != "id":
            for _owner in _ref.types:
                ALT_KEYS[_owner] = ALT_KEYS.get(_owner, frozenset()) | {_ref.key}
# Types whose changed files a backup run hands to `news`: holders, and owners of appIds and templateIds.
WATCHED = _HOLDER_NAMES | frozenset(ALT_KEYS)


@dataclass(frozen=True)
class Gone:
    """An object the repository had and has no more: its last file and the last commit whose tree had it."""

    path: str
    type: str
    id: str
    last: str  # full sha
    name: str | None = None


@dataclass(frozen=True)
class Dangling:
    """One reference of a holder's file (its property `prop` holds `value`) to an object that is gone."""

    holder: str  # path
    holder_type: str
    holder_name: str
    prop: str  # the catalog path (`conditions.users.includeGroups`) or relationship name
    value: str
    target: Gone

    @property
    def command(self) -> str:
        """Brings the object back (recreated or undeleted, taken at its last backup); a recreation also
        points every holder of a reference to it at its new id."""
        return f"entragit restore {shlex.quote(self.target.path)}"

    def line(self) -> str:
        """One line, whatever the names hold (a name cannot add a paragraph or forge a trailer)."""
        name = f'"{one_line(self.target.name)}" ' if self.target.name else ""
        return (
            f'{self.holder_type} "{one_line(self.holder_name)}" ({self.holder}) {self.prop} → '
            f"{self.target.type} {name}{self.value}, last backed up in {self.target.last[:10]} "
            f"({self.target.path}); to bring it back: {self.command}"
        )

    def to_json(self) -> dict[str, Any]:
        """camelCase keys, as Graph's (`status --json` and the report show these)."""
        return {
            "holder": self.holder,
            "holderType": self.holder_type,
            "holderName": self.holder_name,
            "prop": self.prop,
            "value": self.value,
            "target": asdict(self.target),
            "command": self.command,
            "line": self.line(),
        }


def held(t: ObjectType, obj: Mapping[str, Any]) -> list[Ref]:
    """The references of obj that Graph keeps when their target is deleted: all but links."""
    return [
        r
        for r in canonical.find_references(t, obj)
        if (rel := t.relationship(r.path)) is None or rel.kind == "app-role-assignment"
    ]


def keys_of(t: ObjectType, oid: str, obj: Mapping[str, Any] | None) -> set[Key]:
    """What references can name the object by: its id, and its appId or templateId where they do."""
    keys = {("id", oid)}
    for key in ALT_KEYS.get(t.name, ()):
        value = (obj or {}).get(key)
        if isinstance(value, str) and value:
            keys.add((key, value))
    return keys


def _paths_for(ref: Ref) -> list[str]:
    """The files an id reference's target can have (one per type it may be); none for a value that is no
    file name ("/", a scope like "administrativeUnits/…" left by a shorter prefix)."""
    out = []
    for name in ref.types:
        t = catalog.by_name(name)
        if not t.singleton:
            with contextlib.suppress(ValueError):
                out.append(catalog.object_path(t, ref.value))
    return out


def _load(path: str, text: str | None) -> tuple[ObjectType, str, dict[str, Any]] | None:
    """(type, id, object) of an object file's text; None for a file that is missing or cannot be read (a
    damaged file is `validate`'s to report, not a reason to fail a backup or a status)."""
    parsed = catalog.parse_path(path)
    if parsed is None or text is None:
        return None
    try:
        return parsed[0], parsed[1], load_text(text, path)
    except RepoError:
        return None


@dataclass(frozen=True)
class _File:
    """What this module needs of one file of a holder or of an appId/templateId owner."""

    type: str
    name: str
    refs: tuple[Ref, ...]  # `held`
    keys: frozenset[Key]  # `keys_of`

    def to_row(self) -> list[Any]:
        return [
            self.type,
            self.name,
            [[r.path, r.value, list(r.types), r.key] for r in self.refs],
            sorted(self.keys),
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> _File:
        refs = tuple(Ref(p, v, tuple(types), k) for p, v, types, k in row[2])
        return cls(row[0], row[1], refs, frozenset((k, v) for k, v in row[3]))


def _summary(path: str, text: str | None) -> _File | None:
    loaded = _load(path, text)
    if loaded is None:
        return None
    t, oid, obj = loaded
    refs = tuple(dict.fromkeys(held(t, obj))) if t.name in _HOLDER_NAMES else ()
    return _File(t.name, str(obj.get(t.display) or oid), refs, frozenset(keys_of(t, oid, obj)))


class _Gones:
    """Gone objects by the keys that references name them by."""

    def __init__(self) -> None:
        self.by_key: dict[Key, list[Gone]] = {}

    def add(self, gone: Gone, keys: Iterable[Key]) -> None:
        for key in keys:
            self.by_key.setdefault(key, []).append(gone)

    def find(self, ref: Ref) -> Gone | None:
        """The gone object ref names, in the order of the types it can be (an appId: the application that
        registered it before its service principal)."""
        found = self.by_key.get((ref.key, ref.value), ())
        return next((g for name in ref.types for g in found if g.type == name), None)


_WATCHED_FOLDERS = sorted({catalog.by_name(n).folder for n in sorted(WATCHED)})
CACHE = "references"  # under .git/entragit/history/: blob id → `_File` row
# What the rows depend on beyond the catalog fingerprint the cache already checks: the references themselves.
_ROWS = hashlib.sha1(
    repr(
        [(t.name, t.display, t.references, t.relationships) for t in catalog.CATALOG if t.name in WATCHED]
    ).encode()
).hexdigest()[:12]


def _cached_rows(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("rows") != _ROWS:
        raise ValueError("references cache made for other catalog references")
    return dict(data["blobs"])


def _files_at(repo: BackupRepo, rev: str) -> dict[str, _File]:
    """path → summary of every holder's and appId/templateId owner's file at rev: one `ls-tree` of their
    folders, and a cache by blob id, so that only files not seen before are read and parsed (at 100k
    objects, 15k applications and service principals: parsed once, then read from one JSON file)."""
    out = repo.git("ls-tree", "-r", "-z", rev, "--", *_WATCHED_FOLDERS)
    blobs: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = item.partition("\t")
        t = repo.object_type(path) if path else None
        if t is not None and t.name in WATCHED:
            blobs[path] = meta.split(" ")[2]
    cache: dict[str, Any] = repo._load_cache(CACHE, _cached_rows) or {}
    missing = {b: p for p, b in blobs.items() if b not in cache}
    for (blob, path), text in zip(missing.items(), repo.read_many(list(missing)), strict=True):
        summary = _summary(path, text)
        cache[blob] = summary.to_row() if summary else None
    if missing:
        repo._save_cache(CACHE, {"rows": _ROWS, "blobs": {b: cache[b] for b in blobs.values()}})
    return {p: _File.from_row(cache[b]) for p, b in blobs.items() if cache.get(b)}


def _gone_in_history(repo: BackupRepo, removed: Mapping[str, str]) -> _Gones:
    """The objects whose files `removed` names (path → the commit that deleted it), each with the commit
    before that; the appId or templateId of those that references name that way is read from that commit."""
    commits = sorted(set(removed.values()))
    parents: dict[str, str] = {}
    if commits:
        out = repo.git("rev-parse", *(f"{c}^" for c in commits), check=False).decode().split()
        parents = dict(zip(commits, out, strict=False)) if len(out) == len(commits) else {}
    keyed = [p for p, c in removed.items() if c in parents and _type_name(repo, p) in ALT_KEYS]
    texts = dict(zip(keyed, repo.read_many([f"{parents[removed[p]]}:{p}" for p in keyed]), strict=True))
    gones = _Gones()
    for path, commit in removed.items():
        parsed = catalog.parse_path(path)
        if parsed is not None and commit in parents:
            t, oid = parsed
            loaded = _load(path, texts.get(path))
            gones.add(
                Gone(path, t.name, oid, parents[commit]), keys_of(t, oid, loaded[2] if loaded else None)
            )
    return gones


def _type_name(repo: BackupRepo, path: str) -> str:
    t = repo.object_type(path)
    return t.name if t is not None else ""


def _dangling(
    holders: Mapping[str, _File],
    gones: _Gones,
    exists: Collection[str],
    alt_present: Collection[Key],
    wanted: Mapping[str, Collection[Ref]] | None = None,
) -> list[Dangling]:
    """The references of the holders whose target is gone: no file of it in `exists`, its appId or
    templateId not in `alt_present`. With `wanted`, only those references per holder path."""
    out: list[Dangling] = []
    for path, f in holders.items():
        for ref in f.refs if wanted is None else wanted.get(path, ()):
            gone = gones.find(ref)
            if gone is None:
                continue
            if ref.key == "id" and any(p in exists for p in _paths_for(ref)):
                continue
            if ref.key != "id" and (ref.key, ref.value) in alt_present:
                continue
            out.append(Dangling(path, f.type, f.name, ref.path, ref.value, gone))
    return out


def _alt_keys(files: Mapping[str, _File]) -> set[Key]:
    return {k for f in files.values() if f.type in ALT_KEYS for k in f.keys if k[0] != "id"}


def _named(repo: BackupRepo, found: list[Dangling]) -> list[Dangling]:
    """found with each target's display name, read from its last file (one `cat-file` for all)."""
    targets = list(dict.fromkeys(d.target for d in found))
    texts = repo.read_many([f"{g.last}:{g.path}" for g in targets])
    names = {g: _summary(g.path, text) for g, text in zip(targets, texts, strict=True)}
    out = [
        replace(d, target=replace(d.target, name=f.name if (f := names.get(d.target)) else None))
        for d in found
    ]
    return sorted(out, key=lambda d: (d.holder, d.prop, d.value))


def current(repo: BackupRepo) -> list[Dangling]:
    """The dangling references at HEAD: the references of the holders (`_files_at`) naming an object removed
    over the history (the cached last-change map) that no object at HEAD answers to."""
    head = repo.head().sha
    index = repo.index()
    removed = {p: c.sha for p, c in repo.last_changes().items() if p not in index and repo.object_type(p)}
    if not removed:
        return []
    files = _files_at(repo, head)
    return _named(repo, _dangling(files, _gone_in_history(repo, removed), set(index), _alt_keys(files)))


def news(
    repo: BackupRepo,
    tracked: Collection[str],
    removed: Collection[str],
    written: Mapping[str, str],
    added: Collection[str],
) -> list[Dangling]:
    """The references a backup run leaves dangling that were not before, over HEAD (`tracked`: its paths):
    holders naming an object the run `removed`, and holders the run wrote (`written`: path → new text of
    each changed holder or appId/templateId owner) with a reference they did not have, to an object gone
    earlier. `added`: every path the run adds or changes."""
    head = repo.head().sha
    exists = (set(tracked) - set(removed)) | set(added) | set(written)
    before = _files_at(repo, head)
    now = {p: f for p, f in before.items() if p not in removed and p not in written}
    now.update({p: f for p, text in written.items() if (f := _summary(p, text)) is not None})
    this_run = _Gones()
    for path in removed:
        parsed = catalog.parse_path(path)
        if parsed is not None:
            f = before.get(path)
            keys = f.keys if f is not None else keys_of(parsed[0], parsed[1], None)
            this_run.add(Gone(path, parsed[0].name, parsed[1], head), keys)
    holders = {p: f for p, f in now.items() if f.refs}
    # References the written holders did not have before, to objects this run did not remove.
    new_refs = {
        p: [
            r
            for r in holders[p].refs
            if r not in (before[p].refs if p in before else ()) and not this_run.find(r)
        ]
        for p in written
        if p in holders
    }
    new_refs = {p: refs for p, refs in new_refs.items() if refs}
    checked = [r for refs in new_refs.values() for r in refs]
    earlier = _gone_in_history(repo, _removed_before(repo, head, checked, exists)) if checked else _Gones()
    alt = _alt_keys(now)
    found = _dangling(holders, this_run, exists, alt)
    found += _dangling(holders, earlier, exists, alt, new_refs)
    return _named(repo, found)


def _removed_before(
    repo: BackupRepo, head: str, refs: Iterable[Ref], exists: Collection[str]
) -> dict[str, str]:
    """path → the commit that deleted it, for the files that references' targets had in HEAD's history and
    have not now: a path-limited `git log` for ids, the deletions under the folders of appId and templateId
    owners for the rest."""
    paths: set[str] = set()
    folders: set[str] = set()
    for ref in refs:
        if ref.key == "id":
            paths |= {p for p in _paths_for(ref) if p not in exists}
        else:
            folders |= {catalog.by_name(n).folder for n in ref.types}
    removed: dict[str, str] = {}
    for commit, status, path in repo.file_log(sorted(paths), head) if paths else ():
        if path not in removed and status == "D":
            removed[path] = commit.sha
    if folders:
        out = repo.git(
            "log",
            "--format=\x01%H",
            "--diff-filter=D",
            "--name-only",
            "--no-renames",
            head,
            "--",
            *sorted(folders),
        )
        for record in out.decode("utf-8", "surrogateescape").split("\x01")[1:]:
            sha, *lines = record.split("\n")
            for line in lines:
                if line and line not in exists and repo.object_type(line) is not None:
                    removed.setdefault(line, sha)
    return removed
