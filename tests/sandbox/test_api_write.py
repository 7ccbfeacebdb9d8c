"""Writing: create requirements and 201 bodies, PATCH rules, group-type matrix, synced objects, uniqueness."""

from __future__ import annotations

import re
from typing import Any

import pytest
from msal_session import session_for

from entragit.sandbox.server import Sandbox

from .api_helpers import DOMAIN, PASSWORD, Graph, assert_error, gid, guid, not_found_message, uid

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_user(name: str = "adele", **extra: Any) -> dict[str, Any]:
    body = {
        "accountEnabled": True,
        "displayName": name.title(),
        "mailNickname": name,
        "userPrincipalName": f"{name}@{DOMAIN}",
        "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": True},
    }
    body.update(extra)
    return body


# ------------------------------------------------------------------------------------------------- users


def test_create_user_returns_201_with_the_default_property_set(g: Graph) -> None:
    r = g.post("users", new_user(givenName="Adele", surname="Vance", jobTitle="PM"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#users/$entity"
    assert set(body) == {
        "@odata.context", "businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
        "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
    }  # fmt: skip
    assert GUID.match(body["id"]) and body["businessPhones"] == []
    full = g.get(
        f"users/{body['id']}", {"$select": "createdDateTime,securityIdentifier,accountEnabled"}
    ).json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", full["createdDateTime"])
    assert full["securityIdentifier"].startswith("S-1-12-1-") and full["accountEnabled"] is True


@pytest.mark.parametrize(
    "missing", ["accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"]
)
def test_create_user_requires_the_documented_properties(g: Graph, missing: str) -> None:
    body = new_user()
    del body[missing]
    err = assert_error(g.post("users", body), 400, "Request_BadRequest")
    assert f"'{missing}'" in err["message"]


def test_create_user_validates_upn_domain_characters_and_password(g: Graph) -> None:
    err = assert_error(
        g.post("users", new_user(userPrincipalName="adele@fabrikam.com")), 400, "Request_BadRequest"
    )
    assert "verified domain" in err["message"]
    assert_error(g.post("users", new_user(userPrincipalName=f"adèle@{DOMAIN}")), 400, "Request_BadRequest")
    weak = new_user(passwordProfile={"password": "password"})
    err = assert_error(g.post("users", weak), 400, "Request_BadRequest")
    assert "complexity" in err["message"]
    assert_error(g.post("users", new_user(shoeSize=44)), 400, "Request_BadRequest")
    assert_error(g.post("users", None), 400, "BadRequest", "Empty Payload. JSON content expected.")


def test_upn_conflict_has_the_objectconflict_shape(g: Graph) -> None:
    r = g.post("users", new_user("dup", userPrincipalName=f"USER001@{DOMAIN}"))
    err = assert_error(
        r,
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
    )
    assert err["details"] == [{"target": "userPrincipalName", "code": "ObjectConflict"}]


def test_proxy_address_conflict_when_mail_is_taken(g: Graph) -> None:
    r = g.post("users", new_user("clash", mail=f"user002@{DOMAIN}"))
    err = assert_error(r, 400, "Request_BadRequest")
    assert err["details"][0] == {"target": "proxyAddresses", "code": "ObjectConflict"}
    assert err["details"][1]["code"] == "ConflictingObjects" and uid(2) in err["details"][1]["target"]


def test_patch_user_rejects_read_only_properties_with_graphs_message(g: Graph) -> None:
    for prop, value in (
        ("signInSessionsValidFromDateTime", "2024-01-01T00:00:00Z"),
        ("createdDateTime", "2024-01-01T00:00:00Z"),
        ("proxyAddresses", ["SMTP:x@contoso.onmicrosoft.com"]),
        ("id", uid(1)),
        ("onPremisesSyncEnabled", True),
    ):
        assert_error(
            g.patch(f"users/{uid(1)}", {prop: value}),
            400,
            "Request_BadRequest",
            f"Property '{prop}' is read-only and cannot be set.",
        )
    assert_error(g.patch(f"users/{uid(1)}", {"favouriteColour": "red"}), 400, "Request_BadRequest")


def test_beta_only_properties_are_refused_like_any_unknown_property(sandbox: Sandbox) -> None:
    """Graph v1.0 reads a body against the v1.0 types: a property only beta declares is unknown there, a 400
    (the OData reader's "does not exist on type" for a member of a complex value; resources/
    conditionalaccessconditionset.md, serviceprincipallockconfiguration.md,
    authenticationmethodspolicy.md and authenticationmethodsregistrationcampaign.md list the v1.0 members)."""
    g = Graph(sandbox, session_for(sandbox))  # the demo tenant: it has policies and applications
    policy = g.get("identity/conditionalAccess/policies").json()["value"][0]
    app = g.get("applications").json()["value"][0]
    for path, body, prop, ctype in (
        (
            f"identity/conditionalAccess/policies/{policy['id']}",
            {"conditions": {"times": None}},
            "times",
            "conditionalAccessConditionSet",
        ),
        (
            f"applications/{app['id']}",
            {"servicePrincipalLockConfiguration": {"isEnabled": True, "identifierUris": True}},
            "identifierUris",
            "servicePrincipalLockConfiguration",
        ),
        (
            "policies/authenticationMethodsPolicy",
            {
                "registrationEnforcement": {
                    "authenticationMethodsRegistrationCampaign": {
                        "enforceRegistrationAfterAllowedSnoozes": True
                    }
                }
            },
            "enforceRegistrationAfterAllowedSnoozes",
            "authenticationMethodsRegistrationCampaign",
        ),
    ):
        r = g.patch(path, body)
        assert r.status_code == 400, (path, r.text)
        assert (
            f"The property '{prop}' does not exist on type 'microsoft.graph.{ctype}'"
            in r.json()["error"]["message"]
        )
    for prop in ("reportSuspiciousActivitySettings", "systemCredentialPreferences"):
        assert (
            g.patch("policies/authenticationMethodsPolicy", {prop: {"state": "enabled"}}).status_code == 400
        )
    assert "times" not in g.get(f"identity/conditionalAccess/policies/{policy['id']}").json()["conditions"]


def test_patch_user_changes_writable_properties_and_mail_drives_proxy_addresses(g: Graph) -> None:
    r = g.patch(
        f"users/{uid(1)}",
        {"jobTitle": "Director", "mail": f"boss@{DOMAIN}", "passwordProfile": {"password": PASSWORD}},
    )
    assert r.status_code == 204 and r.content == b""
    body = g.get(f"users/{uid(1)}", {"$select": "jobTitle,mail,proxyAddresses,passwordProfile"}).json()
    assert body["jobTitle"] == "Director" and body["mail"] == f"boss@{DOMAIN}"
    assert body["proxyAddresses"][0] == f"SMTP:boss@{DOMAIN}" and body["passwordProfile"] is None
    assert_error(
        g.patch(f"users/{uid(2)}", {"userPrincipalName": f"user003@{DOMAIN}"}), 400, "Request_BadRequest"
    )
    assert g.patch(f"users/{uid(2)}", {"userPrincipalName": f"renamed@{DOMAIN}"}).status_code == 204
    assert g.get(f"users/renamed@{DOMAIN}").json()["id"] == uid(2)


def test_synced_users_refuse_changes_to_synced_attributes(g: Graph) -> None:
    synced = uid(900)
    err = assert_error(g.patch(f"users/{synced}", {"displayName": "x"}), 400, "Request_BadRequest")
    assert err["message"].startswith("Unable to update the specified properties for on-premises mastered")
    assert_error(g.patch(f"users/{synced}", {"mobilePhone": "+1 555"}), 400, "Request_BadRequest")
    assert g.patch(f"users/{synced}", {"usageLocation": "GB"}).status_code == 204


# ------------------------------------------------------------------------------------------------ groups


def group_body(**extra: Any) -> dict[str, Any]:
    body = {
        "displayName": "Operations",
        "mailEnabled": False,
        "mailNickname": "operations2019",
        "securityEnabled": True,
    }
    body.update(extra)
    return body


def test_create_security_group_with_owners_and_members_bind(g: Graph) -> None:
    body = group_body(
        **{
            "owners@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{uid(1)}"],
            "members@odata.bind": [
                f"https://graph.microsoft.com/v1.0/users/{uid(2)}",
                f"https://graph.microsoft.com/v1.0/directoryObjects/{uid(3)}",
            ],
        }
    )
    r = g.post("groups", body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["@odata.context"] == f"{g.base}/$metadata#groups/$entity"
    assert created["groupTypes"] == [] and created["mail"] is None and created["visibility"] == "Private"
    assert created["securityIdentifier"].startswith("S-1-12-1-") and created["renewedDateTime"]
    members = g.get(f"groups/{created['id']}/members").json()["value"]
    assert sorted(m["id"] for m in members) == [uid(2), uid(3)]
    assert g.get(f"groups/{created['id']}/owners").json()["value"][0]["id"] == uid(1)


def test_bind_is_limited_to_20_and_all_or_nothing(g: Graph) -> None:
    many = [f"https://graph.microsoft.com/v1.0/users/{uid(i)}" for i in range(1, 13)]
    body = group_body(**{"members@odata.bind": many, "owners@odata.bind": many[:9]})
    assert_error(g.post("groups", body), 400, "Request_BadRequest")
    missing = guid("9", 9)
    body = group_body(
        **{"members@odata.bind": [many[0], f"https://graph.microsoft.com/v1.0/users/{missing}"]}
    )
    assert_error(g.post("groups", body), 404, "Request_ResourceNotFound", not_found_message(missing))
    assert g.get("groups", {"$filter": "mailNickname eq 'operations2019'"}).json()["value"] == []


def test_create_m365_group_gets_mail_and_public_visibility_and_nickname_must_be_unique(g: Graph) -> None:
    body = group_body(mailEnabled=True, securityEnabled=False, groupTypes=["Unified"], mailNickname="launch")
    created = g.post("groups", body).json()
    assert created["mail"] == f"launch@{DOMAIN}" and created["proxyAddresses"] == [f"SMTP:launch@{DOMAIN}"]
    assert created["visibility"] == "Public"
    err = assert_error(g.post("groups", dict(body, displayName="Other")), 400, "Request_BadRequest")
    assert err["details"][0] == {"target": "mailNickname", "code": "ObjectConflict"}
    # security groups may share nicknames
    assert g.post("groups", group_body(mailNickname="launch")).status_code == 201


@pytest.mark.parametrize("security", [True, False])
def test_mail_enabled_security_and_distribution_groups_cannot_be_created(g: Graph, security: bool) -> None:
    r = g.post("groups", group_body(mailEnabled=True, securityEnabled=security))
    assert_error(
        r, 400, "Request_BadRequest", "Cannot Create a mail-enabled security groups and or distribution list."
    )


@pytest.mark.parametrize("seeded", [3, 4])
def test_seeded_mail_enabled_groups_refuse_updates_and_member_writes(g: Graph, seeded: int) -> None:
    err = assert_error(g.patch(f"groups/{gid(seeded)}", {"description": "x"}), 400, "Request_BadRequest")
    assert "mail-enabled" in err["message"]
    assert_error(g.post(f"groups/{gid(seeded)}/members/$ref", g.ref(uid(9))), 400, "Request_BadRequest")
    assert g.get(f"groups/{gid(seeded)}").status_code == 200


def test_group_validation_rules(g: Graph) -> None:
    assert_error(g.post("groups", group_body(mailNickname="bad nick")), 400, "Request_BadRequest")
    assert_error(g.post("groups", group_body(mailNickname="x" * 65)), 400, "Request_BadRequest")
    assert_error(g.post("groups", group_body(groupTypes=["Weird"])), 400, "Request_BadRequest")
    assert_error(g.post("groups", group_body(groupTypes=["DynamicMembership"])), 400, "Request_BadRequest")
    assert_error(g.post("groups", group_body(allowExternalSenders=True)), 400, "Request_BadRequest")
    assert_error(g.post("groups", group_body(securityEnabled=None)), 400, "Request_BadRequest")
    dynamic = group_body(
        groupTypes=["DynamicMembership"],
        membershipRule='user.department -eq "Sales"',
        membershipRuleProcessingState="On",
    )
    r = g.post("groups", dynamic)
    assert r.status_code == 201 and r.json()["membershipRuleProcessingState"] == "On"
    assert_error(
        g.post("groups", group_body(isAssignableToRole=True, groupTypes=dynamic["groupTypes"])),
        400,
        "Request_BadRequest",
    )
    role_group = g.post("groups", group_body(mailNickname="admins", isAssignableToRole=True)).json()
    assert role_group["isAssignableToRole"] is True and role_group["visibility"] == "Private"


def test_group_patch_rules(g: Graph) -> None:
    assert g.patch(f"groups/{gid(1)}", {"description": "Updated"}).status_code == 204
    assert g.get(f"groups/{gid(1)}").json()["description"] == "Updated"
    for prop, value in (
        ("mail", "x@y.com"),
        ("securityIdentifier", "S-1"),
        ("createdDateTime", "2020-01-01T00:00:00Z"),
    ):
        assert_error(
            g.patch(f"groups/{gid(1)}", {prop: value}),
            400,
            "Request_BadRequest",
            f"Property '{prop}' is read-only and cannot be set.",
        )
    # create-only
    assert_error(g.patch(f"groups/{gid(1)}", {"isAssignableToRole": True}), 400, "Request_BadRequest")
    # turning a security group into a mail-enabled one is a write Graph does not support
    assert_error(g.patch(f"groups/{gid(1)}", {"mailEnabled": True}), 400, "Request_BadRequest")
    # an assigned group can become dynamic
    r = g.patch(
        f"groups/{gid(1)}",
        {
            "groupTypes": ["DynamicMembership"],
            "membershipRule": "user.accountEnabled -eq true",
            "membershipRuleProcessingState": "Paused",
        },
    )
    assert r.status_code == 204
    # M365 nicknames are unique among M365 groups only
    assert g.patch(f"groups/{gid(2)}", {"mailNickname": "sec001"}).status_code == 204
    other = g.post(
        "groups",
        group_body(mailEnabled=True, securityEnabled=False, groupTypes=["Unified"], mailNickname="t2"),
    )
    err = assert_error(
        g.patch(f"groups/{other.json()['id']}", {"mailNickname": "SEC001"}), 400, "Request_BadRequest"
    )
    assert err["details"][0] == {"target": "mailNickname", "code": "ObjectConflict"}


def test_patch_with_members_bind_adds_members(g: Graph) -> None:
    body = {
        "members@odata.bind": [f"https://graph.microsoft.com/v1.0/directoryObjects/{uid(i)}" for i in (8, 9)]
    }
    assert g.patch(f"groups/{gid(1)}", body).status_code == 204
    ids = {m["id"] for m in g.get(f"groups/{gid(1)}/members").json()["value"]}
    assert {uid(8), uid(9)} <= ids
    assert_error(g.patch(f"groups/{gid(1)}", body), 400, "Request_BadRequest")


# ------------------------------------------------------------------------------------ apps and principals


def test_create_application_generates_app_id_and_keeps_documented_shape(g: Graph) -> None:
    r = g.post("applications", {"displayName": "Display name"})
    assert r.status_code == 201
    app = r.json()
    assert app["@odata.context"] == f"{g.base}/$metadata#applications/$entity"
    assert GUID.match(app["appId"]) and app["appId"] != app["id"]
    assert app["publisherDomain"] == DOMAIN and app["passwordCredentials"] == []
    assert app["web"]["implicitGrantSettings"] == {
        "enableIdTokenIssuance": False,
        "enableAccessTokenIssuance": False,
    }
    assert_error(g.post("applications", {}), 400, "Request_BadRequest")
    assert_error(g.patch(f"applications/{app['id']}", {"appId": guid("d", 5)}), 400, "Request_BadRequest")
    assert_error(
        g.post("applications", {"displayName": "x", "passwordCredentials": [{"displayName": "s"}]}),
        400,
        "Request_BadRequest",
    )
    dup = {"displayName": "Other", "identifierUris": ["api://payroll"]}
    err = assert_error(g.post("applications", dup), 400, "Request_BadRequest")
    assert err["details"][0]["target"] == "identifierUris"


def test_create_service_principal_needs_an_app_of_this_tenant_and_only_one(g: Graph) -> None:
    app = g.post("applications", {"displayName": "My App"}).json()
    r = g.post("servicePrincipals", {"appId": app["appId"]})
    assert r.status_code == 201
    sp = r.json()
    assert sp["@odata.context"] == f"{g.base}/$metadata#servicePrincipals/$entity"
    assert sp["appDisplayName"] == "My App" and sp["appOwnerOrganizationId"] == g.box.tenant_id
    assert app["appId"] in sp["servicePrincipalNames"]
    assert g.post("servicePrincipals", {"appId": app["appId"]}).status_code == 409
    assert_error(g.post("servicePrincipals", {"appId": guid("7", 7)}), 400, "Request_BadRequest")
    assert_error(g.post("servicePrincipals", {}), 400, "Request_BadRequest")
    assert_error(
        g.patch(f"servicePrincipals/{sp['id']}", {"servicePrincipalType": "Legacy"}),
        400,
        "Request_BadRequest",
    )
    assert g.patch(f"servicePrincipals/{sp['id']}", {"appRoleAssignmentRequired": True}).status_code == 204


def test_oauth2_permission_grants(g: Graph) -> None:
    graph_sp = g.get(
        "servicePrincipals", {"$filter": "appId eq '00000003-0000-0000-c000-000000000000'"}
    ).json()["value"][0]
    body = {
        "clientId": guid("f", 1),
        "consentType": "AllPrincipals",
        "resourceId": graph_sp["id"],
        "scope": "User.Read",
    }
    r = g.post("oauth2PermissionGrants", body)
    assert r.status_code == 201, r.text
    grant = r.json()
    assert not GUID.match(grant["id"]) and grant["principalId"] is None
    assert g.post("oauth2PermissionGrants", body).status_code == 409
    assert_error(
        g.post("oauth2PermissionGrants", dict(body, consentType="Principal")), 400, "Request_BadRequest"
    )
    assert (
        g.patch(f"oauth2PermissionGrants/{grant['id']}", {"scope": "User.Read Mail.Read"}).status_code == 204
    )
    assert_error(
        g.patch(f"oauth2PermissionGrants/{grant['id']}", {"clientId": uid(1)}), 400, "Request_BadRequest"
    )
    assert g.delete(f"oauth2PermissionGrants/{grant['id']}").status_code == 204
    assert g.get(f"oauth2PermissionGrants/{grant['id']}").status_code == 404


# ------------------------------------------------------------------------------------- policies and roles


def ca_body(**extra: Any) -> dict[str, Any]:
    body = {
        "displayName": "Access to EXO requires MFA",
        "state": "enabled",
        "conditions": {
            "clientAppTypes": ["mobileAppsAndDesktopClients", "browser"],
            "applications": {"includeApplications": ["00000002-0000-0ff1-ce00-000000000000"]},
            "users": {"includeGroups": [gid(1)]},
            "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    }
    body.update(extra)
    return body


def test_conditional_access_policy_create_patch_delete(g: Graph) -> None:
    r = g.post("identity/conditionalAccess/policies", ca_body())
    assert r.status_code == 201, r.text
    policy = r.json()
    assert policy["@odata.context"] == f"{g.base}/$metadata#conditionalAccess/policies/$entity"
    assert policy["modifiedDateTime"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", policy["createdDateTime"])
    assert (
        g.patch(f"identity/conditionalAccess/policies/{policy['id']}", {"state": "disabled"}).status_code
        == 204
    )
    after = g.get(f"identity/conditionalAccess/policies/{policy['id']}").json()
    assert after["state"] == "disabled" and after["modifiedDateTime"]
    assert_error(
        g.patch(f"identity/conditionalAccess/policies/{policy['id']}", {"modifiedDateTime": None}),
        400,
        "Request_BadRequest",
    )
    assert g.patch(f"identity/conditionalAccess/policies/{policy['id']}", {"state": "on"}).status_code == 400
    assert g.delete(f"identity/conditionalAccess/policies/{policy['id']}").status_code == 204
    assert g.get(f"identity/conditionalAccess/policies/{policy['id']}").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"state": "sometimes"},
        {"conditions": None},
        {"conditions": {"applications": {"includeApplications": ["All"]}}},
        {"grantControls": None},
        {"conditions": {"applications": {}, "users": {}, "locations": {"includeLocations": [guid("9", 1)]}}},
    ],
)
def test_conditional_access_policy_validation(g: Graph, change: dict[str, Any]) -> None:
    assert g.post("identity/conditionalAccess/policies", ca_body(**change)).status_code == 400


def test_named_location_needs_its_derived_type_and_valid_ranges(g: Graph) -> None:
    path = "identity/conditionalAccess/namedLocations"
    ip = {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "displayName": "Untrusted IP named location",
        "isTrusted": False,
        "ipRanges": [
            {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "12.34.221.11/22"},
            {"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:0:9d38:90d6:0:0:0:0/63"},
        ],
    }
    r = g.post(path, ip)
    assert r.status_code == 201
    body = r.json()
    assert list(body)[:3] == ["@odata.context", "@odata.type", "id"]
    assert body["@odata.context"] == f"{g.base}/$metadata#namedLocations/$entity"
    assert body["createdDateTime"] == body["modifiedDateTime"]
    assert g.post(path, {k: v for k, v in ip.items() if k != "@odata.type"}).status_code == 400
    bad_range = dict(ip, ipRanges=[{"cidrAddress": "1.2.3.4/32"}])
    assert g.post(path, bad_range).status_code == 400
    wrong_family = dict(
        ip, ipRanges=[{"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "1.2.3.4/32"}]
    )
    assert g.post(path, wrong_family).status_code == 400
    assert (
        g.post(
            path,
            {
                "@odata.type": "#microsoft.graph.countryNamedLocation",
                "displayName": "x",
                "countriesAndRegions": ["usa"],
            },
        ).status_code
        == 400
    )
    r = g.patch(
        f"{path}/{body['id']}", {"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "y"}
    )
    assert r.status_code == 400
    assert (
        g.patch(
            f"{path}/{body['id']}", {"@odata.type": "#microsoft.graph.ipNamedLocation", "isTrusted": True}
        ).status_code
        == 204
    )
    # namedlocation-delete.md states no "in use" rule and no field report shows one: a location a policy
    # uses is deleted like any other (restore must not order its writes around an invented refusal).
    policy = ca_body(conditions=dict(ca_body()["conditions"], locations={"includeLocations": [body["id"]]}))
    assert g.post("identity/conditionalAccess/policies", policy).status_code == 201
    assert g.delete(f"{path}/{body['id']}").status_code == 204


def test_administrative_units(g: Graph) -> None:
    body = {
        "displayName": "Seattle District Technical Schools",
        "description": "Seattle district technical schools administration",
        "visibility": "HiddenMembership",
    }
    r = g.post("directory/administrativeUnits", body)
    assert r.status_code == 201
    au = r.json()
    assert au["@odata.context"] == f"{g.base}/$metadata#administrativeUnits/$entity"
    assert au["deletedDateTime"] is None and au["visibility"] == "HiddenMembership"
    assert (
        g.post("directory/administrativeUnits", {"displayName": "x", "visibility": "Secret"}).status_code
        == 400
    )
    assert (
        g.post("directory/administrativeUnits", {"displayName": "x", "membershipType": "Dynamic"}).status_code
        == 400
    )
    restricted = g.post(
        "directory/administrativeUnits", {"displayName": "r", "isMemberManagementRestricted": True}
    ).json()
    assert_error(
        g.patch(f"directory/administrativeUnits/{restricted['id']}", {"isMemberManagementRestricted": False}),
        400,
        "Request_BadRequest",
    )
    assert g.patch(f"directory/administrativeUnits/{au['id']}", {"description": "new"}).status_code == 204


def test_role_definitions_and_assignments(g: Graph) -> None:
    custom = {
        "displayName": "Application Support Administrator",
        "isEnabled": True,
        "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/applications/basic/read"]}],
    }
    r = g.post("roleManagement/directory/roleDefinitions", custom)
    assert r.status_code == 201
    role = r.json()
    assert role["isBuiltIn"] is False and role["templateId"] == role["id"]
    builtin = "62e90394-69f5-4237-9190-012177145e10"
    assert (
        g.patch(f"roleManagement/directory/roleDefinitions/{builtin}", {"description": "x"}).status_code
        == 400
    )
    assert g.delete(f"roleManagement/directory/roleDefinitions/{builtin}").status_code == 400
    path = "roleManagement/directory/roleAssignments"
    au = g.post("directory/administrativeUnits", {"displayName": "AU"}).json()
    scoped = {
        "roleDefinitionId": role["id"],
        "principalId": uid(1),
        "directoryScopeId": f"/administrativeUnits/{au['id']}",
    }
    created = g.post(path, scoped)
    assert created.status_code == 201 and created.json()["directoryScopeId"] == scoped["directoryScopeId"]
    assert g.post(path, scoped).status_code == 400  # duplicate
    assert_error(g.post(path, dict(scoped, principalId=guid("9", 2))), 404, "Request_ResourceNotFound")
    assert_error(g.post(path, dict(scoped, roleDefinitionId=guid("9", 3))), 404, "Request_ResourceNotFound")
    assert g.post(path, {"roleDefinitionId": role["id"], "principalId": uid(2)}).status_code == 400
    both = {"roleDefinitionId": role["id"], "principalId": uid(2), "directoryScopeId": "/", "appScopeId": "/"}
    assert g.post(path, both).status_code == 400
    # only role-assignable groups can hold roles
    assert (
        g.post(
            path, {"roleDefinitionId": role["id"], "principalId": gid(1), "directoryScopeId": "/"}
        ).status_code
        == 400
    )
    aid = created.json()["id"]
    assert_error(g.patch(f"{path}/{aid}", {"directoryScopeId": "/"}), 405, "Request_BadRequest")
    assert g.delete(f"{path}/{aid}").status_code == 204
    assert g.get(f"{path}/{aid}").status_code == 404


def test_authentication_strengths_and_contexts(g: Graph) -> None:
    path = "identity/conditionalAccess/authenticationStrength/policies"
    r = g.post(path, {"displayName": "FIDO only", "allowedCombinations": ["fido2"]})
    assert r.status_code == 201
    policy = r.json()
    assert policy["policyType"] == "custom"
    assert_error(
        g.patch(f"{path}/{policy['id']}", {"allowedCombinations": ["password"]}), 400, "Request_BadRequest"
    )
    assert g.patch(f"{path}/{policy['id']}", {"description": "keys"}).status_code == 204
    r = g.post(
        f"{path}/{policy['id']}/updateAllowedCombinations",
        {"allowedCombinations": ["fido2", "windowsHelloForBusiness"]},
    )
    assert r.status_code == 200 and r.json()["previousCombinations"] == ["fido2"]
    assert g.get(f"{path}/{policy['id']}").json()["allowedCombinations"] == [
        "fido2",
        "windowsHelloForBusiness",
    ]
    assert g.post(path, {"displayName": "no combos"}).status_code == 400
    ctx_path = "identity/conditionalAccess/authenticationContextClassReferences"
    assert g.post(ctx_path, {"id": "c42", "displayName": "Sensitive", "isAvailable": True}).status_code == 201
    assert g.post(ctx_path, {"id": "c100", "displayName": "bad"}).status_code == 400
    assert g.patch(f"{ctx_path}/c43", {"displayName": "Upserted"}).status_code == 204
    assert g.get(f"{ctx_path}/c43").json()["displayName"] == "Upserted"
    assert g.delete(f"{ctx_path}/c42").status_code == 204


def test_add_and_remove_password_secret_is_returned_once(g: Graph) -> None:
    app = guid("c", 1)
    r = g.post(f"applications/{app}/addPassword", {"passwordCredential": {"displayName": "ci"}})
    assert r.status_code == 200
    cred = r.json()
    assert len(cred["secretText"]) >= 32 and cred["hint"] == cred["secretText"][:3]
    stored = g.get(f"applications/{app}", {"$select": "passwordCredentials"}).json()["passwordCredentials"]
    assert [c["keyId"] for c in stored] == [cred["keyId"]] and stored[0]["secretText"] is None
    assert cred["secretText"] not in g.get(f"applications/{app}").text
    assert g.post(f"applications/{app}/removePassword", {"keyId": cred["keyId"]}).status_code == 204
    assert (
        g.get(f"applications/{app}", {"$select": "passwordCredentials"}).json()["passwordCredentials"] == []
    )
    assert g.post(f"applications/{app}/removePassword", {"keyId": cred["keyId"]}).status_code == 400


def test_organization_allows_only_its_writable_settings(g: Graph) -> None:
    org = g.box.tenant_id
    assert g.patch(f"organization/{org}", {"technicalNotificationMails": [f"it@{DOMAIN}"]}).status_code == 204
    assert g.get(f"organization/{org}").json()["technicalNotificationMails"] == [f"it@{DOMAIN}"]
    assert_error(
        g.patch(f"organization/{org}", {"displayName": "Evil"}),
        400,
        "Request_BadRequest",
        "Property 'displayName' is read-only and cannot be set.",
    )
    assert g.delete(f"organization/{org}").status_code == 405
    body = {
        "displayName": "x",
        "isEnabled": True,
        "rolePermissions": [{"allowedResourceActions": []}],
        "junk": 1,
    }
    assert_error(g.post("roleManagement/directory/roleDefinitions", body), 400, "Request_BadRequest")
