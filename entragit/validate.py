"""`entragit validate`: check hand-edited object files before they are committed, applied or restored.

A backup repository is edited by people (GitOps: change a file, open a pull request, `apply` on merge), so a
typo must be caught where it is made, not by Graph halfway through an apply. Each object file is checked
against its catalog type and against its own version at HEAD, which a backup wrote:

- it is UTF-8, valid YAML without duplicate keys, in canonical form (`canonical.check_file`);
- its file name is its `id` and its folder is its type's (`catalog.object_path`);
- every property is one the catalog selects for the type, one of its relationships, or one the HEAD version
  holds (types listed without `$select` keep every property Graph returned);
- every value has the kind the rules below expect (`_expected`): relationships and unordered lists from the
  catalog, everything else the kind of the HEAD version's value (what Graph returned for it). Null is always
  allowed except for id lists: canonical form writes an unset property as null;
- read-only properties (`ObjectType.read_only`, dotted paths) the file holds are unchanged from HEAD.

The sandbox is not consulted: it stands in for Graph in tests and must not become the client's schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entragit import canonical, catalog
from entragit.catalog import ObjectType
from entragit.repo.reader import BackupRepo

# The kind of a value, in the words a problem line uses; bool before int (a bool is an int in Python).
_KIND_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "list"),
    (dict, "mapping"),
)
# Kinds a value of another kind may stand for: a Graph Double may be written as a whole number.
_ACCEPTS: Mapping[str, frozenset[str]] = {"number": frozenset({"number", "integer"})}
# What canonical form writes per relationship kind (repository-format.md, rule 4): (kind, item kind).
_RELATIONSHIP_KINDS: Mapping[str, tuple[str, str | None]] = {
    "ref-collection": ("list", "string"),
    "ref-single": ("string", None),
    "app-role-assignment": ("list", "mapping"),
}


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    for cls, name in _KIND_NAMES:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


@dataclass(frozen=True)
class Rule:
    """What a property's value must be: its kind (None: any), its items' kind, whether null is allowed."""

    kind: str | None
    items: str | None = None
    nullable: bool = True


def _expected(t: ObjectType, prop: str, head_value: Any) -> Rule:
    """The rule for one top-level property: the catalog first, then the HEAD version's value."""
    rel = t.relationship(prop)
    if rel is not None:
        kind, items = _RELATIONSHIP_KINDS[rel.kind]
        return Rule(kind, items, nullable=rel.kind == "ref-single")
    if prop in t.unordered_words:
        return Rule("string")
    if any(entry.split(":")[0] == prop for entry in t.unordered):
        return Rule("list")
    if prop == "id":
        return Rule("string", nullable=False)
    return Rule(None if head_value is None else kind_of(head_value))


def _fits(kind: str, expected: str) -> bool:
    return kind == expected or kind in _ACCEPTS.get(expected, ())


def _check_value(where: str, value: Any, rule: Rule, head_value: Any, out: list[str]) -> None:
    """Problems of one value against its rule, descending into mappings the HEAD version also has."""
    kind = kind_of(value)
    if value is None:
        if not rule.nullable:
            out.append(f"{where}: expected {_article(rule.kind or 'value')}, got null")
        return
    if rule.kind is not None and not _fits(kind, rule.kind):
        out.append(f"{where}: expected {_article(rule.kind)}, got {_shown(value)}")
        return
    if rule.items is not None and isinstance(value, list):
        for i, item in enumerate(value):
            if kind_of(item) != rule.items:
                out.append(f"{where}[{i}]: expected {_article(rule.items)}, got {_shown(item)}")
    if isinstance(value, dict) and isinstance(head_value, dict):
        for key, sub in value.items():
            old = head_value.get(key)
            _check_value(f"{where}.{key}", sub, Rule(None if old is None else kind_of(old)), old, out)


def _shown(value: Any) -> str:
    """A value as a problem line shows it: scalars as written, containers by kind (they may be long)."""
    if isinstance(value, (dict, list)):
        return _article(kind_of(value))
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def known_properties(t: ObjectType) -> frozenset[str]:
    """What an object file of this type may hold at the top level (its backed-up properties and links)."""
    names = {*t.select, "id", *(r.name for r in t.relationships)}
    if t.keep_odata_type:
        names.add("@odata.type")
    return frozenset(names)


def _values_at(obj: Mapping[str, Any], dotted: str) -> list[Any]:
    steps, _ = catalog.parse_dotted(dotted)
    return [parent[key] for parent, key in catalog.walk(obj, steps)]


def check_object(
    relpath: str, t: ObjectType, obj: Mapping[str, Any], head: Mapping[str, Any] | None
) -> list[str]:
    """The catalog and HEAD checks of one parsed object file (each problem one line naming the file)."""
    problems: list[str] = []
    old = head or {}
    known = known_properties(t) | set(old)
    for prop, value in obj.items():
        if prop not in known:
            problems.append(f"{relpath}: {prop}: not a property entragit backs up for {t.name}")
            continue
        _check_value(f"{relpath}: {prop}", value, _expected(t, prop, old.get(prop)), old.get(prop), problems)
    if head is not None:
        for dotted in t.read_only:
            before, after = _values_at(head, dotted), _values_at(obj, dotted)
            if after and before != after:  # a property left out is not sent: only a changed value counts
                was = _shown(before[0]) if len(before) == 1 else "unset" if not before else "a list"
                problems.append(f"{relpath}: {dotted}: read-only, changed from {was} at HEAD")
    return problems


def _folder_types(relpath: str) -> list[ObjectType]:
    """Types whose folder holds relpath (object files belong there), deepest folder first."""
    folder = relpath.rpartition("/")[0]
    found = [t for t in catalog.CATALOG if folder == t.folder or folder.startswith(t.folder + "/")]
    return sorted(found, key=lambda t: -len(t.folder))


def is_object_candidate(relpath: str) -> bool:
    """A YAML file in some type's folder: what `validate` checks when given no file."""
    return relpath.endswith(".yaml") and bool(_folder_types(relpath))


def _misplaced(relpath: str, obj: Mapping[str, Any]) -> str | None:
    """The problem of a YAML file in a type's folder that is not where that type's files go, or None."""
    if catalog.parse_path(relpath) is not None:
        return None
    types = _folder_types(relpath)
    if not types:
        return None
    t = types[0]
    if t.singleton:
        where = " or ".join(catalog.object_path(s, "") for s in types if s.singleton)
        return f"{relpath}: not an object file of {t.folder}/ (expected {where})"
    object_id = obj.get("id")
    if isinstance(object_id, str) and object_id and "/" not in object_id:
        return f"{relpath}: a {t.name} file belongs at {catalog.object_path(t, object_id)}"
    return f"{relpath}: not where {t.name} files go ({catalog.object_path(t, '<id>')})"


@dataclass
class FileResult:
    path: str  # relative to the repository root
    problems: list[str]
    fixed: str | None = None  # the canonical text, when only the form was wrong


def check_text(relpath: str, data: bytes, head_text: str | None) -> FileResult:
    """Every check of one file's bytes, given its HEAD version's text (None for a new file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileResult(
            relpath, [f"{relpath}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"]
        )
    problems, fixed = canonical.check_file(relpath, text)
    if fixed is None and problems:
        return FileResult(relpath, problems)
    obj = canonical.load(text, source=relpath)
    misplaced = _misplaced(relpath, obj)
    if misplaced:
        return FileResult(relpath, [*problems, misplaced])
    parsed = catalog.parse_path(relpath)
    if parsed is None:
        return FileResult(relpath, problems)
    head = _head_object(head_text, relpath)
    content = check_object(relpath, parsed[0], obj, head)
    only_form = fixed is not None and fixed != text and len(problems) == 1 and not content
    return FileResult(relpath, [*problems, *content], fixed if only_form else None)


def _head_object(text: str | None, relpath: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        return canonical.load(text, source=relpath)
    except canonical.CanonicalError:
        return None  # a broken committed file gives no rules; its replacement is checked on its own


def changed_files(repo: BackupRepo) -> list[str]:
    """Object files changed against HEAD, staged or not, and new untracked ones (deleted ones need no
    check)."""
    if _has_head(repo):
        listed = repo.git("diff", "--name-only", "-z", "--no-renames", "HEAD")
    else:
        listed = repo.git("ls-files", "-z", "--cached")
    listed += b"\0" + repo.git("ls-files", "-z", "--others", "--exclude-standard")
    names = {n for n in listed.decode("utf-8", "surrogateescape").split("\0") if n}
    return sorted(n for n in names if is_object_candidate(n) and (repo.root / n).is_file())


def _has_head(repo: BackupRepo) -> bool:
    return bool(repo.git("rev-parse", "--verify", "--quiet", "HEAD", check=False).strip())


def _relative(repo_root: Path, name: str) -> str | None:
    """A command-line file as a repository path, or None when it lies outside the repository."""
    full = Path(os.path.abspath(name))
    try:
        return full.relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        try:
            return full.relative_to(repo_root).as_posix()
        except ValueError:
            return None


def validate(
    repo_dir: str | os.PathLike[str], files: Sequence[str] = (), *, fix: bool = False
) -> list[FileResult]:
    """Check the given files (paths as the user typed them) or, with none, every changed object file.

    With `fix`, a file whose only problem is its form is rewritten in canonical form (and still reported, so
    a pre-commit hook stops and the rewritten file can be staged)."""
    repo = BackupRepo(repo_dir)
    results: list[FileResult] = []
    targets: list[str] = []
    for name in files:
        rel = _relative(repo.root, name)
        if rel is None:
            results.append(FileResult(name, [f"{name}: outside the backup repository {repo.root}"]))
        elif not (repo.root / rel).is_file():
            results.append(FileResult(rel, [f"{rel}: no such file"]))
        else:
            targets.append(rel)
    if not files:
        targets = changed_files(repo)
    heads = _read_head(repo, targets) if _has_head(repo) else [None] * len(targets)
    for rel, head_text in zip(targets, heads, strict=True):
        result = check_text(rel, (repo.root / rel).read_bytes(), head_text)
        if fix and result.fixed is not None:
            (repo.root / rel).write_text(result.fixed, encoding="utf-8")
            result.problems = [f"{rel}: rewritten in canonical form"]
        results.append(result)
    return results


def _read_head(repo: BackupRepo, paths: Sequence[str]) -> list[str | None]:
    try:
        return repo.read_many([f"HEAD:{p}" for p in paths])
    except UnicodeDecodeError:  # a committed file that is not UTF-8: read one by one, skipping that one
        out: list[str | None] = []
        for p in paths:
            try:
                out.append(repo.read("HEAD", p))
            except UnicodeDecodeError:
                out.append(None)
        return out
