"""OData query pieces of the emulated Graph: the $filter subset, opaque tokens, and link building.

Kept apart from graph_api.py because both listings and delta need them and they hold no tenant state.
The $filter grammar covers what Graph's directory accepts for these types: eq/ne/gt/ge/lt/le, `in`,
startsWith/endsWith, isof, any/all lambdas, and/or/not and parentheses. Comparisons of strings are
case-insensitive like the directory's.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from entragit.sandbox.schema import parse_time


class QueryError(Exception):
    """A query Graph would refuse; graph_api turns it into a 400 with this code and message."""

    def __init__(self, message: str, code: str = "Request_UnsupportedQuery", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _split_top(text: str, sep: str) -> list[str]:
    """Split at `sep` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(f"Invalid $expand '{text}': unbalanced parentheses.", "BadRequest")
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0 or quoted:
        raise QueryError(f"Invalid $expand '{text}': unbalanced parentheses.", "BadRequest")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_expand(text: str) -> list[tuple[str, dict[str, str]]]:
    """`manager($levels=max;$select=id,displayName),members` → [("manager", {"$levels": "max", "$select":
    "id,displayName"}), ("members", {})]: OData nests options in parentheses, separated by `;`
    (user-list-manager.md), so the commas inside them do not separate expanded properties."""
    out: list[tuple[str, dict[str, str]]] = []
    for item in _split_top(text, ","):
        name, paren, rest = item.partition("(")
        options: dict[str, str] = {}
        if paren:
            if not rest.endswith(")"):
                raise QueryError(f"Invalid $expand '{text}': unbalanced parentheses.", "BadRequest")
            for option in _split_top(rest[:-1], ";"):
                key, eq, value = option.partition("=")
                if not eq:
                    raise QueryError(f"Invalid $expand option '{option}'.", "BadRequest")
                options[key.strip().lower()] = value.strip()
        out.append((name.strip(), options))
    return out


# ------------------------------------------------------------------------------------------- tokens


def encode_token(state: dict[str, Any]) -> str:
    """Opaque, URL-safe, compact: clients must follow links verbatim, never build tokens."""
    raw = zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 6)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(padded.encode())))
    except (ValueError, zlib.error, TypeError):
        return None
    return data if isinstance(data, dict) else None


_SAFE = "$,()'/:@!*"


def build_link(base_url: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """Full URL of a nextLink/deltaLink; values percent-encoded so the client can use it as is."""
    query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=_SAFE)}" for k, v in params)
    return f"{base_url}/{path.lstrip('/')}" + (f"?{query}" if query else "")


# ------------------------------------------------------------------------------------------- filter

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<punct>[(),:/])
      | (?P<word>[A-Za-z_$@][A-Za-z0-9_.$@#-]*)
      | (?P<num>[-+]?[0-9][0-9A-Za-z:.+\-]*)
    )""",
    re.VERBOSE,
)

_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_FUNCS = {"startswith", "endswith", "isof", "contains"}


@dataclass
class Filter:
    """A parsed $filter: an AST plus facts the caller needs (advanced query? which properties?)."""

    ast: Any
    advanced: bool = False
    properties: set[str] = field(default_factory=set)
    text: str = ""  # as the request gave it
    # What the object holds beyond its own properties, for a filter on a relationship's `/$count`
    # (graph_api sets it: an application's extensionProperties live in their own collection).
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def matches(self, obj: dict[str, Any]) -> bool:
        return bool(_eval(self.ast, self.extra(obj) if self.extra else obj, {}))


def parse_filter(text: str) -> Filter:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(
                f"Invalid filter clause: syntax error at position {pos} in '{text}'.", "BadRequest"
            )
        pos = m.end()
        if m.group("str") is not None:
            tokens.append(("lit", m.group("str")[1:-1].replace("''", "'")))
        elif m.group("punct") is not None:
            tokens.append(("p", m.group("punct")))
        elif m.group("word") is not None:
            tokens.append(("w", m.group("word")))
        else:
            tokens.append(("lit", _number_or_time(m.group("num"))))
    parser = _Parser(tokens, text)
    ast = parser.expr()
    if parser.i != len(tokens):
        raise QueryError(f"Invalid filter clause: unexpected token in '{text}'.", "BadRequest")
    return Filter(ast, parser.advanced, parser.properties, text)


def _number_or_time(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return parse_time(raw)
    except ValueError:
        return raw  # e.g. an unquoted GUID: compared as a string


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], text: str) -> None:
        self.t = tokens
        self.i = 0
        self.text = text
        self.advanced = False
        self.properties: set[str] = set()
        self.vars: list[str] = []

    def peek(self) -> tuple[str, Any] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def word(self, *names: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "w" and str(tok[1]).lower() in names

    def punct(self, ch: str) -> bool:
        tok = self.peek()
        return tok is not None and tok == ("p", ch)

    def expect(self, ch: str) -> None:
        if not self.punct(ch):
            raise QueryError(f"Invalid filter clause: '{ch}' expected in '{self.text}'.", "BadRequest")
        self.i += 1

    def expr(self) -> Any:
        node = self.conj()
        while self.word("or"):
            self.i += 1
            node = ("or", node, self.conj())
        return node

    def conj(self) -> Any:
        node = self.unary()
        while self.word("and"):
            self.i += 1
            node = ("and", node, self.unary())
        return node

    def unary(self) -> Any:
        if self.word("not"):
            self.i += 1
            self.advanced = True
            return ("not", self.unary())
        if self.punct("("):
            self.i += 1
            node = self.expr()
            self.expect(")")
            return node
        left = self.operand()
        if self.word(*_COMPARE):
            op = str(self.t[self.i][1]).lower()
            self.i += 1
            if op == "ne":
                self.advanced = True
            return ("cmp", op, left, self.operand())
        if self.word("in"):
            self.i += 1
            self.expect("(")
            values = []
            while True:
                values.append(self.operand())
                if self.punct(","):
                    self.i += 1
                    continue
                break
            self.expect(")")
            return ("in", left, values)
        if left[0] in ("call", "any"):
            return left
        raise QueryError(f"Invalid filter clause: an operator is expected in '{self.text}'.", "BadRequest")

    def operand(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise QueryError(f"Invalid filter clause: unexpected end of '{self.text}'.", "BadRequest")
        kind, value = tok
        if kind == "lit":
            self.i += 1
            return ("lit", value)
        if kind != "w":
            raise QueryError(f"Invalid filter clause: unexpected '{value}' in '{self.text}'.", "BadRequest")
        low = str(value).lower()
        if _GUID.match(str(value)):
            self.i += 1
            return ("lit", str(value))  # unquoted GUID literal (e.g. skuId eq 6fd2c87f-...)
        if low in ("true", "false"):
            self.i += 1
            return ("lit", low == "true")
        if low == "null":
            self.i += 1
            return ("lit", None)
        if low in _FUNCS and self.i + 1 < len(self.t) and self.t[self.i + 1] == ("p", "("):
            self.i += 2
            args = []
            while not self.punct(")"):
                args.append(self.operand())
                if self.punct(","):
                    self.i += 1
            self.expect(")")
            if low in ("endswith", "contains"):
                self.advanced = True
            return ("call", low, args)
        return self.path()

    def path(self) -> Any:
        segments: list[str] = []
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "w":
                raise QueryError(
                    f"Invalid filter clause: property name expected in '{self.text}'.", "BadRequest"
                )
            name = str(tok[1])
            self.i += 1
            low = name.lower()
            if low in ("any", "all") and segments and self.punct("("):
                self.i += 1
                if self.punct(")"):
                    self.i += 1
                    return self._register(("any", low, segments, None, None))
                var_tok = self.peek()
                if var_tok is None or var_tok[0] != "w":
                    raise QueryError(f"Invalid filter clause: lambda variable expected in '{self.text}'.")
                var = str(var_tok[1])
                self.i += 1
                self.expect(":")
                self.vars.append(var)
                body = self.expr()
                self.vars.pop()
                self.expect(")")
                return self._register(("any", low, segments, var, body))
            if low == "$count":
                self.advanced = True
            segments.append(name)
            if self.punct("/"):
                self.i += 1
                continue
            return self._register(("path", segments))

    def _register(self, node: Any) -> Any:
        segments = node[1] if node[0] == "path" else node[2]
        if segments and segments[0] not in self.vars:
            self.properties.add(segments[0])
        return node


def _get(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    low = name.lower()
    for key, value in obj.items():
        if key.lower() == low:
            return value
    return None


def _resolve(segments: list[str], obj: dict[str, Any], env: dict[str, Any]) -> Any:
    if segments[0] in env:
        value = env[segments[0]]
        rest = segments[1:]
    else:
        value = obj
        rest = segments
    for seg in rest:
        if seg.lower() == "$count":
            return len(value) if isinstance(value, list) else 0
        value = _get(value, seg)
    return value


def _value(node: Any, obj: dict[str, Any], env: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "path":
        return _resolve(node[1], obj, env)
    return _eval(node, obj, env)


def _norm(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(b, dt.datetime) and isinstance(a, str):
        try:
            return parse_time(a), b
        except ValueError:
            return a, b.isoformat()
    if isinstance(a, dt.datetime) and isinstance(b, str):
        b2, a2 = _norm(b, a)
        return a2, b2
    if isinstance(a, str) and isinstance(b, str):
        return a.lower(), b.lower()
    return a, b


def _compare(op: str, a: Any, b: Any) -> bool:
    a, b = _norm(a, b)
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        if op == "gt":
            return bool(a > b)
        if op == "ge":
            return bool(a >= b)
        if op == "lt":
            return bool(a < b)
        if op == "le":
            return bool(a <= b)
    except TypeError:
        return False
    return False


def _eval(node: Any, obj: dict[str, Any], env: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "or":
        return _eval(node[1], obj, env) or _eval(node[2], obj, env)
    if kind == "and":
        return _eval(node[1], obj, env) and _eval(node[2], obj, env)
    if kind == "not":
        return not _eval(node[1], obj, env)
    if kind == "cmp":
        return _compare(node[1], _value(node[2], obj, env), _value(node[3], obj, env))
    if kind == "in":
        left = _value(node[1], obj, env)
        return any(_compare("eq", left, _value(v, obj, env)) for v in node[2])
    if kind == "call":
        name, args = node[1], node[2]
        if name == "isof":
            wanted = str(_value(args[-1], obj, env)).lower().lstrip("#")
            return str(obj.get("@odata.type", "")).lower().lstrip("#") == wanted
        values = [_value(a, obj, env) for a in args]
        if len(values) != 2 or not isinstance(values[0], str) or not isinstance(values[1], str):
            return False
        hay, needle = values[0].lower(), values[1].lower()
        if name == "startswith":
            return hay.startswith(needle)
        if name == "endswith":
            return hay.endswith(needle)
        return needle in hay
    if kind == "any":
        _, quant, segments, var, body = node
        items = _resolve(segments, obj, env)
        if not isinstance(items, list):
            return False
        if var is None:
            return bool(items)
        check: Callable[[Any], bool] = lambda item: bool(_eval(body, obj, {**env, var: item}))  # noqa: E731
        return any(map(check, items)) if quant == "any" else all(map(check, items))
    if kind == "path":
        return bool(_resolve(node[1], obj, env))
    if kind == "lit":
        return bool(node[1])
    return False


def equality_terms(ast: Any) -> list[tuple[str, list[Any]]] | None:
    """Flatten an OR-tree of `prop eq 'v'`/`prop in (...)` into (prop, values) pairs, else None."""
    if ast[0] == "or":
        left = equality_terms(ast[1])
        right = equality_terms(ast[2])
        if left is None or right is None:
            return None
        return left + right
    if (
        ast[0] == "cmp"
        and ast[1] == "eq"
        and ast[2][0] == "path"
        and ast[3][0] == "lit"
        and len(ast[2][1]) == 1
    ):
        return [(ast[2][1][0], [ast[3][1]])]
    if ast[0] == "in" and ast[1][0] == "path" and len(ast[1][1]) == 1 and all(v[0] == "lit" for v in ast[2]):
        return [(ast[1][1][0], [v[1] for v in ast[2]])]
    return None


def prefix_term(ast: Any) -> tuple[str, str] | None:
    """`startsWith(prop, 'x')` → (prop, 'x')."""
    if ast[0] == "call" and ast[1] == "startswith" and len(ast[2]) == 2:
        first, second = ast[2]
        if first[0] == "path" and len(first[1]) == 1 and second[0] == "lit" and isinstance(second[1], str):
            return first[1][0], second[1]
    return None


def conjuncts(ast: Any) -> list[Any]:
    if ast[0] == "and":
        return conjuncts(ast[1]) + conjuncts(ast[2])
    return [ast]
