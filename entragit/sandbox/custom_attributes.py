"""Custom security attributes: attribute sets, attribute definitions with their allowed values, and the values
assigned to users and service principals, as Graph v1.0 documents them.

Sources (microsoft-graph-docs-contrib, api-reference/v1.0 and concepts):
- resources/attributeset.md, directory-post-attributesets.md, attributeset-update.md: a set is created with
  the id it is named by (up to 32 characters, no spaces or special characters), "can't be renamed or deleted";
  description (up to 128 characters) and maxAttributesPerSet can be changed later.
- resources/customsecurityattributedefinition.md, directory-post-customsecurityattributedefinitions.md,
  customsecurityattributedefinition-update.md: the id is `<attributeSet>_<name>`, generated; attributeSet,
  isCollection, isSearchable, name and type "Cannot be changed later"; a definition "can't be renamed or
  deleted, but it can be deactivated" (status `Deprecated`); usePreDefinedValuesOnly "can be changed from true
  to false, but cannot be changed from false to true"; a Boolean attribute is never a collection nor limited
  to predefined values; up to 500 active definitions per tenant. PATCH takes description, status,
  usePreDefinedValuesOnly and, with the header `OData-Version: 4.01`, `allowedValues@delta`.
- resources/allowedvalue.md, customsecurityattributedefinition-post-allowedvalues.md, allowedvalue-update.md:
  up to 100 per definition, "can't be renamed or deleted, but can be deactivated" (isActive false: "cannot
  be assigned to any additional supported directory objects"); returned only on `$expand=allowedValues`.
- concepts/custom-security-attributes-examples.md: values are written only by PATCH of the user or service
  principal, one object per attribute set typed `#Microsoft.DirectoryServices.CustomSecurityAttributeValue`,
  integers and collections annotated (`X@odata.type`: `#Int32`, `#Collection(String)`,
  `#Collection(Int32)`); other sets and attributes are left as they are; a single value is removed with
  null, a collection with []. They are read only through `$select=customSecurityAttributes`, typed
  `#microsoft.graph.customSecurityAttributeValue`, and read as null "if there are no custom security
  attributes assigned ... or if the calling principal does not have access".
- resources/user.md, serviceprincipal.md: reading them takes CustomSecAttributeAssignment.Read.All, writing
  CustomSecAttributeAssignment.ReadWrite.All.

Delta: no v1.0 page says that users/delta or servicePrincipals/delta tracks customSecurityAttributes
(user-delta.md and serviceprincipal-delta.md as learn.microsoft.com serves them in 2025-2026, the revision
that lists the AgentIdUser permissions: their $select notes name no such property, user-delta.md notes only
that changes to licenseAssignmentStates are not tracked), and Graph refuses other
`$select`-only properties that live outside the directory's main store in a delta query (signInActivity:
"Invalid request for delta query: for this entity set, $expand/$select is not supported for the following
properties", microsoftgraph/microsoft-graph-explorer-v4 issue 3189). The sandbox refuses it the same way, so
that no client can come to rely on delta carrying it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from entragit.sandbox.protocol import (
    ApiError,
    Ctx,
    Response,
    bad,
    not_allowed,
    not_found,
    read_only,
    segment_not_found,
)
from entragit.sandbox.schema import TypeDef

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi
    from entragit.sandbox.tenant import Tenant

SETS = "directory/attributeSets"
DEFINITIONS = "directory/customSecurityAttributeDefinitions"
PROPERTY = "customSecurityAttributes"
HOLDERS = ("users", "servicePrincipals")  # "supported for users and service principals only"
VALUE_TYPE_READ = "#microsoft.graph.customSecurityAttributeValue"
VALUE_TYPE_WRITE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
READ_PERMISSIONS = frozenset(
    {"customsecattributeassignment.read.all", "customsecattributeassignment.readwrite.all"}
)
WRITE_PERMISSION = "CustomSecAttributeAssignment.ReadWrite.All"
DELTA_REFUSAL = (
    "Invalid request for delta query: for this entity set, $expand/$select is not supported for the "
    "following properties: customSecurityAttributes"
)

MAX_SETS = 500
MAX_ACTIVE_DEFINITIONS = 500
MAX_ALLOWED_VALUES = 100
_NAME = re.compile(r"[^\W_]{1,32}")  # letters and digits (Unicode), no spaces or special characters
_DEFINITION_WRITABLE = frozenset({"description", "status", "usePreDefinedValuesOnly"})
_DEFINITION_FIXED = frozenset({"id", "attributeSet", "isCollection", "isSearchable", "name", "type"})
_TYPES = ("Boolean", "Integer", "String")
_STATUSES = ("Available", "Deprecated")
_COLLECTION_TYPE = {"String": "#Collection(String)", "Integer": "#Collection(Int32)"}


def _invalid(what: str) -> Any:
    bad(f"Invalid value specified for property '{what}'.")


def _description(body: dict[str, Any], resource: str) -> None:
    text = body.get("description")
    if text is not None and (not isinstance(text, str) or len(text) > 128):
        bad(f"Invalid value specified for property 'description' of resource '{resource}'.")


def _find(tenant: Tenant, key: str, oid: str) -> dict[str, Any] | None:
    """Ids of sets and definitions are case insensitive (resources/attributeset.md, definition.md)."""
    objs = tenant.coll(key).objs
    found = objs.get(oid)
    if found is not None:
        return found
    low = oid.lower()
    return next((o for k, o in objs.items() if k.lower() == low), None)


# ----------------------------------------------------------------------------------------- attribute sets


def create_set(tenant: Tenant, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    unknown = [p for p in body if p not in (td.known or ()) and not p.startswith("@odata.")]
    if unknown:
        bad(f"Property '{unknown[0]}' does not exist as a declared property or extension property.")
    oid = body.get("id")
    if not isinstance(oid, str) or not _NAME.fullmatch(oid):
        bad("Invalid value specified for property 'id' of resource 'AttributeSet'.")
    if _find(tenant, SETS, oid) is not None:
        raise ApiError(409, "Request_MultipleObjectsWithSameKeyValue", f"An attribute set '{oid}' exists.")
    if len(tenant.coll(SETS).objs) >= MAX_SETS:
        bad(f"A tenant can hold at most {MAX_SETS} attribute sets.")
    _description(body, "AttributeSet")
    _check_max(body.get("maxAttributesPerSet"))
    return {
        "id": oid,
        "description": body.get("description"),
        "maxAttributesPerSet": body.get("maxAttributesPerSet"),
    }, {}


def _check_max(value: Any) -> None:
    ok = value is None or (type(value) is int and 1 <= value <= MAX_ACTIVE_DEFINITIONS)
    if not ok:
        bad("Invalid value specified for property 'maxAttributesPerSet' of resource 'AttributeSet'.")


def check_set_update(changes: dict[str, Any]) -> None:
    """attributeset-update.md: description and maxAttributesPerSet only."""
    for prop in changes:
        if prop not in ("description", "maxAttributesPerSet"):
            read_only(prop)
    _description(changes, "AttributeSet")
    if "maxAttributesPerSet" in changes:
        _check_max(changes["maxAttributesPerSet"])


# ------------------------------------------------------------------------------------------- definitions


def _allowed_value(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or set(item) - {"id", "isActive", "@odata.type"}:
        _invalid("allowedValues")
    oid, active = item.get("id"), item.get("isActive")
    if not isinstance(oid, str) or not oid.strip() or len(oid) > 64 or not isinstance(active, bool):
        _invalid("allowedValues")
    return {"id": oid, "isActive": active}


def _active_count(tenant: Tenant, attribute_set: str | None = None) -> int:
    return sum(
        1
        for d in tenant.coll(DEFINITIONS).objs.values()
        if d.get("status") == "Available"
        and (attribute_set is None or str(d.get("attributeSet")).lower() == attribute_set.lower())
    )


def _room_for_active(tenant: Tenant, attribute_set: dict[str, Any]) -> None:
    if _active_count(tenant) >= MAX_ACTIVE_DEFINITIONS:
        bad(f"A tenant can hold at most {MAX_ACTIVE_DEFINITIONS} active custom security attributes.")
    cap = attribute_set.get("maxAttributesPerSet")
    if cap is not None and _active_count(tenant, str(attribute_set["id"])) >= int(cap):
        bad(f"The attribute set '{attribute_set['id']}' holds at most {cap} attributes.")


def create_definition(tenant: Tenant, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    props = {k: v for k, v in body.items() if not k.startswith("@odata.")}
    for prop in props:
        if prop == "id":
            read_only(prop)  # "The id property is auto generated and cannot be set."
        if prop not in (td.known or ()) and prop != "allowedValues":
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    for prop in td.required:
        if props.get(prop) is None:
            _invalid(prop)
    attribute_set = _find(tenant, SETS, str(props["attributeSet"]))
    if attribute_set is None:
        bad(f"Attribute set '{props['attributeSet']}' does not exist.")
    name = props["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        _invalid("name")
    kind = props["type"]
    if kind not in _TYPES:
        _invalid("type")
    for flag in ("isCollection", "isSearchable", "usePreDefinedValuesOnly"):
        if not isinstance(props[flag], bool):
            _invalid(flag)
    if kind == "Boolean" and (props["isCollection"] or props["usePreDefinedValuesOnly"]):
        bad("A Boolean custom security attribute cannot be a collection or use predefined values only.")
    if props["status"] not in _STATUSES:
        _invalid("status")
    _description(props, "CustomSecurityAttributeDefinition")
    oid = f"{attribute_set['id']}_{name}"
    if _find(tenant, DEFINITIONS, oid) is not None:
        raise ApiError(
            409, "Request_MultipleObjectsWithSameKeyValue", f"A custom security attribute '{oid}' exists."
        )
    if props["status"] == "Available":
        _room_for_active(tenant, attribute_set)
    values = props.get("allowedValues") or []
    if not isinstance(values, list) or len(values) > MAX_ALLOWED_VALUES or (values and kind == "Boolean"):
        _invalid("allowedValues")
    allowed = [_allowed_value(v) for v in values]
    if len({v["id"] for v in allowed}) != len(allowed):
        _invalid("allowedValues")
    obj = {
        "id": oid,
        "attributeSet": attribute_set["id"],
        "description": props.get("description"),
        "isCollection": props["isCollection"],
        "isSearchable": props["isSearchable"],
        "name": name,
        "status": props["status"],
        "type": kind,
        "usePreDefinedValuesOnly": props["usePreDefinedValuesOnly"],
        "allowedValues": allowed,
    }
    return obj, {}


def update_definition(api: GraphApi, ctx: Ctx, td: TypeDef, oid: str, body: dict[str, Any]) -> Response:
    """customsecurityattributedefinition-update.md, including `allowedValues@delta` (OData-Version 4.01)."""
    tenant = api.tenant
    old = tenant.coll(td.key).objs[oid]
    delta = body.get("allowedValues@delta")
    changes = {k: v for k, v in body.items() if not k.startswith("@odata.") and k != "allowedValues@delta"}
    for prop in changes:
        if prop in _DEFINITION_FIXED:
            read_only(prop)
        if prop not in _DEFINITION_WRITABLE:
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    new = dict(old)
    new.update(changes)
    if new["status"] not in _STATUSES:
        _invalid("status")
    if not isinstance(new["usePreDefinedValuesOnly"], bool):
        _invalid("usePreDefinedValuesOnly")
    if new["usePreDefinedValuesOnly"] and not old["usePreDefinedValuesOnly"]:
        bad("usePreDefinedValuesOnly can be changed from true to false, but not from false to true.")
    _description(changes, "CustomSecurityAttributeDefinition")
    if new["status"] == "Available" and old["status"] != "Available":
        _room_for_active(tenant, _find(tenant, SETS, str(old["attributeSet"])) or {"id": old["attributeSet"]})
    if delta is not None:
        if ctx.headers.get("odata-version") != "4.01":
            bad("The 'allowedValues@delta' annotation needs the request header 'OData-Version: 4.01'.")
        if not isinstance(delta, list) or old["type"] == "Boolean":
            _invalid("allowedValues")
        values = [dict(v) for v in old.get("allowedValues") or []]
        for item in map(_allowed_value, delta):
            current = next((v for v in values if v["id"] == item["id"]), None)
            if current is None:
                values.append(item)
            else:
                current["isActive"] = item["isActive"]
        if len(values) > MAX_ALLOWED_VALUES:
            _invalid("allowedValues")
        new["allowedValues"] = values
    modified = [(k, old.get(k), new.get(k)) for k in sorted(new) if old.get(k) != new.get(k)]
    if modified:
        tenant.replace(td.key, new, [m[0] for m in modified])
    api.audit.record(
        ctx, f"Update {td.audit_noun}", td.audit_category, "Update", [api.audit.target(td.key, new, modified)]
    )
    return Response(204)


def allowed_values(api: GraphApi, ctx: Ctx, method: str, td: TypeDef, oid: str, rest: list[str]) -> Response:
    """`/directory/customSecurityAttributeDefinitions/{id}/allowedValues[/{valueId}]`: list, create, get,
    update; never delete (allowedvalue.md)."""
    tenant = api.tenant
    definition = tenant.coll(td.key).objs[oid]
    values = [dict(v) for v in definition.get("allowedValues") or []]
    fragment = f"directory/customSecurityAttributeDefinitions('{oid}')/allowedValues"
    if not rest:
        if method == "GET":
            body = {"@odata.context": ctx.context(fragment), "value": values}
            return Response(200, body)
        if method != "POST":
            not_allowed()
        item = _allowed_value({k: v for k, v in (api._body(ctx)).items() if k != "@odata.type"})
        if definition["type"] == "Boolean":
            _invalid("allowedValues")
        if any(v["id"] == item["id"] for v in values):
            raise ApiError(
                409, "Request_MultipleObjectsWithSameKeyValue", f"The allowed value '{item['id']}' exists."
            )
        if len(values) >= MAX_ALLOWED_VALUES:
            bad(f"A custom security attribute holds at most {MAX_ALLOWED_VALUES} predefined values.")
        tenant.replace(td.key, {**definition, "allowedValues": [*values, item]}, ["allowedValues"])
        return Response(201, {"@odata.context": ctx.context(f"{fragment}/$entity"), **item})
    if len(rest) != 1:
        segment_not_found(rest[1])
    current = next((v for v in values if v["id"] == rest[0]), None)  # case sensitive (allowedvalue.md)
    if current is None:
        not_found(rest[0])
    if method == "GET":
        return Response(200, {"@odata.context": ctx.context(f"{fragment}/$entity"), **current})
    if method != "PATCH":
        not_allowed()
    body = {k: v for k, v in api._body(ctx).items() if not k.startswith("@odata.")}
    for prop in body:
        if prop == "id":
            read_only(prop)
        if prop != "isActive":
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    if not isinstance(body.get("isActive", current["isActive"]), bool):
        _invalid("isActive")
    current.update(body)
    tenant.replace(td.key, {**definition, "allowedValues": values}, ["allowedValues"])
    return Response(204)


def expanded(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """`$expand=allowedValues` (resources/customsecurityattributedefinition.md)."""
    return [dict(v) for v in definition.get("allowedValues") or []]


# --------------------------------------------------------------------------------------------------- values


def assign(tenant: Tenant, old: Any, patch: Any) -> dict[str, Any] | None:
    """The values after a PATCH of `customSecurityAttributes` (the examples page): each set named is merged
    into the object's, attribute by attribute; null (or [] for a collection) removes one."""
    if not isinstance(patch, dict):
        _invalid(PROPERTY)
    out: dict[str, Any] = copy.deepcopy(old) if isinstance(old, dict) else {}
    for set_name, attrs in patch.items():
        if not isinstance(attrs, dict) or str(attrs.get("@odata.type", "")).lower() not in (
            VALUE_TYPE_WRITE.lower(),
            VALUE_TYPE_READ.lower(),
        ):
            _invalid(PROPERTY)
        held_name = next((k for k in out if k.lower() == set_name.lower()), set_name)
        held: dict[str, Any] = out.get(held_name) or {"@odata.type": VALUE_TYPE_READ}
        for name, value in attrs.items():
            if "@" in name:
                continue
            definition = _find(tenant, DEFINITIONS, f"{set_name}_{name}")
            if definition is None:
                bad(f"The custom security attribute '{set_name}_{name}' does not exist.")
            name = str(definition["name"])
            if value is None or value == []:
                held.pop(name, None)
                held.pop(f"{name}@odata.type", None)
                continue
            if definition["status"] != "Available":
                bad(f"The custom security attribute '{definition['id']}' is deactivated: not assignable.")
            annotation = _checked(definition, value, attrs.get(f"{name}@odata.type"), held.get(name))
            held[name] = value
            held.pop(f"{name}@odata.type", None)
            if annotation:
                held[f"{name}@odata.type"] = annotation
        if any(not k.startswith("@") and "@" not in k for k in held):
            out[str(held_name if held_name in out else _set_id(tenant, set_name))] = held
        else:
            out.pop(held_name, None)
    return out or None


def _set_id(tenant: Tenant, name: str) -> str:
    found = _find(tenant, SETS, name)
    return str(found["id"]) if found else name


def _checked(definition: dict[str, Any], value: Any, annotation: Any, before: Any) -> str | None:
    """The value's type against its definition; the annotation Graph returns with it."""
    kind = definition["type"]
    where = str(definition["id"])
    items = value if definition["isCollection"] else [value]
    if definition["isCollection"]:
        wanted = _COLLECTION_TYPE[kind]
        if not isinstance(value, list) or str(annotation or "").lower() != wanted.lower():
            bad(f"Invalid value for the custom security attribute '{where}': {wanted} expected.")
    elif isinstance(value, list):
        bad(f"The custom security attribute '{where}' takes a single value.")
    for item in items:
        ok = {
            "String": isinstance(item, str),
            "Integer": type(item) is int and -(2**31) <= item < 2**31,
            "Boolean": type(item) is bool,
        }[kind]
        if not ok:
            bad(f"Invalid value for the custom security attribute '{where}': {kind} expected.")
    if kind == "Integer" and not definition["isCollection"] and str(annotation or "").lower() != "#int32":
        bad(f"Invalid value for the custom security attribute '{where}': annotate it '#Int32'.")
    if definition["usePreDefinedValuesOnly"]:
        had = set(before if isinstance(before, list) else [before])
        active = {str(v["id"]) for v in definition.get("allowedValues") or [] if v.get("isActive")}
        for item in items:
            if str(item) not in active and item not in had:
                bad(f"'{item}' is not an active predefined value of the custom security attribute '{where}'.")
    if definition["isCollection"]:
        return _COLLECTION_TYPE[kind]
    return "#Int32" if kind == "Integer" else None


def hide_unless_permitted(body: Any, roles: Iterable[str] | None) -> None:
    """Values read as null without CustomSecAttributeAssignment.Read.All, not a 403:
    concepts/custom-security-attributes-examples.md (v1.0), "Get the custom security attribute assignments
    for a user": "If there are no custom security attributes assigned to the user or if the calling principal
    does not have access", the response holds `"customSecurityAttributes": null`."""
    if roles is None or READ_PERMISSIONS & {r.lower() for r in roles} or not isinstance(body, dict):
        return
    listed = body.get("value")
    for item in [body, *(listed if isinstance(listed, list) else [])]:
        if isinstance(item, dict) and PROPERTY in item:
            item[PROPERTY] = None


# ---------------------------------------------------------------------------------------------------- seeds

_SEED_SET = {
    "id": "Security",
    "description": "Attributes that gate access to sensitive resources",
    "maxAttributesPerSet": 25,
}
_SEED_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {
        "attributeSet": "Security",
        "description": "Highest data classification the principal may handle",
        "isCollection": False,
        "isSearchable": True,
        "name": "Clearance",
        "status": "Available",
        "type": "String",
        "usePreDefinedValuesOnly": True,
        "allowedValues": [
            {"id": "Public", "isActive": True},
            {"id": "Confidential", "isActive": True},
            {"id": "Secret", "isActive": True},
        ],
    },
    {
        "attributeSet": "Security",
        "description": "Projects the principal works on",
        "isCollection": True,
        "isSearchable": True,
        "name": "Projects",
        "status": "Available",
        "type": "String",
        "usePreDefinedValuesOnly": False,
        "allowedValues": [],
    },
)
_SEED_VALUES: tuple[dict[str, Any], ...] = (
    {"Clearance": "Secret", "Projects": ["Falcon", "Harbor"]},
    {"Clearance": "Confidential"},
    {"Projects": ["Harbor"]},
)


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    held: dict[str, Any] = {"@odata.type": VALUE_TYPE_READ}
    for name, value in values.items():
        held[name] = value
        if isinstance(value, list):
            held[f"{name}@odata.type"] = "#Collection(String)"
    return {"Security": held}


def seed(users: list[dict[str, Any]], sps: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A set, two definitions (one with predefined values) and values on the first few members and the
    first application's service principal: the generated and demo tenants' custom security attributes."""
    definitions = [{"id": f"{d['attributeSet']}_{d['name']}", **d} for d in _SEED_DEFINITIONS]
    members = [u for u in users if u.get("userType", "Member") == "Member" and not u.get("@odata.type")]
    for user, values in zip(members, _SEED_VALUES, strict=False):
        user[PROPERTY] = _stored(values)
    app_sp = next((s for s in sps if s.get("servicePrincipalType") == "Application"), None)
    if app_sp is not None:
        app_sp[PROPERTY] = _stored({"Clearance": "Confidential"})
    return {SETS: [dict(_SEED_SET)], DEFINITIONS: definitions}
