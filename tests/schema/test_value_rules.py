"""The value rules (`entragit/value_rules.py`) against Microsoft's published Graph v1.0 schema (CSDL).

validate, apply and the sandbox all judge values by that one table, so a wrong entry would make all
three wrong together; the schema is the independent check. Every rule must name a v1.0 property with the
kind and collection shape the schema gives it, every enumeration's members must be the schema's, and nothing
the catalog keeps may lack a rule: every property a restore writes, and every enumeration-typed value at any
depth. Members the schema cannot know (a string whose page lists its values) are checked to be strings;
their pages are named in the resource's `documented`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from entragit import value_rules
from entragit.catalog import CATALOG, ObjectType
from entragit.value_rules import RESOURCES, Resource, Value

from . import csdl
from .data import schema as load_schema

SENTINEL = "unknownFutureValue"
ODATA_TYPE = "@odata.type"
_EDM_KINDS = {
    "Edm.String": "string",
    "Edm.Boolean": "boolean",
    "Edm.Int32": "integer",
    "Edm.Int64": "integer",
    "Edm.Double": "number",
    "Edm.DateTimeOffset": "datetime",
    "Edm.Date": "date",
    "Edm.Guid": "guid",
    # OData's JSON format writes both as strings: a duration in ISO 8601 (P90D), binary data in base64
    "Edm.Duration": "string",
    "Edm.Binary": "string",
}


@pytest.fixture(scope="module")
def schema() -> csdl.Schema:
    return load_schema()


def _entity_types(schema: csdl.Schema, path: str) -> list[str]:
    """The entity type at a collection path, and its derived types (a rule may name a derived type's
    property: a country named location's `countriesAndRegions`)."""
    entity = schema.resolve(path)[-1][1]
    return [entity, *schema.derived(entity)]


def _props_at(schema: csdl.Schema, types: list[str], dotted: str) -> list[csdl.Prop]:
    """The schema properties a dotted rule path names, through complex types and their derived types."""
    props: list[csdl.Prop] = []
    for step in value_rules.steps_of(dotted):
        name = step.removesuffix("[]")
        props = [p for t in types if (p := schema.properties(t).get(name))]
        if not props:
            return []
        types = sorted(
            {d for p in props if p.type in schema.types for d in (p.type, *schema.derived(p.type))}
        )
    return props


def _kind(schema: csdl.Schema, prop: csdl.Prop) -> str:
    if prop.type in schema.enums:
        return "string"
    return _EDM_KINDS.get(prop.type, "object" if prop.type in schema.types else prop.type)


def _findings(schema: csdl.Schema, resource: Resource) -> Iterator[str]:
    types = _entity_types(schema, resource.path)
    for path, rule in resource.values.items():
        where = f"{resource.path} {path}"
        if path == ODATA_TYPE:
            for member in rule.members:
                if member.removeprefix("#") not in types:
                    yield f"{where}: {member} is no type of {types[0]}"
            continue
        props = _props_at(schema, types, path)
        if not props:
            yield f"{where}: no v1.0 property of {types[0]}"
            continue
        for prop in props:
            if _kind(schema, prop) != rule.kind:
                yield f"{where}: kind {rule.kind}, the schema says {prop.type}"
            if prop.collection != rule.many:
                shape = "a collection" if prop.collection else "a single value"
                yield f"{where}: the schema says {shape}, the rule says otherwise"
            enum = schema.enums.get(prop.type)
            yield from _enum_findings(where, rule, prop, enum)
        if rule.enum and "|" in rule.enum:  # several enumerations: the members are all of theirs
            named = [schema.enums.get(f"microsoft.graph.{n}") for n in rule.enum.split("|")]
            every = {m for e in named if e for m in e.members if m != SENTINEL}
            if set(rule.members) != every:
                yield f"{where}: members {sorted(rule.members)}, the enumerations have {sorted(every)}"
            later = tuple(m for e in named if e for m in _after_sentinel(e))
            if set(rule.evolvable) != set(later):
                yield f"{where}: members after | {list(rule.evolvable)}, the enumerations' are {list(later)}"


def _after_sentinel(enum: csdl.EnumType) -> tuple[str, ...]:
    """The members Graph hides without `Prefer: include-unknown-enum-members` (best-practices-concept.md)."""
    members = enum.members
    return members[members.index(SENTINEL) + 1 :] if SENTINEL in members else ()


def _enum_findings(where: str, rule: Value, prop: csdl.Prop, enum: csdl.EnumType | None) -> Iterator[str]:
    if enum is None:
        if rule.enum is not None:
            yield f"{where}: enum={rule.enum}, but the schema types it {prop.type}"
        return
    if enum.name.rsplit(".", 1)[-1] not in (rule.enum or "").split("|"):
        yield f"{where}: the schema's enumeration is {enum.name}, the rule says {rule.enum}"
    expected = tuple(m for m in enum.members if m != SENTINEL)
    if "|" in (rule.enum or ""):
        if not set(expected) <= set(rule.members):
            yield f"{where}: members {sorted(rule.members)} lack some of {sorted(expected)}"
    elif set(rule.members) != set(expected):
        yield f"{where}: members {sorted(rule.members)}, the schema has {sorted(expected)}"
    if rule.flags != enum.flags:
        yield f"{where}: flags={rule.flags}, the schema's IsFlags={enum.flags}"
    if "|" not in (rule.enum or "") and rule.evolvable != _after_sentinel(enum):
        later = list(_after_sentinel(enum))
        yield f"{where}: members after | {list(rule.evolvable)}, the schema's after {SENTINEL} are {later}"


@pytest.mark.parametrize("resource", RESOURCES.values(), ids=lambda r: r.path)
def test_rules_match_the_schema(schema: csdl.Schema, resource: Resource) -> None:
    """Each rule's property exists in v1.0 with the rule's kind, collection shape and members."""
    assert list(_findings(schema, resource)) == []


@pytest.mark.parametrize("resource", RESOURCES.values(), ids=lambda r: r.path)
def test_required_properties_are_properties(schema: csdl.Schema, resource: Resource) -> None:
    """What a create must send names properties of the type (a typo would never be required)."""
    types = _entity_types(schema, resource.path)
    for need in resource.required:
        for name in need.split("|"):
            assert name == ODATA_TYPE or _props_at(schema, types, name), f"{resource.path}: {name}"


def _writable(t: ObjectType) -> list[str]:
    read_only = set(t.read_only)
    return [p for p in t.select if p not in read_only and p != "id" and "." not in p]


def _enum_paths(schema: csdl.Schema, type_name: str, prefix: str, seen: frozenset[str]) -> Iterator[str]:
    """Every enumeration-typed property below a type, as dotted rule paths (each complex type once per
    branch: the schema has recursive types)."""
    for name, prop in schema.properties(type_name).items():
        if prop.navigation:
            continue
        path = f"{prefix}{name}"
        if prop.type in schema.enums:
            yield path
        elif prop.type in schema.types and prop.type not in seen:
            step = f"{path}[]." if prop.collection else f"{path}."
            for derived in (prop.type, *schema.derived(prop.type)):
                yield from _enum_paths(schema, derived, step, seen | {prop.type})


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_every_kept_property_has_a_rule(schema: csdl.Schema, t: ObjectType) -> None:
    """A property a restore writes without a rule would be checked only against other files' values, and
    an enumeration value without its members would pass validate to fail in Graph."""
    resource = RESOURCES.get(t.path)
    assert resource is not None, f"{t.name}: no value rules for {t.path}"
    missing = [p for p in _writable(t) if p not in resource.values]
    kept = set(t.select) | {r.name for r in t.relationships}
    types = (
        _entity_types(schema, t.path) if t.keep_odata_type or t.derived else [schema.resolve(t.path)[-1][1]]
    )
    enums = {
        path.removesuffix("[]")
        for ty in types
        for path in _enum_paths(schema, ty, "", frozenset())
        if value_rules.steps_of(path)[0].removesuffix("[]") in kept and path.split(".")[0] not in t.read_only
    }
    missing += sorted(p for p in enums if p not in {k.removesuffix("[]") for k in resource.values})
    assert missing == []


def test_the_catalog_paths_have_one_resource_each() -> None:
    """The table is keyed by the catalog's (and the sandbox's) collection paths: a rule for a path nobody
    writes to is dead."""
    assert set(RESOURCES) <= {t.path for t in CATALOG}
