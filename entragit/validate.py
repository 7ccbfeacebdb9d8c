"""Checks of hand-edited object files: `entragit validate` (the pre-commit hook) and `entragit apply` (before
it writes anything) run the same ones, each problem one line naming the file and the property.

A backup repository is edited by people (GitOps: change a file, open a pull request, `apply` on merge), so a
typo must be caught where it is made, not by Graph halfway through an apply. Graph publishes no schema to
check values against offline (its CSDL is a test oracle, not shipped), so the catalog, the value rules and the
committed files (which backups wrote) are the reference:

- (validate only) it is UTF-8, valid YAML without duplicate keys, in canonical form (`canonical.check_file`),
  in its type's folder (`catalog.object_path`); apply takes any valid YAML;
- its `id` is its file name (except for a singleton, whose file is named after its type);
- every property is one the catalog selects for the type, one of its relationships, or one the committed
  version holds (types listed without `$select` keep every property Graph returned);
- every value has the kind its rule says: relationships and unordered lists from the catalog, anything
  else the kind of the committed version's value or, where that has none (a new file, an unset property), of
  other committed files of the type (`Committed.examples`); mappings and list items likewise, level by level.
  Null is allowed except for id lists: canonical form writes an unset property as null;
- every value keeps Graph's documented rules (`value_rules`: kind, enumeration members, collection shape,
  lengths, documented formats such as country codes and object ids, cross-property rules such as a group's
  kind), and a new file (a create) holds what Graph's create page requires; the same table makes the sandbox
  refuse what Graph refuses, and the schema tests check it against Microsoft's published v1.0 schema;
- a read-only property (`ObjectType.read_only`) holds its committed value or one some committed version of
  the file held (`Committed.history`): Graph sets it, so `git checkout OLD -- FILE` is fine, an edit is not.

The sandbox is not consulted: it stands in for Graph in tests and must not become the client's schema.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entragit import canonical, catalog, value_rules
from entragit.catalog import EXTENSION_PREFIX, ObjectType
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
    "extension-property": ("list", "mapping"),
    "contained": ("list", "mapping"),
}
EXAMPLES = 20  # committed files per type that show a property's kind where the file's own version has none


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


def _reference_kind(refs: Sequence[Any]) -> str | None:
    """The kind of the first committed value there is (None: any); a whole number where other files have a
    fraction stands for a Graph Double, not an integer."""
    kinds = [kind_of(r) for r in refs if r is not None]
    if not kinds:
        return None
    return "number" if kinds[0] == "integer" and "number" in kinds else kinds[0]


@functools.cache
def _catalog_rules(type_name: str) -> Mapping[str, Rule]:
    """The top-level properties whose rule the catalog gives, whatever the committed files say (once per
    type: an apply checks every file)."""
    t = catalog.by_name(type_name)
    rules = {"id": Rule("string", nullable=False)}
    rules.update({entry.split(":")[0]: Rule("list") for entry in t.unordered if "." not in entry})
    rules.update({word: Rule("string") for word in t.unordered_words})
    for rel in t.relationships:
        kind, items = _RELATIONSHIP_KINDS[rel.kind]
        rules[rel.name] = Rule(kind, items, nullable=rel.kind == "ref-single")
    return rules


def _fits(kind: str, expected: str) -> bool:
    return kind == expected or kind in _ACCEPTS.get(expected, ())


def _check_value(where: str, value: Any, rule: Rule, refs: Sequence[Any], out: list[str]) -> None:
    """Problems of one value against its rule, then of its entries against the committed values' entries
    (the same key of the reference mappings, any item of the reference lists)."""
    if value is None:
        if not rule.nullable:
            out.append(f"{where}: expected {_article(rule.kind or 'value')}, got null")
        return
    if rule.kind is not None and not _fits(kind_of(value), rule.kind):
        out.append(f"{where}: expected {_article(rule.kind)}, got {_shown(value)}")
        return
    if isinstance(value, dict):
        maps = [r for r in refs if isinstance(r, dict)]
        for key, sub in value.items():
            subrefs = [m.get(key) for m in maps]
            _check_value(f"{where}.{key}", sub, Rule(_reference_kind(subrefs)), subrefs, out)
    elif isinstance(value, list):
        items = [i for r in refs if isinstance(r, list) for i in r]
        item_rule = Rule(rule.items, nullable=False) if rule.items else Rule(_reference_kind(items))
        for i, item in enumerate(value):
            _check_value(f"{where}[{i}]", item, item_rule, items, out)


def _shown(value: Any) -> str:
    """A value as a problem line shows it: scalars as written, containers by kind (they may be long)."""
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return _article(kind_of(value))
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


@functools.cache
def _known_properties(type_name: str) -> frozenset[str]:
    """What an object file of this type may hold at the top level (its backed-up properties and links)."""
    t = catalog.by_name(type_name)
    names = {*t.select, "id", *(r.name for r in t.relationships)}
    if t.keep_odata_type or t.derived:
        names.add("@odata.type")
    return frozenset(names)


def _values_at(obj: Mapping[str, Any], dotted: str) -> list[Any]:
    if "." not in dotted and "[" not in dotted:  # a top-level name: every file of an apply checks each
        return [obj[dotted]] if dotted in obj else []
    steps, _ = catalog.parse_dotted(dotted)
    return [parent[key] for parent, key in catalog.walk(obj, steps)]


def load_committed(text: str | None, relpath: str) -> dict[str, Any] | None:
    """A committed file's object, or None when there is none or it is broken: a broken committed file gives no
    rules, its replacement is checked on its own."""
    if text is None:
        return None
    try:
        return canonical.load(text, source=relpath)
    except canonical.CanonicalError:
        return None


def _read_each(repo: BackupRepo, specs: Sequence[str]) -> list[str | None]:
    """read_many, with None for a committed file that is not UTF-8 instead of failing them all."""
    try:
        return repo.read_many(specs)
    except UnicodeDecodeError:
        out: list[str | None] = []
        for spec in specs:
            try:
                out.append(repo.read_many([spec])[0])
            except UnicodeDecodeError:
                out.append(None)
        return out


class Committed:
    """The committed files an object file is checked against besides its own version, each read when first
    needed: a few other files of its type (a value's kind where its own version has none) and every committed
    version of the file (the read-only value a `git checkout` brought back)."""

    def __init__(self, repo: BackupRepo, revs: Sequence[str]) -> None:
        self._repo = repo
        self._revs = revs  # HEAD first, then for apply the latest backup (a merge may have removed its files)
        self._examples: dict[str, list[dict[str, Any]]] = {}

    def examples(self, t: ObjectType) -> list[dict[str, Any]]:
        if t.name not in self._examples:
            found: dict[str, str] = {}  # path → the first revision that has it
            for rev in self._revs:  # one listing of the type's folder, not the whole index (a fresh clone)
                listed = self._repo.git("ls-tree", "-r", "-z", "--name-only", rev, "--", t.folder + "/")
                ours = (p for p in listed.decode("utf-8", "surrogateescape").split("\0") if p)
                for path in itertools.islice((p for p in ours if catalog.type_for_path(p) is t), EXAMPLES):
                    found.setdefault(path, rev)  # git lists paths sorted: the first few are enough
            some = sorted(found)[:EXAMPLES]
            texts = _read_each(self._repo, [f"{found[p]}:{p}" for p in some])
            loaded = (load_committed(text, p) for p, text in zip(some, texts, strict=True))
            self._examples[t.name] = [obj for obj in loaded if obj is not None]
        return self._examples[t.name]

    def history(self, path: str) -> list[dict[str, Any]]:
        """Every committed version of path up to HEAD, newest first."""
        found = [(c.sha, p) for c, status, p in self._repo.file_log([path], self._revs[0]) if status != "D"]
        texts = _read_each(self._repo, [f"{sha}:{p}" for sha, p in found])
        loaded = (load_committed(text, p) for (_, p), text in zip(found, texts, strict=True))
        return [obj for obj in loaded if obj is not None]


def check_object(
    relpath: str, obj: Mapping[str, Any], head: Mapping[str, Any] | None, committed: Committed | None = None
) -> list[str]:
    """Problems of one parsed object file against its type and the committed files: `head` is its committed
    version (None for a new file), `committed` the others (None: none consulted)."""
    parsed = catalog.parse_path(relpath)
    if parsed is None:
        return [f"{relpath}: not an object file"]
    t, object_id = parsed
    problems: list[str] = []
    if not t.singleton and obj.get("id") != object_id:
        problems.append(f"{relpath}: id: {_shown(obj.get('id'))} differs from the file name")
    old = head or {}
    known, rules = _known_properties(t.name), _catalog_rules(t.name)
    for prop, value in obj.items():
        extension = bool(t.extension_target) and prop.startswith(EXTENSION_PREFIX)  # any the tenant defines
        if prop not in known and prop not in old and not extension:
            problems.append(f"{relpath}: {prop}: not a property entragit backs up for {t.name}")
        elif prop != "id" or t.singleton:  # a file's id is its name, checked above
            refs = [old.get(prop)]
            if refs[0] is None and committed is not None:
                refs = [e.get(prop) for e in committed.examples(t)]
            rule = rules.get(prop) or Rule(_reference_kind(refs))  # the catalog first, then the files
            _check_value(f"{relpath}: {prop}", value, rule, refs, problems)
    problems += _rule_problems(relpath, t, obj, head, problems)
    problems += _kind_problems(relpath, t, obj, head)
    if head is not None:
        problems += _read_only_edits(relpath, t, obj, head, committed)
    return problems


# Properties Graph requires on create that a file never holds, because the restore writes them itself: a
# recreated user's temporary password (restore/apply.py).
SUPPLIED_ON_CREATE: Mapping[str, frozenset[str]] = {"users": frozenset({"passwordProfile"})}


def _rule_problems(
    relpath: str, t: ObjectType, obj: Mapping[str, Any], head: Mapping[str, Any] | None, found: list[str]
) -> list[str]:
    """Graph's documented value rules (value_rules: kinds, members, lengths, documented formats, what a
    create requires, cross-property rules) on the values this file sends. A new file is a create. A value
    already reported by the committed-files check is not reported twice."""
    kind = t.derived_type(obj) if t.derived else None
    # A kind a restore never creates (an agent identity: made from other objects) has no create to judge.
    creating = head is None and not t.singleton and not (kind is not None and kind.not_recreatable)
    supplied = SUPPLIED_ON_CREATE.get(t.name, frozenset())
    out: list[str] = []
    for problem in value_rules.check(t.path, obj, creating=creating):
        line = f"{relpath}: {problem.where}: {problem.text}"
        if problem.what == "required" and problem.path in supplied:
            continue
        if problem.what == "kind" and any(f.startswith(f"{relpath}: {problem.where}:") for f in found):
            continue
        out.append(line)
    return out


def _kind_problems(
    relpath: str, t: ObjectType, obj: Mapping[str, Any], head: Mapping[str, Any] | None
) -> list[str]:
    """An object of a catalog `derived` type (an agent identity) names it in `@odata.type`, which Graph
    never changes: another value, or one added to or taken from a committed file, is an edit of the kind."""
    if not t.derived or t.keep_odata_type:
        return []
    kind, was = obj.get("@odata.type"), (head or {}).get("@odata.type")
    if kind is not None and t.derived_type(obj) is None:
        kinds = ", ".join(d.odata_type for d in t.derived)
        return [f"{relpath}: @odata.type: {_shown(kind)} is not a kind of {t.name} entragit knows ({kinds})"]
    if head is not None and kind != was:
        return [f"{relpath}: @odata.type: the kind of an object cannot change (committed: {_shown(was)})"]
    return []


def _read_only_edits(
    relpath: str, t: ObjectType, obj: Mapping[str, Any], head: Mapping[str, Any], committed: Committed | None
) -> list[str]:
    """Read-only values that differ from the committed version's and from every other committed version's
    (compared in canonical order: a hand edit may reorder an unordered list). A property left out, or unset
    where the committed version lacks it, is not sent: only a value that was set counts."""
    out: list[str] = []
    mine: dict[str, Any] | None = None
    versions: list[dict[str, Any]] = []
    for dotted in t.read_only:
        before = _values_at(head, dotted)
        after = _values_at(obj, dotted)
        if (dotted == "id" and not t.singleton) or not after or after == (before or [None]):
            continue
        if mine is None:
            mine = canonical.normalize(t, obj)
            history = committed.history(relpath) if committed is not None else []
            versions = [canonical.normalize(t, v) for v in (head, *history)]
        if any(_values_at(mine, dotted) == (_values_at(v, dotted) or [None]) for v in versions):
            continue
        was = _shown(before[0]) if len(before) == 1 else "unset" if not before else "a list"
        out.append(f"{relpath}: {dotted}: read-only, changed from {was} to a value no committed version has")
    return out


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
    rewritten: bool = False  # `--fix` wrote that text: no problem is left


def check_text(
    relpath: str, data: bytes, head_text: str | None, committed: Committed | None = None
) -> FileResult:
    """Every check of one file's bytes, given its HEAD version's text (None for a new file) and the other
    committed files (None: none consulted)."""
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
    if catalog.parse_path(relpath) is None:
        return FileResult(relpath, problems)
    content = check_object(relpath, obj, load_committed(head_text, relpath), committed)
    only_form = fixed is not None and fixed != text and len(problems) == 1 and not content
    return FileResult(relpath, [*problems, *content], fixed if only_form else None)


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

    With `fix`, a file whose only problem is its form is rewritten in canonical form and marked `rewritten`,
    with no problem left (a pre-commit hook still stops: pre-commit fails a hook that modified files, so the
    rewritten file can be staged)."""
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
    committed = Committed(repo, [repo.head().sha]) if _has_head(repo) else None
    heads = [None] * len(targets) if committed is None else _read_each(repo, [f"HEAD:{p}" for p in targets])
    for rel, head_text in zip(targets, heads, strict=True):
        result = check_text(rel, (repo.root / rel).read_bytes(), head_text, committed)
        if fix and result.fixed is not None:
            (repo.root / rel).write_text(result.fixed, encoding="utf-8")
            result.problems, result.rewritten = [], True
        results.append(result)
    return results
