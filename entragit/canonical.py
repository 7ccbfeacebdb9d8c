"""Canonical form of a Graph object, and its YAML text.

The same tenant state must give byte-identical files (so git only sees real changes), and loading a file must
give back exactly the canonical dict (so restore and compare work on what the file says). Both live here:

- `canonicalize` turns Graph JSON into the canonical dict: volatile fields and `@odata` annotations dropped
  (`@odata.type` is kept for polymorphic types and for objects of a catalog `derived` type), identity keys
  first, every other key sorted, unordered lists sorted, relationships merged in as sorted ids.
- `dump` writes that dict as YAML with our own small emitter. The canonical data model is only dicts, lists,
  str, int, float, bool and None, so a purpose-built emitter is short, fast (~45 µs for a typical user file:
  ~100x ruamel's pure-Python emitter, ~7x libyaml's; benchmarks/bench_canonical.py) and controls quoting
  exactly: every string that a YAML 1.1 reader (PyYAML, GitHub) or a YAML 1.2 reader (ruamel) would resolve
  to another type is quoted.
- `load` reads text in dump()'s exact format with a small strict reader (~4x faster than ruamel's C parser)
  and everything else — hand-edited files with comments, flow style, other indentation — with ruamel.yaml
  (YAML 1.2, its C parser when available). The strict reader gives up on anything it is not sure of, so it
  never reads a file differently from ruamel.

Null values are kept: Graph returns null for an unset selected property, and a restore needs the file to say
null to clear a property that was set later. Properties a delta round omits (never-set ones) are filled with
null for the same reason, so full and incremental backups write the same bytes.
"""

from __future__ import annotations

import functools
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entragit import yamlscreen
from entragit.catalog import EXTENSION_PREFIX, ObjectType, Relationship, Steps, parse_dotted, parse_path, walk
from entragit.errors import EntragitError


class CanonicalError(EntragitError):
    """A backup file that is not valid canonical YAML (syntax error, duplicate key, unsupported value)."""


# ----------------------------------------------------------------------------------------------------------
# Canonicalize


def _clean(value: Any, keep_type: bool) -> Any:
    """Deep copy with dict keys sorted and annotations dropped (`@odata.*`, `x@delta`, `x@odata.bind`).

    `@odata.type` survives when the type is polymorphic; it is the only annotation a restore needs."""
    if type(value) is dict:
        out = {}
        for key in sorted(value):
            if "@" in key and not (keep_type and key == "@odata.type"):
                continue
            v = value[key]
            out[key] = _clean(v, keep_type) if type(v) in _CONTAINERS else v
        return out
    if type(value) is list:
        return [_clean(v, keep_type) if type(v) in _CONTAINERS else v for v in value]
    if isinstance(value, Mapping):
        return _clean(dict(value), keep_type)
    if isinstance(value, (list, tuple)):
        return _clean(list(value), keep_type)
    return value


_CONTAINERS = (dict, list)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sort_list(items: list[Any], key: str | None = None) -> list[Any]:
    """Deterministic order for a list whose order carries no meaning.

    Strings sort by value; objects by `key` (when given) and then by their compact JSON, so equal-keyed items
    still have a fixed order (the JSON is only computed when two keys are equal: it is the costly part)."""
    if all(isinstance(v, str) for v in items):
        return sorted(items)
    if key is not None:
        keys = [str(v.get(key, "")) if isinstance(v, dict) else "" for v in items]
        if len(set(keys)) == len(keys):
            return [items[i] for i in sorted(range(len(items)), key=keys.__getitem__)]
        return sorted(items, key=lambda v: (str(v.get(key, "")) if isinstance(v, dict) else "", _compact(v)))
    return sorted(items, key=_compact)


@dataclass(frozen=True)
class _Plan:
    """A type's volatile and unordered paths, parsed once and split by depth: most are top-level keys,
    handled with a dict lookup instead of a path walk (the walk was half of canonicalize's time)."""

    volatile_keys: tuple[str, ...]
    volatile_deep: tuple[Steps, ...]
    unordered_keys: tuple[tuple[str, str | None], ...]
    unordered_deep: tuple[tuple[Steps, str | None], ...]
    # the type's own property and relationship names: keys that are not extension attributes, skipped
    # without a string test when unset extensions are dropped (a user has 60 keys and a few extensions)
    named: frozenset[str] = frozenset()


_PLANS: dict[int, tuple[ObjectType, _Plan]] = {}


def _top_level(steps: Steps) -> str | None:
    return steps[0][0] if len(steps) == 1 and not steps[0][1] and steps[0][0] != "*" else None


def _by_depth(paths: Sequence[Steps]) -> tuple[tuple[str, ...], tuple[Steps, ...]]:
    """Parsed paths split into top-level keys (a dict lookup) and deeper paths (a walk)."""
    return tuple(k for k in map(_top_level, paths) if k is not None), tuple(
        s for s in paths if _top_level(s) is None
    )


@functools.lru_cache(maxsize=64)
def _dropped(drop: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Steps, ...]]:
    """Excluded attributes parsed once and split by depth, as `_Plan`'s volatile paths are. Every user of a
    run has the same ones (at least the custom security attributes it does not opt in to)."""
    return _by_depth([parse_dotted(p)[0] for p in drop])


def _plan(t: ObjectType) -> _Plan:
    """Parsed dotted paths of a type, cached by identity (hashing a frozen entry hashes every field)."""
    cached = _PLANS.get(id(t))
    if cached is None or cached[0] is not t:
        volatile_keys, volatile_deep = _by_depth([parse_dotted(p)[0] for p in t.volatile])
        unordered = [parse_dotted(p) for p in t.unordered]
        plan = _Plan(
            volatile_keys=volatile_keys,
            volatile_deep=volatile_deep,
            unordered_keys=tuple((k, key) for k, key in ((_top_level(s), key) for s, key in unordered) if k),
            unordered_deep=tuple((s, key) for s, key in unordered if _top_level(s) is None),
            named=frozenset(
                [
                    *(p for p in t.select if not p.startswith(EXTENSION_PREFIX)),
                    *(r.name for r in t.relationships),
                ]
            ),
        )
        cached = _PLANS[id(t)] = (t, plan)
    return cached[1]


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    out = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("id")
        if item:
            out.append(str(item))
    return sorted(set(out))


def _single_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, list):  # `manager@delta` style: a one-element list
        ids = _ids(value)
        return ids[0] if ids else None
    return str(value) if value else None


def canonicalize(
    t: ObjectType,
    graph_obj: Mapping[str, Any],
    links: Mapping[str, Any] | None = None,
    *,
    drop: Iterable[str] = (),
) -> dict[str, Any]:
    """The canonical dict of one Graph object of type `t`.

    `links` maps relationship names of `t` to what was read for them: a list of ids or directory objects for
    members/owners, an id or object (or None) for manager, a list of appRoleAssignment objects for
    appRoleAssignedTo. A relationship absent from `links` is taken from `graph_obj` when present there (an
    already canonical dict can be canonicalized again) and left out otherwise. `drop` adds dotted paths to
    leave out (the `exclude attributes` setting of entragit.yaml)."""
    obj: dict[str, Any] = _clean(dict(graph_obj), t.keep_odata_type)
    plan = _plan(t)
    if t.extension_target:  # an unset extension is no line: Graph may omit it or return null
        for key in [
            k for k in obj.keys() - plan.named if k.startswith(EXTENSION_PREFIX) and obj[k] in (None, [])
        ]:
            del obj[key]
    if not t.send_select:  # the whole object was read: keep what the catalog backs up (v1.0 properties)
        kept = {*t.select, "@odata.type", *(r.name for r in t.relationships)}
        obj = {k: v for k, v in obj.items() if k in kept}
    derived = t.derived_type(graph_obj)
    if derived is not None:  # an agent identity, not a plain service principal: the file says so
        obj["@odata.type"] = derived.odata_type
    if t.fill_missing:
        for prop in t.select:
            obj.setdefault(prop, None)
    drop_keys, drop_deep = _dropped(tuple(drop))
    for key in (*plan.volatile_keys, *drop_keys):
        obj.pop(key, None)
    for steps in (*plan.volatile_deep, *drop_deep):
        for parent, key in list(walk(obj, steps)):
            del parent[key]
    for rel in t.relationships:
        if rel.name in drop_keys:  # (an excluded relationship: no value from the links either)
            continue
        if links is not None and rel.name in links:
            raw = links[rel.name]
        elif rel.name in graph_obj:
            raw = graph_obj[rel.name]
        else:
            continue
        if rel.kind == "ref-single":
            obj[rel.name] = _single_id(raw)
        elif rel.holds_items:
            items = (relationship_item(rel, a) for a in raw or () if isinstance(a, Mapping))
            obj[rel.name] = sorted(items, key=_compact)
        else:
            obj[rel.name] = _ids(raw)
    if links:
        unknown = set(links) - {r.name for r in t.relationships}
        if unknown:
            raise ValueError(f"{t.name} has no relationship {sorted(unknown)}")
    _sort_unordered(t, obj)
    return _order(obj, t.identity)


def _sort_unordered(t: ObjectType, obj: dict[str, Any]) -> None:
    plan = _plan(t)
    for key, sort_key in plan.unordered_keys:
        value = obj.get(key)
        if type(value) is list and len(value) > 1:
            obj[key] = sort_list(value, sort_key)
    for steps, sort_key in plan.unordered_deep:
        for parent, key in walk(obj, steps):
            value = parent[key]
            if isinstance(value, list) and len(value) > 1:
                parent[key] = sort_list(value, sort_key)
    for prop in t.unordered_words:
        value = obj.get(prop)
        if isinstance(value, str):
            obj[prop] = " ".join(sorted(set(value.split())))


@dataclass(frozen=True)
class Ref:
    """One id of another object found in a canonical object: where, what, and what it can be."""

    path: str  # the catalog path (`conditions.users.includeGroups`) or relationship name (`members`)
    value: str  # the id (prefix removed)
    types: tuple[str, ...]  # catalog type names it can belong to
    key: str = "id"  # property of the target that holds `value`


def find_references(t: ObjectType, obj: Mapping[str, Any]) -> list[Ref]:
    """Every id of another object that `obj` holds: its relationships and its catalog `references`.

    Restore uses it to order work and warn about missing targets; compare to show names instead of ids."""
    out: list[Ref] = []
    for rel in t.relationships:
        value = obj.get(rel.name)
        if rel.kind == "ref-single":
            if isinstance(value, str) and value:
                out.append(Ref(rel.name, value, rel.targets))
        elif rel.kind == "app-role-assignment":
            for item in value or ():
                if isinstance(item, dict) and item.get("principalId"):
                    out.append(Ref(rel.name, str(item["principalId"]), rel.targets))
        elif rel.kind == "contained":
            continue  # what a contained item names is no directory object (a credential's issuer)
        else:
            out.extend(Ref(rel.name, v, rel.targets) for v in value or () if isinstance(v, str) and v)
    for ref in t.references:
        for parent, key in walk(obj, parse_dotted(ref.path)[0]):
            value = parent[key]
            for v in value if isinstance(value, list) else [value]:
                out.extend(Ref(ref.path, i, ref.types, ref.key) for i in ref.ids_in(v))
    return out


def rewrite_references(
    t: ObjectType,
    obj: Mapping[str, Any],
    id_map: Mapping[str, str],
    app_id_map: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A canonical copy of `obj` with ids of recreated objects replaced (old id -> new id).

    `app_id_map` does the same for application ids (a recreated application gets a new appId). Values not
    in the maps stay as they are; lists are sorted again, so the result is canonical. Only ids change: no
    property is added or removed."""
    copy: dict[str, Any] = json.loads(_compact(dict(obj)))
    app_ids = app_id_map or {}

    def swap(value: Any, mapping: Mapping[str, str]) -> Any:
        if isinstance(value, str):
            return mapping.get(value, value)
        return value

    for rel in t.relationships:
        if rel.name not in copy:
            continue
        value = copy[rel.name]
        if rel.kind == "ref-single":
            copy[rel.name] = swap(value, id_map)
        elif rel.kind == "app-role-assignment" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    item["principalId"] = swap(item.get("principalId"), id_map)
        elif rel.kind == "extension-property" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    item["name"] = extension_renamed(item["name"], app_ids)
        elif isinstance(value, list) and rel.kind != "contained":
            copy[rel.name] = [swap(v, id_map) for v in value]
    if t.extension_target and app_ids:  # values of extensions whose owner app was recreated
        copy = {extension_renamed(k, app_ids): v for k, v in copy.items()}
    for ref in t.references:
        mapping = app_ids if ref.key == "appId" else id_map
        for parent, key in walk(copy, parse_dotted(ref.path)[0]):
            value = parent[key]
            if isinstance(value, list):
                parent[key] = [ref.swap(v, mapping) for v in value]
            else:
                parent[key] = ref.swap(value, mapping)
    # Re-sort only: a full canonicalize would also fill attributes the repository excludes with null.
    return normalize(t, copy)


def relationship_item(rel: Relationship, item: Mapping[str, Any]) -> dict[str, Any]:
    """One item of a relationship that holds objects, as its file keeps it: the `item_fields` (a directory
    extension's targetObjects sorted: a set, in whatever order Graph lists it; of a contained entity those
    Graph returned)."""
    if rel.kind == "contained":  # no id (a restored one gets a new one); a polymorphic item has its own
        return {f: item[f] for f in sorted(rel.item_fields) if f in item}  # type's properties; keys sorted
    out = {f: item.get(f) for f in rel.item_fields}
    targets = out.get("targetObjects")
    if rel.kind == "extension-property" and isinstance(targets, list):
        out["targetObjects"] = sorted(targets)
    return out


def extension_owner(name: str) -> str:
    """The appId (hyphens put back) a directory extension's name carries, or '' for another name:
    `extension_{appId without hyphens}_{name}` (concepts/extensibility-overview.md)."""
    if not name.startswith(EXTENSION_PREFIX):
        return ""
    key = name[len(EXTENSION_PREFIX) : len(EXTENSION_PREFIX) + 32]
    if len(key) != 32 or name[len(EXTENSION_PREFIX) + 32 : len(EXTENSION_PREFIX) + 33] != "_":
        return ""
    return f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"


def extension_renamed(name: str, app_ids: Mapping[str, str]) -> str:
    """A directory extension's name after its owner app was recreated under a new appId (`app_ids`: old →
    new): the definition made on the new app has the new appId in its name; other names unchanged."""
    owner = extension_owner(name)
    new = app_ids.get(owner) if owner else None
    if not new:
        return name
    return EXTENSION_PREFIX + new.replace("-", "") + name[len(EXTENSION_PREFIX) + 32 :]


def _order(obj: dict[str, Any], identity: Sequence[str]) -> dict[str, Any]:
    out = {k: obj[k] for k in identity if k in obj}
    for k in sorted(obj):
        if k not in out:
            out[k] = obj[k]
    return out


def normalize(t: ObjectType, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical order of an object read from a file, without adding or dropping anything.

    Unlike `canonicalize` (Graph JSON in), it keeps whatever properties the file has: a repository that
    excludes attributes must not see them come back as null."""
    copy: dict[str, Any] = json.loads(_compact(dict(obj)))  # nested keys sorted
    for rel in t.relationships:
        value = copy.get(rel.name)
        if isinstance(value, list):
            if rel.holds_items:
                copy[rel.name] = sorted(value, key=_compact)
            elif all(isinstance(v, str) for v in value):
                copy[rel.name] = sorted(set(value))
    _sort_unordered(t, copy)
    return _order(copy, t.identity)


def check_file(relpath: str, text: str) -> tuple[list[str], str | None]:
    """Problems of one backup file (each a one-line message naming it), and its canonical text if readable.

    For `entragit validate` (a pre-commit hook over hand-edited files): the text must be valid YAML and, for
    an object file, exactly what `dump` writes for it (otherwise the next backup rewrites it and the diff
    shows noise). What the values say (the id, the properties) is validate.check_object's."""
    try:
        obj = load(text, source=relpath)
    except CanonicalError as exc:
        return [str(exc)], None
    parsed = parse_path(relpath)
    if parsed is None:
        return [], None  # entragit.yaml, reports and other files: valid YAML is all we ask
    try:
        fixed = dump(normalize(parsed[0], obj))
    except (TypeError, ValueError) as exc:
        return [f"{relpath}: {exc}"], None
    if fixed != text:
        return [f"{relpath}: not in canonical form (key order, list order or quoting differ)"], fixed
    return [], fixed


# ----------------------------------------------------------------------------------------------------------
# Dump

_RESERVED_WORDS = frozenset(
    w
    for word in ("yes", "no", "true", "false", "on", "off", "y", "n", "null", "~")
    for w in (word, word.capitalize(), word.upper())
)
_ASCII_PLAIN = re.compile(r"[A-Za-z/][\x20-\x7e]*\Z")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_ESCAPES = {
    "\0": "\\0",
    "\x07": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def _plain_ok(s: str) -> bool:
    """True when `s` can be written unquoted and every YAML 1.1 and 1.2 reader still reads this string.

    Deliberately narrow: starts with a letter, `/` or a non-ASCII printable character (or is a GUID), holds
    only printable characters, and contains nothing a reader treats as syntax (`: `, ` #`, trailing `:` or
    space) nor a word a resolver turns into a bool or null."""
    if s.isascii():
        if not _ASCII_PLAIN.match(s):
            return bool(_GUID.match(s))
    else:
        if not s.isprintable() or (s[0] < "\x80" and not (s[0].isalpha() or s[0] == "/")):
            return False
    if s in _RESERVED_WORDS:
        return False
    return not (s[-1] in ": " or ": " in s or " #" in s)


def _double_quoted(s: str) -> str:
    out = ['"']
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def _string(s: str) -> str:
    """A single-line YAML scalar for `s` (plain, single- or double-quoted)."""
    if s and _plain_ok(s):
        return s
    if s.isprintable():
        return "'" + s.replace("'", "''") + "'"
    return _double_quoted(s)


def _literal_lines(s: str) -> list[str] | None:
    """Lines of a literal block (`|`) for a multi-line string, or None when a block would not read back
    exactly: a `\\r`, tabs or other control characters, trailing spaces, or a first line that starts with
    whitespace or is empty (the indentation would be ambiguous)."""
    if s[0] in " \t\n" or "\r" in s:
        return None
    body = s.rstrip("\n")
    if not body:
        return None
    lines = body.split("\n")
    for line in lines:
        if line and (line[-1] == " " or not line.isprintable()):
            return None
    trailing = len(s) - len(body)
    header = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
    return [header, *lines, *([""] * (trailing - 1))] if trailing > 1 else [header, *lines]


def _float(f: float) -> str:
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    r = repr(f)
    if "e" in r:
        mantissa, exp = r.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exp[0] not in "+-":
            exp = "+" + exp
        return f"{mantissa}e{exp}"
    return r


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return _float(v)
    raise TypeError(f"cannot dump {type(v).__name__} in canonical YAML")


def _emit_value(prefix: str, v: Any, indent: str, out: list[str]) -> None:
    """Append `prefix` + the value; prefix is `key:` or `-`. Nested blocks go at `indent`."""
    if isinstance(v, str):
        if "\n" in v:
            block = _literal_lines(v)
            if block is not None:
                out.append(f"{prefix} {block[0]}")
                out.extend(indent + line if line else "" for line in block[1:])
                return
            out.append(f"{prefix} {_double_quoted(v)}")
            return
        out.append(f"{prefix} {_string(v)}")
    elif isinstance(v, (dict, list)):
        if not v:
            out.append(f"{prefix} {{}}" if isinstance(v, dict) else f"{prefix} []")
            return
        emit: Callable[[Any, str, list[str]], None] = _emit_mapping if isinstance(v, dict) else _emit_sequence
        if prefix[-1] == "-":
            # `- key: value` / `- - item`: the block starts on the dash's line, the rest aligned under it.
            start = len(out)
            emit(v, indent, out)
            out[start] = prefix + " " + out[start][len(indent) :]
        else:
            out.append(prefix)
            emit(v, indent, out)
    else:
        out.append(f"{prefix} {_scalar(v)}")


MAX_KEY_LENGTH = 1000


@functools.lru_cache(maxsize=65536)
def _key(k: str) -> str:
    """`key:` for a mapping key (property names repeat in every object: formatted once; a refused key
    raises, and an exception is never cached)."""
    if not isinstance(k, str):
        raise TypeError(f"canonical YAML keys are strings, got {k!r}")
    key = _string(k)
    if len(key) > MAX_KEY_LENGTH:
        # YAML limits implicit keys to one line of 1024 characters; Graph property names never come close.
        raise ValueError(f"cannot write a key of {len(k)} characters in canonical YAML: {k[:40]!r}...")
    return key + ":"


def _emit_mapping(d: dict[str, Any], indent: str, out: list[str]) -> None:
    deeper = indent + "  "
    for k, v in d.items():
        key = _key(k)
        kind = type(v)
        # The common scalars inline (most values of a directory object): a call per value is half the time.
        if kind is str and "\n" not in v:
            out.append(f"{indent}{key} {_string(v)}")
        elif v is None:
            out.append(f"{indent}{key} null")
        elif kind is bool:
            out.append(f"{indent}{key} {'true' if v else 'false'}")
        else:
            _emit_value(f"{indent}{key}", v, deeper, out)


def _emit_sequence(items: list[Any], indent: str, out: list[str]) -> None:
    deeper = indent + "  "
    for v in items:
        _emit_value(f"{indent}-", v, deeper, out)


def dump(obj: Mapping[str, Any]) -> str:
    """YAML text of a canonical dict: keys in the dict's order, no wrapping, no anchors, UTF-8 as is.

    Equal dicts with equal key order give identical bytes; `canonicalize` fixes the key order."""
    if not obj:
        return "{}\n"
    out: list[str] = []
    _emit_mapping(dict(obj), "", out)
    out.append("")
    return "\n".join(out)


def _dump_chunk(objs: Sequence[Mapping[str, Any]]) -> list[str]:
    return [dump(o) for o in objs]


PARALLEL_THRESHOLD = 5000


def dump_many(objs: Sequence[Mapping[str, Any]], *, processes: int = 1) -> list[str]:
    """`dump` of many objects; `processes > 1` spreads them over worker processes.

    Serial by default because it is faster: the emitter takes ~40 µs per typical user object, less than
    sending the object to a worker and the text back (benchmarks/bench_canonical.py: 10,000 users in 0.43 s
    on one core, 0.67 s with a 2-process pool)."""
    objs = list(objs)
    if processes <= 1 or len(objs) < PARALLEL_THRESHOLD:
        return _dump_chunk(objs)
    import multiprocessing

    size = max(500, len(objs) // (processes * 4))
    chunks = [objs[i : i + size] for i in range(0, len(objs), size)]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ctx.Pool(processes) as pool:
        parts = pool.map(_dump_chunk, chunks)
    return [text for part in parts for text in part]


# ----------------------------------------------------------------------------------------------------------
# Load


def _make_loader() -> tuple[Any, str]:
    """A ruamel.yaml safe loader class whose timestamps stay strings (Graph dates are strings)."""
    from ruamel.yaml.constructor import SafeConstructor

    base: Any
    kind = "c"
    try:
        from ruamel.yaml.cyaml import CSafeLoader as base
    except ImportError:  # no C extension on this platform
        from ruamel.yaml.loader import SafeLoader as base

        kind = "pure"

    class Loader(base):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)
    return Loader, kind


_LOADER, LOADER_KIND = _make_loader()
_JSON_TYPES = (str, int, float, bool, type(None))


def _check(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise CanonicalError(f"{where}: key {k!r} is not a string")
            _check(v, f"{where}.{k}" if where else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, f"{where}[{i}]")
    elif not isinstance(value, _JSON_TYPES):
        raise CanonicalError(f"{where or 'document'}: unsupported YAML value of type {type(value).__name__}")


# Fast path. Nearly every file load() sees was written by dump(); reading it through ruamel's parser costs
# ~0.7 ms per user object (the C scanner still resolves and constructs every scalar in Python). _FastReader
# accepts exactly the grammar dump() writes — indentation, "- " items, plain scalars that pass _plain_ok,
# our quoting and escapes, literal blocks — and gives up on anything else (comments, flow style, other
# indentation, anchors, unknown escapes, duplicate keys), so that such text goes to ruamel. For the text it
# accepts it therefore returns what ruamel returns; the tests check both on every tricky value. One deliberate
# exception: a lone surrogate, which dump() writes as a `\ud800` escape (PyYAML reads it) and libyaml refuses.


_plain_ok_cached = functools.lru_cache(maxsize=65536)(_plain_ok)


class _NotOurs(Exception):
    """The text is not in dump()'s exact format: let ruamel read it."""


_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+(?:e[-+][0-9]+)?\Z")
_UNESCAPE = {v[1]: k for k, v in _ESCAPES.items()}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}
_CONSTANTS: dict[str, Any] = {
    "null": None,
    "true": True,
    "false": False,
    ".nan": math.nan,
    ".inf": math.inf,
    "-.inf": -math.inf,
}


def _unquote_double(body: str) -> str:
    if "\\" not in body:
        if '"' in body or not body.isprintable():
            raise _NotOurs
        return body
    out = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            if i + 1 >= n:
                raise _NotOurs
            code = body[i + 1]
            if code in _HEX_LEN:
                digits = body[i + 2 : i + 2 + _HEX_LEN[code]]
                if len(digits) != _HEX_LEN[code] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise _NotOurs
                out.append(chr(int(digits, 16)))
                i += 2 + len(digits)
                continue
            if code not in _UNESCAPE:
                raise _NotOurs
            out.append(_UNESCAPE[code])
            i += 2
            continue
        if ch == '"' or not ch.isprintable():
            raise _NotOurs
        out.append(ch)
        i += 1
    return "".join(out)


def _quoted_end(line: str, start: int) -> int:
    """Index just past the closing quote of the quoted scalar starting at line[start]."""
    q = line[start]
    i = start + 1
    n = len(line)
    while i < n:
        ch = line[i]
        if q == "'":
            if ch == "'":
                if i + 1 < n and line[i + 1] == "'":
                    i += 2
                    continue
                return i + 1
        elif ch == "\\":
            i += 2
            continue
        elif ch == '"':
            return i + 1
        i += 1
    raise _NotOurs


def _inline(text: str) -> Any:
    """An inline scalar as dump() writes it."""
    first = text[0]
    if first == "'":
        if _quoted_end(text, 0) != len(text):
            raise _NotOurs
        body = text[1:-1]
        if not body.replace("''", "").count("'") == 0 or not body.isprintable():
            raise _NotOurs
        return body.replace("''", "'")
    if first == '"':
        if _quoted_end(text, 0) != len(text):
            raise _NotOurs
        return _unquote_double(text[1:-1])
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    if first in "-0123456789.":
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
    if _plain_ok_cached(text):
        return text
    raise _NotOurs


class _FastReader:
    def __init__(self, text: str) -> None:
        if not text.endswith("\n") or "\r" in text or "\t" in text:
            raise _NotOurs
        self.lines = text[:-1].split("\n")
        self.i = 0

    def read(self) -> dict[str, Any]:
        if self.lines == ["{}"]:
            return {}
        result = self._mapping(0)
        if self.i != len(self.lines):
            raise _NotOurs
        return result

    @staticmethod
    def _lead(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def _key(self, line: str, ind: int) -> tuple[str, str] | None:
        """(key, rest after ':') when line[ind:] is a mapping entry, else None."""
        first = line[ind] if len(line) > ind else ""
        if first in ("'", '"'):
            end = _quoted_end(line, ind)
            if line[end : end + 1] != ":":
                return None
            if end - ind > MAX_KEY_LENGTH:
                raise _NotOurs
            key = _inline(line[ind:end])
            if not isinstance(key, str):
                raise _NotOurs
            return key, line[end + 1 :]
        pos = line.find(": ", ind)
        if pos < 0:
            if not line.endswith(":"):
                return None
            pos = len(line) - 1
        key = line[ind:pos]
        if not _plain_ok_cached(key) or pos - ind > MAX_KEY_LENGTH:
            raise _NotOurs
        return key, line[pos + 1 :]

    def _node(self, ind: int) -> Any:
        """The node whose first line is self.lines[self.i], content at indentation `ind`."""
        if ind > 2 * yamlscreen.MAX_DEPTH:  # (each level indents two more) deeper is for yamlscreen to refuse
            raise _NotOurs
        line = self.lines[self.i]
        rest = line[ind:]
        if rest.startswith("- "):
            return self._sequence(ind)
        if self._key(line, ind) is not None:
            return self._mapping(ind)
        self.i += 1
        return self._scalar(rest, ind)

    def _scalar(self, text: str, ind: int) -> Any:
        if not text:
            raise _NotOurs
        if text[0] == "|":
            return self._block(text, ind)
        return _inline(text)

    def _block(self, header: str, ind: int) -> str:
        if header not in ("|", "|-", "|+"):
            raise _NotOurs
        lines, n = self.lines, len(self.lines)
        pad = " " * ind
        content: list[str] = []
        while self.i < n:
            line = lines[self.i]
            if line == "":
                content.append("")
            elif line.startswith(pad):
                content.append(line[ind:])
            else:
                break
            self.i += 1
        if not content or not content[0] or content[0][0] == " ":
            raise _NotOurs
        for line in content:
            if line and (not line.isprintable() or line[-1] == " "):
                raise _NotOurs
        trailing = 0
        while content and content[-1] == "":
            content.pop()
            trailing += 1
        body = "\n".join(content)
        if header == "|-":
            return body
        if header == "|":
            return body + "\n"
        return body + "\n" * (trailing + 1)

    def _mapping(self, ind: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines, n = self.lines, len(self.lines)
        pad, deeper = " " * ind, " " * (ind + 2)
        while self.i < n:
            line = lines[self.i]
            if not line.startswith(pad) or not line:
                if line:
                    break  # less indented: the mapping ended
                raise _NotOurs
            if line[ind] == " ":
                raise _NotOurs
            entry = self._key(line, ind)
            if entry is None:
                raise _NotOurs
            key, rest = entry
            if key in out:
                raise _NotOurs  # ruamel reports the duplicate key
            self.i += 1
            if rest:
                if rest[0] != " " or len(rest) < 2 or rest[1] == " ":
                    raise _NotOurs
                value = rest[1:]
                out[key] = self._block(value, ind + 2) if value[0] == "|" else _inline(value)
                continue
            if self.i >= n or not lines[self.i].startswith(deeper) or lines[self.i][ind + 2] == " ":
                raise _NotOurs  # `key:` with nothing under it means null in YAML; dump() writes `null`
            out[key] = self._node(ind + 2)
        return out

    def _sequence(self, ind: int) -> list[Any]:
        out: list[Any] = []
        lines, n = self.lines, len(self.lines)
        dash = " " * ind + "- "
        while self.i < n:
            line = lines[self.i]
            if not line.startswith(dash):
                if line and len(line) - len(line.lstrip(" ")) < ind:
                    break  # less indented: the sequence ended
                raise _NotOurs
            rest = line[ind + 2 :]
            if not rest or rest[0] == " ":
                raise _NotOurs
            if rest[0] not in "-'\"|" and ": " not in rest and rest[-1] != ":":
                self.i += 1  # the common case: a plain scalar item such as an id
                out.append(_inline(rest))
                continue
            # `- x` starts a node indented two more than the dash: read the rest of the line as that node.
            lines[self.i] = " " * (ind + 2) + rest
            out.append(self._node(ind + 2))
        return out


def _read_fast(text: str) -> dict[str, Any] | None:
    try:
        return _FastReader(text).read()
    except (_NotOurs, IndexError, ValueError):
        return None


_NEXT_TOP_KEY = re.compile(r"\n(?=[^ \n])")  # (the line break before a line at column 0)


@functools.lru_cache(maxsize=256)
def _top_key(name: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(name)}:", re.MULTILINE)


def load_top(text: str, names: Sequence[str], *, source: str = "<yaml>") -> dict[str, Any]:
    """The top-level keys `names` of a canonical object file (those it has), read without the rest.

    An incremental backup takes each changed object's relationship values from its file: at 100k users,
    a run where 1% changed parsed a thousand whole user files for their manager and sponsors (0.4 ms each,
    a tenth of the run). In a file `dump` wrote every top-level key starts a line at column 0 and every
    line of its value is indented (a literal block's blank lines are empty), so a key's text runs to the
    next line at column 0. Where that text does not load, the whole file is loaded."""
    pieces: list[str] = []
    for name in names:
        found = _top_key(name).search(text)
        if found is not None:
            end = _NEXT_TOP_KEY.search(text, found.end())
            pieces.append(text[found.start() : end.start() if end else len(text)])
    if not pieces:
        return {}
    try:
        return load("\n".join(pieces) + "\n", source=source)
    except CanonicalError:
        data = load(text, source=source)
        return {k: data[k] for k in names if k in data}


def _yaml_problem(exc: Exception) -> str:
    """One line: what is wrong and where (ruamel's own text spans lines and ends with a help URL)."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem:
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return where + " ".join(str(problem).split())
    return " ".join(str(exc).split("To suppress")[0].split())


def load(text: str, *, source: str = "<yaml>") -> dict[str, Any]:
    """The dict a YAML file holds; CanonicalError naming `source` when it is not a canonical object file."""
    fast = _read_fast(text)
    if fast is not None:
        return fast
    from ruamel.yaml.error import YAMLError

    unsafe = yamlscreen.problem(text)
    if unsafe is not None:
        raise CanonicalError(f"{source}: {unsafe}")
    loader = _LOADER(text)
    try:
        with warnings.catch_warnings():
            # ruamel warns about YAML 1.1 number forms; the value is what counts
            warnings.simplefilter("ignore")
            data = loader.get_single_data()
    except YAMLError as exc:
        raise CanonicalError(f"{source}: invalid YAML: {_yaml_problem(exc)}") from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CanonicalError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        _check(data, "")
    except CanonicalError as exc:
        raise CanonicalError(f"{source}: {exc}") from None
    return data
