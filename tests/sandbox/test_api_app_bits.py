"""What lives on an app, a service principal, a user, a group or an authentication strength beside its
properties: federated identity credentials, delegated permission classifications, sponsors, licences
assigned to a group, combination configurations. Raw HTTP against the documented behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from .api_helpers import Graph, assert_error, base_seed, gid, guid, uid
from .test_api_restore_endpoints import E3, EXCHANGE_PLAN

APP = guid("c", 1)
SP = guid("f", 1)
SCOPE = guid("e", 9)
GITHUB = "https://token.actions.githubusercontent.com"


def fic(name: str = "main", subject: str = "repo:contoso/infra:ref:refs/heads/main", **extra: Any) -> dict:
    return {
        "name": name,
        "issuer": GITHUB,
        "subject": subject,
        "audiences": ["api://AzureADTokenExchange"],
        **extra,
    }


def seed() -> dict[str, Any]:
    s = base_seed()
    sp = s["servicePrincipals"][0]
    sp["oauth2PermissionScopes"] = [
        {
            "id": SCOPE,
            "value": "Payroll.Read",
            "type": "User",
            "isEnabled": True,
            "adminConsentDisplayName": "R",
        }
    ]
    return s


@pytest.fixture
def ga(graph_factory: Any) -> Graph:
    return graph_factory(seed())


# ---------------------------------------------------------------------------- federated identity credentials


def test_federated_credential_create_get_update_delete(ga: Graph) -> None:
    """application-post-federatedidentitycredentials.md: 201 with the credential (description null);
    federatedidentitycredential-update.md: PATCH by id or by name, 204; -delete.md: 204."""
    r = ga.post(f"applications/{APP}/federatedIdentityCredentials", fic())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["@odata.context"].endswith(f"applications('{APP}')/federatedIdentityCredentials/$entity")
    assert {k: body[k] for k in ("name", "issuer", "description", "audiences")} == {
        "name": "main",
        "issuer": GITHUB,
        "description": None,
        "audiences": ["api://AzureADTokenExchange"],
    }
    listed = ga.get(f"applications/{APP}/federatedIdentityCredentials").json()["value"]
    assert [i["id"] for i in listed] == [body["id"]]
    r = ga.patch(f"applications/{APP}/federatedIdentityCredentials/main", {"description": "CI on main"})
    assert r.status_code == 204, r.text
    got = ga.get(f"applications/{APP}/federatedIdentityCredentials/{body['id']}").json()
    assert got["description"] == "CI on main"
    assert ga.delete(f"applications/{APP}/federatedIdentityCredentials/{body['id']}").status_code == 204
    assert ga.get(f"applications/{APP}/federatedIdentityCredentials").json()["value"] == []


def test_federated_credential_validation(ga: Graph) -> None:
    """federatedidentitycredential.md: name, issuer, subject, audiences required; audiences takes a single
    value; name at most 120 characters, URL friendly, immutable; issuer+subject unique on the app; at most 20
    per application. claimsMatchingExpression is not a v1.0 property (msgraph-metadata v1.0 CSDL)."""
    path = f"applications/{APP}/federatedIdentityCredentials"
    for missing in ("name", "issuer", "subject", "audiences"):
        body = {k: v for k, v in fic().items() if k != missing}
        assert_error(ga.post(path, body), 400, "Request_BadRequest")
    assert_error(ga.post(path, fic(audiences=["a", "b"])), 400, "Request_BadRequest")
    assert_error(ga.post(path, fic(name="x" * 121)), 400, "Request_BadRequest")
    assert_error(ga.post(path, fic(name="has space")), 400, "Request_BadRequest")
    flexible = fic(claimsMatchingExpression={"value": "claims['sub'] matches 'x:*'", "languageVersion": 1})
    assert_error(ga.post(path, flexible), 400, "Request_BadRequest")
    assert ga.post(path, fic()).status_code == 201
    assert_error(ga.post(path, fic()), 400, "Request_BadRequest")  # same name
    assert_error(ga.post(path, fic(name="other")), 400, "Request_BadRequest")  # same issuer + subject
    assert_error(ga.patch(f"{path}/main", {"name": "renamed"}), 400, "Request_BadRequest")
    for i in range(19):
        assert ga.post(path, fic(name=f"c{i}", subject=f"s{i}")).status_code == 201
    assert_error(ga.post(path, fic(name="c20", subject="s20")), 400, "Request_BadRequest")


def test_federated_credentials_are_expanded_and_come_back_with_the_app(ga: Graph) -> None:
    """application.md: federatedIdentityCredentials supports $expand. A soft-deleted application keeps them
    and gets them back on restore (directory-deleteditems-restore.md restores the object as it was)."""
    assert ga.post(f"applications/{APP}/federatedIdentityCredentials", fic()).status_code == 201
    listed = ga.get("applications", {"$select": "id", "$expand": "federatedIdentityCredentials"}).json()
    creds = next(a for a in listed["value"] if a["id"] == APP)["federatedIdentityCredentials"]
    assert [c["name"] for c in creds] == ["main"]
    assert ga.delete(f"applications/{APP}").status_code == 204
    assert ga.post(f"directory/deletedItems/{APP}/restore").status_code == 200
    creds = ga.get(f"applications/{APP}/federatedIdentityCredentials").json()["value"]
    assert [c["name"] for c in creds] == ["main"]


# ----------------------------------------------------------------------- delegated permission classifications


def test_classification_create_list_delete_and_no_update(ga: Graph) -> None:
    """serviceprincipal-post-delegatedpermissionclassifications.md: 201 with the classification;
    delegatedpermissionclassification.md: permissionId from the SP's oauth2PermissionScopes, permissionName
    its value, classification low/medium/high; the resource has no Update method."""
    path = f"servicePrincipals/{SP}/delegatedPermissionClassifications"
    r = ga.post(path, {"permissionId": SCOPE, "permissionName": "Payroll.Read", "classification": "low"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert_error(
        ga.post(path, {"permissionId": guid("9", 9), "classification": "low"}), 400, "Request_BadRequest"
    )
    bad_name = {"permissionId": SCOPE, "permissionName": "Other", "classification": "low"}
    assert_error(ga.post(path, bad_name), 400, "Request_BadRequest")
    assert ga.patch(f"{path}/{cid}", {"classification": "high"}).status_code == 405
    listed = ga.get(path).json()["value"]
    assert listed == [
        {"id": cid, "permissionId": SCOPE, "permissionName": "Payroll.Read", "classification": "low"}
    ]
    expanded = ga.get(f"servicePrincipals/{SP}", {"$expand": "delegatedPermissionClassifications"}).json()
    assert [c["id"] for c in expanded["delegatedPermissionClassifications"]] == [cid]
    assert ga.delete(f"{path}/{cid}").status_code == 204
    assert ga.get(path).json()["value"] == []


# --------------------------------------------------------------------------------------------------- sponsors


def test_sponsors_are_users_and_groups_added_and_removed_by_ref(ga: Graph) -> None:
    """user-post-sponsors.md: POST /users/{id}/sponsors/$ref with a user's or a group's @odata.id, 204;
    user-delete-sponsors.md: DELETE /users/{id}/sponsors/{id}/$ref, 204; user.md: sponsors supports
    $expand. A service principal is neither."""
    path = f"users/{uid(3)}/sponsors"
    assert ga.post(f"{path}/$ref", ga.ref(uid(1))).status_code == 204
    assert ga.post(f"{path}/$ref", ga.ref(gid(1))).status_code == 204
    assert ga.post(f"{path}/$ref", ga.ref(SP)).status_code == 400
    assert sorted(i["id"] for i in ga.get(path).json()["value"]) == sorted([uid(1), gid(1)])
    got = ga.get(f"users/{uid(3)}", {"$expand": "sponsors($select=id)"}).json()
    assert sorted(i["id"] for i in got["sponsors"]) == sorted([uid(1), gid(1)])
    assert ga.delete(f"{path}/{uid(1)}/$ref").status_code == 204
    assert [i["id"] for i in ga.get(path).json()["value"]] == [gid(1)]


def test_guests_are_listed_with_their_sponsors_in_one_filtered_expanded_listing(ga: Graph) -> None:
    """The read a backup makes each run instead of delta: users?$filter=userType eq 'Guest' with
    $expand=sponsors($select=id). user.md: userType supports $filter with eq, sponsors supports $expand;
    aad-advanced-queries.md: eq is a default filter (no ConsistencyLevel, which would rule out $expand);
    user-list-sponsors.md: $select inside $expand. Only guests come back, each with its sponsors."""
    assert ga.patch(f"users/{uid(3)}", {"userType": "Guest"}).status_code == 204
    assert ga.post(f"users/{uid(3)}/sponsors/$ref", ga.ref(uid(1))).status_code == 204
    params = {
        "$filter": "userType eq 'Guest'",
        "$select": "id",
        "$expand": "sponsors($select=id)",
        "$top": "100",
    }
    r = ga.get("users", params)
    assert r.status_code == 200, r.text
    listed = {u["id"]: [s["id"] for s in u["sponsors"]] for u in r.json()["value"]}
    assert listed[uid(3)] == [uid(1)]
    everyone = ga.get("users", {"$select": "id,userType", "$top": "999"}).json()["value"]
    assert set(listed) == {u["id"] for u in everyone if u.get("userType") == "Guest"}


def test_sponsors_are_not_tracked_by_user_delta(ga: Graph) -> None:
    """concepts/delta-query-overview.md: a user delta query tracks the manager relationship only."""
    r = ga.get("users/delta", {"$select": "displayName,sponsors"})
    assert r.status_code == 400


# ---------------------------------------------------------------------------------- licences through groups


def test_group_assign_license_answers_202_and_keeps_disabled_plans(ga: Graph) -> None:
    """group-assignlicense.md: addLicenses/removeLicenses, 202 Accepted with the group; group.md:
    assignedLicenses is returned only on $select."""
    path = f"groups/{gid(1)}/assignLicense"
    add = [{"skuId": E3, "disabledPlans": [EXCHANGE_PLAN]}]
    r = ga.post(path, {"addLicenses": add, "removeLicenses": []})
    assert r.status_code == 202, r.text
    assert r.json()["id"] == gid(1)
    assert "assignedLicenses" not in ga.get(f"groups/{gid(1)}").json()
    got = ga.get(f"groups/{gid(1)}", {"$select": "assignedLicenses"}).json()["assignedLicenses"]
    assert got == [{"disabledPlans": [EXCHANGE_PLAN], "skuId": E3}]
    assert ga.post(path, {"addLicenses": [], "removeLicenses": [E3]}).status_code == 202
    assert ga.get(f"groups/{gid(1)}", {"$select": "assignedLicenses"}).json()["assignedLicenses"] == []


def test_group_assign_license_errors_and_read_only_property(ga: Graph) -> None:
    """An unknown skuId or service plan is refused; assignedLicenses is read-only on PATCH (group.md)."""
    path = f"groups/{gid(1)}/assignLicense"
    unknown = guid("9", 1)
    assert_error(
        ga.post(path, {"addLicenses": [{"skuId": unknown}], "removeLicenses": []}), 400, "Request_BadRequest"
    )
    plan = {"addLicenses": [{"skuId": E3, "disabledPlans": [unknown]}], "removeLicenses": []}
    assert_error(ga.post(path, plan), 400, "Request_BadRequest")
    assert ga.patch(f"groups/{gid(1)}", {"assignedLicenses": [{"skuId": E3}]}).status_code == 400


# ---------------------------------------------------------------------------- combination configurations


def _custom_strength(ga: Graph) -> str:
    body = {
        "displayName": "Keys only",
        "allowedCombinations": ["fido2", "password,microsoftAuthenticatorPush"],
    }
    r = ga.post("identity/conditionalAccess/authenticationStrength/policies", body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_combination_configuration_create_update_delete(ga: Graph) -> None:
    """authenticationstrengthpolicy-post-combinationconfigurations.md: @odata.type required, "only
    fido2combinationConfigurations may be created", appliesToCombinations only `fido2`, only on custom
    policies; 201 with the configuration. Update (PATCH, 204) and delete (204) by id."""
    policy = _custom_strength(ga)
    path = f"identity/conditionalAccess/authenticationStrength/policies/{policy}/combinationConfigurations"
    fido = {
        "@odata.type": "#microsoft.graph.fido2CombinationConfiguration",
        "allowedAAGUIDs": ["486c3b50-889c-480a-abc5-c04ef7c873e0"],
        "appliesToCombinations": ["fido2"],
    }
    r = ga.post(path, fido)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["@odata.type"] == "#microsoft.graph.fido2CombinationConfiguration"
    assert_error(
        ga.post(path, {k: v for k, v in fido.items() if k != "@odata.type"}), 400, "Request_BadRequest"
    )
    assert_error(
        ga.post(path, {**fido, "appliesToCombinations": ["x509CertificateMultiFactor"]}),
        400,
        "Request_BadRequest",
    )
    x509 = {
        "@odata.type": "#microsoft.graph.x509CertificateCombinationConfiguration",
        "appliesToCombinations": ["x509CertificateMultiFactor"],
    }
    assert_error(ga.post(path, x509), 400, "Request_BadRequest")
    patch = {"@odata.type": fido["@odata.type"], "allowedAAGUIDs": []}
    assert ga.patch(f"{path}/{cid}", patch).status_code == 204
    assert ga.get(f"{path}/{cid}").json()["allowedAAGUIDs"] == []
    assert ga.delete(f"{path}/{cid}").status_code == 204
    assert ga.get(path).json()["value"] == []
    builtin = "00000000-0000-0000-0000-000000000004"
    r = ga.post(
        f"identity/conditionalAccess/authenticationStrength/policies/{builtin}/combinationConfigurations",
        fido,
    )
    assert r.status_code in (400, 404)
