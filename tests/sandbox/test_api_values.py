"""No silent no-ops, and the property values Graph documents as valid: refused with a 400, never stored."""

from __future__ import annotations

from typing import Any

import pytest

from .api_helpers import DOMAIN, Graph, assert_error, gid, uid
from .test_api_write import ca_body, new_user

CA = "identity/conditionalAccess/policies"


def test_manager_bind_in_a_user_patch_is_refused_not_a_silent_204(g: Graph) -> None:
    """user-update.md lists no `manager@odata.bind`; user-post-manager.md documents PUT manager/$ref as the
    way to set a manager. A 204 that changes nothing would make restore believe the manager was set."""
    bind = {"manager@odata.bind": f"https://graph.microsoft.com/v1.0/users/{uid(2)}"}
    assert_error(g.patch(f"users/{uid(1)}", bind), 400, "Request_BadRequest")
    assert g.get(f"users/{uid(1)}/manager").status_code == 404
    assert_error(g.post("users", new_user(**bind)), 400, "Request_BadRequest")
    assert g.get("users", {"$filter": "mailNickname eq 'adele'"}).json()["value"] == []
    assert g.put(f"users/{uid(1)}/manager/$ref", g.ref(uid(2))).status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "applications/cccccccc-0000-4000-8000-000000000001", {"owners@odata.bind": []}),
        ("POST", "directory/administrativeUnits", {"displayName": "AU", "members@odata.bind": []}),
        ("POST", CA, ca_body(**{"users@odata.bind": []})),
        (
            "PATCH",
            "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2",
            {
                "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
                "includeTargets@odata.bind": [],
            },
        ),
    ],
)
def test_every_unsupported_bind_is_refused(g: Graph, method: str, path: str, body: dict[str, Any]) -> None:
    """application-update.md, administrativeunit-post-administrativeunits.md and
    conditionalaccesspolicy-update.md document no @odata.bind: it is refused, not dropped or stored."""
    r = g.patch(path, body) if method == "PATCH" else g.post(path, body)
    assert_error(r, 400, "Request_BadRequest")
    assert "@odata.bind" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"displayName": "x" * 257},
        {"jobTitle": "x" * 129},
        {"mailNickname": "x" * 65},
        {"userPrincipalName": f"{'x' * 65}@{DOMAIN}"},
        {"ageGroup": "Child"},
        {"userType": "Visitor"},
        {"consentProvidedForMinor": "Maybe"},
        {"usageLocation": "USA"},
        {"usageLocation": "XX"},
        {"businessPhones": ["+1 425 555 0100", "+1 425 555 0101"]},
        {"passwordPolicies": "NeverExpire"},
    ],
)
def test_documented_user_value_rules(g: Graph, change: dict[str, Any]) -> None:
    """user.md: max lengths (displayName 256, jobTitle 128, mailNickname 64, UPN local part 64), the
    ageGroup / consentProvidedForMinor / userType enumerations, usageLocation "two-letter country code (ISO
    standard 3166)", "only one number can be set for" businessPhones, the passwordPolicies values."""
    prop = next(iter(change))
    err = assert_error(g.patch(f"users/{uid(1)}", change), 400, "Request_BadRequest")
    assert f"'{prop}'" in err["message"]
    assert_error(g.post("users", new_user(**change)), 400, "Request_BadRequest")
    edge = {
        "displayName": "x" * 256,
        "jobTitle": "x" * 128,
        "mailNickname": "x" * 64,
        "userPrincipalName": f"{'x' * 64}@{DOMAIN}",
        "ageGroup": "NotAdult",
        "userType": "Guest",
        "consentProvidedForMinor": "Granted",
        "usageLocation": "NO",
        "businessPhones": ["+1 425 555 0100"],
        "passwordPolicies": "DisablePasswordExpiration, DisableStrongPassword",
    }
    assert g.patch(f"users/{uid(1)}", {prop: edge[prop]}).status_code == 204


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"jobTitle": 42}, "Cannot convert a primitive value to the expected type 'Edm.String'."),
        ({"accountEnabled": "yes"}, "Cannot convert a primitive value to the expected type 'Edm.Boolean'."),
        (
            {"employeeHireDate": "next monday"},
            "Cannot convert the literal 'next monday' to the expected type",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(g: Graph, change: dict[str, Any], expected: str) -> None:
    """user.md declares jobTitle String, accountEnabled Boolean, employeeHireDate DateTimeOffset: a JSON value
    that does not convert is Graph's OData conversion error (code BadRequest)."""
    err = assert_error(g.patch(f"users/{uid(1)}", change), 400, "BadRequest")
    assert err["message"].startswith(expected)
    assert g.patch(f"users/{uid(1)}", {"employeeHireDate": "2024-03-01T00:00:00Z"}).status_code == 204


def test_password_complexity_refuses_unicode_and_honours_disable_strong_password(g: Graph) -> None:
    """Entra password policy: 8-256 characters, three of lowercase/uppercase/digit/symbol, "Unicode
    characters" not allowed; user.md: passwordPolicies DisableStrongPassword "allows weaker passwords"."""
    weak = {"passwordProfile": {"password": "alllowercase"}}
    assert_error(g.patch(f"users/{uid(1)}", weak), 400, "Request_BadRequest")
    unicode = {"passwordProfile": {"password": "Pässwörd-123"}}
    err = assert_error(g.patch(f"users/{uid(1)}", unicode), 400, "Request_BadRequest")
    assert "complexity" in err["message"]
    assert g.patch(f"users/{uid(1)}", {"passwordPolicies": "DisableStrongPassword"}).status_code == 204
    assert g.patch(f"users/{uid(1)}", weak).status_code == 204
    assert_error(g.patch(f"users/{uid(1)}", unicode), 400, "Request_BadRequest")
    assert g.post("users", new_user(passwordPolicies="DisableStrongPassword", **weak)).status_code == 201


@pytest.mark.parametrize(
    "grant",
    [
        {"operator": "XOR", "builtInControls": ["mfa"]},
        {"builtInControls": ["mfa"]},
        {"operator": "OR", "builtInControls": ["fingerprint"]},
    ],
)
def test_conditional_access_grant_controls_values(g: Graph, grant: dict[str, Any]) -> None:
    """conditionalaccessgrantcontrols.md: operator AND or OR; builtInControls from the documented list."""
    assert_error(g.post(CA, ca_body(grantControls=grant)), 400, "BadRequest")


def test_conditional_access_group_condition_needs_object_ids(g: Graph) -> None:
    """Field report KelvinTegelaar/CIPP#3614: a group condition naming a group by display name is refused with
    "1054: Invalid group value: sg_MFA_exclusion."; user conditions take ids or All/None/GuestsOrExternalUsers
    (conditionalaccessusers.md)."""
    conditions = dict(
        ca_body()["conditions"], users={"includeUsers": ["All"], "excludeGroups": ["sg_MFA_exclusion"]}
    )
    err = assert_error(g.post(CA, ca_body(conditions=conditions)), 400, "BadRequest")
    assert err["message"] == "1054: Invalid group value: sg_MFA_exclusion."
    conditions = dict(ca_body()["conditions"], users={"includeUsers": ["adele@contoso.com"]})
    assert_error(g.post(CA, ca_body(conditions=conditions)), 400, "BadRequest")
    conditions = dict(
        ca_body()["conditions"], users={"includeUsers": ["GuestsOrExternalUsers"], "excludeGroups": [gid(1)]}
    )
    assert g.post(CA, ca_body(conditions=conditions)).status_code == 201


def test_conditional_access_client_applications_stand_in_for_users(g: Graph) -> None:
    """conditionalaccessconditionset.md: "Either users or clientApplications is required"."""
    conditions = {
        "applications": {"includeApplications": ["All"]},
        "clientApplications": {"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]},
    }
    assert (
        g.post(
            CA, ca_body(conditions=conditions, grantControls={"operator": "OR", "builtInControls": ["block"]})
        ).status_code
        == 201
    )
    assert_error(
        g.post(CA, ca_body(conditions={"applications": {"includeApplications": ["All"]}})), 400, "BadRequest"
    )


def test_authorization_policy_allow_invites_from_enum(g: Graph) -> None:
    """authorizationpolicy.md: allowInvitesFrom is none, adminsAndGuestInviters,
    adminsGuestInvitersAndAllMembers or everyone."""
    assert_error(
        g.patch("policies/authorizationPolicy", {"allowInvitesFrom": "anyone"}), 400, "Request_BadRequest"
    )
    assert g.patch("policies/authorizationPolicy", {"allowInvitesFrom": "everyone"}).status_code == 204


def test_method_configuration_patch_needs_its_type_and_a_valid_state(g: Graph) -> None:
    """fido2authenticationmethodconfiguration-update.md (and the other method pages): the body carries
    `@odata.type`; authenticationmethodconfiguration.md: state is enabled or disabled."""
    path = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
    kind = "#microsoft.graph.fido2AuthenticationMethodConfiguration"
    assert_error(g.patch(path, {"state": "disabled"}), 400, "Request_BadRequest")
    assert_error(g.patch(path, {"@odata.type": kind, "state": "off"}), 400, "Request_BadRequest")
    assert g.get(path).json()["state"] == "enabled"
    assert g.patch(path, {"@odata.type": kind, "state": "disabled"}).status_code == 204
    assert g.get(path).json()["state"] == "disabled"
