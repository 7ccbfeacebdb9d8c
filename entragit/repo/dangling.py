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
and one command that brings the object back and points the holder at it (`entragit restore` of both: a
recreated object gets a new id, which a restore of the holder writes in through the id map).

Cost at 100k objects: nothing parses every file. `current` (status, report) takes the objects removed over
the history from the cached last-change map, and `git grep` finds the few holders naming one of them;
`news` (a backup run) looks only at the objects that run removed and the holders it changed.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from entragit import canonical, catalog
from entragit.canonical import Ref
from entragit.catalog import ObjectType
from entragit.repo.attribution import one_line
from entragit.repo.entries import load_text, summarize
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
        """Brings the object back (recreated or undeleted, taken at its last backup) and the holder at its
        latest backup, whose reference the id map then points at the object's new id."""
        return f"entragit restore {shlex.quote(self.target.path)} {shlex.quote(self.holder)}"

    def line(self) -> str:
        """One line, whatever the names hold (a name cannot add a paragraph or forge a trailer)."""
        name = f'"{one_line(self.target.name)}" ' if self.target.name else ""
        return (
            f'{self.holder_type} "{one_line(self.holder_name)}" ({self.holder}) {self.prop} → '
            f"{self.target.type} {name}{self.value}, last backed up in {self.target.last[:10]} "
            f"({self.target.path}); to bring it back: {self.command}"
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "command": self.command, "line": self.line()}


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


def _name(t: ObjectType, path: str, text: str | None) -> str | None:
    return summarize(path, t, text).display_name if text is not None else None


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

    def values(self) -> set[str]:
        return {value for _key, value in self.by_key}


def _gone(repo: BackupRepo, removed: Mapping[str, str]) -> _Gones:
    """The objects whose files `removed` names (path → the commit that deleted it), each with the commit
    before that; the appId or templateId of those that references name that way is read from that commit."""
    commits = sorted(set(removed.values()))
    parents: dict[str, str] = {}
    if commits:
        out = repo.git("rev-parse", *(f"{c}^" for c in commits), check=False).decode().split()
        parents = dict(zip(commits, out, strict=False)) if len(out) == len(commits) else {}
    keyed = [p for p, c in removed.items() if c in parents and (repo.object_type(p) or _NO).name in ALT_KEYS]
    texts = dict(zip(keyed, repo.read_many([f"{parents[removed[p]]}:{p}" for p in keyed]), strict=True))
    gones = _Gones()
    for path, commit in removed.items():
        parsed = catalog.parse_path(path)
        if parsed is None or commit not in parents:
            continue
        t, oid = parsed
        loaded = _load(path, texts.get(path))
        gones.add(Gone(path, t.name, oid, parents[commit]), keys_of(t, oid, loaded[2] if loaded else None))
    return gones


_NO = catalog.ObjectType(name="", path="", select=())


def _alt_present(
    repo: BackupRepo,
    rev: str,
    values: Collection[str],
    skip: Collection[str] = (),
    extra: Iterable[tuple[str, str]] = (),
) -> set[Key]:
    """The appIds and templateIds among values that an object at rev has (its file found by `git grep`,
    then read), leaving out the files in skip; `extra` are texts of files laid over rev (a run's changes)."""
    if not values:
        return set()
    folders = sorted({catalog.by_name(n).folder for n in ALT_KEYS})
    paths = [p for p in repo.grep_files(rev, values, folders) if p not in skip]
    found: set[Key] = set()
    texts = [*zip(paths, repo.read_many([f"{rev}:{p}" for p in paths]), strict=True), *extra]
    for path, text in texts:
        loaded = _load(path, text)
        if loaded is not None:
            found |= keys_of(*loaded) - {("id", loaded[1])}
    return found


def _dangling(
    holders: Iterable[tuple[str, str | None]],
    gones: _Gones,
    exists: Collection[str],
    alt_present: Collection[Key],
    wanted: Mapping[str, Collection[tuple[str, str]]] | None = None,
) -> list[Dangling]:
    """The references of the holders' texts whose target is gone: no file of it in `exists`, its appId or
    templateId not in `alt_present`. With `wanted`, only those (property, value) pairs per holder path."""
    out: list[Dangling] = []
    for path, text in holders:
        loaded = _load(path, text)
        if loaded is None or loaded[0].name not in _HOLDER_NAMES:
            continue
        t, oid, obj = loaded
        seen: set[tuple[str, str]] = set()
        for ref in held(t, obj):
            pair = (ref.path, ref.value)
            if pair in seen or (wanted is not None and pair not in wanted.get(path, ())):
                continue
            seen.add(pair)
            gone = gones.find(ref)
            if gone is None:
                continue
            if ref.key == "id" and any(p in exists for p in _paths_for(ref)):
                continue
            if ref.key != "id" and (ref.key, ref.value) in alt_present:
                continue
            name = str(obj.get(t.display) or oid)
            out.append(Dangling(path, t.name, name, ref.path, ref.value, gone))
    return out


def _named(repo: BackupRepo, found: list[Dangling]) -> list[Dangling]:
    """found with each target's display name, read from its last file (one `cat-file` for all)."""
    targets = list(dict.fromkeys(d.target for d in found))
    texts = repo.read_many([f"{g.last}:{g.path}" for g in targets])
    names = {g: _name(catalog.by_name(g.type), g.path, text) for g, text in zip(targets, texts, strict=True)}
    out = [
        Dangling(d.holder, d.holder_type, d.holder_name, d.prop, d.value, _with_name(d.target, names))
        for d in found
    ]
    return sorted(out, key=lambda d: (d.holder, d.prop, d.value))


def _with_name(g: Gone, names: Mapping[Gone, str | None]) -> Gone:
    return Gone(g.path, g.type, g.id, g.last, names.get(g))


def current(repo: BackupRepo) -> list[Dangling]:
    """The dangling references at HEAD: holders that `git grep` finds naming an object removed in the
    history (the cached last-change map), checked by their parsed references."""
    head = repo.head().sha
    index = repo.index()
    removed = {
        p: c.sha for p, c in repo.last_changes().items() if p not in index and repo.object_type(p) is not None
    }
    if not removed:
        return []
    gones = _gone(repo, removed)
    holders = sorted({t.folder for t in HOLDERS})
    paths = [p for p in repo.grep_files(head, gones.values(), holders) if p in index]
    texts = repo.read_many([f"{head}:{p}" for p in paths])
    candidates = list(zip(paths, texts, strict=True))
    alt_values = {v for (k, v) in gones.by_key if k != "id"}
    alt = _alt_present(repo, head, alt_values) if alt_values else set()
    return _named(repo, _dangling(candidates, gones, set(index), alt))


def news(
    repo: BackupRepo,
    tracked: Collection[str],
    removed: Collection[str],
    written: Mapping[str, str],
    added: Collection[str],
) -> list[Dangling]:
    """The references a backup run leaves dangling that were not before, over HEAD (`tracked`: its paths):
    holders naming an object the run `removed`, and holders the run wrote (`written`: path → new text of
    each changed holder or object named by appId or templateId) with a reference they did not have, to an
    object gone earlier. `added`: every path the run adds."""
    head = repo.head().sha
    exists = (set(tracked) - set(removed)) | set(added) | set(written)
    keyed = [p for p in removed if (repo.object_type(p) or _NO).name in ALT_KEYS]
    old = dict(zip(keyed, repo.read_many([f"{head}:{p}" for p in keyed]), strict=True))
    this_run = _Gones()
    for path in removed:
        parsed = catalog.parse_path(path)
        if parsed is not None:
            loaded = _load(path, old.get(path))
            this_run.add(
                Gone(path, parsed[0].name, parsed[1], head), keys_of(*parsed, loaded[2] if loaded else None)
            )

    # Holders naming what this run removed: found by `git grep` at HEAD, read as the run leaves them.
    folders = sorted({t.folder for t in HOLDERS})
    named = [p for p in repo.grep_files(head, this_run.values(), folders) if p not in removed]
    changed = [p for p in written if (repo.object_type(p) or _NO).name in _HOLDER_NAMES]
    unchanged = [p for p in named if p not in written]
    heads = dict(
        zip(changed + unchanged, repo.read_many([f"{head}:{p}" for p in changed + unchanged]), strict=True)
    )
    holders = [(p, written[p]) for p in changed] + [(p, heads[p]) for p in unchanged]

    # References the changed holders did not have before, and whose target is not in this run's removals.
    new_refs: dict[str, set[tuple[str, str]]] = {}
    refs_to_check: list[Ref] = []
    for path in changed:
        now, before = _load(path, written[path]), _load(path, heads.get(path))
        if now is None:
            continue
        had = {(r.path, r.value) for r in held(before[0], before[2])} if before else set()
        for ref in held(now[0], now[2]):
            if (ref.path, ref.value) not in had and this_run.find(ref) is None:
                new_refs.setdefault(path, set()).add((ref.path, ref.value))
                refs_to_check.append(ref)
    earlier = _gone(repo, _removed_before(repo, head, refs_to_check, exists)) if refs_to_check else _Gones()

    alt_values = {v for (k, v) in [*this_run.by_key, *earlier.by_key] if k != "id"}
    extra = [(p, t) for p, t in written.items() if (repo.object_type(p) or _NO).name in ALT_KEYS]
    alt = _alt_present(repo, head, alt_values, skip=set(removed) | set(written), extra=extra)
    found = _dangling(holders, this_run, exists, alt)
    found += _dangling([(p, written[p]) for p in new_refs], earlier, exists, alt, new_refs)
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
