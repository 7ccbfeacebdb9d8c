"""Checks of hand-edited object files, before `apply` writes anything: each problem one line naming the file
and the property.

Graph publishes no schema entragit could check values against offline, so the files themselves are the
reference: a value must be of the kind (string, number, boolean, list, mapping) the committed version of the
same file has for that property, or, where it has none, the kind other committed files of the type have; a
read-only property must hold a value some committed version of the file held (Graph sets it; `git checkout`
of an older version is fine, an edit is not). The properties a file may hold are `entragit validate`'s
(validate.known_properties).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from entragit import canonical, catalog
from entragit.catalog import ObjectType
from entragit.validate import known_properties

_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"),  # before int: bool is an int in Python
    ((int, float), "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "a mapping"),
)


def kind(value: Any) -> str | None:
    for types, name in _KINDS:
        if isinstance(value, types):
            return name
    return None


def read_only_names(t: ObjectType) -> list[str]:
    return sorted({p.split(".")[0].split("[")[0] for p in t.read_only} - {"id"})


def _wrong_kinds(value: Any, refs: Sequence[Any], where: str) -> Iterable[str]:
    """Where value's kind differs from the first reference that has one (nested mappings and list items
    checked the same way)."""
    ref = next((r for r in refs if r is not None), None)
    if value is None or ref is None:
        return
    have, want = kind(value), kind(ref)
    if have != want:
        yield f"{where}: {have} where {want} is expected"
        return
    if isinstance(value, dict):
        subrefs = [r for r in refs if isinstance(r, dict)]
        for k, v in value.items():
            yield from _wrong_kinds(v, [r.get(k) for r in subrefs], f"{where}.{k}")
    elif isinstance(value, list):
        items = [i for r in refs if isinstance(r, list) for i in r]
        for i, v in enumerate(value):
            yield from _wrong_kinds(v, items, f"{where}[{i}]")


def problems(
    path: str,
    obj: Mapping[str, Any],
    committed: Mapping[str, Any] | None,
    examples: Callable[[ObjectType], Sequence[Mapping[str, Any]]],
    history: Callable[[], Sequence[Mapping[str, Any]]],
) -> list[str]:
    """What is wrong with one loaded object file: `committed` is its version at HEAD (None for a new file),
    `examples` other committed objects of its type, `history` every committed version (read only when a
    read-only value differs from HEAD's)."""
    parsed = catalog.parse_path(path)
    if parsed is None:
        return [f"{path}: not an object file"]
    t, oid = parsed
    out: list[str] = []
    if not t.singleton and str(obj.get("id")) != oid:
        out.append(f"{path}: id: {obj.get('id')!r} differs from the file name ({oid})")
    known = known_properties(t)
    out += [f"{path}: {k}: unknown property of {t.name}" for k in obj if k not in known]
    for k, v in obj.items():
        if k not in known:
            continue
        refs = [committed.get(k)] if committed else []
        if all(r is None for r in refs):
            refs = [e.get(k) for e in examples(t)]
        out += [f"{path}: {line}" for line in _wrong_kinds(v, refs, k)]
    if committed is not None:
        edited = [k for k in read_only_names(t) if k in obj and obj.get(k) != committed.get(k)]
        if edited:
            versions = history()
            out += [
                f"{path}: {k}: read-only (Graph sets it), yet it differs from every committed version"
                for k in edited
                if all(canonical.normalize(t, v).get(k) != obj.get(k) for v in versions)
            ]
    return out
