"""Privileged Identity Management for Microsoft Entra roles, raw HTTP against the sandbox.

Pages (microsoft-graph-docs-contrib, api-reference/v1.0/api/):
rbacapplication-list-roleeligibilityschedules.md, rbacapplication-post-roleeligibilityschedulerequests.md,
rbacapplication-list-roleassignmentschedules.md, rbacapplication-post-roleassignmentschedulerequests.md,
policyroot-list-rolemanagementpolicies.md, unifiedrolemanagementpolicyrule-update.md; the refusal codes as
field reports show them (entragit/sandbox/pim.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .api_helpers import Graph, assert_error, uid

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
ELIGIBLE = "roleManagement/directory/roleEligibilitySchedules"
ELIGIBLE_REQUESTS = "roleManagement/directory/roleEligibilityScheduleRequests"
ACTIVE = "roleManagement/directory/roleAssignmentSchedules"
ACTIVE_REQUESTS = "roleManagement/directory/roleAssignmentScheduleRequests"
POLICIES = "policies/roleManagementPolicies"
DIRECTORY_ROLES = {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'"}


def request(action: str, principal: str, role: str = HELPDESK_ADMIN, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": action,
        "justification": "a test",
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "principalId": principal,
    }
    body.update(extra)
    return body


def until(end: str, start: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    return {"startDateTime": start, "expiration": {"type": "afterDateTime", "endDateTime": end}}


PERMANENT = {"startDateTime": "2026-01-01T00:00:00Z", "expiration": {"type": "noExpiration"}}


def days_from_now(g: Graph, days: int) -> dict[str, Any]:
    """A schedule from the tenant's now for `days` days."""
    now = g.tenant.now().replace(microsecond=0)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return until((now + dt.timedelta(days=days)).strftime(stamp), start=now.strftime(stamp))


def test_admin_assign_makes_an_eligibility_schedule_with_the_request_id(g: Graph) -> None:
    """rbacapplication-post-roleeligibilityschedulerequests.md, Example 1: 201 with the request, status
    Provisioned, targetScheduleId the schedule's id; the schedule lists with its scheduleInfo."""
    window = days_from_now(g, 300)
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(1), scheduleInfo=window))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["@odata.context"].endswith(
        "#roleManagement/directory/roleEligibilityScheduleRequests/$entity"
    )
    assert body["status"] == "Provisioned" and body["action"] == "adminAssign"
    listed = g.all_pages(ELIGIBLE, {"$filter": f"principalId eq '{uid(1)}'"})
    assert [s["id"] for s in listed] == [body["targetScheduleId"]]
    [schedule] = listed
    assert schedule["roleDefinitionId"] == HELPDESK_ADMIN and schedule["memberType"] == "Direct"
    assert schedule["scheduleInfo"]["expiration"] == {
        "type": "afterDateTime",
        "endDateTime": window["expiration"]["endDateTime"],
        "duration": None,
    }
    assert g.get(f"{ELIGIBLE}/{schedule['id']}").json()["principalId"] == uid(1)


def test_a_second_assignment_of_the_same_eligibility_is_refused(g: Graph) -> None:
    """Field reports (terraform-provider-azuread#1306): 400 RoleAssignmentExists, 'The Role assignment already
    exists.'"""
    assert (
        g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(1), scheduleInfo=PERMANENT)).status_code == 201
    )
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(1), scheduleInfo=PERMANENT))
    assert_error(r, 400, "RoleAssignmentExists", "The Role assignment already exists.")


def test_requests_need_principal_role_scope_and_a_known_action(g: Graph) -> None:
    """The page's request body: principalId and roleDefinitionId Required; 'Either directoryScopeId or
    appScopeId is required'; action one of the unifiedRoleScheduleRequestActions."""
    body = request("adminAssign", uid(1), scheduleInfo=PERMANENT)
    del body["principalId"]
    assert g.post(ELIGIBLE_REQUESTS, body).status_code == 400
    body = request("adminAssign", uid(1), scheduleInfo=PERMANENT)
    del body["directoryScopeId"]
    assert g.post(ELIGIBLE_REQUESTS, body).status_code == 400
    assert g.post(ELIGIBLE_REQUESTS, request("adminAdd", uid(1), scheduleInfo=PERMANENT)).status_code == 400
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(1), scheduleInfo=PERMANENT, color="red"))
    assert r.status_code == 400


def test_an_expired_or_too_long_schedule_fails_the_expiration_rule(g: Graph) -> None:
    """A schedule the role's settings forbid: an end in the past; for active assignments, longer than
    Expiration_Admin_Assignment's maximumDuration (P180D by default: policyroot-list-rolemanagementpolicies.md
    Example 2). Field reports: RoleAssignmentRequestPolicyValidationFailed, naming the rule."""
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(1), scheduleInfo=until("2020-01-01T00:00:00Z")))
    assert_error(r, 400, "RoleAssignmentRequestPolicyValidationFailed")
    assert "ExpirationRule" in r.json()["error"]["message"]
    long = until("2099-01-01T00:00:00Z", start="2098-01-01T00:00:00Z")
    r = g.post(ACTIVE_REQUESTS, request("adminAssign", uid(1), scheduleInfo=long))
    assert_error(r, 400, "RoleAssignmentRequestPolicyValidationFailed")
    assert g.get(ACTIVE, {"$filter": f"principalId eq '{uid(1)}'"}).json()["value"] == []


def test_an_active_assignment_needs_the_justification_its_role_asks(g: Graph) -> None:
    """Enablement_Admin_Assignment has enabledRules ['Justification'] by default (the list page's
    Example 2)."""
    body = request("adminAssign", uid(2), scheduleInfo=days_from_now(g, 30))
    del body["justification"]
    r = g.post(ACTIVE_REQUESTS, body)
    assert_error(r, 400, "RoleAssignmentRequestPolicyValidationFailed")
    assert "JustificationRule" in r.json()["error"]["message"]


def test_an_active_assignment_is_a_role_assignment_until_it_ends(g: Graph) -> None:
    """unifiedroleassignmentschedule.md: an active assignment made through a request; it is listed among the
    role assignments (assignmentType Assigned) and leaves both listings when its end has passed."""
    r = g.post(ACTIVE_REQUESTS, request("adminAssign", uid(3), scheduleInfo=days_from_now(g, 10)))
    assert r.status_code == 201, r.text
    [schedule] = g.all_pages(ACTIVE, {"$filter": f"principalId eq '{uid(3)}'"})
    assert schedule["assignmentType"] == "Assigned"
    assigned = g.all_pages(
        "roleManagement/directory/roleAssignments", {"$filter": f"principalId eq '{uid(3)}'"}
    )
    assert [a["roleDefinitionId"] for a in assigned] == [HELPDESK_ADMIN]
    g.tenant.advance(11 * 86400)
    assert g.all_pages(ACTIVE, {"$filter": f"principalId eq '{uid(3)}'"}) == []
    assert (
        g.all_pages("roleManagement/directory/roleAssignments", {"$filter": f"principalId eq '{uid(3)}'"})
        == []
    )


def test_admin_update_and_remove_change_an_existing_schedule_only(g: Graph) -> None:
    """adminUpdate changes an eligibility's schedule; adminRemove ends it (Example 2: 201, status Revoked);
    either for a schedule that does not exist is refused."""
    r = g.post(ELIGIBLE_REQUESTS, request("adminUpdate", uid(4), scheduleInfo=PERMANENT))
    assert_error(r, 400, "RoleAssignmentDoesNotExist")
    assert (
        g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(4), scheduleInfo=PERMANENT)).status_code == 201
    )
    later = days_from_now(g, 90)
    assert g.post(ELIGIBLE_REQUESTS, request("adminUpdate", uid(4), scheduleInfo=later)).status_code == 201
    [schedule] = g.all_pages(ELIGIBLE, {"$filter": f"principalId eq '{uid(4)}'"})
    assert schedule["scheduleInfo"] == {
        **later,
        "recurrence": None,
        "expiration": {**later["expiration"], "duration": None},
    }
    r = g.post(ELIGIBLE_REQUESTS, request("adminRemove", uid(4)))
    assert r.status_code == 201 and r.json()["status"] == "Revoked"
    assert g.all_pages(ELIGIBLE, {"$filter": f"principalId eq '{uid(4)}'"}) == []


def test_an_application_cannot_activate_for_itself(g: Graph) -> None:
    """selfActivate is for users to activate their assignments (the create page's action list): an app-only
    token has no self to activate."""
    r = g.post(ACTIVE_REQUESTS, request("selfActivate", uid(1), scheduleInfo=PERMANENT))
    assert r.status_code == 400


def test_schedules_are_read_only_collections(g: Graph) -> None:
    """The schedule resources list only List, Get and filterByCurrentUser: writes go through requests."""
    r = g.post(ELIGIBLE, {"principalId": uid(1), "roleDefinitionId": HELPDESK_ADMIN, "directoryScopeId": "/"})
    assert r.status_code == 405


def test_role_settings_list_needs_the_scope_filter_and_expands_rules(g: Graph) -> None:
    """policyroot-list-rolemanagementpolicies.md: 'This method requires the $filter (eq) query parameter to
    scope the request to a scopeId and a scopeType'; one policy per role; $expand=rules returns the rules."""
    assert g.get(POLICIES).status_code == 400
    policies = g.all_pages(POLICIES, DIRECTORY_ROLES)
    roles = g.all_pages("roleManagement/directory/roleDefinitions")
    assert len(policies) == len(roles)
    assert all(
        p["scopeId"] == "/" and p["scopeType"] == "DirectoryRole" and "rules" not in p for p in policies
    )
    expanded = g.get(POLICIES, {**DIRECTORY_ROLES, "$expand": "rules"}).json()
    rules = {r["id"]: r for r in expanded["value"][0]["rules"]}
    assert rules["Expiration_Admin_Eligibility"]["maximumDuration"] == "P365D"
    assert rules["Expiration_Admin_Eligibility"]["@odata.type"].endswith("ExpirationRule")
    links = g.all_pages("policies/roleManagementPolicyAssignments", DIRECTORY_ROLES)
    assert {a["roleDefinitionId"] for a in links} == {r["id"] for r in roles}
    assert {a["policyId"] for a in links} == {p["id"] for p in policies}


def test_a_rule_is_patched_with_its_odata_type_and_then_enforced(g: Graph) -> None:
    """unifiedrolemanagementpolicyrule-update.md: 204; 'The @odata.type property with a value of the specific
    rule type must be included in the body'; a rule requiring an end refuses a permanent eligibility."""
    links = g.all_pages("policies/roleManagementPolicyAssignments", DIRECTORY_ROLES)
    pid = next(a["policyId"] for a in links if a["roleDefinitionId"] == GLOBAL_ADMIN)
    path = f"{POLICIES}/{pid}/rules/Expiration_Admin_Eligibility"
    change = {"id": "Expiration_Admin_Eligibility", "isExpirationRequired": True, "maximumDuration": "P90D"}
    assert g.patch(path, change).status_code == 400  # no @odata.type
    typed = {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule", **change}
    assert g.patch(path, {**typed, "enabledRules": []}).status_code == 400  # not a property of the rule type
    assert g.patch(path, typed).status_code == 204
    assert g.get(path).json()["maximumDuration"] == "P90D"
    r = g.post(ELIGIBLE_REQUESTS, request("adminAssign", uid(5), role=GLOBAL_ADMIN, scheduleInfo=PERMANENT))
    assert_error(r, 400, "RoleAssignmentRequestPolicyValidationFailed")


def test_one_policy_expands_its_rules(g: Graph) -> None:
    """unifiedrolemanagementpolicy-get.md, Example 2: `GET .../roleManagementPolicies/{id}?$expand=
    effectiveRules,rules` returns the policy with both rule collections; an unknown navigation is refused."""
    [policy] = g.all_pages(POLICIES, {**DIRECTORY_ROLES, "$top": "1"})[:1]
    path = f"{POLICIES}/{policy['id']}"
    assert "rules" not in g.get(path).json()
    r = g.get(path, {"$expand": "effectiveRules,rules"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"].endswith(
        "#policies/roleManagementPolicies(effectiveRules(),rules())/$entity"
    )
    assert {x["id"] for x in body["rules"]} == {x["id"] for x in body["effectiveRules"]}
    assert "Expiration_Admin_Eligibility" in {x["id"] for x in body["rules"]}
    assert g.get(path, {"$expand": "owners"}).status_code == 400
