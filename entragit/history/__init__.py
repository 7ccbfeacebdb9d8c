"""The read side of a backup repository: what each object looked like at each commit, and when it changed.

The CLI's history commands call the query functions here and render the plain data they return. The parts:
`repo` (git reads with per-commit caches), `entries` (index entries read cheaply from object files), `diff`
(attribute-level differences), `live` (the tenant side of `compare OBJECT live`).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from entragit import catalog
from entragit.history.diff import Difference, diff, summarize_change
from entragit.history.resolve import ObjectNotFound, resolve
from entragit.repo.authorship import matches
from entragit.repo.entries import GUID, Entry, is_deleted, linked_name, load_text, stem
from entragit.repo.git import RepoError
from entragit.repo.reader import BackupRepo, Commit, gc_paused

# --------------------------------------------------------------------------------------------------
# Plain data returned to the CLI


class Listed(NamedTuple):
    entry: Entry
    last: Commit | None  # the most recent commit that changed the file (for a removed file: removed it)
    removed: bool = False  # hard-deleted: the file is gone at HEAD, its last version is in history
    actor: str | None = None  # who made the last change (`Name <email>`), when --changed-by asked

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "path": e.path,
            "type": e.type,
            "id": e.id,
            "displayName": e.display_name,
            "lastBackup": self.last.iso if self.last else None,
            "deleted": e.deleted or self.removed,
        }


@dataclass(frozen=True)
class ObjectView:
    path: str
    type: str
    commit: Commit
    object: dict[str, Any]
    names: dict[str, str]  # id → display name for ids appearing in the object (members, owners...)


@dataclass(frozen=True)
class Version:
    commit: Commit
    path: str
    state: dict[str, Any] | None  # the object after this commit; None when the commit removed its file
    summary: str
    actor: str = ""  # who made the change: `Name <email>` or "unattributed" (repo.authorship)

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit.short,
            "date": self.commit.iso,
            "summary": self.summary,
            "by": self.actor,
        }


@dataclass(frozen=True)
class Comparison:
    path: str
    type: str
    display_name: str | None
    a_label: str
    b_label: str
    a_exists: bool
    b_exists: bool
    differences: list[Difference]
    names: dict[str, str] = field(default_factory=dict)


# -- ls and show ------------------------------------------------------------------------------------


@gc_paused
def list_objects(
    repo_dir: str | None,
    type_name: str | None = None,
    deleted: bool | None = None,
    progress: Callable[[str], None] | None = None,
    removed: bool = False,
    changed_by: str | None = None,
) -> list[Listed]:
    """Every object at HEAD (optionally one type; deleted=True only soft-deleted, False only live), sorted.

    removed=True lists instead the objects deleted for good since they were backed up (their files were
    removed by a backup; each is restorable from its last version), with the commit that removed them; an
    object recreated since (idmap.yaml) is not among them. changed_by keeps the objects whose last change
    that actor made (a display name, UPN, email or appId); without removed, that includes the objects the
    actor deleted for good (their last change was the deletion).
    """
    repo = BackupRepo(repo_dir)
    if progress is not None:
        repo.progress = progress
    wanted = catalog.by_name(type_name).name if type_name else None
    repo.head()
    rows: list[Listed]
    if removed:
        rows = _removed_rows(repo, wanted)
    else:
        # The history pass is a separate git process: run it while this thread reads the object index.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(repo.last_changes)
            index = repo.index()
            last = pending.result()
        rows = [
            Listed(e, last.get(e.path))
            for e in index.values()
            if (wanted is None or e.type == wanted) and (deleted is None or e.deleted == deleted)
        ]
        if changed_by is not None and deleted is None:
            rows += _removed_rows(repo, wanted)  # a deletion for good is its object's last change too
    if changed_by is not None:
        rows = _changed_by(repo, rows, changed_by)
    order = {t.name: i for i, t in enumerate(catalog.CATALOG)}
    if any(r.entry.refs for r in rows):
        names = repo.names()
        rows = [
            r._replace(entry=r.entry._replace(display_name=entry_name(r.entry, names))) if r.entry.refs else r
            for r in rows
        ]
    rows.sort(key=lambda r: (order.get(r.entry.type, 999), (r.entry.display_name or "").lower(), r.entry.id))
    return rows


def _removed_rows(repo: BackupRepo, wanted: str | None) -> list[Listed]:
    """The objects deleted for good, each with the commit that removed its file; not those brought back: a
    file that moved folder layout is not gone, nor an object recreated since (the id map's successor has a
    file, at HEAD or removed in its turn and listed itself)."""
    present = {(e.type, e.id) for e in repo.index().values()}
    gone = repo.removed_entries()
    known = present | {(e.type, e.id) for e, _ in gone.values()}
    successors = repo.successors()
    return [
        Listed(e, commit, removed=True)
        for e, commit in gone.values()
        if (wanted is None or e.type == wanted)
        and (e.type, e.id) not in present
        and not (successors.last(e.id) != e.id and (e.type, successors.last(e.id)) in known)
    ]


def entry_name(entry: Entry, names: Mapping[str, str]) -> str | None:
    """How an object is named to a person: its display name, or for an object named by references (a role
    assignment, a grant) the names of what it links, `Global Administrator → Alex Wilber`."""
    if entry.refs:
        return linked_name(entry.refs, names)
    return entry.display_name


def _changed_by(repo: BackupRepo, rows: list[Listed], who: str) -> list[Listed]:
    """The rows whose last change `who` made, each with its actor (one git call for all their commits)."""
    by = repo.attributions(r.last.sha for r in rows if r.last)
    kept = []
    for r in rows:
        found = by.get(r.last.sha) if r.last else None
        actor = found.actor(r.entry.path) if found else None
        if actor and matches(actor, who):
            kept.append(r._replace(actor=actor))
    return kept


def show(repo_dir: str | None, spec: str, at: str | None = None) -> ObjectView:
    repo = BackupRepo(repo_dir)
    commit = repo.commit(at)
    try:
        path = resolve(repo, spec, commit.sha)
    except ObjectNotFound:
        if commit.sha == repo.head().sha:
            raise
        # Named as it is now (`show "New Name" --at last-week`): the object is the same file whatever its
        # name was then.
        path = resolve(repo, spec)
    paths = _lineage_paths(repo, path)
    found = _file_at(repo, paths, commit)
    if found is None:
        gone = repo.file_log(paths, commit.sha)
        when = f" (removed in {gone[0][0].short}, {gone[0][0].when})" if gone else ""
        raise ObjectNotFound(
            f"{path} does not exist at {at or 'HEAD'}{when}; see `entragit versions {shlex.quote(spec)}`"
        )
    path, obj = found
    t = repo.object_type(path)
    return ObjectView(path, t.name if t else "", commit, obj, _names_for(repo, [obj], commit.sha))


def _names_for(repo: BackupRepo, objs: Iterable[Any], rev: str | None = None) -> dict[str, str]:
    ids: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if GUID.match(v):
                ids.add(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for obj in objs:
        walk(obj)
    if not ids:
        return {}
    names = repo.names(rev)
    if rev is not None and rev != repo.head().sha:
        names = {**repo.names(), **names}
    return {i: names[i] for i in ids if i in names}


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested values as (dotted.path[i], scalar) pairs; empty containers stay as one pair, to be visible."""
    if isinstance(value, dict):
        if not value and prefix:
            return [(prefix, {})]
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        if not value:
            return [(prefix, [])]
        out = []
        for i, v in enumerate(value):
            out.extend(flatten(v, f"{prefix}[{i}]"))
        return out
    return [(prefix, value)]


def search(
    pairs: Iterable[tuple[str, Any]], text: str, names: Mapping[str, str] | None = None
) -> list[tuple[str, Any]]:
    """Pairs whose attribute path or value (or the name of an id value) contains text, ignoring case."""
    needle = text.lower()
    names = names or {}
    out = []
    for k, v in pairs:
        shown = format_value(v)
        extra = names.get(v, "") if isinstance(v, str) else ""
        if needle in k.lower() or needle in shown.lower() or needle in extra.lower():
            out.append((k, v))
    return out


def format_value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    return str(v)


# -- versions --------------------------------------------------------------------------------------


def _candidate_paths(repo: BackupRepo, path: str) -> list[str]:
    """The object's file in both the flat and the sharded layout, so history survives a change of layout."""
    t = repo.object_type(path)
    if t is None or t.singleton:
        return [path]
    oid = stem(path)
    return sorted({path, f"{t.folder}/{oid}.yaml", f"{t.folder}/{oid[:2]}/{oid}.yaml"})


def _lineage_paths(repo: BackupRepo, path: str) -> list[str]:
    """The candidate paths of the object and of every object the id map makes it one with (a recreated
    object and its predecessors), newest id first: they share one history."""
    t = repo.object_type(path)
    if t is None or t.singleton:
        return [path]
    paths: list[str] = []
    for oid in repo.successors().lineage(stem(path)):
        try:
            paths += _candidate_paths(repo, catalog.object_path(t, oid))
        except ValueError:  # a hand-edited map naming no possible file
            continue
    return list(dict.fromkeys(paths)) or [path]


def _file_at(repo: BackupRepo, paths: Sequence[str], commit: Commit) -> tuple[str, dict[str, Any]] | None:
    """(path, object) of the first of paths that has a file at commit (the newest id's, in whichever layout
    it had then), None when none has."""
    for p, text in zip(paths, repo.read_many([f"{commit.sha}:{p}" for p in paths]), strict=True):
        if text is not None:
            return p, load_text(text, f"{p} at {commit.short}")
    return None


def _versions(repo: BackupRepo, path: str, rev: str | None = None) -> list[Version]:
    """The versions of the object at path, newest first; those of its predecessors (id map) included."""
    log = repo.file_log(_lineage_paths(repo, path), rev)
    # Group by commit: a layout change removes one path and adds another in the same commit.
    events: list[tuple[Commit, str | None]] = []
    for commit, status, changed in log:
        if events and events[-1][0].sha == commit.sha:
            if status != "D":
                events[-1] = (commit, changed)
            continue
        events.append((commit, None if status == "D" else changed))
    events.reverse()  # oldest first
    texts = iter(repo.read_many([f"{c.sha}:{p}" for c, p in events if p is not None]))
    t = repo.object_type(path)
    lists = {r.name for r in t.relationships} if t else set()
    by = repo.attributions(c.sha for c, _ in events)
    successors = repo.successors()
    versions: list[Version] = []
    prev: dict[str, Any] | None = None
    alive: tuple[str, dict[str, Any]] | None = None  # the latest version in which the object existed
    for c, p in events:
        text = None if p is None else next(texts)
        state = None if text is None else load_text(text, f"{p} at {c.short}")
        actor = by[c.sha].actor(p or path) if c.sha in by else ""
        if t is not None and p is not None and state is not None and alive and stem(alive[0]) != stem(p):
            # Recreated by a restore (a new id): what changed is said against the predecessor's last version.
            rest = summarize_change(
                successors.as_last(t, alive[1]), successors.as_last(t, state), True, lists
            )
            summary = f"recreated as {stem(p)}" + ("" if rest == "no attribute change" else f", {rest}")
        else:
            summary = summarize_change(prev, state, alive is not None, lists)
        versions.append(Version(c, p or path, state, summary, actor))
        if p is not None and state is not None:
            alive = (p, state)
        prev = state
    versions.reverse()
    return versions


def versions(repo_dir: str | None, spec: str) -> tuple[str, list[Version]]:
    """The object's path (its newest id's, when it was recreated) and its versions, newest first."""
    repo = BackupRepo(repo_dir)
    path = resolve(repo, spec)
    found = _versions(repo, path)
    return (found[0].path if found else path), found


# -- compare ---------------------------------------------------------------------------------------

LiveFetcher = Callable[[str, "catalog.ObjectType", str], "dict[str, Any] | None"]


def compare(
    repo_dir: str | None,
    spec: str,
    rev_a: str | None = None,
    rev_b: str | None = None,
    include_unchanged: bool = False,
    live: LiveFetcher | None = None,
) -> Comparison:
    """Two versions of one object: by default the one before the latest change against the latest.

    rev_b == "live" compares with the tenant now (rev_a None: the latest version backed up against it),
    through `live(repo_root, type, object_id)` (canonical form).
    """
    repo = BackupRepo(repo_dir)
    path = resolve(repo, spec)
    t = repo.object_type(path)
    history = _versions(repo, path)
    if not history:
        raise ObjectNotFound(f"{path} has no committed version in {repo.root}")
    path = history[0].path  # a recreated object is named by its newest id (and compared live by it)
    a_obj: dict[str, Any] | None
    b_obj: dict[str, Any] | None
    if rev_a is None and rev_b is None:
        b_ver = history[0]
        a_ver = history[1] if len(history) > 1 else None
        a_obj = a_ver.state if a_ver else None
        b_obj = b_ver.state
        a_label = _label(a_ver.commit, a_ver.actor) if a_ver else "(nothing: first version)"
        b_label = _label(b_ver.commit, b_ver.actor)
    else:
        if rev_a is None:
            # `compare OBJECT live`: the latest backed-up version, also of an object deleted since (its
            # file is gone at HEAD, but what it looked like is what a restore would bring back).
            a_ver = next((v for v in history if v.state is not None), history[0])
            a_obj, a_label = a_ver.state, _label(a_ver.commit, a_ver.actor)
        else:
            a_obj, a_label = _state_at(repo, path, rev_a, history)
        if rev_b is None:
            b_obj, b_label = _state_at(repo, path, "HEAD", history)
        elif rev_b == "live":
            if live is None:
                raise RepoError("comparing with the live tenant needs a Graph connection")
            oid = stem(path)
            b_obj = live(str(repo.root), t, oid) if t else None
            b_label = "live"
            if t is not None and a_obj is not None and b_obj is not None:
                # opted-in properties the app cannot read are left out of the live read: unknown, not gone
                unknown = {p for o in t.opt_in for p in o.properties if p not in b_obj}
                a_obj = {k: v for k, v in a_obj.items() if k not in unknown}
        else:
            b_obj, b_label = _state_at(repo, path, rev_b, history)
    successors = repo.successors()
    if t is not None and successors.ids:
        # Ids that differ only by the id map (its own, a member recreated since) are the same object.
        a_obj, b_obj = (None if o is None else successors.as_last(t, o) for o in (a_obj, b_obj))
    differences = diff(a_obj or {}, b_obj or {}, include_unchanged)
    # Named after either side, or after its last version when neither has it (deleted before both).
    name_src = b_obj or a_obj or next((v.state for v in history if v.state is not None), None) or {}
    names = _names_for(repo, [d.old for d in differences] + [d.new for d in differences])
    for oid in successors.lineage(stem(path)):
        names.pop(oid, None)  # its own id is not "named" after itself
    return Comparison(
        path=path,
        type=t.name if t else "",
        display_name=name_src.get("displayName"),
        a_label=a_label,
        b_label=b_label,
        a_exists=a_obj is not None,
        b_exists=b_obj is not None,
        differences=differences,
        names=names,
    )


def _state_at(
    repo: BackupRepo, path: str, rev: str, history: Sequence[Version]
) -> tuple[dict[str, Any] | None, str]:
    """The object at rev (in whichever layout it had then) and the label naming that commit and the actor of
    the version it holds (the newest version at or before rev)."""
    commit = repo.commit(rev)
    actor = next((v.actor for v in history if repo.is_ancestor(v.commit.sha, commit.sha)), "")
    found = _file_at(repo, _lineage_paths(repo, path), commit)
    return (found[1], _label(commit, actor)) if found else (None, _label(commit))


def _label(commit: Commit, actor: str = "") -> str:
    return f"{commit.short} ({commit.when})" + (f" by {actor}" if actor else "")


# -- restore points --------------------------------------------------------------------------------


def restore_points(repo_dir: str | None, specs: Sequence[str]) -> tuple[list[tuple[str, str]], list[Commit]]:
    """Commits at which every given object exists and is not soft-deleted, newest first.

    Also returns (path, latest display name) of each object, for the caller to say what was matched.
    """
    repo = BackupRepo(repo_dir)
    paths = list(dict.fromkeys(resolve(repo, s) for s in specs))
    alive_at: list[dict[str, bool]] = []
    names: list[tuple[str, str]] = []
    for path in paths:
        found = _versions(repo, path)  # a recreated object's include its predecessors' (id map)
        alive_at.append({v.commit.sha: v.state is not None and not is_deleted(v.state) for v in found})
        last = next((v.state for v in found if v.state), {})
        path = found[0].path if found else path
        names.append((path, str(last.get("displayName") or stem(path))))
    state = [False] * len(paths)
    points: list[Commit] = []
    for c in reversed(repo.commits()):
        for i, changes in enumerate(alive_at):
            if c.sha in changes:
                state[i] = changes[c.sha]
        if all(state):
            points.append(c)
    points.reverse()
    return names, points
