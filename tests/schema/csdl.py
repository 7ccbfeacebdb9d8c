"""A reader of Microsoft Graph's v1.0 CSDL ($metadata), for the catalog's schema tests.

Test support code, not part of the product: it reads what the catalog is checked against. The standard
library's `xml.etree.ElementTree` is enough: the file is one 3.5 MB document of plain EDM elements
(EntityType, ComplexType, EnumType, Property, NavigationProperty, EntityContainer) and `Annotations` blocks,
and the tests only ask for names, types and a few annotation records.

Names are kept fully qualified (`microsoft.graph.user`); the schema aliases (`graph.`, `self.`) are expanded.
Annotations are gathered per target, whether written inline (inside a Property or an EntitySet) or in an
out-of-line `<Annotations Target="microsoft.graph.user/createdDateTime">` block, so one lookup by target
finds both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"
CONTAINER = "microsoft.graph.GraphService"

COMPUTED = "Org.OData.Core.V1.Computed"
IMMUTABLE = "Org.OData.Core.V1.Immutable"
SELECT_SUPPORT = "Org.OData.Capabilities.V1.SelectSupport"
SELECT_RESTRICTIONS = "Org.OData.Capabilities.V1.SelectRestrictions"
FILTER_RESTRICTIONS = "Org.OData.Capabilities.V1.FilterRestrictions"
CHANGE_TRACKING = "Org.OData.Capabilities.V1.ChangeTracking"
NAVIGATION_RESTRICTIONS = "Org.OData.Capabilities.V1.NavigationRestrictions"


@dataclass(frozen=True)
class Prop:
    """A structural or navigation property: `type` is qualified (`microsoft.graph.ipRange`, `Edm.String`)."""

    name: str
    type: str
    collection: bool
    nullable: bool
    navigation: bool
    owner: str  # the type that declares it


@dataclass
class StructuredType:
    """An entity or complex type with the properties it declares itself (see `Schema.properties`)."""

    name: str
    kind: str  # "entity" or "complex"
    base: str | None
    abstract: bool
    open: bool = False  # OpenType: dynamic properties allowed (extension_<appId>_<name> on directory objects)
    declared: dict[str, Prop] = field(default_factory=dict)


@dataclass(frozen=True)
class EnumType:
    name: str
    members: tuple[str, ...]
    flags: bool  # IsFlags: one value holds several members ("low,high"), never a list


def _type_ref(text: str, aliases: dict[str, str]) -> tuple[str, bool]:
    """`Collection(graph.x)` -> ('microsoft.graph.x', True)."""
    collection = text.startswith("Collection(")
    if collection:
        text = text[len("Collection(") : -1]
    return _qualify(text, aliases), collection


def _qualify(name: str, aliases: dict[str, str]) -> str:
    head, _, tail = name.partition(".")
    return f"{aliases[head]}.{tail}" if tail and head in aliases else name


def _value(el: ET.Element, aliases: dict[str, str]) -> Any:
    """An annotation's or property value's content as Python data: Record -> dict, Collection -> list."""
    for attr in ("Bool", "String", "Int", "EnumMember", "PropertyPath", "NavigationPropertyPath"):
        if attr in el.attrib:
            raw = el.attrib[attr]
            return raw == "true" if attr == "Bool" else raw
    for child in el:
        tag = child.tag.removeprefix(EDM)
        if tag == "Record":
            return {
                pv.attrib["Property"]: _value(pv, aliases) for pv in child if pv.tag == f"{EDM}PropertyValue"
            }
        if tag == "Collection":
            return [_value_of_item(item, aliases) for item in child]
    return None


def _value_of_item(el: ET.Element, aliases: dict[str, str]) -> Any:
    tag = el.tag.removeprefix(EDM)
    if tag == "Record":
        return {pv.attrib["Property"]: _value(pv, aliases) for pv in el if pv.tag == f"{EDM}PropertyValue"}
    if tag == "Bool":
        return el.text == "true"
    return el.text


class Schema:
    """Types, enums, the entity container and annotations of one CSDL document."""

    def __init__(self, path: Path) -> None:
        self.types: dict[str, StructuredType] = {}
        self.enums: dict[str, EnumType] = {}
        self.container: dict[str, tuple[str, bool]] = {}  # entity set / singleton -> (type, is collection)
        # target -> term -> value; targets: "microsoft.graph.user", "microsoft.graph.user/createdDateTime",
        # "microsoft.graph.GraphService/users"
        self.annotations: dict[str, dict[str, Any]] = {}
        self._read(ET.parse(path).getroot())

    def _read(self, root: ET.Element) -> None:
        schemas = list(root.iter(f"{EDM}Schema"))
        aliases = {s.attrib["Alias"]: s.attrib["Namespace"] for s in schemas if "Alias" in s.attrib}
        for schema in schemas:
            ns = schema.attrib["Namespace"]
            for el in schema:
                tag = el.tag.removeprefix(EDM)
                if tag in ("EntityType", "ComplexType"):
                    self._structured(el, ns, tag, aliases)
                elif tag == "EnumType":
                    name = f"{ns}.{el.attrib['Name']}"
                    members = tuple(m.attrib["Name"] for m in el if m.tag == f"{EDM}Member")
                    self.enums[name] = EnumType(name, members, el.attrib.get("IsFlags") == "true")
                elif tag == "EntityContainer":
                    self._container(el, f"{ns}.{el.attrib['Name']}", aliases)
                elif tag == "Annotations":
                    self._annotate(_qualify(el.attrib["Target"], aliases), el, aliases)

    def _structured(self, el: ET.Element, ns: str, tag: str, aliases: dict[str, str]) -> None:
        name = f"{ns}.{el.attrib['Name']}"
        base = el.attrib.get("BaseType")
        t = StructuredType(
            name=name,
            kind="entity" if tag == "EntityType" else "complex",
            base=_qualify(base, aliases) if base else None,
            abstract=el.attrib.get("Abstract") == "true",
            open=el.attrib.get("OpenType") == "true",
        )
        for p in el:
            ptag = p.tag.removeprefix(EDM)
            if ptag not in ("Property", "NavigationProperty"):
                continue
            ptype, collection = _type_ref(p.attrib["Type"], aliases)
            prop = Prop(
                name=p.attrib["Name"],
                type=ptype,
                collection=collection,
                nullable=p.attrib.get("Nullable", "true") != "false",
                navigation=ptag == "NavigationProperty",
                owner=name,
            )
            t.declared[prop.name] = prop
            self._annotate(f"{name}/{prop.name}", p, aliases)
        self.types[name] = t

    def _container(self, el: ET.Element, name: str, aliases: dict[str, str]) -> None:
        for member in el:
            tag = member.tag.removeprefix(EDM)
            if tag == "EntitySet":
                self.container[member.attrib["Name"]] = (_qualify(member.attrib["EntityType"], aliases), True)
            elif tag == "Singleton":
                self.container[member.attrib["Name"]] = (_qualify(member.attrib["Type"], aliases), False)
            else:
                continue
            self._annotate(f"{name}/{member.attrib['Name']}", member, aliases)

    def _annotate(self, target: str, el: ET.Element, aliases: dict[str, str]) -> None:
        for a in el:
            if a.tag == f"{EDM}Annotation":
                self.annotations.setdefault(target, {})[a.attrib["Term"]] = _value(a, aliases)

    # -- types -----------------------------------------------------------------------------------------------

    def ancestry(self, name: str) -> list[str]:
        """`name` and its base types, nearest first."""
        out = []
        current: str | None = name
        while current is not None:
            out.append(current)
            current = self.types[current].base
        return out

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for t in self.types.values():
            if t.base:
                children.setdefault(t.base, []).append(t.name)
        return children

    def derived(self, name: str) -> list[str]:
        """Every type deriving from `name`, at any depth (not `name` itself)."""
        out: list[str] = []
        todo = list(self._children.get(name, []))
        while todo:
            current = todo.pop()
            out.append(current)
            todo.extend(self._children.get(current, []))
        return sorted(out)

    def properties(self, name: str) -> dict[str, Prop]:
        """The properties of type `name`, its base types' included."""
        out: dict[str, Prop] = {}
        for t in reversed(self.ancestry(name)):
            out.update(self.types[t].declared)
        return out

    def is_computed(self, prop: Prop) -> bool:
        return bool(self.annotations.get(f"{prop.owner}/{prop.name}", {}).get(COMPUTED))

    def is_immutable(self, prop: Prop) -> bool:
        return bool(self.annotations.get(f"{prop.owner}/{prop.name}", {}).get(IMMUTABLE))

    # -- paths from the service root -------------------------------------------------------------------------

    def resolve(self, url_path: str) -> list[tuple[str, str, bool]]:
        """The segments of a Graph path (`identity/conditionalAccess/policies`) as (annotation target, type,
        collection): the entity set or singleton first, then each navigation property, whose target is
        `<declaring type>/<name>`. Key segments (`{id}`) and `$ref` are passed over. Raises KeyError for a
        segment the schema does not know."""
        first, *rest = [s for s in url_path.split("/") if s != "$ref" and not s.startswith("{")]
        ttype, collection = self.container[first]
        out = [(f"{CONTAINER}/{first}", ttype, collection)]
        for segment in rest:
            prop = self.properties(ttype)[segment]
            if not prop.navigation:
                raise KeyError(f"{segment} is not a navigation property of {ttype}")
            ttype, collection = prop.type, prop.collection
            out.append((f"{prop.owner}/{prop.name}", ttype, collection))
        return out

    def restrictions(self, url_path: str, term: str) -> list[tuple[str, Any]]:
        """Every record of capability `term` that applies to the resource at `url_path`, with its target:
        annotations on the entity set or singleton, on the navigation property that leads there, on the entity
        type (and its base types), and NavigationRestrictions.RestrictedProperties of an ancestor segment
        that name the rest of the path. Empty when the file records none (no restriction)."""
        segments = self.resolve(url_path)
        target, ttype, _ = segments[-1]
        found: list[tuple[str, Any]] = []
        for where in (target, *self.ancestry(ttype)):
            if term in self.annotations.get(where, {}):
                found.append((where, self.annotations[where][term]))
        names = [s for s in url_path.split("/") if s != "$ref" and not s.startswith("{")]
        short = term.rsplit(".", 1)[-1]
        for i, (where, _, _) in enumerate(segments[:-1]):
            nav = self.annotations.get(where, {}).get(NAVIGATION_RESTRICTIONS) or {}
            for record in nav.get("RestrictedProperties") or []:
                if record.get("NavigationProperty") == "/".join(names[i + 1 :]) and short in record:
                    found.append((f"{where} RestrictedProperties", record[short]))
        return found

    def select_supported(self, url_path: str) -> tuple[bool, str]:
        """False (and the target saying so) where SelectSupport.Supported or SelectRestrictions.Selectable
        is false for the resource."""
        for term, key in ((SELECT_SUPPORT, "Supported"), (SELECT_RESTRICTIONS, "Selectable")):
            for where, record in self.restrictions(url_path, term):
                if isinstance(record, dict) and record.get(key) is False:
                    return False, f"{where}: {term.rsplit('.', 1)[-1]} {key}=false"
        return True, ""

    def filter_restriction(self, url_path: str, prop: str | None = None) -> str:
        """Why `$filter` (on `prop`, when given) is not allowed on the resource, or '' when it is."""
        for where, record in self.restrictions(url_path, FILTER_RESTRICTIONS):
            if not isinstance(record, dict):
                continue
            if record.get("Filterable") is False:
                return f"{where}: FilterRestrictions Filterable=false"
            if prop and prop in (record.get("NonFilterableProperties") or []):
                return f"{where}: FilterRestrictions NonFilterableProperties has {prop}"
        return ""

    def change_tracking(self, url_path: str) -> bool:
        """True where ChangeTracking.Supported is recorded as true for the resource (delta queries)."""
        return any(
            isinstance(record, dict) and record.get("Supported") is True
            for _, record in self.restrictions(url_path, CHANGE_TRACKING)
        )


def load(path: Path) -> Schema:
    return Schema(path)
