"""Canonical form of a Graph object, and its YAML text.

The same tenant state must give byte-identical files (so git only sees real changes), and loading a file must
give back exactly the canonical dict (so restore and compare work on what the file says). Both live here:

- `canonicalize` turns Graph JSON into the canonical dict: volatile fields and `@odata` annotations dropped,
  identity keys first, every other key sorted, unordered lists sorted, relationships merged in as sorted ids.
- `dump` writes that dict as YAML with our own small emitter. The canonical data model is only dicts, lists,
  str, int, float, bool and None, so a purpose-built emitter is short, an order of magnitude faster than
  ruamel's pure-Python one, and controls quoting exactly: every string that a YAML 1.1 reader (PyYAML, GitHub)
  or a YAML 1.2 reader (ruamel) would resolve to another type is quoted.
- `load` reads YAML with ruamel.yaml (its C parser when available), so hand-edited files are read by a real
  YAML parser, not by an inverse of our emitter.

Null values are kept: Graph returns null for an unset selected property, and a restore needs the file to say
null to clear a property that was set later. Properties a delta round omits (never-set ones) are filled with
null for the same reason, so full and incremental backups write the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from entragit.catalog import ObjectType
from entragit.errors import EntragitError


class CanonicalError(EntragitError):
    """A backup file that is not valid canonical YAML (syntax error, duplicate key, unsupported value)."""


# ----------------------------------------------------------------------------------------------------------
# Canonicalize


def _clean(value: Any, keep_type: bool) -> Any:
    """Deep copy with dict keys sorted and annotations dropped (`@odata.*`, `x@delta`, `x@odata.bind`).

    `@odata.type` survives when the type is polymorphic; it is the only annotation a restore needs."""
    if isinstance(value, dict):
        out = {}
        for key in sorted(value):
            if "@" in key and not (keep_type and key == "@odata.type"):
                continue
            out[key] = _clean(value[key], keep_type)
        return out
    if isinstance(value, list):
        return [_clean(v, keep_type) for v in value]
    return value


def _parse_path(path: str) -> tuple[tuple[tuple[str, bool], ...], str | None]:
    """'a.b[].c:key' -> ((('a', False), ('b', True), ('c', False)), 'key')."""
    sort_key = None
    if ":" in path:
        path, sort_key = path.split(":", 1)
    steps = []
    for part in path.split("."):
        if part.endswith("[]"):
            steps.append((part[:-2], True))
        else:
            steps.append((part, False))
    return tuple(steps), sort_key


def _targets(obj: Any, steps: Sequence[tuple[str, bool]]) -> Iterable[tuple[dict[str, Any], str]]:
    """Every (parent dict, key) that a parsed dotted path reaches in `obj`."""
    parents = [obj]
    for i, (key, each) in enumerate(steps):
        last = i == len(steps) - 1
        nxt: list[Any] = []
        for parent in parents:
            if not isinstance(parent, dict) or key not in parent:
                continue
            if last:
                yield parent, key
                continue
            child = parent[key]
            if each:
                if isinstance(child, list):
                    nxt.extend(child)
            else:
                nxt.append(child)
        parents = nxt


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sort_list(items: list[Any], key: str | None = None) -> list[Any]:
    """Deterministic order for a list whose order carries no meaning.

    Strings sort by value; objects by `key` (when given) and then by their compact JSON, so equal-keyed items
    still have a fixed order."""
    if all(isinstance(v, str) for v in items):
        return sorted(items)
    if key is not None:
        return sorted(
            items,
            key=lambda v: (str(v.get(key, "")) if isinstance(v, dict) else "", _compact(v)),
        )
    return sorted(items, key=_compact)


@functools.cache
def _plan(t: ObjectType) -> tuple[Any, Any]:
    volatile = tuple(_parse_path(p)[0] for p in t.volatile)
    unordered = tuple(_parse_path(p) for p in t.unordered)
    return volatile, unordered


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
    if t.fill_missing:
        for prop in t.select:
            obj.setdefault(prop, None)
    volatile, unordered = _plan(t)
    for steps in (*volatile, *(_parse_path(p)[0] for p in drop)):
        for parent, key in list(_targets(obj, steps)):
            del parent[key]
    for rel in t.relationships:
        if links is not None and rel.name in links:
            raw = links[rel.name]
        elif rel.name in graph_obj:
            raw = graph_obj[rel.name]
        else:
            continue
        if rel.kind == "ref-single":
            obj[rel.name] = _single_id(raw)
        elif rel.kind == "app-role-assignment":
            items = []
            for a in raw or ():
                items.append({f: a.get(f) for f in rel.item_fields})
            obj[rel.name] = sorted(items, key=_compact)
        else:
            obj[rel.name] = _ids(raw)
    if links:
        unknown = set(links) - {r.name for r in t.relationships}
        if unknown:
            raise ValueError(f"{t.name} has no relationship {sorted(unknown)}")
    for steps, sort_key in unordered:
        for parent, key in _targets(obj, steps):
            value = parent[key]
            if isinstance(value, list):
                parent[key] = sort_list(value, sort_key)
    for prop in t.unordered_words:
        value = obj.get(prop)
        if isinstance(value, str):
            obj[prop] = " ".join(sorted(set(value.split())))
    return _order(obj, t.identity)


def _order(obj: dict[str, Any], identity: Sequence[str]) -> dict[str, Any]:
    out = {k: obj[k] for k in identity if k in obj}
    for k in sorted(obj):
        if k not in out:
            out[k] = obj[k]
    return out


def digest(obj: Any) -> str:
    """Hash of the compact sorted JSON: cheap change detection before any YAML is produced."""
    return hashlib.blake2b(_compact(obj).encode("utf-8"), digest_size=20).hexdigest()


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
    elif isinstance(v, dict):
        if not v:
            out.append(f"{prefix} {{}}")
        elif prefix[-1] == "-":
            # `- key: value` with the mapping's other keys aligned under the first one.
            start = len(out)
            _emit_mapping(v, indent, out)
            out[start] = prefix + " " + out[start][len(indent) :]
        else:
            out.append(prefix)
            _emit_mapping(v, indent, out)
    elif isinstance(v, list):
        if not v:
            out.append(f"{prefix} []")
        elif prefix[-1] == "-":
            start = len(out)
            _emit_sequence(v, indent, out)
            out[start] = prefix + " " + out[start][len(indent) :]
        else:
            out.append(prefix)
            _emit_sequence(v, indent, out)
    else:
        out.append(f"{prefix} {_scalar(v)}")


def _emit_mapping(d: dict[str, Any], indent: str, out: list[str]) -> None:
    deeper = indent + "  "
    for k, v in d.items():
        if not isinstance(k, str):
            raise TypeError(f"canonical YAML keys are strings, got {k!r}")
        _emit_value(f"{indent}{_string(k)}:", v, deeper, out)


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


def dump_many(objs: Sequence[Mapping[str, Any]], *, processes: int | None = None) -> list[str]:
    """`dump` of many objects, spread over the CPU cores when there are enough of them to pay for it."""
    objs = list(objs)
    workers = processes if processes is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(objs) < PARALLEL_THRESHOLD:
        return _dump_chunk(objs)
    import multiprocessing

    size = max(500, len(objs) // (workers * 4))
    chunks = [objs[i : i + size] for i in range(0, len(objs), size)]
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ctx.Pool(workers) as pool:
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


def load(text: str, *, source: str = "<yaml>") -> dict[str, Any]:
    """The dict a YAML file holds; CanonicalError naming `source` when it is not a canonical object file."""
    from ruamel.yaml.error import YAMLError

    loader = _LOADER(text)
    try:
        data = loader.get_single_data()
    except YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise CanonicalError(f"{source}: invalid YAML: {detail}") from None
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
