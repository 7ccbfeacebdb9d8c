"""What the sandbox puts on the wire, recorded and checked against Graph's v1.0 CSDL (tests/schema/csdl.py).

Test support code. `Recorder` wraps one sandbox's `execute` (the operation behind every HTTP request, and
behind each request inside a `$batch`), so what is checked is what a client receives, whoever the client is.
`response_findings` and `write_findings` say, for each recorded call, where its JSON departs from the
schema: a property the v1.0 type does not have (beta-only ones included), a value of the wrong JSON type, a
collection serialized as null (OData JSON writes an empty collection as `[]`; OData JSON Format 4.01,
section 7.8), null for a property declared `Nullable="false"`, an enum value that is no member (a flags
enum's value is its members joined by commas), a malformed Edm.DateTimeOffset or Edm.Guid, and an
`@odata.type` that names no type derived from the declared one.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from entragit.sandbox.server import Sandbox

from .csdl import Schema

GRAPH = "microsoft.graph."
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?$")
_DURATION = re.compile(r"^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_EXTENSION = re.compile(r"^extension_[0-9a-f]{32}_\w+$")  # a directory extension on an open directory object
_INTEGERS = {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte"}
_NUMBERS = {"Edm.Double", "Edm.Single", "Edm.Decimal"}


@dataclass(frozen=True)
class Call:
    """One Graph request the sandbox answered (a `$batch` envelope is recorded as the requests inside it)."""

    method: str
    path: str  # "/users/<id>/memberOf", decoded, without /v1.0
    query: dict[str, str]
    body: Any
    status: int
    response: Any


class Recorder:
    """Records every request `box` answers from now on, in `calls`."""

    def __init__(self, box: Sandbox) -> None:
        self.calls: list[Call] = []
        inner = box.execute

        def execute(
            method: str, path: str, query: dict[str, str], headers: Any, body: Any, *rest: Any
        ) -> Any:
            result = inner(method, path, query, headers, body, *rest)
            # The JSON as the client parses it (the server encodes the same body with json).
            response = json.loads(json.dumps(result.body)) if result.body is not None else None
            self.calls.append(Call(method, path, dict(query), body, result.status, response))
            return result

        box.execute = execute  # type: ignore[method-assign]


def _strip(name: str) -> str:
    return name.removeprefix("#")


def resolve(schema: Schema, path: str) -> tuple[str, bool] | None:
    """The (type, is collection) a Graph path addresses, or None for a path the walk cannot type (an
    action's answer, `$count`, `$value`). Keys, type casts (`microsoft.graph.user`), `delta` and `$ref` are
    followed."""
    segments = [s for s in path.strip("/").split("/") if s]
    if not segments or segments[0] not in schema.container:
        return None
    ttype, collection = schema.container[segments[0]]
    for seg in segments[1:]:
        if seg == "$ref":
            continue
        if seg.startswith("$"):
            return None
        if seg.startswith(GRAPH) and seg in schema.types:
            ttype = seg
            continue
        if collection and seg == "delta":
            continue
        prop = schema.properties(ttype).get(seg)
        if prop is not None and not (collection and not prop.navigation):
            if collection:
                return None
            ttype, collection = prop.type, prop.collection
            continue
        if collection:
            collection = False  # a key
            continue
        return None
    return ttype, collection


@dataclass(frozen=True)
class Allowed:
    """What the CSDL snapshot lacks and the pages document (each entry's page is in the test's list):
    properties as (type, name), and paths the schema cannot type as path -> (type, collection)."""

    properties: frozenset[tuple[str, str]] = frozenset()
    paths: tuple[tuple[str, tuple[str, bool]], ...] = ()


# What the CSDL snapshot (2026-08-04) lacks and the v1.0 pages document: the role definitions' recycle bin
# (resources/unifiedroledefinition.md, directoryrolemanagementdeleteditemcontainer-list-roledefinitions.md,
# unifiedroledefinition-restore.md, 2026; docs/graph.md, Deleted items).
DOCUMENTED = Allowed(
    properties=frozenset({(f"{GRAPH}unifiedRoleDefinition", "deletedDateTime")}),
    paths=(
        ("/roleManagement/directory/deletedItems/roleDefinitions", (f"{GRAPH}unifiedRoleDefinition", True)),
    ),
)


class _Checker:
    def __init__(self, schema: Schema, where: str, allowed: Allowed) -> None:
        self.schema = schema
        self.where = where
        self.allowed = allowed
        self.findings: list[str] = []

    def bad(self, at: str, why: str) -> None:
        self.findings.append(f"{self.where}: {at}: {why}")

    def structured(self, declared: str, value: Any, at: str, write: bool = False) -> None:
        """An entity or complex value of (at least) type `declared`."""
        if not isinstance(value, dict):
            self.bad(at, f"expected an object of {declared}, got {type(value).__name__}")
            return
        actual = declared
        named = value.get("@odata.type")
        if named is not None:
            name = _strip(str(named))
            if name not in self.schema.types or (
                name != declared and name not in self.schema.derived(declared)
            ):
                self.bad(at, f"@odata.type {named} is no v1.0 type derived from {declared}")
                return
            actual = name
        props = self.schema.properties(actual)
        is_open = any(self.schema.types[t].open for t in self.schema.ancestry(actual))
        for key, item in value.items():
            if "@" in key:  # instance annotations: @odata.context, members@delta, @removed, ...
                continue
            prop = props.get(key)
            if prop is None and any(
                (t, key) in self.allowed.properties for t in self.schema.ancestry(actual)
            ):
                continue
            if prop is None:
                complex_open = is_open and self.schema.types[actual].kind == "complex"
                if not (complex_open or (is_open and _EXTENSION.match(key))):
                    self.bad(f"{at}.{key}", f"no property of {actual} in v1.0")
                continue
            self.value(prop.type, prop.collection, prop.nullable, item, f"{at}.{key}", write)

    def value(
        self, ptype: str, collection: bool, nullable: bool, item: Any, at: str, write: bool = False
    ) -> None:
        """A property's value; in a write body (`write`) null is how a value is cleared: not checked."""
        if write and item is None:
            return
        if collection:
            if item is None:
                self.bad(at, f"a collection of {ptype} is null; OData serializes an empty one as []")
            elif not isinstance(item, list):
                self.bad(at, f"expected a collection of {ptype}, got {type(item).__name__}")
            else:
                for i, each in enumerate(item):
                    self.value(ptype, False, False, each, f"{at}[{i}]", write)
            return
        if item is None:
            if not nullable:
                self.bad(at, f"null, but {ptype} is declared Nullable=false")
            return
        if ptype in self.schema.types:
            self.structured(ptype, item, at, write)
        elif ptype in self.schema.enums:
            enum = self.schema.enums[ptype]
            names = str(item).split(",") if enum.flags and isinstance(item, str) else [item]
            if not isinstance(item, str) or any(n not in enum.members for n in names):
                self.bad(at, f"{item!r} is no member of {ptype}")
        else:
            why = _primitive(ptype, item)
            if why:
                self.bad(at, why)


def _primitive(ptype: str, item: Any) -> str:
    """Why `item` is no JSON value of the Edm primitive `ptype`, or ''."""
    if ptype == "Edm.Boolean":
        ok = isinstance(item, bool)
    elif ptype in _INTEGERS:
        ok = isinstance(item, int) and not isinstance(item, bool)
    elif ptype in _NUMBERS:
        ok = isinstance(item, (int, float)) and not isinstance(item, bool)
    elif ptype in ("Edm.Untyped", "Edm.Stream"):
        ok = True
    elif not isinstance(item, str):
        ok = False
    elif ptype == "Edm.DateTimeOffset":
        ok = bool(_DATETIME.match(item))
    elif ptype == "Edm.Guid":
        ok = bool(_GUID.match(item))
    elif ptype == "Edm.Date":
        ok = bool(_DATE.match(item))
    elif ptype == "Edm.TimeOfDay":
        ok = bool(_TIME.match(item))
    elif ptype == "Edm.Duration":
        ok = bool(_DURATION.match(item))
    elif ptype == "Edm.Binary":
        try:
            base64.b64decode(item.replace("-", "+").replace("_", "/") + "==", validate=False)
            ok = True
        except (binascii.Error, ValueError):
            ok = False
    else:
        ok = True  # Edm.String
    return "" if ok else f"{item!r} is no {ptype} value"


def _items(call: Call, collection: bool) -> Iterator[tuple[str, Any]]:
    body = call.response
    if collection:
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            yield from ((f"value[{i}]", item) for i, item in enumerate(body["value"]))
    elif isinstance(body, dict):
        yield "", body


def response_findings(schema: Schema, calls: list[Call], allowed: Allowed = Allowed()) -> list[str]:
    """Where the successful GET answers in `calls` depart from the v1.0 schema."""
    findings: list[str] = []
    for call in calls:
        if call.method != "GET" or call.status >= 300 or call.response is None:
            continue
        typed = dict(allowed.paths).get(call.path.rstrip("/")) or resolve(schema, call.path)
        if typed is None:
            findings.append(f"GET {call.path}: a path the v1.0 schema does not type")
            continue
        checker = _Checker(schema, f"GET {call.path}", allowed)
        for at, item in _items(call, typed[1]):
            checker.structured(typed[0], item, at or "$")
        findings += checker.findings
    return findings


def write_findings(schema: Schema, calls: list[Call], allowed: Allowed = Allowed()) -> list[str]:
    """The accepted POST and PATCH bodies in `calls` that carry a property the v1.0 type does not have. Bodies
    of actions (`restore`, `assignLicense`, `addKey`) are parameters, not properties: not checked here."""
    findings: list[str] = []
    for call in calls:
        if call.method not in ("POST", "PATCH") or call.status >= 300 or not isinstance(call.body, dict):
            continue
        if call.path.endswith("/$ref"):
            continue
        typed = resolve(schema, call.path)
        if typed is None:
            continue
        checker = _Checker(schema, f"{call.method} {call.path}", allowed)
        checker.structured(typed[0], call.body, "$", write=True)
        findings += checker.findings
    return findings
