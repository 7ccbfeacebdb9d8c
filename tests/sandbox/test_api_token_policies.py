"""Token and sign-in policies and the applications and service principals they apply to, by raw HTTP against
the documented behaviour: claims mapping, token issuance, token lifetime, home realm discovery and app
management policies (their create, list, update and delete pages), their assignment through a `$ref` on the
holder and their `appliesTo` list."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from entragit.sandbox.seed import demo_seed

from .api_helpers import Graph, assert_error

ROOT = "https://graph.microsoft.com/v1.0"
LIFETIMES = "policies/tokenLifetimePolicies"
CLAIMS = "policies/claimsMappingPolicies"
MANAGEMENT = "policies/appManagementPolicies"


def _lifetime(hours: int = 1) -> dict[str, Any]:
    rules = {"TokenLifetimePolicy": {"Version": 1, "AccessTokenLifetime": f"{hours:02d}:00:00"}}
    return {"displayName": f"{hours}h tokens", "definition": [json.dumps(rules)]}


def _app_and_sp(g: Graph, name: str) -> tuple[str, str]:
    app = g.post("applications", {"displayName": name}).json()
    sp = g.post("servicePrincipals", {"appId": app["appId"]}).json()
    return app["id"], sp["id"]


def _ref(path: str) -> dict[str, str]:
    return {"@odata.id": f"{ROOT}/{path}"}


def test_sts_policies_create_list_update_delete(g: Graph) -> None:
    """tokenlifetimepolicy-post-tokenlifetimepolicies.md (201 with the policy), -list.md, -update.md (204),
    -delete.md (204; gone: 404); the claims mapping, token issuance and home realm discovery pages are the
    same. The definition comes back as the very text sent (a string collection, resources/stspolicy.md)."""
    for path, kind in (
        (LIFETIMES, "TokenLifetimePolicy"),
        (CLAIMS, "ClaimsMappingPolicy"),
        ("policies/tokenIssuancePolicies", "TokenIssuancePolicy"),
        ("policies/homeRealmDiscoveryPolicies", "HomeRealmDiscoveryPolicy"),
    ):
        text = '{"' + kind + '": {"Version": 1,  "x": "spaced  as sent"}}'
        r = g.post(path, {"displayName": "P", "definition": [text]})
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["@odata.context"] == f"{g.base}/$metadata#{path}/$entity"
        assert created["definition"] == [text] and created["isOrganizationDefault"] is False
        oid = created["id"]
        assert [p["id"] for p in g.get(path).json()["value"]] == [oid]
        assert g.patch(f"{path}/{oid}", {"displayName": "Q"}).status_code == 204
        assert g.get(f"{path}/{oid}").json()["displayName"] == "Q"
        assert g.delete(f"{path}/{oid}").status_code == 204
        assert_error(g.get(f"{path}/{oid}"), 404, "Request_ResourceNotFound")


def test_sts_policy_validation(g: Graph) -> None:
    """resources/tokenlifetimepolicy.md, claimsmappingpolicy.md: displayName and definition are required; the
    definition is the JSON text of the kind's object with Version 1 ("Set value of 1"); id is read-only."""
    assert_error(g.post(LIFETIMES, {"displayName": "x"}), 400, "Request_BadRequest")
    assert_error(g.post(LIFETIMES, {"definition": _lifetime()["definition"]}), 400, "Request_BadRequest")
    for definition in (
        ["not json"],
        ['{"ClaimsMappingPolicy": {"Version": 1}}'],
        ['{"TokenLifetimePolicy": {}}'],
    ):
        assert_error(
            g.post(LIFETIMES, {"displayName": "x", "definition": definition}), 400, "Request_BadRequest"
        )
    oid = g.post(LIFETIMES, _lifetime()).json()["id"]
    assert_error(g.patch(f"{LIFETIMES}/{oid}", {"id": "x"}), 400, "Request_BadRequest")
    assert_error(g.patch(f"{LIFETIMES}/{oid}", {"definition": ["{}"]}), 400, "Request_BadRequest")


def test_app_management_policy_requires_name_and_description(g: Graph) -> None:
    """appmanagementpolicy-post.md: displayName and description "Required", isEnabled and restrictions
    optional; a restriction's restrictionType is one of appCredentialRestrictionType's members."""
    assert_error(g.post(MANAGEMENT, {"displayName": "x"}), 400, "Request_BadRequest")
    bad = {"passwordCredentials": [{"restrictionType": "passwordForever", "state": "enabled"}]}
    r = g.post(MANAGEMENT, {"displayName": "x", "description": "d", "restrictions": bad})
    assert_error(r, 400, "Request_BadRequest")
    good = {
        "passwordCredentials": [
            {"restrictionType": "passwordAddition", "maxLifetime": None, "state": "enabled"}
        ]
    }
    r = g.post(MANAGEMENT, {"displayName": "x", "description": "d", "isEnabled": True, "restrictions": good})
    assert r.status_code == 201, r.text
    assert r.json()["restrictions"] == good


def test_policies_are_assigned_on_their_holder_and_listed_by_applies_to(g: Graph) -> None:
    """application-post-tokenlifetimepolicies.md and serviceprincipal-post-claimsmappingpolicies.md: POST
    `{"@odata.id": .../policies/...}` to the holder's `…Policies/$ref` → 204; tokenlifetimepolicy-list-
    appliesto.md: the policy lists the directory objects it applies to, each with its @odata.type;
    application-delete-tokenlifetimepolicies.md: DELETE `…/{policy id}/$ref` → 204."""
    app, sp = _app_and_sp(g, "Payroll")
    lifetime = g.post(LIFETIMES, _lifetime()).json()["id"]
    claims = g.post(CLAIMS, {"displayName": "C", "definition": ['{"ClaimsMappingPolicy": {"Version": 1}}']})
    claims_id = claims.json()["id"]
    assert (
        g.post(f"applications/{app}/tokenLifetimePolicies/$ref", _ref(f"{LIFETIMES}/{lifetime}")).status_code
        == 204
    )
    r = g.post(f"servicePrincipals/{sp}/claimsMappingPolicies/$ref", _ref(f"{CLAIMS}/{claims_id}"))
    assert r.status_code == 204, r.text
    applies = g.get(f"{LIFETIMES}/{lifetime}/appliesTo").json()["value"]
    assert [(o["id"], o["@odata.type"]) for o in applies] == [(app, "#microsoft.graph.application")]
    applies = g.get(f"{CLAIMS}/{claims_id}/appliesTo").json()["value"]
    assert [(o["id"], o["@odata.type"]) for o in applies] == [(sp, "#microsoft.graph.servicePrincipal")]
    assert [p["id"] for p in g.get(f"applications/{app}/tokenLifetimePolicies").json()["value"]] == [lifetime]
    assert g.delete(f"applications/{app}/tokenLifetimePolicies/{lifetime}/$ref").status_code == 204
    assert g.get(f"{LIFETIMES}/{lifetime}/appliesTo").json()["value"] == []


def test_one_token_lifetime_and_one_app_management_policy_per_holder(g: Graph) -> None:
    """application-post-tokenlifetimepolicies.md: "can assign only one tokenLifetimePolicy per application";
    appmanagementpolicy-post-appliesto.md: "Only one policy object can be assigned to an application or
    service principal" (Example 2 assigns one to a service principal). A second one is refused with 400."""
    app, sp = _app_and_sp(g, "Payroll")
    first, second = (g.post(LIFETIMES, _lifetime(h)).json()["id"] for h in (1, 2))
    path = f"applications/{app}/tokenLifetimePolicies/$ref"
    assert g.post(path, _ref(f"{LIFETIMES}/{first}")).status_code == 204
    assert_error(g.post(path, _ref(f"{LIFETIMES}/{second}")), 400, "Request_BadRequest")
    management = [g.post(MANAGEMENT, {"displayName": n, "description": "d"}).json()["id"] for n in ("A", "B")]
    for holder in (f"applications/{app}", f"servicePrincipals/{sp}"):
        assert (
            g.post(f"{holder}/appManagementPolicies/$ref", _ref(f"{MANAGEMENT}/{management[0]}")).status_code
            == 204
        )
        r = g.post(f"{holder}/appManagementPolicies/$ref", _ref(f"{MANAGEMENT}/{management[1]}"))
        assert_error(r, 400, "Request_BadRequest")
    applied = {o["id"] for o in g.get(f"{MANAGEMENT}/{management[0]}/appliesTo").json()["value"]}
    assert applied == {app, sp}


def test_a_policy_of_another_kind_is_refused_and_a_deleted_policy_leaves_its_holders(g: Graph) -> None:
    """application-post-tokenlifetimepolicies.md: the body names a tokenLifetimePolicy; another kind of
    object is refused (400). tokenlifetimepolicy-delete.md: the policy is gone, and with it its
    assignments (the holder lists none)."""
    app, _ = _app_and_sp(g, "Payroll")
    claims = g.post(CLAIMS, {"displayName": "C", "definition": ['{"ClaimsMappingPolicy": {"Version": 1}}']})
    r = g.post(f"applications/{app}/tokenLifetimePolicies/$ref", _ref(f"{CLAIMS}/{claims.json()['id']}"))
    assert_error(r, 400, "Request_BadRequest")
    lifetime = g.post(LIFETIMES, _lifetime()).json()["id"]
    assert (
        g.post(f"applications/{app}/tokenLifetimePolicies/$ref", _ref(f"{LIFETIMES}/{lifetime}")).status_code
        == 204
    )
    assert g.delete(f"{LIFETIMES}/{lifetime}").status_code == 204
    assert g.get(f"applications/{app}/tokenLifetimePolicies").json()["value"] == []


def test_token_policies_need_their_documented_permissions(graph_factory: Callable[..., Graph]) -> None:
    """tokenlifetimepolicy-list.md: Policy.Read.All reads; -list-appliesto.md: "Policy.Read.All and
    Application.Read.All"; -post-tokenlifetimepolicies.md: Policy.ReadWrite.ApplicationConfiguration;
    application-post-tokenlifetimepolicies.md: "Policy.Read.All and Application.ReadWrite.All" (either alone
    is not enough)."""
    seed = demo_seed()
    lifetime = seed["policies/tokenLifetimePolicies"][0]["id"]
    app = next(a["id"] for a in seed["applications"] if not a.get("tokenLifetimePolicies"))
    link = (f"applications/{app}/tokenLifetimePolicies/$ref", _ref(f"{LIFETIMES}/{lifetime}"))
    policy_only = graph_factory(seed=seed, permissions=["Policy.Read.All"])
    assert policy_only.get(LIFETIMES).status_code == 200
    assert policy_only.post(LIFETIMES, _lifetime()).status_code == 403
    assert policy_only.get(f"{LIFETIMES}/{lifetime}/appliesTo").status_code == 403
    assert policy_only.post(*link).status_code == 403
    apps_only = graph_factory(seed=seed, permissions=["Application.ReadWrite.All"])
    assert apps_only.post(*link).status_code == 403
    reader = graph_factory(seed=seed, permissions=["Policy.Read.All", "Application.Read.All"])
    assert reader.get(f"{LIFETIMES}/{lifetime}/appliesTo").status_code == 200
    assert reader.post(*link).status_code == 403
    both = graph_factory(seed=seed, permissions=["Policy.Read.All", "Application.ReadWrite.All"])
    assert both.post(*link).status_code == 204
    writer = graph_factory(seed=seed, permissions=["Policy.ReadWrite.ApplicationConfiguration"])
    assert writer.post(LIFETIMES, _lifetime()).status_code == 201


DEFAULT = "policies/defaultAppManagementPolicy"


def test_default_app_management_policy_is_a_patched_singleton(g: Graph) -> None:
    """tenantappmanagementpolicy-get.md (200, the singleton) and -update.md: PATCH of displayName,
    description, isEnabled, applicationRestrictions, servicePrincipalRestrictions → 204; properties left out
    keep their values; the id is read-only, an unknown property and an unknown restrictionType are refused;
    the singleton is neither created nor deleted."""
    r = g.get(DEFAULT)
    assert r.status_code == 200
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#{DEFAULT}/$entity"
    assert r.json()["isEnabled"] is False
    restrictions = {
        "passwordCredentials": [
            {
                "restrictionType": "passwordAddition",
                "restrictForAppsCreatedAfterDateTime": "2021-01-01T10:37:00Z",
            }
        ]
    }
    assert g.patch(DEFAULT, {"isEnabled": True, "applicationRestrictions": restrictions}).status_code == 204
    got = g.get(DEFAULT).json()
    assert (
        got["isEnabled"] is True
        and got["applicationRestrictions"]["passwordCredentials"] == (restrictions["passwordCredentials"])
    )
    assert got["servicePrincipalRestrictions"] == {"passwordCredentials": [], "keyCredentials": []}
    assert_error(g.patch(DEFAULT, {"id": "x"}), 400, "Request_BadRequest")
    assert_error(g.patch(DEFAULT, {"bogus": 1}), 400, "Request_BadRequest")
    wrong = {"keyCredentials": [{"restrictionType": "passwordAddition"}]}
    assert_error(g.patch(DEFAULT, {"servicePrincipalRestrictions": wrong}), 400, "Request_BadRequest")
    assert g.delete(DEFAULT).status_code == 405
    assert g.post(DEFAULT, {}).status_code == 405


def test_default_app_management_policy_permissions(graph_factory: Callable[..., Graph]) -> None:
    """tenantappmanagementpolicy-get.md: Policy.Read.All reads; -update.md:
    Policy.ReadWrite.ApplicationConfiguration writes."""
    reader = graph_factory(permissions=["Policy.Read.All"])
    assert reader.get(DEFAULT).status_code == 200
    assert reader.patch(DEFAULT, {"isEnabled": True}).status_code == 403
    writer = graph_factory(permissions=["Policy.ReadWrite.ApplicationConfiguration"])
    assert writer.patch(DEFAULT, {"isEnabled": True}).status_code == 204
