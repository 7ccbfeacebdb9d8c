"""Privileged Identity Management for Groups, raw HTTP against the sandbox.

Pages (microsoft-graph-docs-contrib, api-reference/v1.0/api/ unless named otherwise):
privilegedaccessgroup-list-eligibilityschedules.md, privilegedaccessgroup-list-assignmentschedules.md,
privilegedaccessgroup-post-eligibilityschedulerequests.md, privilegedaccessgroup-post-assignmentschedule
requests.md, policyroot-list-rolemanagementpolicies.md, policyroot-list-rolemanagementpolicyassignments.md,
unifiedrolemanagementpolicyrule-update.md; entra-docs id-governance/privileged-identity-management/
groups-discover-groups.md (which groups PIM for Groups can manage); the refusal codes as for PIM for Entra
roles (entragit/sandbox/pim.py, pim_groups.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .api_helpers import Graph, assert_error, base_seed, gid, uid

BASE = "identityGovernance/privilegedAccess/group"
ELIGIBLE = f"{BASE}/eligibilitySchedules"
ELIGIBLE_REQUESTS = f"{BASE}/eligibilityScheduleRequests"
ACTIVE = f"{BASE}/assignmentSchedules"
ACTIVE_REQUESTS = f"{BASE}/assignmentScheduleRequests"
POLICIES = "policies/roleManagementPolicies"
POLICY_ASSIGNMENTS = "policies/roleManagementPolicyAssignments"
GROUP = gid(1)  # a security group of base_seed
PERMANENT = {"startDateTime": "2026-01-01T00:00:00Z", "expiration": {"type": "noExpiration"}}


def request(
    action: str, principal: str, access: str = "member", group: str = GROUP, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "accessId": access,
        "action": action,
        "groupId": group,
        "principalId": principal,
        "justification": "a test",
    }
    body.update(extra)
    return body


def days_from_now(g: Graph, days: float) -> dict[str, Any]:
    now = g.tenant.now().replace(microsecond=0)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    end = (now + dt.timedelta(days=days)).strftime(stamp)
    return {"startDateTime": now.strftime(stamp), "expiration": {"type": "afterDateTime", "endDateTime": end}}


def of_group(g: Graph, path: str, group: str = GROUP) -> list[dict[str, Any]]:
    return g.all_pages(path, {"$filter": f"groupId eq '{group}'"})


def test_listing_needs_a_filter_on_group_or_principal(g: Graph) -> None:
    """privilegedaccessgroup-list-eligibilityschedules.md: "This method requires the $filter (eq) query
    parameter to scope the request to a principalId or a groupId"; -assignmentschedules.md the same."""
    for path in (ELIGIBLE, ACTIVE):
        assert_error(g.get(path), 400, "BadRequest")
        assert_error(g.get(path, {"$filter": "status eq 'Provisioned'"}), 400, "BadRequest")
        assert g.get(path, {"$filter": f"groupId eq '{GROUP}'"}).json()["value"] == []
        assert g.get(path, {"$filter": f"principalId eq '{uid(1)}'"}).status_code == 200


def test_admin_assign_makes_an_eligibility_named_by_group_and_relationship(g: Graph) -> None:
    """privilegedaccessgroup-post-eligibilityschedulerequests.md, Example 1: 201, status Provisioned,
    `targetScheduleId` `{groupId}_{accessId}_{request id}`; the schedule lists under its group and its
    principal, memberType direct; the action may be spelt as the example does ("AdminAssign")."""
    window = days_from_now(g, 90)
    r = g.post(ELIGIBLE_REQUESTS, request("AdminAssign", uid(5), scheduleInfo=window))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["@odata.context"].endswith(f"#{ELIGIBLE_REQUESTS}/$entity")
    assert (body["status"], body["action"], body["accessId"]) == ("Provisioned", "adminAssign", "member")
    assert body["targetScheduleId"] == f"{GROUP}_member_{body['id']}"
    [schedule] = of_group(g, ELIGIBLE)
    assert schedule["id"] == body["targetScheduleId"] and schedule["memberType"] == "direct"
    assert schedule["scheduleInfo"]["expiration"]["endDateTime"] == window["expiration"]["endDateTime"]
    assert g.all_pages(ELIGIBLE, {"$filter": f"principalId eq '{uid(5)}'"}) == [schedule]
    assert g.get(f"{ELIGIBLE}/{schedule['id']}").json()["groupId"] == GROUP
    # an eligibility is not a membership
    members = {m["id"] for m in g.all_pages(f"groups/{GROUP}/members", {"$select": "id"})}
    assert uid(5) not in members


def test_requests_are_checked_as_the_pages_list_them(g: Graph) -> None:
    """The create pages: accessId (`owner`, `member`), action, groupId, principalId and scheduleInfo are
    required; an undeclared property, an unknown action or a second adminAssign are refused; a self action
    needs a signed-in user; a removal or update of a schedule that does not exist is refused."""
    good = request("adminAssign", uid(6), scheduleInfo=PERMANENT)
    for prop in ("accessId", "groupId", "principalId"):
        r = g.post(ELIGIBLE_REQUESTS, {k: v for k, v in good.items() if k != prop})
        assert_error(r, 400, "Request_BadRequest")
    assert_error(g.post(ELIGIBLE_REQUESTS, {**good, "accessId": "guest"}), 400, "Request_BadRequest")
    assert_error(g.post(ELIGIBLE_REQUESTS, {**good, "action": "adminGrant"}), 400, "Request_BadRequest")
    assert_error(g.post(ELIGIBLE_REQUESTS, {**good, "roleDefinitionId": "x"}), 400, "Request_BadRequest")
    no_schedule = {k: v for k, v in good.items() if k != "scheduleInfo"}
    assert_error(g.post(ELIGIBLE_REQUESTS, no_schedule), 400, "InvalidScheduleRequest")
    assert_error(g.post(ELIGIBLE_REQUESTS, {**good, "action": "selfActivate"}), 400, "Request_BadRequest")
    assert_error(g.post(ELIGIBLE_REQUESTS, {**good, "groupId": gid(99)}), 404, "Request_ResourceNotFound")
    assert_error(g.post(ELIGIBLE_REQUESTS, request("adminRemove", uid(6))), 400, "RoleAssignmentDoesNotExist")
    assert g.post(ELIGIBLE_REQUESTS, good).status_code == 201
    assert_error(g.post(ELIGIBLE_REQUESTS, good), 400, "RoleAssignmentExists")
    # the same principal may be eligible to own the group as well
    assert g.post(ELIGIBLE_REQUESTS, {**good, "accessId": "owner"}).status_code == 201


def test_dynamic_groups_cannot_be_managed(g: Graph) -> None:
    """groups-discover-groups.md: "Dynamic groups and groups synchronized from on-premises environment can't
    be managed in PIM for Groups" (the code is inferred)."""
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(1), group=gid(5), scheduleInfo=PERMANENT))
    assert_error(r, 400, "Request_BadRequest")


def test_an_active_assignment_is_a_membership_until_it_ends(g: Graph) -> None:
    """privilegedaccessgroup-post-assignmentschedulerequests.md, Example 1: a time-bound active membership;
    the principal is a member of the group while it lasts, and neither listing nor the group has it after
    its end; adminRemove ends one at once (201, status Revoked)."""
    r = g.post(ACTIVE_REQUESTS, request("adminAssign", uid(8), scheduleInfo=days_from_now(g, 2)))
    assert r.status_code == 201, r.text
    [active] = of_group(g, ACTIVE)
    assert (active["assignmentType"], active["accessId"]) == ("assigned", "member")

    def members() -> set[str]:
        return {m["id"] for m in g.all_pages(f"groups/{GROUP}/members", {"$select": "id"})}

    assert uid(8) in members()
    g.tenant.advance(3 * 86400)
    assert of_group(g, ACTIVE) == [] and uid(8) not in members()
    assert g.post(
        ACTIVE_REQUESTS, request("adminAssign", uid(9), "owner", scheduleInfo=days_from_now(g, 5))
    ).ok
    owners = {m["id"] for m in g.all_pages(f"groups/{GROUP}/owners", {"$select": "id"})}
    assert uid(9) in owners
    removed = g.post(ACTIVE_REQUESTS, request("adminRemove", uid(9), "owner"))
    assert removed.status_code == 201 and removed.json()["status"] == "Revoked"
    assert of_group(g, ACTIVE) == []
    assert uid(9) not in {m["id"] for m in g.all_pages(f"groups/{GROUP}/owners", {"$select": "id"})}


def test_a_group_comes_under_pim_with_member_and_owner_settings(g: Graph) -> None:
    """policyroot-list-rolemanagementpolicies.md: "To retrieve policies in PIM for groups, the scopeId must be
    a group ID and scopeType must be Group"; the filter is required. A group has settings once it is under
    PIM (groups-discover-groups.md), one policy for `member` and one for `owner`, each tied to its
    relationship by a policy assignment whose roleDefinitionId is `member` or `owner`
    (resources/unifiedrolemanagementpolicyassignment.md)."""
    scope = {"$filter": f"scopeId eq '{GROUP}' and scopeType eq 'Group'"}
    assert g.get(POLICIES, scope).json()["value"] == []
    assert_error(g.get(POLICIES, {"$filter": "scopeType eq 'Group'"}), 400, "BadRequest")
    assert (
        g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(2), scheduleInfo=PERMANENT)).status_code == 201
    )
    policies = g.get(POLICIES, {**scope, "$expand": "rules"}).json()["value"]
    assert len(policies) == 2 and {p["scopeType"] for p in policies} == {"Group"}
    assert all(p["id"].startswith("Group_") for p in policies)
    assert "Expiration_Admin_Eligibility" in {r["id"] for r in policies[0]["rules"]}
    links = g.get(POLICY_ASSIGNMENTS, scope).json()["value"]
    assert {a["roleDefinitionId"] for a in links} == {"member", "owner"}
    assert {a["policyId"] for a in links} == {p["id"] for p in policies}
    # the directory roles' settings are not among them
    roles = g.get(POLICIES, {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'"}).json()["value"]
    assert not {p["id"] for p in roles} & {p["id"] for p in policies}


def test_a_group_setting_is_patched_and_then_enforced(g: Graph) -> None:
    """unifiedrolemanagementpolicyrule-update.md: a rule PATCHed with its @odata.type (204); then a
    permanent eligibility where the member settings require an end fails the ExpirationRule (400
    RoleAssignmentRequestPolicyValidationFailed), and the owner settings are untouched."""
    assert (
        g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(2), scheduleInfo=PERMANENT)).status_code == 201
    )
    links = g.get(POLICY_ASSIGNMENTS, {"$filter": f"scopeId eq '{GROUP}' and scopeType eq 'Group'"}).json()
    member = next(a["policyId"] for a in links["value"] if a["roleDefinitionId"] == "member")
    rule = {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_Admin_Eligibility",
        "isExpirationRequired": True,
        "maximumDuration": "P30D",
    }
    assert g.patch(f"{POLICIES}/{member}/rules/Expiration_Admin_Eligibility", rule).status_code == 204
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(3), scheduleInfo=PERMANENT))
    assert_error(
        r,
        400,
        "RoleAssignmentRequestPolicyValidationFailed",
        'The following policy rules failed: ["ExpirationRule"]',
    )
    assert g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(3), scheduleInfo=days_from_now(g, 20))).ok
    assert g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(3), "owner", scheduleInfo=PERMANENT)).ok


def test_permissions_follow_the_pages(graph_factory: Callable[..., Graph]) -> None:
    """privilegedaccessgroup-list-eligibilityschedules.md: Application PrivilegedEligibilitySchedule.Read.
    AzureADGroup; a request needs ...ReadWrite.AzureADGroup; a group's settings need RoleManagementPolicy.
    Read.AzureADGroup (policyroot-list-rolemanagementpolicies.md, "For PIM for groups"), which does not read
    the directory roles' settings, nor RoleManagement.Read.Directory a group's."""
    reader = graph_factory(
        base_seed(),
        permissions=[
            "PrivilegedEligibilitySchedule.Read.AzureADGroup",
            "RoleManagementPolicy.Read.AzureADGroup",
        ],
    )
    flt = {"$filter": f"groupId eq '{GROUP}'"}
    assert reader.get(ELIGIBLE, flt).status_code == 200
    assert_error(reader.get(ACTIVE, flt), 403, "Authorization_RequestDenied")
    body = request("adminAssign", uid(2), scheduleInfo=PERMANENT)
    assert_error(reader.post(ELIGIBLE_REQUESTS, body), 403, "Authorization_RequestDenied")
    groups = {"$filter": f"scopeId eq '{GROUP}' and scopeType eq 'Group'"}
    assert reader.get(POLICIES, groups).status_code == 200
    roles = {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'"}
    assert_error(reader.get(POLICIES, roles), 403, "Authorization_RequestDenied")
    directory = graph_factory(base_seed(), permissions=["RoleManagement.Read.Directory"])
    assert directory.get(POLICIES, roles).status_code == 200
    assert_error(directory.get(POLICIES, groups), 403, "Authorization_RequestDenied")
    assert_error(directory.get(ELIGIBLE, flt), 403, "Authorization_RequestDenied")
