"""Seeds (generated, demo, or a user's file) start every sandbox: they must look like real tenants."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from entragit.sandbox import seed as seed_mod
from entragit.sandbox.seed import (
    SANDBOX_CLIENT_ID,
    SANDBOX_DOMAIN,
    SANDBOX_TENANT_ID,
    SeedError,
    complete_seed,
    demo_seed,
    generate_seed,
    load_seed_file,
)
from entragit.sandbox.tenant import Tenant

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"
ENTERPRISEPACK = "6fd2c87f-b296-42f0-b197-1e91e994b900"
CA_USER_KEYWORDS = {"All", "None", "GuestsOrExternalUsers"}
CA_LOCATION_KEYWORDS = {"All", "AllTrusted"}
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
GROUP_KINDS = {"security", "m365", "dynamic", "mail-enabled security", "distribution", "role-assignable"}

Seed = dict[str, Any]


@pytest.fixture(scope="module")
def big() -> Seed:
    return generate_seed(500)


@pytest.fixture(scope="module")
def demo() -> Seed:
    return demo_seed()


def directory_ids(seed: Seed) -> set[str]:
    keys = ("users", "groups", "servicePrincipals", "applications", "directory/administrativeUnits")
    return {o["id"] for k in keys for o in seed[k]}


def group_kind(g: dict[str, Any]) -> str:
    types = g["groupTypes"]
    if "DynamicMembership" in types:
        return "dynamic"
    if "Unified" in types:
        return "m365"
    if g.get("isAssignableToRole"):
        return "role-assignable"
    if g["mailEnabled"] and g["securityEnabled"]:
        return "mail-enabled security"
    if g["mailEnabled"]:
        return "distribution"
    return "security"


# --- determinism and proportions ----------------------------------------------------------------------------


def test_same_arguments_give_the_same_tenant_and_another_seed_a_different_one() -> None:
    first = generate_seed(300)
    assert first == generate_seed(300)
    assert json.dumps(first, sort_keys=True) == json.dumps(generate_seed(300), sort_keys=True)
    other = generate_seed(300, rng_seed=2)
    assert {u["id"] for u in other["users"]}.isdisjoint({u["id"] for u in first["users"]})
    assert demo_seed() == demo_seed()


def test_proportions_follow_the_documented_shape(big: Seed) -> None:
    users = big["users"]
    assert len(users) == 500
    assert 45 <= len(big["groups"]) <= 60  # groups ~ users/10
    customer_apps = [a for a in big["applications"] if a["appId"] != SANDBOX_CLIENT_ID]
    assert 8 <= len(customer_apps) <= 12  # apps ~ users/50
    guests = [u for u in users if u["userType"] == "Guest"]
    assert 0.03 <= len(guests) / len(users) <= 0.1
    assert any(u.get("onPremisesSyncEnabled") for u in users)
    assert any(not u["accountEnabled"] for u in users)
    members = sum(len(g["members"]) for g in big["groups"])
    assert 10 <= members / len(big["groups"]) <= 35
    assert 5 <= len(big["identity/conditionalAccess/policies"]) <= 15
    assert len(big["identity/conditionalAccess/namedLocations"]) >= 2
    assert big["directory/administrativeUnits"]
    assert big["roleManagement/directory/roleAssignments"]
    assert big["oauth2PermissionGrants"]
    assert json.loads(json.dumps(big)) == big  # plain JSON types only: no datetimes, tuples or sets


def test_the_demo_tenant_is_small_and_has_a_bit_of_everything(demo: Seed) -> None:
    assert 20 <= len(demo["users"]) <= 30
    kinds = Counter(group_kind(g) for g in demo["groups"])
    assert set(kinds) == GROUP_KINDS
    plain_apps = [
        a for a in demo["applications"] if a["appId"] != SANDBOX_CLIENT_ID and "@odata.type" not in a
    ]
    assert 2 <= len(plain_apps) <= 3
    # One Entra agent object of each v1.0 kind, in its base collection (resources/agentidentity.md, ...).
    kinds = {
        o["@odata.type"]
        for key in ("users", "applications", "servicePrincipals")
        for o in demo[key]
        if "@odata.type" in o
    }
    assert kinds == {
        "#microsoft.graph.agentUser",
        "#microsoft.graph.agentIdentityBlueprint",
        "#microsoft.graph.agentIdentityBlueprintPrincipal",
        "#microsoft.graph.agentIdentity",
    }
    # (the fourth, the guests' policy, requires the demo's terms of use agreement)
    assert len(demo["identity/conditionalAccess/policies"]) == 4
    assert len(demo["identityGovernance/termsOfUse/agreements"]) == 1
    assert len(demo["identity/conditionalAccess/namedLocations"]) == 2
    assert len(demo["directory/administrativeUnits"]) == 1
    assert demo["roleManagement/directory/roleAssignments"]
    assert [d["@odata.type"] for d in demo["deletedItems"]] == ["#microsoft.graph.user"]
    # Pleasant, realistic names, including ones that are not ASCII.
    names = {u["displayName"] for u in demo["users"]}
    assert "Megan Bowen" in names and any(not n.isascii() for n in names)


def test_a_hundred_users_and_zero_users_still_make_valid_tenants() -> None:
    small = generate_seed(100)
    assert len(small["users"]) == 100 and len(small["groups"]) >= 7
    empty = generate_seed(0)
    assert empty["users"] == [] and empty["organization"][0]["id"] == SANDBOX_TENANT_ID
    with pytest.raises(SeedError):
        generate_seed(-1)


# --- realism ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["demo", "big"])
def test_every_group_kind_exists(which: str, request: pytest.FixtureRequest) -> None:
    seed = request.getfixturevalue(which)
    kinds = {group_kind(g) for g in seed["groups"]}
    assert kinds >= GROUP_KINDS
    for g in seed["groups"]:
        if "DynamicMembership" in g["groupTypes"]:
            assert g["membershipRule"] and g["membershipRuleProcessingState"] in ("On", "Paused")
        if "Unified" in g["groupTypes"]:
            assert g["mail"] == f"{g['mailNickname']}@{SANDBOX_DOMAIN}"
            assert g["proxyAddresses"][0] == f"SMTP:{g['mail']}"
            assert g["visibility"] in ("Public", "Private", "HiddenMembership")
        if g.get("isAssignableToRole"):
            assert g["securityEnabled"] and "DynamicMembership" not in g["groupTypes"]
    nicknames = [g["mailNickname"] for g in seed["groups"]]
    assert len(nicknames) == len(set(nicknames))


def test_dynamic_groups_hold_exactly_the_users_their_rule_matches(big: Seed) -> None:
    users = {u["id"]: u for u in big["users"]}
    checked = 0
    for g in big["groups"]:
        rule = g["membershipRule"] or ""
        clauses = re.findall(r'user\.(\w+) -eq "([^"]*)"', rule)
        if not clauses:
            continue
        expected = {uid for uid, u in users.items() if all(u.get(attr) == value for attr, value in clauses)}
        assert set(g["members"]) == expected, g["displayName"]
        checked += 1
    assert checked >= 2


def test_users_look_like_graph_users(big: Seed) -> None:
    users = big["users"]
    upns = [u["userPrincipalName"] for u in users]
    assert len(set(upns)) == len(upns)
    assert all(upn.isascii() and " " not in upn for upn in upns)
    members = [u for u in users if u["userType"] == "Member"]
    assert all(u["userPrincipalName"].endswith("@" + SANDBOX_DOMAIN) for u in members)
    licensed = [u for u in members if u["assignedLicenses"]]
    assert len(licensed) / len(members) > 0.7
    assert {lic["skuId"] for u in licensed for lic in u["assignedLicenses"]} <= {
        s["skuId"] for s in big["subscribedSkus"]
    }
    for g in (u for u in users if u["userType"] == "Guest"):
        assert re.fullmatch(
            r"[a-z0-9.]+_[a-z0-9.-]+#EXT#@" + re.escape(SANDBOX_DOMAIN), g["userPrincipalName"]
        )
        assert g["creationType"] == "Invitation"
        assert g["externalUserState"] in ("Accepted", "PendingAcceptance")
        assert g["mail"] and "@" in g["mail"]
    synced = [u for u in users if u.get("onPremisesSyncEnabled")]
    for u in synced:
        assert (
            u["onPremisesImmutableId"] and u["onPremisesSamAccountName"] and u["onPremisesSecurityIdentifier"]
        )
    assert any(not u["displayName"].isascii() for u in users)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", u["createdDateTime"]) for u in users)
    # A management chain: managers are users, and following it always ends (no cycles).
    by_id = {u["id"]: u for u in users}
    for u in users:
        seen, cur = set(), u
        while cur.get("manager"):
            assert cur["id"] not in seen
            seen.add(cur["id"])
            cur = by_id[cur["manager"]]
    assert sum(1 for u in users if u.get("manager")) > len(members) * 0.8


def test_group_based_licensing_shows_on_the_members(big: Seed) -> None:
    users = {u["id"]: u for u in big["users"]}
    licensing = [g for g in big["groups"] if g["assignedLicenses"]]
    assert licensing
    for g in licensing:
        assert g["licenseProcessingState"] == {"state": "ProcessingComplete"}
        sku = g["assignedLicenses"][0]["skuId"]
        for member in g["members"]:
            if member in users:
                user = users[member]
                assert sku in {lic["skuId"] for lic in user["assignedLicenses"]}
                assert any(s["assignedByGroup"] == g["id"] for s in user["licenseAssignmentStates"])
    for user in big["users"]:
        direct = {s["skuId"] for s in user["licenseAssignmentStates"]}
        assert direct == {lic["skuId"] for lic in user["assignedLicenses"]}


def test_ids_are_unique_guids_except_where_graph_uses_other_forms(big: Seed) -> None:
    ids = [o["id"] for k in ("users", "groups", "applications", "servicePrincipals") for o in big[k]]
    assert len(ids) == len(set(ids))
    for value in ids:
        uuid.UUID(value)
    for a in big["roleManagement/directory/roleAssignments"]:
        assert not _is_guid(a["id"]) and a["id"].endswith("-1")
        assert a["directoryScopeId"] == "/" or a["directoryScopeId"].startswith("/administrativeUnits/")
    tenant = big["organization"][0]["id"]
    assert all(s["id"] == f"{tenant}_{s['skuId']}" for s in big["subscribedSkus"])


def test_application_secrets_are_metadata_only(big: Seed) -> None:
    creds = [c for a in big["applications"] for c in a["passwordCredentials"]]
    assert creds
    for c in creds:
        assert c["secretText"] is None
        assert len(c["hint"]) == 3 and c["keyId"] and c["startDateTime"] < c["endDateTime"]


# --- referential integrity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["demo", "big"])
def test_every_reference_points_at_an_existing_object(which: str, request: pytest.FixtureRequest) -> None:
    seed = request.getfixturevalue(which)
    ids = directory_ids(seed)
    users = {u["id"] for u in seed["users"]}
    groups = {g["id"] for g in seed["groups"]}
    roles = {r["id"] for r in seed["roleManagement/directory/roleDefinitions"]}
    locations = {loc["id"] for loc in seed["identity/conditionalAccess/namedLocations"]}
    strengths = {s["id"] for s in seed["identity/conditionalAccess/authenticationStrength/policies"]}
    contexts = {c["id"] for c in seed["identity/conditionalAccess/authenticationContextClassReferences"]}
    app_ids = {sp["appId"] for sp in seed["servicePrincipals"]}
    aus = {au["id"] for au in seed["directory/administrativeUnits"]}
    sps = {sp["id"]: sp for sp in seed["servicePrincipals"]}

    for key in ("users", "groups", "applications", "servicePrincipals", "directory/administrativeUnits"):
        for obj in seed[key]:
            assert set(obj.get("members") or []) <= ids, obj["displayName"]
            assert set(obj.get("owners") or []) <= users | set(sps), obj["displayName"]
            if obj.get("manager"):
                assert obj["manager"] in users
    for sp in seed["servicePrincipals"]:
        roles_here = {r["id"] for r in sp["appRoles"]} | {ZERO_GUID}
        for a in sp.get("appRoleAssignedTo") or []:
            assert a["principalId"] in ids and a["resourceId"] == sp["id"] and a["appRoleId"] in roles_here
    for grant in seed["oauth2PermissionGrants"]:
        assert grant["clientId"] in sps and grant["resourceId"] in sps
        assert grant["principalId"] is None or grant["principalId"] in users
    for a in seed["roleManagement/directory/roleAssignments"]:
        assert a["principalId"] in ids and a["roleDefinitionId"] in roles
        if a["directoryScopeId"] != "/":
            assert a["directoryScopeId"].removeprefix("/administrativeUnits/") in aus
    for p in seed["identity/conditionalAccess/policies"]:
        cond = p["conditions"]
        u = cond["users"]
        assert set(u["includeUsers"] + u["excludeUsers"]) <= users | CA_USER_KEYWORDS
        assert set(u["includeGroups"] + u["excludeGroups"]) <= groups
        assert set(u["includeRoles"] + u["excludeRoles"]) <= roles
        apps = cond["applications"]
        assert set(apps["includeApplications"] + apps["excludeApplications"]) <= app_ids | {
            "All",
            "None",
            "Office365",
        }
        assert set(apps["includeAuthenticationContextClassReferences"]) <= contexts
        if cond.get("locations"):
            loc = cond["locations"]
            assert set(loc["includeLocations"] + loc["excludeLocations"]) <= locations | CA_LOCATION_KEYWORDS
        strength = (p["grantControls"] or {}).get("authenticationStrength")
        if strength:
            assert strength["id"] in strengths
        assert p["state"] in ("enabled", "disabled", "enabledForReportingButNotEnforced")
    deleted = {d["id"] for d in seed["deletedItems"]}
    for d in seed["deletedItems"]:
        assert set(d.get("members") or []) <= ids | deleted


def test_conditional_access_policies_reference_real_objects_of_every_kind(big: Seed) -> None:
    policies = big["identity/conditionalAccess/policies"]
    users_refs = {x for p in policies for x in p["conditions"]["users"]["excludeUsers"]}
    group_refs = {x for p in policies for x in p["conditions"]["users"]["includeGroups"]}
    role_refs = {x for p in policies for x in p["conditions"]["users"]["includeRoles"]}
    location_refs = {
        x
        for p in policies
        if p["conditions"].get("locations")
        for x in p["conditions"]["locations"]["includeLocations"]
    }
    assert users_refs and group_refs and GLOBAL_ADMIN in role_refs and location_refs - CA_LOCATION_KEYWORDS
    assert len({p["state"] for p in policies}) >= 2
    for loc in big["identity/conditionalAccess/namedLocations"]:
        assert loc["@odata.type"] in (
            "#microsoft.graph.ipNamedLocation",
            "#microsoft.graph.countryNamedLocation",
        )
        for r in loc.get("ipRanges", []):
            assert r["@odata.type"] in ("#microsoft.graph.iPv4CidrRange", "#microsoft.graph.iPv6CidrRange")


def test_soft_deleted_items_carry_their_type_and_deletion_time(big: Seed) -> None:
    types = Counter(d["@odata.type"] for d in big["deletedItems"])
    assert types["#microsoft.graph.user"] >= 1
    assert types["#microsoft.graph.group"] >= 1
    assert types["#microsoft.graph.application"] >= 1
    for d in big["deletedItems"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["deletedDateTime"])
        if d["@odata.type"] == "#microsoft.graph.group":
            assert "Unified" in d["groupTypes"]  # only Microsoft 365 groups are soft-deleted
    live_upns = {u["userPrincipalName"] for u in big["users"]}
    assert not {d.get("userPrincipalName") for d in big["deletedItems"]} & live_upns


def _timestamps(value: Any) -> list[str]:
    """Every ISO timestamp anywhere in a seed value."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v)]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value):
        return [value]
    return []


@pytest.mark.parametrize("which", ["demo", "big"])
def test_nothing_happens_in_the_future_and_deleted_items_are_inside_retention(
    which: str, request: pytest.FixtureRequest
) -> None:
    seed = request.getfixturevalue(which)
    now = seed_mod.seed_clock()
    horizon = now.strftime("%Y-%m-%dT%H:%M:%S")
    for key, value in seed.items():
        if key == "applications":  # secrets and certificates legitimately expire in the future
            value = [
                {k: v for k, v in a.items() if k not in ("passwordCredentials", "keyCredentials")}
                for a in value
            ]
        if key.endswith("Schedules"):
            # a PIM schedule's end legitimately lies ahead
            value = [{k: v for k, v in s.items() if k != "scheduleInfo"} for s in value]
        late = [t for t in _timestamps(value) if t[:19] > horizon]
        assert not late, (key, late[:3])
    # The sandbox purges soft-deleted objects 30 days after deletion: seeds must stay inside that window.
    oldest = (now - timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(oldest <= d["deletedDateTime"] for d in seed["deletedItems"])
    newest_score = seed["security/secureScores"][0]
    assert newest_score["id"].endswith(now.strftime("_%Y-%m-%d"))


@pytest.mark.parametrize("which", ["demo", "big"])
def test_the_seed_is_the_same_tenant_at_any_hour_of_its_day(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Seeds are dated at midnight UTC (seed_clock) and the same all day: a PIM schedule that ended within
    the day would leave the tenant before the tests or the demo that rely on it ran (a CI run after 08:00
    UTC once lost the PIM for Groups activation that way)."""
    seed = request.getfixturevalue(which)
    day_end = (seed_mod.seed_clock() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    ends = [
        (key, s["id"], end)
        for key, value in seed.items()
        if key.endswith("Schedules")
        for s in value
        if (end := ((s.get("scheduleInfo") or {}).get("expiration") or {}).get("endDateTime"))
    ]
    assert {key for key, _, _ in ends} >= {
        "roleManagement/directory/roleAssignmentSchedules",
        "identityGovernance/privilegedAccess/group/assignmentSchedules",
    }
    assert [e for e in ends if e[2][:19] <= day_end] == []


# --- the baseline every tenant has --------------------------------------------------------------------------


def test_completed_seeds_hold_what_every_tenant_has(demo: Seed) -> None:
    org = demo["organization"][0]
    assert org["id"] == SANDBOX_TENANT_ID
    initial = [d for d in org["verifiedDomains"] if d["isInitial"]]
    assert [d["name"] for d in initial] == [SANDBOX_DOMAIN] and initial[0]["isDefault"]
    roles = {r["id"]: r for r in demo["roleManagement/directory/roleDefinitions"]}
    ga = roles[GLOBAL_ADMIN]
    assert (
        ga["displayName"] == "Global Administrator" and ga["isBuiltIn"] and ga["templateId"] == GLOBAL_ADMIN
    )
    assert ga["rolePermissions"][0]["allowedResourceActions"]
    assert any(not r["isBuiltIn"] for r in roles.values())
    graph = next(sp for sp in demo["servicePrincipals"] if sp["appId"] == GRAPH_APP_ID)
    assert {r["value"]: r["id"] for r in graph["appRoles"]}["User.Read.All"] == USER_READ_ALL
    app = next(a for a in demo["applications"] if a["appId"] == SANDBOX_CLIENT_ID)
    sp = next(s for s in demo["servicePrincipals"] if s["appId"] == SANDBOX_CLIENT_ID)
    granted = {a["appRoleId"] for a in graph["appRoleAssignedTo"] if a["principalId"] == sp["id"]}
    requested = {r["id"] for r in app["requiredResourceAccess"][0]["resourceAccess"] if r["type"] == "Role"}
    assert granted == requested and len(granted) >= 10
    skus = {s["skuPartNumber"]: s for s in demo["subscribedSkus"]}
    assert skus["ENTERPRISEPACK"]["skuId"] == ENTERPRISEPACK
    licensed = sum(
        1 for u in demo["users"] for lic in u["assignedLicenses"] if lic["skuId"] == ENTERPRISEPACK
    )
    assert (
        skus["ENTERPRISEPACK"]["consumedUnits"]
        == licensed
        <= skus["ENTERPRISEPACK"]["prepaidUnits"]["enabled"]
    )
    scores = demo["security/secureScores"]
    assert len(scores) == 30
    dates = [s["id"].split("_")[1] for s in scores]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) == 30
    assert all(
        s["id"].startswith(SANDBOX_TENANT_ID + "_") and s["currentScore"] <= s["maxScore"] for s in scores
    )
    assert demo["policies/authenticationMethodsPolicy"]["id"] == "authenticationMethodsPolicy"
    assert demo["policies/authorizationPolicy"]["id"] == "authorizationPolicy"
    strengths = {s["id"] for s in demo["identity/conditionalAccess/authenticationStrength/policies"]}
    assert "00000000-0000-0000-0000-000000000002" in strengths


def test_complete_seed_fills_gaps_without_touching_the_callers_objects() -> None:
    given: Seed = {
        "users": [
            {
                "displayName": "Ada Lovelace",
                "userPrincipalName": "ada@fabrikam.onmicrosoft.com",
                "accountEnabled": True,
            }
        ],
        "groups": [
            {"displayName": "Analysts", "groupTypes": [], "mailEnabled": False, "securityEnabled": True}
        ],
    }
    before = json.dumps(given, sort_keys=True)
    done = complete_seed(given)
    assert json.dumps(given, sort_keys=True) == before
    assert _is_guid(done["users"][0]["id"]) and _is_guid(done["groups"][0]["id"])
    org = done["organization"][0]
    assert org["verifiedDomains"][0]["name"] == "fabrikam.onmicrosoft.com"  # inferred from the UPNs
    assert complete_seed(done) == done  # idempotent: nothing is added twice
    assert sum(1 for sp in done["servicePrincipals"] if sp["appId"] == GRAPH_APP_ID) == 1
    assert complete_seed(given) == done  # ids derived deterministically
    # What Graph always has, a hand-written object gets.
    user, group = done["users"][0], done["groups"][0]
    assert (user["userType"], user["mailNickname"], user["assignedLicenses"]) == ("Member", "ada", [])
    assert group["mailNickname"] == "analysts" and group["securityIdentifier"].startswith("S-1-12-1-")
    assert user["createdDateTime"] < seed_mod.seed_clock().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_complete_seed_keeps_what_the_seed_already_has() -> None:
    org: dict[str, Any] = {
        "id": "11111111-2222-4333-8444-555555555555",
        "displayName": "Woodgrove",
        "verifiedDomains": [{"name": "woodgrove.onmicrosoft.com", "isInitial": True, "isDefault": True}],
    }
    auth = {"id": "authorizationPolicy", "allowInvitesFrom": "none"}
    done = complete_seed({"organization": [org], "policies/authorizationPolicy": auth})
    assert done["organization"] == [org]
    assert done["policies/authorizationPolicy"] == auth
    assert all(s["id"].startswith(org["id"] + "_") for s in done["subscribedSkus"])
    with pytest.raises(SeedError, match="unknown collection 'usres'"):
        complete_seed({"usres": []})
    bare = complete_seed(
        {
            "organization": [{"displayName": "Bare"}],
            "users": [{"userPrincipalName": "x@bare.onmicrosoft.com"}],
        }
    )
    domains = bare["organization"][0]["verifiedDomains"]
    assert [(d["name"], d["isInitial"], d["isDefault"]) for d in domains] == [
        ("bare.onmicrosoft.com", True, True)
    ]


# --- loading seed files -------------------------------------------------------------------------------------


def test_load_seed_file_reads_json_and_yaml(tmp_path: Path) -> None:
    data = {
        "users": [
            {
                "id": "aaaaaaaa-0000-4000-8000-000000000001",
                "displayName": "Zoë",
                "userPrincipalName": "zoe@contoso.onmicrosoft.com",
            },
            {
                "displayName": "Bo",
                "userPrincipalName": "bo@contoso.onmicrosoft.com",
                "manager": "aaaaaaaa-0000-4000-8000-000000000001",
            },
        ],
        "groups": [{"displayName": "Team", "members": ["aaaaaaaa-0000-4000-8000-000000000001"]}],
        "deletedItems": [
            {
                "@odata.type": "#microsoft.graph.user",
                "id": "aaaaaaaa-0000-4000-8000-000000000009",
                "displayName": "Gone",
            }
        ],
    }
    as_json = tmp_path / "tenant.json"
    as_json.write_text(json.dumps(data), encoding="utf-8")
    as_yaml = tmp_path / "tenant.yaml"
    as_yaml.write_text(
        """\
users:
  - id: aaaaaaaa-0000-4000-8000-000000000001
    displayName: Zoë
    userPrincipalName: zoe@contoso.onmicrosoft.com
  - displayName: Bo
    userPrincipalName: bo@contoso.onmicrosoft.com
    manager: aaaaaaaa-0000-4000-8000-000000000001
groups:
  - displayName: Team
    members: [aaaaaaaa-0000-4000-8000-000000000001]
deletedItems:
  - {"@odata.type": "#microsoft.graph.user", id: aaaaaaaa-0000-4000-8000-000000000009, displayName: Gone}
""",
        encoding="utf-8",
    )
    from_json = load_seed_file(as_json)
    from_yaml = load_seed_file(str(as_yaml))
    assert from_json == from_yaml
    assert from_json["users"][0]["displayName"] == "Zoë"
    assert _is_guid(from_json["users"][1]["id"])  # generated for the object that had none
    assert from_json["organization"][0]["id"] == SANDBOX_TENANT_ID
    assert any(r["id"] == GLOBAL_ADMIN for r in from_json["roleManagement/directory/roleDefinitions"])
    assert from_json["deletedItems"][0]["@odata.type"] == "#microsoft.graph.user"


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("bad.json", '{"users": [\n  {"displayName": "x",}\n]}', r"invalid JSON at line 2"),
        ("bad.yaml", "users:\n  - displayName: x\n   bad: [\n", r"invalid YAML at line \d+"),
        ("list.yaml", "- displayName: x\n", r"top level must be a mapping.*a list"),
        ("empty.yaml", "", r"top level must be a mapping.*empty"),
        ("unknown.yaml", "usres: []\n", r"unknown collection 'usres'; valid keys are: users, groups"),
        ("notlist.yaml", "users: {displayName: x}\n", r"users must be a list of objects"),
        ("scalar.yaml", "users: [42]\n", r"users\[0\] must be an object"),
        (
            "dangling.yaml",
            "groups:\n  - displayName: Team\n    members: [99999999-0000-4000-8000-000000000000]\n",
            r"groups Team: members refers to unknown id 99999999-0000-4000-8000-000000000000",
        ),
        (
            "manager.yaml",
            "users:\n  - displayName: Bo\n    manager: nobody\n",
            r"users Bo: manager refers to unknown id nobody",
        ),
        (
            "role.yaml",
            "users:\n  - {id: aaaaaaaa-0000-4000-8000-000000000001, displayName: Bo}\n"
            "roleManagement/directory/roleAssignments:\n"
            "  - {principalId: aaaaaaaa-0000-4000-8000-000000000001, roleDefinitionId: not-a-role}\n",
            r"roleDefinitionId refers to unknown role definition not-a-role",
        ),
        (
            "scope.yaml",
            "users:\n  - {id: aaaaaaaa-0000-4000-8000-000000000001, displayName: Bo}\n"
            "roleManagement/directory/roleAssignments:\n"
            "  - {principalId: aaaaaaaa-0000-4000-8000-000000000001, "
            "roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10, "
            "directoryScopeId: /administrativeUnits/x1}\n",
            r"directoryScopeId refers to unknown administrative unit x1",
        ),
        (
            "deleted.yaml",
            "deletedItems:\n  - displayName: Gone\n    deletedDateTime: '2026-01-01T00:00:00Z'\n",
            r"deletedItems\[0\] \(Gone\) has no @odata.type",
        ),
        (
            "deletedtype.yaml",
            "deletedItems:\n  - {'@odata.type': '#microsoft.graph.namedLocation', displayName: CA}\n",
            r"not soft-deleted",
        ),
    ],
)
def test_malformed_seed_files_are_one_line_errors_naming_the_file(
    tmp_path: Path, filename: str, content: str, expected: str
) -> None:
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SeedError) as info:
        load_seed_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert re.search(expected, message), message


def test_yaml_timestamps_and_yaml_1_1_booleans_stay_graph_strings(tmp_path: Path) -> None:
    path = tmp_path / "dates.yml"
    path.write_text(
        "users:\n  - displayName: On Call\n    employeeType: yes\n    createdDateTime: 2024-03-01T09:30:00Z\n"
        "    employeeHireDate: 2024-02-29\n",
        encoding="utf-8",
    )
    user = load_seed_file(path)["users"][0]
    assert user["createdDateTime"] == "2024-03-01T09:30:00Z"
    assert user["employeeHireDate"] == "2024-02-29"
    assert user["employeeType"] == "yes"
    json.dumps(user)


def test_a_missing_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="no such seed file"):
        load_seed_file(tmp_path / "nope.yaml")


# --- the tenant model accepts what we produce ---------------------------------------------------------------


@pytest.mark.parametrize("make", [demo_seed, lambda: generate_seed(200)], ids=["demo", "generated"])
def test_seeds_load_into_a_tenant(make: Any) -> None:
    data = make()
    tenant = Tenant.from_seed(data)
    assert tenant.tenant_id == SANDBOX_TENANT_ID
    assert tenant.domain == SANDBOX_DOMAIN
    assert tenant.user_count() == len(data["users"])


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def test_module_exports_the_interface() -> None:
    for name in ("SANDBOX_CLIENT_ID", "SANDBOX_TENANT_ID", "SANDBOX_DOMAIN", "SeedError"):
        assert hasattr(seed_mod, name)
    assert _is_guid(SANDBOX_CLIENT_ID) and _is_guid(SANDBOX_TENANT_ID)
    assert issubclass(SeedError, seed_mod.SandboxError)
