"""Privileged Identity Management for Groups, as Graph v1.0 documents it.

- Schedules are read, never written: `identityGovernance/privilegedAccess/group/eligibilitySchedules` and
  `assignmentSchedules` list only with a `$filter` (eq) on groupId or principalId
  (privilegedaccessgroup-list-eligibilityschedules.md, -assignmentschedules.md: "This method requires the
  `$filter` (`eq`) query parameter to scope the request to a principalId or a groupId"); a listing without
  one is refused (400). A schedule whose end has passed leaves the listings (`expire`), and the membership
  or ownership an active one gave goes with it.
- Writes are requests POSTed to `eligibilityScheduleRequests` / `assignmentScheduleRequests`
  (privilegedaccessgroup-post-eligibilityschedulerequests.md, -assignmentschedulerequests.md): body
  `accessId` (`member` or `owner`), `action`, `groupId`, `principalId`, `scheduleInfo`, all required, and a
  `justification`; 201 with the request, whose `targetScheduleId` is `{groupId}_{accessId}_{request id}` as
  the pages' examples show. `adminAssign` makes a schedule, `adminUpdate`/`adminExtend`/`adminRenew` change
  it, `adminRemove` ends it; `self*` actions need a signed-in user. An active assignment makes the principal a
  member (owner) of the group: that is what it grants.
- Refusals: the same codes as PIM for Entra roles (sandbox/pim.py: `RoleAssignmentExists`,
  `RoleAssignmentDoesNotExist`, `RoleAssignmentRequestPolicyValidationFailed` against the group's settings);
  a dynamic group or one synchronized from on-premises "can't be managed in PIM for Groups"
  (entra-docs groups-discover-groups.md), 400 **[inf: the code]**.
- Settings: a group comes under PIM ("Bring groups into Privileged Identity Management", same page) with
  its first request; from then on it has two settings policies (`roleManagementPolicies` with scopeId the
  group's id, scopeType `Group`), one for `member`, one for `owner`, each tied to its relationship by a
  policy assignment whose roleDefinitionId is `member` or `owner` (resources/unifiedrolemanagementpolicy
  assignment.md). "Once a group is managed, it can't be taken out of management"; the settings go when the
  group is deleted for good (`sync`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from entragit.sandbox import permissions, pim, role_settings
from entragit.sandbox.odata import conjuncts, equality_terms
from entragit.sandbox.protocol import Ctx, Response, bad, invalid_value, not_found
from entragit.sandbox.schema import TYPES, format_time, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi
    from entragit.sandbox.tenant import Tenant

BASE = "identityGovernance/privilegedAccess/group"
ELIGIBILITY = f"{BASE}/eligibilitySchedules"
ASSIGNMENT = f"{BASE}/assignmentSchedules"
SCHEDULES = {"eligibilityschedules": ELIGIBILITY, "assignmentschedules": ASSIGNMENT}
REQUESTS = {
    "eligibilityschedulerequests": (f"{BASE}/eligibilityScheduleRequests", ELIGIBILITY),
    "assignmentschedulerequests": (f"{BASE}/assignmentScheduleRequests", ASSIGNMENT),
}
ACCESS = ("member", "owner")
_LINK = {"member": "groups#members", "owner": "groups#owners"}
_WRITABLE = frozenset(
    {
        "action", "principalId", "groupId", "accessId", "isValidationOnly", "justification", "scheduleInfo",
        "ticketInfo", "customData", "targetScheduleId",
    }
)  # fmt: skip


def handles(low: list[str]) -> bool:
    return low[:3] == ["identitygovernance", "privilegedaccess", "group"] and len(low) >= 4


def handle(api: GraphApi, ctx: Ctx, method: str, segs: list[str]) -> Response | None:
    """Answer a PIM for Groups request; None hands it to graph_api's generic collection handling."""
    low = [s.lower() for s in segs]
    if len(segs) == 4 and low[3] in SCHEDULES and method == "GET":
        _required_filter(api, ctx, SCHEDULES[low[3]])
        return None
    if len(segs) == 4 and low[3] in REQUESTS and method == "POST":
        return _request(api, ctx, *REQUESTS[low[3]])
    return None


def _required_filter(api: GraphApi, ctx: Ctx, key: str) -> None:
    """privilegedaccessgroup-list-eligibilityschedules.md: the listing requires `$filter` (eq) on
    principalId or groupId."""
    flt = api._filter(ctx, TYPES[key])
    named: set[str] = set()
    if flt is not None:
        for term in [flt.ast, *conjuncts(flt.ast)]:
            named |= {prop for prop, _ in equality_terms(term) or ()}
    if not named & {"principalId", "groupId"}:
        bad("The filter on principalId or groupId is required.", "BadRequest")


# ----------------------------------------------------------------------------------------- settings


def _policy_id(tenant_id: str, group_id: str, access: str) -> str:
    try:
        namespace = uuid.UUID(tenant_id)
    except ValueError:
        namespace = uuid.NAMESPACE_URL
    return f"Group_{tenant_id}_{uuid.uuid5(namespace, f'groupPolicy:{group_id}:{access}')}"


def onboard(tenant: Tenant, group_id: str) -> None:
    """Bring a group under PIM: its member and owner settings, each with its policy assignment."""
    for access in ACCESS:
        pid = _policy_id(tenant.tenant_id, group_id, access)
        if pid in tenant.coll(pim.POLICIES).objs:
            continue
        policy = {
            **role_settings.policy(tenant.tenant_id, "-"),
            "id": pid,
            "displayName": "Group",
            "description": "Group",
            "scopeId": group_id,
            "scopeType": "Group",
        }
        tenant.insert(pim.POLICIES, policy)
        tenant.insert(
            pim.POLICY_ASSIGNMENTS,
            {
                "id": f"{pid}_{access}",
                "policyId": pid,
                "roleDefinitionId": access,
                "scopeId": group_id,
                "scopeType": "Group",
            },
        )


def sync(tenant: Tenant) -> None:
    """A group with schedules is under PIM (a seeded tenant's); a group deleted for good takes its settings
    along (a soft-deleted one keeps them)."""
    assignments = tenant.coll(pim.POLICY_ASSIGNMENTS)
    groups = tenant.coll("groups").objs
    for key in (ELIGIBILITY, ASSIGNMENT):
        for obj in tenant.coll(key).objs.values():
            group = str(obj.get("groupId"))
            if (
                group in groups
                and _policy_id(tenant.tenant_id, group, "member") not in tenant.coll(pim.POLICIES).objs
            ):
                onboard(tenant, group)
    for oid, a in list(assignments.objs.items()):
        group = str(a.get("scopeId"))
        if a.get("scopeType") == "Group" and group not in groups and group not in tenant.deleted:
            assignments.remove(oid)
            tenant.coll(pim.POLICIES).remove(str(a.get("policyId")))


# ----------------------------------------------------------------------------------------- schedules


def _existing(tenant: Tenant, key: str, target: dict[str, Any]) -> dict[str, Any] | None:
    coll = tenant.coll(key)
    for oid in coll.find("principalId", str(target.get("principalId"))):
        obj = coll.objs[oid]
        if obj.get("groupId") == target.get("groupId") and obj.get("accessId") == target.get("accessId"):
            return obj
    return None


def _grant(tenant: Tenant, schedule: dict[str, Any], on: bool) -> None:
    """The membership (ownership) an active schedule gives, added or taken away."""
    rel, group, principal = (
        _LINK[str(schedule["accessId"])],
        str(schedule["groupId"]),
        str(schedule["principalId"]),
    )
    has = principal in tenant.members(rel, group)
    if on and not has and group in tenant.coll("groups").objs:
        tenant.add_link(rel, group, principal)
    elif not on and has:
        tenant.remove_link(rel, group, principal)


def expire(tenant: Tenant) -> None:
    """Schedules whose end has passed are gone, with the membership or ownership active ones gave."""
    now = tenant.now()
    for key in (ELIGIBILITY, ASSIGNMENT):
        coll = tenant.coll(key)
        for oid, obj in list(coll.objs.items()):
            end = pim.end_of(obj)
            if end is not None and end <= now:
                coll.remove(oid)
                tenant.record(key, oid)
                if key == ASSIGNMENT:
                    _grant(tenant, obj, on=False)


def _target(api: GraphApi, ctx: Ctx, key: str) -> tuple[dict[str, Any], str]:
    """The request body, checked as the create pages list it; and its action."""
    td = TYPES[key]
    body = api._body(ctx)
    for prop in body:
        if prop not in _WRITABLE and not prop.startswith("@odata."):
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    action = str(body.get("action") or "")
    wanted = {a.lower(): a for a in pim.ACTIONS if a != "unknownFutureValue"}
    if action.lower() not in wanted:  # the pages' examples send "AdminAssign"
        bad(f"Invalid value '{body.get('action')}' for property 'action'.")
    api.rules.require(td, body, ("accessId", "groupId", "principalId"))
    access = str(body["accessId"]).lower()
    if access not in ACCESS:
        invalid_value(td, "accessId")
    action = wanted[action.lower()]
    if ctx.req.roles is not None and action != "adminRemove":
        # A Privileged*Schedule.Remove.AzureADGroup permission admits only removals (permissions reference).
        kind = "Eligibility" if "eligibility" in key.lower() else "Assignment"
        held = permissions.effective(ctx.req.roles)
        if not permissions.satisfied((f"Privileged{kind}Schedule.ReadWrite.AzureADGroup",), held):
            raise permissions.deny()
    if action.startswith("self"):
        bad(f"The action {action} needs a signed-in principal; an application acts with admin actions only.")
    group = api.tenant.coll("groups").objs.get(str(body["groupId"]))
    if group is None:
        not_found(str(body["groupId"]))
    if "DynamicMembership" in (group.get("groupTypes") or []) or group.get("onPremisesSyncEnabled"):
        bad("Dynamic groups and groups synchronized from on-premises can't be managed in PIM for Groups.")
    if api.tenant.directory_object(str(body["principalId"])) is None:
        not_found(str(body["principalId"]))
    return {**body, "accessId": access, "action": action}, action


def _request(api: GraphApi, ctx: Ctx, key: str, schedules: str) -> Response:
    tenant = api.tenant
    td = TYPES[key]
    body, action = _target(api, ctx, key)
    existing = _existing(tenant, schedules, body)
    level = "Eligibility" if schedules == ELIGIBILITY else "Assignment"
    validation = bool(body.get("isValidationOnly"))
    if not validation:
        onboard(tenant, str(body["groupId"]))
    info = pim.checked_schedule(
        tenant,
        action,
        existing,
        body,
        level,
        lambda: pim.policy_of(tenant, str(body["accessId"]), str(body["groupId"])),
    )
    rid = new_guid()
    now = format_time(tenant.now(), fraction=True)
    schedule_id = f"{body['groupId']}_{body['accessId']}_{rid}" if action == "adminAssign" else None
    if existing is not None:
        schedule_id = existing["id"]
    if not validation:
        _carry_out(api, ctx, action, schedules, body, existing, info, schedule_id, rid, now)
    target = {"groupId": body["groupId"], "accessId": body["accessId"]}
    return pim.answer(api, ctx, td, body, action, target, info, schedule_id, rid, now)


def _carry_out(
    api: GraphApi,
    ctx: Ctx,
    action: str,
    key: str,
    body: dict[str, Any],
    existing: dict[str, Any] | None,
    info: dict[str, Any] | None,
    schedule_id: str | None,
    rid: str,
    now: str,
) -> None:
    tenant = api.tenant
    td = TYPES[key]
    withdraw = (lambda s: _grant(tenant, s, on=False)) if key == ASSIGNMENT else None
    if pim.settled(api, ctx, key, action, existing, info, now, withdraw):
        return
    schedule: dict[str, Any] = {
        "id": schedule_id,
        "principalId": body["principalId"],
        "groupId": body["groupId"],
        "accessId": body["accessId"],
        "createdUsing": rid,
        "createdDateTime": now,
        "modifiedDateTime": None,
        "status": "Provisioned",
        "scheduleInfo": info,
        "memberType": "direct",
    }
    if key == ASSIGNMENT:
        schedule["assignmentType"] = "assigned"
        _grant(tenant, schedule, on=True)
    tenant.insert(key, schedule)
    api.audit.record(ctx, f"Add {td.audit_noun}", td.audit_category, "Add", [api.audit.target(key, schedule)])
