"""POST /users/{id}/assignLicense (user-assignlicense.md) and POST /groups/{id}/assignLicense
(group-assignlicense.md): the only way to change a user's or a group's assignedLicenses.

A group's licences apply to its members (group-based licensing); the call answers 202 Accepted with the
group, since Entra assigns them to the members in the background. Seat shortages then show in the members'
licenseAssignmentStates, not in the call's answer (group-assignlicense.md names no such error), so the
sandbox checks only what the call itself validates: the skuIds and their disabledPlans. A group's
licences do not count as consumed seats until a member holds them; the sandbox does not model that
propagation (its users' licenseAssignmentStates keep what was seeded).

`assignedLicenses` is read-only on PATCH (schema.USER_READ_ONLY), so a restored or recreated user gets its
licences back through this action. The body has `addLicenses` (assignedLicense objects: skuId, disabledPlans)
and `removeLicenses` (skuIds), both required (an empty collection is allowed); success is 200 with the user.
Errors Graph's page does not spell out come from field reports: adding a licence to a user without
usageLocation — "License assignment cannot be done for user with invalid usage location."
(KelvinTegelaar/CIPP#783, microsoft/Partner-Center-DotNet-Samples#131); a skuId the tenant has no
subscription for — "License {skuId} does not correspond to a valid company License." (the wording
commonly reported; not on the docs page). subscribedSkus' consumedUnits follow the assignments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from entragit.sandbox.protocol import Ctx, Response, bad
from entragit.sandbox.schema import TYPES, project

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

USAGE_LOCATION_REFUSAL = "License assignment cannot be done for user with invalid usage location."


def _invalid(prop: str, resource: str = "User") -> NoReturn:
    bad(f"Invalid value specified for property '{prop}' of resource '{resource}'.")


def _sku_ids(api: GraphApi) -> dict[str, dict[str, Any]]:
    return {str(s.get("skuId")).lower(): s for s in api.tenant.coll("subscribedSkus").objs.values()}


def _parse(api: GraphApi, body: dict[str, Any]) -> tuple[list[dict[str, Any]], set[str]]:
    """The licences to add (normalised) and the skuIds to remove, refused as Graph does when malformed."""
    for prop in body:
        if prop not in ("addLicenses", "removeLicenses"):
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    add, remove = body.get("addLicenses"), body.get("removeLicenses")
    if not isinstance(add, list):
        _invalid("addLicenses")
    if not isinstance(remove, list):
        _invalid("removeLicenses")
    skus = _sku_ids(api)
    adding: list[dict[str, Any]] = []
    for item in add:
        if not isinstance(item, dict) or not isinstance(item.get("skuId"), str):
            _invalid("addLicenses")
        sku = skus.get(item["skuId"].lower())
        if sku is None:
            bad(f"License {item['skuId']} does not correspond to a valid company License.")
        plans = {str(p.get("servicePlanId")).lower() for p in sku.get("servicePlans") or []}
        disabled = item.get("disabledPlans") or []
        if not isinstance(disabled, list) or any(str(p).lower() not in plans for p in disabled):
            _invalid("disabledPlans")
        adding.append({"disabledPlans": list(disabled), "skuId": str(sku["skuId"])})
    for sku_id in remove:
        if not isinstance(sku_id, str) or sku_id.lower() not in skus:
            bad(f"License {sku_id} does not correspond to a valid company License.")
    return adding, {s.lower() for s in remove}


def assign_license(api: GraphApi, ctx: Ctx, key: str, oid: str) -> Response:
    if key == "groups":
        return _assign_group(api, ctx, oid)
    td = TYPES["users"]
    user = api.tenant.coll("users").objs[oid]
    body = (
        ctx.req.body
        if isinstance(ctx.req.body, dict)
        else bad("Empty Payload. JSON content expected.", "BadRequest")
    )
    adding, removing = _parse(api, body)
    if adding and not user.get("usageLocation"):
        bad(USAGE_LOCATION_REFUSAL)
    old = list(user.get("assignedLicenses") or [])
    added = {a["skuId"].lower() for a in adding}
    kept = [lic for lic in old if str(lic.get("skuId")).lower() not in removing | added]
    new = kept + adding
    updated = {**user, "assignedLicenses": new, "licenseAssignmentStates": _states(api, user, new)}
    if new != old:
        api.tenant.replace("users", updated, ["assignedLicenses", "licenseAssignmentStates"])
        _recount(api, old, new)
    api.audit.record(
        ctx,
        "Change user license",
        td.audit_category,
        "Update",
        [api.audit.target("users", updated, [("AssignedLicense", old, new)])],
    )
    out: dict[str, Any] = {"@odata.context": ctx.context("users/$entity")}
    out.update(project(td, updated))
    return Response(200, out)


def _states(api: GraphApi, user: dict[str, Any], licences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """licenseAssignmentStates after a direct assignment (user.md, licenseAssignmentState): one Active entry
    per directly assigned licence (assignedByGroup null), beside those a group assigns, which stay."""
    inherited = [s for s in user.get("licenseAssignmentStates") or [] if s.get("assignedByGroup")]
    direct = {
        str(s.get("skuId")).lower(): s
        for s in user.get("licenseAssignmentStates") or []
        if not s.get("assignedByGroup")
    }
    when = api.tenant.stamp()
    states = []
    for lic in licences:
        state = {
            "assignedByGroup": None,
            "disabledPlans": list(lic.get("disabledPlans") or []),
            "error": "None",
            "lastUpdatedDateTime": when,
            "skuId": lic["skuId"],
            "state": "Active",
        }
        before = direct.get(str(lic["skuId"]).lower())
        states.append(before if before and before.get("disabledPlans") == state["disabledPlans"] else state)
    return inherited + states


def _recount(api: GraphApi, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """subscribedSkus' consumedUnits move with the user's licences (subscribedsku.md)."""
    before = {str(lic.get("skuId")).lower() for lic in old}
    after = {str(lic.get("skuId")).lower() for lic in new}
    coll = api.tenant.coll("subscribedSkus")
    for sku in list(coll.objs.values()):
        key = str(sku.get("skuId")).lower()
        delta = (key in after) - (key in before)
        if delta:
            api.tenant.replace(
                "subscribedSkus", {**sku, "consumedUnits": int(sku.get("consumedUnits") or 0) + delta}
            )


def _assign_group(api: GraphApi, ctx: Ctx, oid: str) -> Response:
    td = TYPES["groups"]
    group = api.tenant.coll("groups").objs[oid]
    body = ctx.req.body if isinstance(ctx.req.body, dict) else bad("Empty Payload. JSON content expected.")
    adding, removing = _parse(api, body)
    old = list(group.get("assignedLicenses") or [])
    added = {a["skuId"].lower() for a in adding}
    new = [lic for lic in old if str(lic.get("skuId")).lower() not in removing | added] + adding
    updated = {**group, "assignedLicenses": new}
    if new != old:
        api.tenant.replace("groups", updated, ["assignedLicenses"])
    api.audit.record(
        ctx,
        "Change group license",
        td.audit_category,
        "Update",
        [api.audit.target("groups", updated, [("AssignedLicense", old, new)])],
    )
    out: dict[str, Any] = {"@odata.context": ctx.context("groups/$entity")}
    out.update(project(td, updated))
    return Response(202, out, {"Location": f"{ctx.base}/groups/{oid}"})
