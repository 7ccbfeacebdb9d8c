"""Turn what a user types (a path, an id, a UPN, an appId or a display name) into one object file.

Admins think in names, git thinks in paths. Matching is tiered so that a precise spec never becomes ambiguous
because of a looser one: a path or id wins over a UPN/appId, which wins over an exact display name, which wins
over a case-insensitive one. Several matches in the winning tier are an error that lists them, never a guess:
restoring the wrong "Sales" group is worse than asking.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from entragit import catalog
from entragit.errors import EntragitError
from entragit.repo.entries import Entry
from entragit.repo.reader import BackupRepo, Commit

# Files of a backup that are not objects, and what shows them.
REPORT_COMMANDS = {
    "reports/secureScore.yaml": "see `entragit score` for the secure score and its history",
    "reports/seats.yaml": "see `entragit seats`",
    "entragit.yaml": "it is the repository's settings",
}


class ObjectNotFound(EntragitError):
    """Nothing in the repository (now or in its history) matches the spec."""


class AmbiguousObject(EntragitError):
    """Several objects match; the message lists them so the user can pick a path or id."""


def looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(".yaml")


def match(entries: Iterable[Entry], spec: str) -> list[Entry]:
    """The entries matching spec in the most precise tier that matches anything."""
    wanted = spec.strip()
    low = wanted.lower()
    items = list(entries)
    tiers: Sequence[Callable[[Entry], bool]] = (
        lambda e: e.path == wanted,
        lambda e: e.id.lower() == low,
        lambda e: any(v.lower() == low for v in e.identities),
        lambda e: e.display_name == wanted,
        lambda e: (e.display_name or "").lower() == low,
    )
    for test in tiers:
        found = [e for e in items if test(e)]
        if found:
            return sorted(found, key=lambda e: e.path)
    return []


def describe(entries: Sequence[Entry], limit: int = 10) -> str:
    """Each candidate's path, type and name, and its UPN/appId/mail nickname when those tell them apart
    (three users named "李芳" differ only there; an app and its service principal share their appId)."""
    distinct = len({e.identity for e in entries}) > 1
    shown = [
        f"{e.path} ({e.type}, {e.display_name or e.id}"
        + (f", {e.identity}" if distinct and e.identity else "")
        + (", deleted" if e.deleted else "")
        + ")"
        for e in entries
    ]
    more = f"; and {len(shown) - limit} more" if len(shown) > limit else ""
    return "; ".join(shown[:limit]) + more


def pick(entries: Iterable[Entry], spec: str, where: str) -> Entry | None:
    """The single match for spec, None when nothing matches, AmbiguousObject when several do."""
    found = match(entries, spec)
    if len(found) > 1:
        types = sorted({e.type for e in found})
        hint = f", or TYPE/NAME such as '{types[0]}/{spec.strip()}'" if len(types) > 1 else ""
        raise AmbiguousObject(
            f"'{spec}' matches {len(found)} objects in {where}: {describe(found)} — "
            f"give a path or an id{hint}"
        )
    return found[0] if found else None


def resolve(repo: BackupRepo, spec: str, rev: str | None = None) -> str:
    """The path of the object spec names at rev; removed objects are found by their last version."""
    spec = spec.strip()
    if not spec:
        raise ObjectNotFound("empty object name")
    target = repo.commit(rev)
    direct = _direct(repo, spec, target)
    if direct is not None:
        return direct
    where = f"{repo.root}" + (f" at {target.short}" if target.sha != repo.head().sha else "")
    index = repo.index(target.sha)
    if looks_like_path(spec):
        path = _path_spec(repo, spec, index, target)
        if path is not None:
            return path
        if spec.endswith(".yaml"):
            rel = _relative(repo, spec)
            if repo.object_type(rel) is None and (repo.root / rel).is_file():
                hint = REPORT_COMMANDS.get(rel, "object files are the ones `entragit ls` lists")
                raise ObjectNotFound(f"{spec} is not an object file ({hint})")
            raise ObjectNotFound(f"{spec}: no such object file in {where} or its history")
        # Not a file: a display name with a slash ("Sales/Marketing", "Block legacy auth (EXO/SPO)").
    # The whole spec first (a name may contain a slash), then TYPE/NAME (`servicePrincipals/Payroll`: an
    # app and its service principal share their name and appId), at rev and then among removed objects.
    scopes: list[tuple[str, str | None]] = [(spec, None)]
    typed = _typed_spec(spec)
    if typed is not None:
        scopes.append(typed)
    for label, entries in (
        (where, lambda: list(index.values())),
        (f"{where} (removed objects)", lambda: [e for e, _ in repo.removed_entries(target.sha).values()]),
    ):
        candidates = entries()
        for text, type_name in scopes:
            found = pick((e for e in candidates if type_name in (None, e.type)), text, label)
            if found is not None:
                return found.path
    raise ObjectNotFound(
        f"no object matches '{spec}' in {where} (tried path, id, userPrincipalName, mail, appId and "
        "display name; see `entragit ls`)"
    )


def _direct(repo: BackupRepo, spec: str, target: Commit) -> str | None:
    """The object file at target that a repository path or an object id names, found without the index:
    building that costs seconds on a fresh clone of a 100k-object repository, and `restore OBJECT` from a
    CI job is exactly that. None whenever the index could tell more (another form of path, a name, an id
    with files of several types, an object removed before target)."""
    if looks_like_path(spec):
        path = _relative(repo, spec)
        if repo.object_type(path) is None or repo.read_many([f"{target.sha}:{path}"])[0] is None:
            return None
        return path
    if "." in spec or " " in spec:  # a name, a UPN, a mail address: the index's
        return None
    found = {path for _t, path, _text in repo.files_of(target.sha, {spec, spec.lower()})}
    return found.pop() if len(found) == 1 else None


def _path_spec(repo: BackupRepo, spec: str, index: Mapping[str, Entry], target: Commit) -> str | None:
    """The object file a path-like spec names at target or in its history, None when it names none.

    Besides the exact repository path this accepts what people type: a path relative to the current
    directory, the unsharded `users/<id>.yaml` (the layout of small folders, and of the docs), or a bare
    `<id>.yaml` copied from a file listing."""
    path = _relative(repo, spec)
    if path in index:
        return path
    t = repo.object_type(path)
    if t is not None and repo.file_log([path], target.sha):
        return path
    folder, _, name = path.rpartition("/")
    oid = name.removesuffix(".yaml")
    if not name.endswith(".yaml") or not oid:
        return None
    candidates: list[str] = []
    for t in catalog.CATALOG:
        if t.singleton or (
            folder and folder.lower() not in (t.folder.lower(), f"{t.folder}/{oid[:2]}".lower())
        ):
            continue
        for i in dict.fromkeys((oid, oid.lower())):  # Graph's GUIDs are lower case; a pasted one may not be
            with contextlib.suppress(ValueError):
                candidates += [catalog.object_path(t, i), f"{t.folder}/{i}.yaml"]
    candidates = list(dict.fromkeys(candidates))
    present = [p for p in candidates if p in index]
    if len(present) > 1:
        found = [index[p] for p in present]
        raise AmbiguousObject(f"'{spec}' matches {len(found)} object files: {describe(found)}")
    if present:
        return present[0]
    history = repo.file_log(candidates, target.sha) if candidates else []
    return history[0][2] if history else None


def _relative(repo: BackupRepo, spec: str) -> str:
    """spec as a repository path: absolute and current-directory-relative paths inside the repository are
    made relative to its root (a user in `users/` typing `ab/<id>.yaml`); anything else is taken as
    relative to the root already."""
    p = spec.replace("\\", "/")
    # A relative path names a file under the current directory only if that file is in this repository
    # (the current directory may be another tenant's repository when --repo is given).
    here = p if os.path.isabs(p) else str(Path.cwd() / p) if (Path.cwd() / p).is_file() else None
    if here is not None:
        with contextlib.suppress(ValueError, OSError):
            p = Path(here).resolve().relative_to(repo.root.resolve()).as_posix()
    while p.startswith("./"):
        p = p[2:]
    return p


def _typed_spec(spec: str) -> tuple[str, str | None] | None:
    """(NAME, type name) for a `TYPE/NAME` spec; TYPE is a catalog name (any case) or a repository folder."""
    low = spec.lower()
    for t in catalog.CATALOG:
        for prefix in (t.name.lower() + "/", t.folder.lower() + "/"):
            if low.startswith(prefix) and len(spec) > len(prefix):
                return spec[len(prefix) :].strip(), t.name
    return None


def resolve_object(repo: BackupRepo | str, spec: str, rev: str = "HEAD") -> str:
    """The repository path of the object spec names, as of rev (falling back to objects removed earlier)."""
    return resolve(repo if isinstance(repo, BackupRepo) else BackupRepo(repo), spec, rev)
