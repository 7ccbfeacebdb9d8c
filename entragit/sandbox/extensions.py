"""Directory extensions: definitions on an application, values on the objects they target.

What Graph documents, and so what this module does:

- A definition (resources/extensionproperty.md) is created on an application
  (application-post-extensionproperty.md): `name`, `dataType` and `targetObjects` are required,
  `isMultiValued` defaults to false. Its stored name is `extension_{appId without hyphens}_{name}`
  (concepts/extensibility-overview.md, "Directory extensions"). dataType is one of Binary (256 bytes),
  Boolean, DateTime (ISO 8601, stored in UTC), Integer (32-bit), LargeInteger (64-bit), String (256
  characters); the limits apply per value of a multi-valued one. targetObjects are PascalCase: User, Group,
  AdministrativeUnit, Application, Device, Organization. Definitions are listed, read and deleted on their
  application (application-list-extensionproperty.md, extensionproperty-get.md, extensionproperty-delete.md:
  only those not synced from on-premises can be deleted); the page documents no update.
- `POST directoryObjects/getAvailableExtensionProperties`
  (directoryobject-getavailableextensionproperties.md) returns the definitions registered in the directory,
  filtered by `isSyncedFromOnPremises` when the body gives it. A definition is usable (discoverable) while
  its owner app and the app's service principal are live: "Deleting an owner app ... makes the associated
  directory extensions and their data undiscoverable", and a restored app's extensions stay undiscoverable
  until its service principal is back (extensibility-overview.md, "Considerations for using directory
  extensions").
- The same page's "Important" note documents a known issue: the action "only processes results for tenants
  with up to 1,000 service principals; otherwise, it returns an empty response" (`ANSWERS_UP_TO`, live ones).
- Values are written like any property of the target object (PATCH, or POST on create); null removes one
  (extensionproperty.md, Tip). Graph v1.0 returns them only when named in `$select`
  (extensibility-overview.md: "only on $select through the v1.0 endpoint"). At most 100 values per object
  across all definitions (extensionproperty.md). A deleted definition's values stay on the objects,
  undiscoverable and counted against the 100, and come back when a definition of the same name is created on
  the same app (extensibility-overview.md).

Not documented, so inferred (docs/graph.md, Directory extensions): a `$select` or a write naming an
extension that is not available for the object's type is refused like any unknown property (400); a second
definition of a name its app already has is refused with a 400; selected values an object does not have read
back as null.

Definitions are kept in their own collection (`extensionProperties`), each found by its owner app through
the appId in its name: a soft-deleted app's definitions come back with it, a purged app's never do (a
recreated app has a new appId), without touching the app's record or its change log.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from entragit.sandbox.protocol import Ctx, Response, bad, not_allowed, not_found, segment_not_found
from entragit.sandbox.schema import TYPES, TypeDef, new_guid, parse_time

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi
    from entragit.sandbox.tenant import Tenant

KEY = "extensionProperties"
PREFIX = "extension_"
ANSWERS_UP_TO = 1000  # service principals beyond which discovery answers nothing (its page's known issue)
MAX_VALUES = 100  # extension values per object, across all types and apps (extensionproperty.md)
MAX_TEXT = 256  # String characters, Binary bytes (extensionproperty.md)
DATA_TYPES = ("Binary", "Boolean", "DateTime", "Integer", "LargeInteger", "String")
# targetObjects value → the collection it extends (Device: not emulated, accepted in a definition).
TARGETS: dict[str, str | None] = {
    "User": "users",
    "Group": "groups",
    "AdministrativeUnit": "directory/administrativeUnits",
    "Application": "applications",
    "Device": None,
    "Organization": "organization",
}
TARGET_OF = {key: name for name, key in TARGETS.items() if key is not None}
_CREATE_FIELDS = frozenset({"name", "dataType", "isMultiValued", "targetObjects"})
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_INT_RANGE = {"Integer": 2**31, "LargeInteger": 2**63}


def full_name(app_id: str, name: str) -> str:
    """`extension_{appId without hyphens}_{name}` (extensibility-overview.md)."""
    return f"{PREFIX}{app_id.replace('-', '').lower()}_{name}"


def _owner_key(name: str) -> str:
    """The hyphen-less appId a definition's name carries."""
    return name[len(PREFIX) : len(PREFIX) + 32]


def definitions_of(tenant: Tenant, app: Mapping[str, Any]) -> list[dict[str, Any]]:
    coll = tenant.coll(KEY)
    head = full_name(str(app["appId"]), "")
    return [coll.objs[i] for i in coll.prefix("name", head)]


def _owner(tenant: Tenant, name: str) -> dict[str, Any] | None:
    """The live application whose appId the name carries."""
    key = _owner_key(name)
    app_id = f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"
    apps = tenant.coll("applications")
    return next((apps.objs[i] for i in apps.find("appId", app_id)), None)


def _discoverable(tenant: Tenant, d: Mapping[str, Any]) -> bool:
    app = _owner(tenant, str(d["name"]))
    return app is not None and tenant.sp_by_app_id(str(app["appId"])) is not None


def available(tenant: Tenant, target: str | None = None) -> dict[str, dict[str, Any]]:
    """Discoverable definitions by name, those for `target` (a targetObjects value) only when given."""
    out = {}
    for d in tenant.coll(KEY).objs.values():
        if (target is None or target in d.get("targetObjects", ())) and _discoverable(tenant, d):
            out[str(d["name"])] = d
    return out


def view(tenant: Tenant, d: Mapping[str, Any]) -> dict[str, Any]:
    """A definition as Graph returns it: appDisplayName is its app's display name (extensionproperty.md)."""
    app = _owner(tenant, str(d["name"]))
    return {
        "id": d["id"],
        "deletedDateTime": None,
        "appDisplayName": app.get("displayName") if app else None,
        "dataType": d["dataType"],
        "isMultiValued": bool(d.get("isMultiValued")),
        "isSyncedFromOnPremises": bool(d.get("isSyncedFromOnPremises")),
        "name": d["name"],
        "targetObjects": list(d["targetObjects"]),
    }


def seed(tenant: Tenant, app: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> None:
    """Definitions a seed gives an application (`extensionProperties` on the app, short or full names)."""
    objs = []
    for item in items:
        name = str(item["name"])
        objs.append(
            {
                "id": str(item.get("id") or new_guid()),
                "name": name if name.startswith(PREFIX) else full_name(str(app["appId"]), name),
                "dataType": item.get("dataType", "String"),
                "isMultiValued": bool(item.get("isMultiValued")),
                "isSyncedFromOnPremises": bool(item.get("isSyncedFromOnPremises")),
                "targetObjects": list(item.get("targetObjects") or ["User"]),
            }
        )
    coll = tenant.coll(KEY)
    coll.load([*coll.objs.values(), *objs])


# ------------------------------------------------------------------------------------------------ requests


def handle(api: GraphApi, ctx: Ctx, method: str, app_id: str, rest: list[str]) -> Response:
    """`applications/{id}/extensionProperties[/{definition id}]`."""
    app = api.tenant.coll("applications").objs[app_id]
    td = TYPES[KEY]
    fragment = f"applications('{app_id}')/extensionProperties"
    if not rest:
        if method == "GET":
            objs = sorted(definitions_of(api.tenant, app), key=lambda d: str(d["id"]))
            return api._list_objects(
                ctx, td, objs, fragment, item=lambda d: _selected(api, ctx, td, view(api.tenant, d))
            )
        if method == "POST":
            return _create(api, ctx, app, fragment)
        not_allowed()
    if len(rest) > 1:
        segment_not_found(rest[1])
    wanted = rest[0].lower()
    found = next((d for d in definitions_of(api.tenant, app) if str(d["id"]).lower() == wanted), None)
    if found is None:
        not_found(rest[0])
    if method == "GET":
        body = {"@odata.context": ctx.context(f"{fragment}/$entity")}
        body.update(_selected(api, ctx, td, view(api.tenant, found)))
        return Response(200, body)
    if method == "DELETE":
        if found.get("isSyncedFromOnPremises"):
            bad("Directory extensions synced from on-premises Active Directory cannot be deleted.")
        api.tenant.coll(KEY).remove(str(found["id"]))
        api.audit.record(
            ctx,
            "Update application",
            "ApplicationManagement",
            "Update",
            [api.audit.target("applications", app, [("ExtensionProperty", found["name"], None)])],
        )
        return Response(204)
    not_allowed()


def _selected(api: GraphApi, ctx: Ctx, td: TypeDef, obj: dict[str, Any]) -> dict[str, Any]:
    select = api._select(ctx, td, collection=False)
    return {k: v for k, v in obj.items() if k == "id" or k in select} if select else obj


def _create(api: GraphApi, ctx: Ctx, app: dict[str, Any], fragment: str) -> Response:
    """application-post-extensionproperty.md."""
    body = ctx.req.body if isinstance(ctx.req.body, dict) else bad("Empty Payload. JSON content expected.")
    td = TYPES[KEY]
    for prop in body:
        if prop not in _CREATE_FIELDS and not prop.startswith("@odata."):
            if prop in (td.known or ()):
                bad(f"Property '{prop}' is read-only and cannot be set.")
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    name, kind, targets = body.get("name"), body.get("dataType"), body.get("targetObjects")
    multi = body.get("isMultiValued", False)
    if not isinstance(name, str) or not name or not _NAME.match(name):
        _invalid("name")
    if kind not in DATA_TYPES:
        _invalid("dataType")
    if not isinstance(targets, list) or not targets or any(t not in TARGETS for t in targets):
        _invalid("targetObjects")
    if not isinstance(multi, bool):
        _invalid("isMultiValued")
    stored = full_name(str(app["appId"]), name)
    if any(str(d["name"]).lower() == stored.lower() for d in definitions_of(api.tenant, app)):
        bad(f"An extension property with name '{stored}' already exists on this application.")
    d = {
        "id": new_guid(),
        "name": stored,
        "dataType": kind,
        "isMultiValued": multi,
        "isSyncedFromOnPremises": False,
        "targetObjects": list(dict.fromkeys(targets)),
    }
    api.tenant.coll(KEY).put(d)
    api.audit.record(
        ctx,
        "Update application",
        "ApplicationManagement",
        "Update",
        [api.audit.target("applications", app, [("ExtensionProperty", None, stored)])],
    )
    out = {"@odata.context": ctx.context(f"{fragment}/$entity")}
    out.update(view(api.tenant, d))
    return Response(201, out, {"Location": f"{ctx.base}/{fragment}/{d['id']}"})


def get_available(api: GraphApi, ctx: Ctx) -> Response:
    """POST directoryObjects/getAvailableExtensionProperties: the discoverable definitions, all or those
    (not) synced from on-premises."""
    body = ctx.req.body if isinstance(ctx.req.body, dict) else {}
    for prop in body:
        if prop != "isSyncedFromOnPremises":
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    synced = body.get("isSyncedFromOnPremises")
    if synced is not None and not isinstance(synced, bool):
        _invalid("isSyncedFromOnPremises")
    found = sorted(available(api.tenant).values(), key=lambda d: str(d["name"]))
    if len(api.tenant.coll("servicePrincipals").objs) > ANSWERS_UP_TO:
        found = []
    value = [
        {"@odata.type": "#microsoft.graph.extensionProperty", **view(api.tenant, d)}
        for d in found
        if synced is None or bool(d.get("isSyncedFromOnPremises")) == synced
    ]
    return Response(200, {"@odata.context": ctx.context("Collection(extensionProperty)"), "value": value})


# ------------------------------------------------------------------------------------------------ values


def check_select(tenant: Tenant, td: TypeDef, props: Iterable[str]) -> None:
    """A `$select` naming an extension that is not available for this type is refused."""
    names = [p for p in props if p.startswith(PREFIX)]
    if not names:
        return
    usable = available(tenant, TARGET_OF.get(td.key, "")) if td.key in TARGET_OF else {}
    for prop in names:
        if prop not in usable:
            bad(
                f"Could not find a property named '{prop}' on type 'microsoft.graph.{td.entity}'.",
                "BadRequest",
            )


def check_values(tenant: Tenant, td: TypeDef, body: dict[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """The extension values of a write body, checked against their definitions and normalised (DateTime in
    UTC); the body's other properties untouched. Refused: an extension not available for the type, a value
    of another type or over its size, more than MAX_VALUES values on the object."""
    names = [k for k in body if k.startswith(PREFIX)]
    if not names:
        return body
    usable = available(tenant, TARGET_OF[td.key]) if td.key in TARGET_OF else {}
    out = dict(body)
    for prop in names:
        d = usable.get(prop)
        if d is None:
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
        value = body[prop]
        if value is None:
            continue
        if d.get("isMultiValued"):
            if not isinstance(value, list):
                _invalid(prop, td)
            out[prop] = [_value(str(d["dataType"]), v, prop, td) for v in value]
        else:
            out[prop] = _value(str(d["dataType"]), value, prop, td)
    after = {k: v for k, v in old.items() if k.startswith(PREFIX) and v is not None}
    after.update({k: out[k] for k in names})
    if sum(1 for v in after.values() if v not in (None, [])) > MAX_VALUES:
        bad(f"An object can hold at most {MAX_VALUES} extension property values.")
    return out


def _value(kind: str, value: Any, prop: str, td: TypeDef) -> Any:
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
    elif kind in _INT_RANGE:
        limit = _INT_RANGE[kind]
        if isinstance(value, int) and not isinstance(value, bool) and -limit <= value < limit:
            return value
    elif kind == "String":
        if isinstance(value, str) and len(value) <= MAX_TEXT:
            return value
    elif kind == "Binary":
        if isinstance(value, str):
            try:
                if len(base64.b64decode(value, validate=True)) <= MAX_TEXT:
                    return value
            except (binascii.Error, ValueError):
                pass
    elif kind == "DateTime" and isinstance(value, str):
        try:
            return parse_time(value).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
    _invalid(prop, td)


def _invalid(prop: str, td: TypeDef | None = None) -> NoReturn:
    resource = td.resource if td is not None else "ExtensionProperty"
    bad(f"Invalid value specified for property '{prop}' of resource '{resource}'.")
