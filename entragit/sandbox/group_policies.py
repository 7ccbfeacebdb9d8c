"""Tenant-wide group settings and the Microsoft 365 group expiration policy.

Group settings (resources/groupsetting.md) are made from Microsoft's setting templates
(resources/groupsettingtemplate.md, groupsettingtemplate-list.md): a tenant starts with none and uses each
template's defaults. `POST /groupSettings` names a template (`templateId`) and values for some of its
settings; the setting takes the template's displayName, and the settings the body leaves out take the
template's defaults (group-post-settings.md: "The displayName property and other name-value pairs will be
populated with the default values from the groupSettingTemplates object that matches the templateId"). A PATCH
replaces the values as a whole (groupsetting-update.md: "You must include the entire collection set. You
cannot update a single set of values"): a setting it leaves out is back at its default. A value names one of
the template's settings and is a string of the template's type (System.Boolean "true"/"false",
System.Int32, System.Guid). `Group.Unified.Guest` applies to one group only (group-post-settings.md,
Example 2: "can be applied to specific Microsoft 365 groups"), never at the tenant level, and a tenant has
one setting per template.

The expiration policy (resources/grouplifecyclepolicy.md) is one per tenant (entra/identity/users/
groups-lifecycle: "you can configure only one expiration policy for all Microsoft 365 groups"). With
`managedGroupTypes: Selected` it applies to the groups added with `POST .../{id}/addGroup` (up to 500,
Microsoft 365 groups only: grouplifecyclepolicy-addgroup.md) and removed with `removeGroup`; which policies
apply to a group is read per group (`GET /groups/{id}/groupLifecyclePolicies`,
group-list-grouplifecyclepolicies.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from entragit.sandbox import documented
from entragit.sandbox.baseline import GUEST_TEMPLATE
from entragit.sandbox.protocol import Ctx, Response, bad, not_allowed, not_found
from entragit.sandbox.schema import TYPES, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

SETTINGS = "groupSettings"
TEMPLATES = "groupSettingTemplates"
LIFECYCLE = "groupLifecyclePolicies"
LIFECYCLE_GROUPS = f"{LIFECYCLE}#groups"  # the tenant's links from a policy to the groups it applies to
MAX_SELECTED_GROUPS = 500  # grouplifecyclepolicy-addgroup.md

_B, _I, _G = "System.Boolean", "System.Int32", "System.Guid"


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TYPED = {
    _B: lambda v: v.lower() in ("true", "false"),
    _I: lambda v: re.fullmatch(r"-?\d{1,10}", v) is not None,
    _G: lambda v: v == "" or _GUID.fullmatch(v) is not None,
}


def _values(template: dict[str, Any], given: Any) -> list[dict[str, Any]]:
    """The template's settings, each with its value from `given` or else the template's default."""
    documented.check(TYPES[SETTINGS], {"values": given}, only=frozenset({"values"}))
    types = {v["name"]: v["type"] for v in template["values"]}
    chosen: dict[str, str] = {}
    for item in given:
        name, value = item.get("name"), item.get("value")
        if name not in types:
            bad(f"Setting '{name}' is not defined in template '{template['displayName']}'.")
        if name in chosen:
            bad(f"Setting '{name}' is given more than once.")
        if not isinstance(value, str) or not _TYPED.get(types[name], lambda _v: True)(value):
            bad(f"Invalid value '{value}' for setting '{name}' of type {types[name]}.")
        chosen[name] = value
    return [
        {"name": v["name"], "value": chosen.get(v["name"], v["defaultValue"])} for v in template["values"]
    ]


def create_setting(api: GraphApi, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """POST /groupSettings (group-post-settings.md): templateId and values required, one per template."""
    td = TYPES[SETTINGS]
    api.rules.check_known(td, body)
    documented.check(td, body, creating=True)
    template_id = str(body["templateId"]).lower()
    template = api.tenant.get(TEMPLATES, template_id)
    if template is None:
        bad(f"Template '{body['templateId']}' does not exist.")
    if template_id == GUEST_TEMPLATE:
        bad("The template Group.Unified.Guest can be applied to a specific group only, not to the tenant.")
    if any(s.get("templateId") == template_id for s in api.tenant.coll(SETTINGS).objs.values()):
        bad(f"A setting of template '{template['displayName']}' already exists in the tenant.")
    obj = {
        "id": new_guid(),
        "displayName": template["displayName"],
        "templateId": template_id,
        "values": _values(template, body["values"]),
    }
    return obj, {}


def setting_update(api: GraphApi, old: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """PATCH /groupSettings/{id} (groupsetting-update.md): the values as a whole, defaults where left out."""
    if "values" not in changes:
        return changes
    template = api.tenant.get(TEMPLATES, str(old.get("templateId")))
    assert template is not None
    return {**changes, "values": _values(template, changes["values"])}


def create_lifecycle_policy(api: GraphApi, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """POST /groupLifecyclePolicies (grouplifecyclepolicy-post-grouplifecyclepolicies.md), one per tenant."""
    td = TYPES[LIFECYCLE]
    api.rules.check_known(td, body)
    documented.check(td, body, creating=True)
    if api.tenant.coll(LIFECYCLE).objs:
        bad("Only one group lifecycle policy may exist in a tenant.")
    return {
        "id": new_guid(),
        "alternateNotificationEmails": body.get("alternateNotificationEmails"),
        "groupLifetimeInDays": body.get("groupLifetimeInDays"),
        "managedGroupTypes": body.get("managedGroupTypes"),
    }, {}


def lifecycle_action(api: GraphApi, ctx: Ctx, method: str, oid: str, action: str) -> Response:
    """POST .../{id}/addGroup | removeGroup with `{"groupId"}`: 200 with `{"value": true}` when the group was
    added (removed), false otherwise (grouplifecyclepolicy-addgroup.md, -removegroup.md)."""
    if method != "POST":
        not_allowed()
    body = api._body(ctx)
    group_id = body.get("groupId")
    if set(body) - {"groupId"} or not isinstance(group_id, str):
        bad("The parameter 'groupId' is required and is the only parameter of this action.")
    group = api.tenant.get("groups", group_id.lower())
    if group is None:
        not_found(group_id)
    linked = api.tenant.members(LIFECYCLE_GROUPS, oid)
    if action == "addgroup":
        if "Unified" not in (group.get("groupTypes") or []):
            bad("Only Microsoft 365 groups can be added to a group lifecycle policy.")
        if len(linked) >= MAX_SELECTED_GROUPS and group["id"] not in linked:
            bad(f"A group lifecycle policy applies to at most {MAX_SELECTED_GROUPS} selected groups.")
        done = group["id"] not in linked
        api.tenant.add_link(LIFECYCLE_GROUPS, oid, group["id"])
    else:
        done = group["id"] in linked
        api.tenant.remove_link(LIFECYCLE_GROUPS, oid, group["id"])
    verb = "Add" if action == "addgroup" else "Remove"
    target = {"id": oid, "displayName": None, "type": "Policy"}
    api.audit.record(ctx, f"{verb} group to lifecycle policy", "GroupManagement", verb, [target])
    return Response(200, {"@odata.context": ctx.context("Edm.Boolean"), "value": done})


def policies_of_group(api: GraphApi, ctx: Ctx, group_id: str) -> Response:
    """GET /groups/{id}/groupLifecyclePolicies (group-list-grouplifecyclepolicies.md): the policies that
    apply to the group: a policy for All Microsoft 365 groups, or a Selected one the group was added to."""
    group = api.tenant.coll("groups").objs[group_id]
    unified = "Unified" in (group.get("groupTypes") or [])
    out = []
    for policy in api.tenant.coll(LIFECYCLE).objs.values():
        kind = policy.get("managedGroupTypes")
        selected = group_id in api.tenant.members(LIFECYCLE_GROUPS, policy["id"])
        if unified and (kind == "All" or (kind == "Selected" and selected)):
            out.append(policy)
    fragment = f"groups('{group_id}')/groupLifecyclePolicies"
    return Response(200, {"@odata.context": ctx.context(fragment), "value": out})
