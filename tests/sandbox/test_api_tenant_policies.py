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
