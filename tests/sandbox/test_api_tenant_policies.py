"""The tenant-wide policy singletons under /policies, by raw HTTP against the documented behaviour:
security defaults, authentication flows (self-service sign-up) and the admin consent request policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .api_helpers import Graph, assert_error, uid

SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"
FLOWS = "policies/authenticationFlowsPolicy"
CONSENT = "policies/adminConsentRequestPolicy"


def _consent_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "isEnabled": True,
        "notifyReviewers": True,
        "remindersEnabled": True,
        "requestDurationInDays": 5,
        "reviewers": [{"query": f"/users/{uid(1)}", "queryType": "MicrosoftGraph"}],
    }
    body.update(changes)
    return body


def test_security_defaults_get_and_patch_is_enabled(g: Graph) -> None:
    """identitysecuritydefaultsenforcementpolicy-get.md: the response (context without `/$entity`, id
    00000000-0000-0000-0000-000000000005); -update.md: PATCH with isEnabled → 204 No Content."""
    r = g.get(SECURITY_DEFAULTS)
    assert r.status_code == 200
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#{SECURITY_DEFAULTS}"
    assert body["id"] == "00000000-0000-0000-0000-000000000005"
    assert body["isEnabled"] is True
    r = g.patch(SECURITY_DEFAULTS, {"isEnabled": False})
    assert r.status_code == 204 and not r.content
    assert g.get(SECURITY_DEFAULTS).json()["isEnabled"] is False


def test_security_defaults_refuses_what_the_update_page_does_not_take(g: Graph) -> None:
    """identitysecuritydefaultsenforcementpolicy-update.md: isEnabled (Boolean) is the request body; a
    string is no Boolean, the id is read-only, an unknown property is refused, and there is no DELETE."""
    assert_error(g.patch(SECURITY_DEFAULTS, {"isEnabled": "off"}), 400, "BadRequest")
    assert_error(g.patch(SECURITY_DEFAULTS, {"id": "x"}), 400, "Request_BadRequest")
    assert_error(g.patch(SECURITY_DEFAULTS, {"bogus": True}), 400, "Request_BadRequest")
    assert g.put(SECURITY_DEFAULTS, {"isEnabled": True}).status_code == 405
    assert g.delete(SECURITY_DEFAULTS).status_code == 405
    assert g.get(SECURITY_DEFAULTS).json()["isEnabled"] is True


def test_authentication_flows_policy_patches_self_service_sign_up(g: Graph) -> None:
    """authenticationflowspolicy-get.md (the response) and -update.md: PATCH {"selfServiceSignUp":
    {"isEnabled": ...}} → 204; "The properties id, type, and description cannot be modified"."""
    r = g.get(FLOWS)
    assert r.status_code == 200
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#{FLOWS}/$entity"
    assert r.json()["selfServiceSignUp"] == {"isEnabled": True}
    assert g.patch(FLOWS, {"selfServiceSignUp": {"isEnabled": False}}).status_code == 204
    assert g.get(FLOWS).json()["selfServiceSignUp"] == {"isEnabled": False}
    assert_error(g.patch(FLOWS, {"description": "x"}), 400, "Request_BadRequest")
    assert_error(g.patch(FLOWS, {"id": "x"}), 400, "Request_BadRequest")
    # selfServiceSignUpAuthenticationFlowConfiguration has isEnabled alone.
    assert_error(g.patch(FLOWS, {"selfServiceSignUp": {"isEnabld": True}}), 400, "Request_BadRequest")
    assert_error(g.patch(FLOWS, {"selfServiceSignUp": {"isEnabled": "yes"}}), 400, "BadRequest")


def test_admin_consent_request_policy_is_replaced_by_put(g: Graph) -> None:
    """adminconsentrequestpolicy-get.md (the response: no id, reviewers as queries) and -update.md: PUT of the
    policy → 204; resources/adminconsentrequestpolicy.md: version "is updated" when the policy is."""
    r = g.get(CONSENT)
    assert r.status_code == 200
    before = r.json()
    assert before["@odata.context"] == f"{g.base}/$metadata#{CONSENT}/$entity"
    assert before["isEnabled"] is False and before["reviewers"] == []
    assert g.put(CONSENT, _consent_body()).status_code == 204
    after = g.get(CONSENT).json()
    assert after["isEnabled"] is True and after["requestDurationInDays"] == 5
    assert after["reviewers"] == [{"query": f"/users/{uid(1)}", "queryType": "MicrosoftGraph"}]
    assert after["version"] == before["version"] + 1


def test_admin_consent_request_policy_refuses_patch_and_incomplete_bodies(g: Graph) -> None:
    """adminconsentrequestpolicy-update.md: the method is PUT, and isEnabled, notifyReviewers,
    remindersEnabled, requestDurationInDays and reviewers are "required when you update"; version is
    read-only (resources/adminconsentrequestpolicy.md); queryType's one value is MicrosoftGraph
    (resources/accessreviewreviewerscope.md)."""
    assert g.patch(CONSENT, {"isEnabled": True}).status_code == 405
    body = _consent_body()
    del body["reviewers"]
    assert_error(g.put(CONSENT, body), 400, "Request_BadRequest")
    assert_error(g.put(CONSENT, _consent_body(version=7)), 400, "Request_BadRequest")
    assert_error(g.put(CONSENT, _consent_body(requestDurationInDays="5")), 400, "BadRequest")
    bad_reviewer = [{"query": f"/users/{uid(1)}", "queryType": "Sql"}]
    assert_error(g.put(CONSENT, _consent_body(reviewers=bad_reviewer)), 400, "Request_BadRequest")
    assert g.get(CONSENT).json()["isEnabled"] is False


def test_policy_singletons_need_their_documented_permissions(graph_factory: Callable[..., Graph]) -> None:
    """The Application rows of the get and update pages: Policy.Read.All reads all three;
    Policy.ReadWrite.AuthenticationFlows writes the flows policy, Policy.ReadWrite.ConsentRequest the consent
    policy; identitysecuritydefaultsenforcementpolicy-update.md lists Policy.Read.All among those that PATCH
    security defaults."""
    reader = graph_factory(permissions=["Policy.Read.All"])
    for path in (SECURITY_DEFAULTS, FLOWS, CONSENT):
        assert reader.get(path).status_code == 200, path
    assert reader.patch(FLOWS, {"selfServiceSignUp": {"isEnabled": False}}).status_code == 403
    assert reader.put(CONSENT, _consent_body()).status_code == 403
    assert reader.patch(SECURITY_DEFAULTS, {"isEnabled": False}).status_code == 204
    flows = graph_factory(permissions=["Policy.ReadWrite.AuthenticationFlows"])
    assert flows.patch(FLOWS, {"selfServiceSignUp": {"isEnabled": False}}).status_code == 204
    assert flows.get(SECURITY_DEFAULTS).status_code == 403
    consent = graph_factory(permissions=["Policy.ReadWrite.ConsentRequest"])
    assert consent.put(CONSENT, _consent_body()).status_code == 204
    assert consent.patch(FLOWS, {"selfServiceSignUp": {"isEnabled": False}}).status_code == 403


def test_policy_writes_are_audited(g: Graph) -> None:
    """A change to a tenant policy leaves a directoryAudit record in the Policy category naming it, with the
    old and new value (resources/directoryaudit.md, modifiedProperties)."""
    assert g.patch(SECURITY_DEFAULTS, {"isEnabled": False}).status_code == 204
    records = g.get("auditLogs/directoryAudits").json()["value"]
    mine = [r for r in records if r["activityDisplayName"] == "Update security defaults policy"]
    assert mine and mine[-1]["category"] == "Policy"
    modified = mine[-1]["targetResources"][0]["modifiedProperties"]
    assert modified == [{"displayName": "isEnabled", "oldValue": "true", "newValue": "false"}]


TIMEOUTS = "policies/activityBasedTimeoutPolicies"


def _definition(timeout: str = "01:00:00", app: str = "default", version: int = 1) -> list[str]:
    rules = {
        "Version": version,
        "ApplicationPolicies": [{"ApplicationId": app, "WebSessionIdleTimeout": timeout}],
    }
    return [json.dumps({"ActivityBasedTimeoutPolicy": rules})]


def test_activity_based_timeout_policies_create_list_update_delete(g: Graph) -> None:
    """activitybasedtimeoutpolicy-post-activitybasedtimeoutpolicies.md (201 with the policy), -list.md,
    -get.md, -update.md (204) and -delete.md (204; gone for good: 404 after)."""
    body = {"displayName": "Idle sign-out", "definition": _definition(), "isOrganizationDefault": True}
    r = g.post(TIMEOUTS, body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["@odata.context"] == f"{g.base}/$metadata#{TIMEOUTS}/$entity"
    assert created["definition"] == body["definition"] and created["isOrganizationDefault"] is True
    oid = created["id"]
    listed = g.get(TIMEOUTS).json()
    assert listed["@odata.context"] == f"{g.base}/$metadata#{TIMEOUTS}"
    assert [p["id"] for p in listed["value"]] == [oid]
    assert g.patch(f"{TIMEOUTS}/{oid}", {"definition": _definition("00:30:00")}).status_code == 204
    assert g.get(f"{TIMEOUTS}/{oid}").json()["definition"] == _definition("00:30:00")
    assert g.delete(f"{TIMEOUTS}/{oid}").status_code == 204
    assert_error(g.get(f"{TIMEOUTS}/{oid}"), 404, "Request_ResourceNotFound")


def test_activity_based_timeout_policy_validation(g: Graph) -> None:
    """resources/activitybasedtimeoutpolicy.md: displayName and definition are required; the definition is
    the JSON text of a Version 1 policy whose ApplicationId is `default` or the Azure portal's and whose
    WebSessionIdleTimeout is at least 5 minutes and at most a day (23:59:59)."""
    assert_error(g.post(TIMEOUTS, {"displayName": "x"}), 400, "Request_BadRequest")
    assert_error(g.post(TIMEOUTS, {"definition": _definition()}), 400, "Request_BadRequest")
    for definition in (
        _definition("00:04:59"),
        _definition("1.00:00:00"),
        _definition(version=2),
        _definition(app="00000003-0000-0000-c000-000000000000"),
        ["not json"],
    ):
        r = g.post(TIMEOUTS, {"displayName": "x", "definition": definition})
        assert_error(r, 400, "Request_BadRequest")
    assert g.post(TIMEOUTS, {"displayName": "x", "definition": _definition("23:59:59")}).status_code == 201
    oid = g.get(TIMEOUTS).json()["value"][0]["id"]
    assert_error(
        g.patch(f"{TIMEOUTS}/{oid}", {"definition": _definition("00:01:00")}), 400, "Request_BadRequest"
    )
    assert_error(g.patch(f"{TIMEOUTS}/{oid}", {"id": "x"}), 400, "Request_BadRequest")


def test_activity_based_timeout_policies_need_their_documented_permissions(
    graph_factory: Callable[..., Graph],
) -> None:
    """activitybasedtimeoutpolicy-list.md: Policy.Read.All reads; the create, update and delete pages need
    Policy.ReadWrite.ApplicationConfiguration."""
    reader = graph_factory(permissions=["Policy.Read.All"])
    assert reader.get(TIMEOUTS).status_code == 200
    assert reader.post(TIMEOUTS, {"displayName": "x", "definition": _definition()}).status_code == 403
    writer = graph_factory(permissions=["Policy.ReadWrite.ApplicationConfiguration"])
    assert writer.post(TIMEOUTS, {"displayName": "x", "definition": _definition()}).status_code == 201


GRANTS = "policies/permissionGrantPolicies"


def test_permission_grant_policies_list_built_in_and_custom_with_condition_sets(g: Graph) -> None:
    """permissiongrantpolicy-list.md: built-in (`microsoft-*`) and custom policies, each with its includes
    and excludes inline; -post-permissiongrantpolicies.md: the caller's id, 201."""
    r = g.post(GRANTS, {"id": "my-policy", "displayName": "Mine", "description": "d"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "my-policy" and r.json()["includes"] == []
    listed = {p["id"]: p for p in g.get(GRANTS).json()["value"]}
    assert {"microsoft-company-admin", "microsoft-user-default-low", "my-policy"} <= set(listed)
    assert listed["microsoft-company-admin"]["includes"][0]["permissionType"] == "application"
    assert listed["my-policy"]["excludes"] == []


def test_condition_sets_are_added_and_removed_on_their_own(g: Graph) -> None:
    """permissiongrantpolicy-post-includes.md (201, the set with its id and every default of
    resources/permissiongrantconditionset.md), -list-includes.md, -delete-includes.md (204); the same for
    excludes; the policy's PATCH takes neither (they are navigation properties)."""
    assert g.post(GRANTS, {"id": "p1", "displayName": "P1"}).status_code == 201
    r = g.post(f"{GRANTS}/p1/includes", {"permissionType": "delegated", "permissionClassification": "low"})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["permissions"] == ["all"] and item["resourceApplication"] == "any"
    assert item["clientApplicationsFromVerifiedPublisherOnly"] is False
    assert g.post(f"{GRANTS}/p1/excludes", {"permissionType": "application"}).status_code == 201
    assert [i["id"] for i in g.get(f"{GRANTS}/p1/includes").json()["value"]] == [item["id"]]
    assert len(g.get(f"{GRANTS}/p1").json()["excludes"]) == 1
    assert g.delete(f"{GRANTS}/p1/includes/{item['id']}").status_code == 204
    assert g.get(f"{GRANTS}/p1").json()["includes"] == []
    assert_error(g.patch(f"{GRANTS}/p1", {"includes": []}), 400, "Request_BadRequest")
    assert g.patch(f"{GRANTS}/p1", {"displayName": "P one"}).status_code == 204
    assert g.delete(f"{GRANTS}/p1").status_code == 204
    assert_error(g.get(f"{GRANTS}/p1"), 404, "Request_ResourceNotFound")


def test_permission_grant_policy_validation(g: Graph) -> None:
    """The create page's example names the id (a custom policy's own name); `microsoft-` is the built-in
    policies' prefix and those are not writable; a condition set needs permissionType, of the permissionType
    enumeration, and `delegatedUserConsentable` "can't be used in custom permission grant policies"
    (resources/permissiongrantconditionset.md)."""
    assert_error(g.post(GRANTS, {"displayName": "no id"}), 400, "Request_BadRequest")
    assert_error(g.post(GRANTS, {"id": "microsoft-mine", "displayName": "x"}), 400, "Request_BadRequest")
    assert g.post(GRANTS, {"id": "p2", "displayName": "P2"}).status_code == 201
    assert_error(g.post(GRANTS, {"id": "p2", "displayName": "again"}), 400, "Request_BadRequest")
    assert_error(g.post(f"{GRANTS}/p2/includes", {"permissions": ["all"]}), 400, "Request_BadRequest")
    body = {"permissionType": "delegatedUserConsentable"}
    assert_error(g.post(f"{GRANTS}/p2/includes", body), 400, "Request_BadRequest")
    assert_error(g.post(f"{GRANTS}/p2/includes", {"permissionType": "sometimes"}), 400, "Request_BadRequest")
    assert_error(
        g.patch(f"{GRANTS}/microsoft-company-admin", {"displayName": "x"}), 400, "Request_BadRequest"
    )
    assert_error(g.delete(f"{GRANTS}/microsoft-company-admin"), 400, "Request_BadRequest")
    body = {"permissionType": "delegated"}
    assert_error(g.post(f"{GRANTS}/microsoft-company-admin/excludes", body), 400, "Request_BadRequest")


def test_permission_grant_policies_need_their_documented_permissions(
    graph_factory: Callable[..., Graph],
) -> None:
    """permissiongrantpolicy-list.md: Policy.Read.PermissionGrant reads (Policy.Read.All does not); the
    create, update, delete and condition set pages need Policy.ReadWrite.PermissionGrant."""
    assert graph_factory(permissions=["Policy.Read.All"]).get(GRANTS).status_code == 403
    reader = graph_factory(permissions=["Policy.Read.PermissionGrant"])
    assert reader.get(GRANTS).status_code == 200
    assert reader.post(GRANTS, {"id": "p", "displayName": "P"}).status_code == 403
    writer = graph_factory(permissions=["Policy.ReadWrite.PermissionGrant"])
    assert writer.post(GRANTS, {"id": "p", "displayName": "P"}).status_code == 201
    assert writer.post(f"{GRANTS}/p/includes", {"permissionType": "delegated"}).status_code == 201
