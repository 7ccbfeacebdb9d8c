"""PATCH of complex values merges like Graph's documented update examples; collections are replaced whole."""

from __future__ import annotations

from .api_helpers import Graph, assert_error, gid, uid
from .test_api_write import ca_body

CA = "identity/conditionalAccess/policies"


def test_conditional_access_patch_of_one_condition_keeps_the_others(g: Graph) -> None:
    """conditionalaccesspolicy-update.md example: the body is only `conditions.signInRiskLevels`; 204, and the
    policy keeps its applications, users and locations."""
    policy = g.post(CA, ca_body()).json()
    r = g.patch(f"{CA}/{policy['id']}", {"conditions": {"signInRiskLevels": ["high", "medium", "low"]}})
    assert r.status_code == 204, r.text
    after = g.get(f"{CA}/{policy['id']}").json()
    assert after["conditions"]["signInRiskLevels"] == ["high", "medium", "low"]
    assert after["conditions"]["applications"] == policy["conditions"]["applications"]
    assert after["conditions"]["users"] == {"includeGroups": [gid(1)]}
    assert after["conditions"]["locations"] == policy["conditions"]["locations"]


def test_conditional_access_patch_replaces_a_collection_and_null_clears(g: Graph) -> None:
    """A collection inside the merged value is replaced whole (not appended to); an explicit null clears a
    property; the grant controls keep their operator when only the controls are sent."""
    policy = g.post(CA, ca_body()).json()
    pid = policy["id"]
    body = {
        "conditions": {"clientAppTypes": ["all"], "locations": None},
        "grantControls": {"builtInControls": ["block"]},
    }
    assert g.patch(f"{CA}/{pid}", body).status_code == 204
    after = g.get(f"{CA}/{pid}").json()
    assert after["conditions"]["clientAppTypes"] == ["all"]
    assert after["conditions"]["locations"] is None
    assert after["grantControls"] == {"operator": "OR", "builtInControls": ["block"]}


def test_conditional_access_merged_result_is_validated(g: Graph) -> None:
    """conditionalaccessconditionset.md: `applications` is required, so a PATCH that nulls it is refused
    (and changes nothing); clearing the only control leaves a policy without grant or session controls."""
    pid = g.post(CA, ca_body()).json()["id"]
    assert_error(g.patch(f"{CA}/{pid}", {"conditions": {"applications": None}}), 400, "BadRequest")
    assert_error(g.patch(f"{CA}/{pid}", {"grantControls": None}), 400, "BadRequest")
    after = g.get(f"{CA}/{pid}").json()
    assert after["conditions"]["applications"] and after["grantControls"]["builtInControls"] == ["mfa"]


def test_authorization_policy_patch_of_one_default_permission_keeps_the_other_five(g: Graph) -> None:
    """authorizationpolicy-update.md, example 3: only `defaultUserRolePermissions.allowedToCreateApps`."""
    before = g.get("policies/authorizationPolicy").json()["defaultUserRolePermissions"]
    flipped = not before["allowedToCreateApps"]
    r = g.patch(
        "policies/authorizationPolicy", {"defaultUserRolePermissions": {"allowedToCreateApps": flipped}}
    )
    assert r.status_code == 204, r.text
    after = g.get("policies/authorizationPolicy").json()["defaultUserRolePermissions"]
    assert after == {**before, "allowedToCreateApps": flipped}
    assert len(after) == 6


def test_registration_campaign_patch_keeps_its_siblings(g: Graph) -> None:
    """authenticationmethodspolicy-update.md sends `registrationEnforcement.authenticationMethodsRegistration
    Campaign` with a few fields; the others (and its targets, unless sent) keep their values; a sent list of
    targets replaces the old one."""
    path = "policies/authenticationMethodsPolicy"
    before = g.get(path).json()["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]
    change = {
        "registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"snoozeDurationInDays": 7}}
    }
    assert g.patch(path, change).status_code == 204
    after = g.get(path).json()["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]
    assert after == {**before, "snoozeDurationInDays": 7}
    targets = [
        {"id": gid(1), "targetType": "group", "targetedAuthenticationMethod": "microsoftAuthenticator"}
    ]
    change = {
        "registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"includeTargets": targets}}
    }
    assert g.patch(path, change).status_code == 204
    after = g.get(path).json()["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]
    assert after["includeTargets"] == targets and after["snoozeDurationInDays"] == 7


def test_method_configuration_patch_merges_nested_settings(g: Graph) -> None:
    """fido2authenticationmethodconfiguration-update.md: a PATCH with `keyRestrictions.isEnforced` only keeps
    the other key restriction settings."""
    path = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
    before = g.get(path).json()["keyRestrictions"]
    body = {
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "keyRestrictions": {"isEnforced": True},
    }
    assert g.patch(path, body).status_code == 204
    assert g.get(path).json()["keyRestrictions"] == {**before, "isEnforced": True}


def test_user_patch_merges_a_complex_property(g: Graph) -> None:
    """user.md: onPremisesExtensionAttributes is a complex value; one attribute sent keeps the other ones."""
    uid1 = uid(1)
    first = {"onPremisesExtensionAttributes": {"extensionAttribute1": "a", "extensionAttribute2": "b"}}
    assert g.patch(f"users/{uid1}", first).status_code == 204
    second = {"onPremisesExtensionAttributes": {"extensionAttribute2": None, "extensionAttribute3": "c"}}
    assert g.patch(f"users/{uid1}", second).status_code == 204
    got = g.get(f"users/{uid1}", {"$select": "onPremisesExtensionAttributes"}).json()
    assert got["onPremisesExtensionAttributes"] == {
        "extensionAttribute1": "a",
        "extensionAttribute2": None,
        "extensionAttribute3": "c",
    }
