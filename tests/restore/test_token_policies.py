"""Token and sign-in policies end to end: backed up with the apps they apply to, changed, unassigned or
deleted, restored (recreated and assigned again, also onto an application recreated under a new id), and the
plan empty afterwards."""

from __future__ import annotations

import json

import yaml
from restore_env import Env, git, idmap
from test_inbound import hard_delete

LIFETIMES = "policies/tokenLifetimePolicies"
CLAIMS = "policies/claimsMappingPolicies"
MANAGEMENT = "policies/appManagementPolicies"
ROOT = "https://graph.microsoft.com/v1.0"


def _file(env: Env, path: str) -> dict:
    data: dict = yaml.safe_load((env.root / path).read_text())
    return data


def _applied(env: Env, path: str, oid: str) -> list[str]:
    return sorted(o["id"] for o in env.graph("GET", f"{path}/{oid}/appliesTo")["value"])


def test_backup_keeps_each_policy_with_the_apps_it_applies_to(env: Env) -> None:
    """tokenlifetimepolicy-list-appliesto.md (and each kind's): the policy's file lists the ids of the
    applications and service principals it applies to; its definition is the text Graph returned, byte for
    byte; history shows the file."""
    app = env.find("applications", "Contoso Expense Portal")
    sp = env.graph("GET", "servicePrincipals", **{"$filter": f"appId eq '{app['appId']}'"})["value"][0]
    for path, holders in (
        (LIFETIMES, [app["id"]]),
        (CLAIMS, [sp["id"]]),
        ("policies/tokenIssuancePolicies", [app["id"]]),
        ("policies/homeRealmDiscoveryPolicies", [sp["id"]]),
        (MANAGEMENT, sorted([app["id"], sp["id"]])),
    ):
        live = env.graph("GET", path)["value"][0]
        kept = _file(env, f"{path}/{live['id']}.yaml")
        assert kept["appliesTo"] == holders, path
        assert kept.get("definition") == live.get("definition"), path
    policy = env.graph("GET", LIFETIMES)["value"][0]
    assert env.baseline[:7] in env.ok("versions", f"{LIFETIMES}/{policy['id']}.yaml").output


def test_a_new_assignment_is_kept_by_an_incremental_backup(env: Env) -> None:
    """application-post-tokenissuancepolicies.md: an assignment made on the app shows in the policy's file at
    the next backup; nothing else changes."""
    policy = env.graph("GET", "policies/tokenIssuancePolicies")["value"][0]
    other = env.find("applications", "Payroll Sync")["id"]
    body = {"@odata.id": f"{ROOT}/policies/tokenIssuancePolicies/{policy['id']}"}
    env.graph("POST", f"applications/{other}/tokenIssuancePolicies/$ref", body)
    env.ok("backup")
    changed = git(env, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert changed == [f"policies/tokenIssuancePolicies/{policy['id']}.yaml"]
    assert other in _file(env, changed[0])["appliesTo"]
    # history: the object by name, its versions, and what changed between them (the new holder by name)
    assert "Signed SAML assertions" in env.ok("ls").output
    assert "Signed SAML assertions" in env.ok("show", changed[0]).output
    assert len(env.ok("versions", changed[0]).output.strip().splitlines()) >= 2
    assert "Payroll Sync" in env.ok("compare", changed[0]).output


def test_changed_and_moved_policy_is_put_back_and_the_plan_is_empty(env: Env) -> None:
    """tokenlifetimepolicy-update.md (PATCH) puts the lifetime back. The app was moved to another policy
    (application-delete-tokenlifetimepolicies.md, then -post-: "only one tokenLifetimePolicy per
    application"): the restore first removes the assignment the backup lacks, then makes the backed-up one
    again, so that Graph's one-per-application rule never refuses it."""
    rules = {"TokenLifetimePolicy": {"Version": 1, "AccessTokenLifetime": "23:00:00"}}
    other = env.graph("POST", LIFETIMES, {"displayName": "Long", "definition": [json.dumps(rules)]})
    env.ok("backup")
    policy = next(p for p in env.graph("GET", LIFETIMES)["value"] if p["id"] != other["id"])
    paths = [f"{LIFETIMES}/{p['id']}.yaml" for p in (policy, other)]
    app = _file(env, paths[0])["appliesTo"][0]
    longer = [policy["definition"][0].replace("01:00:00", "23:00:00")]
    env.graph("PATCH", f"{LIFETIMES}/{policy['id']}", {"definition": longer})
    env.graph("DELETE", f"applications/{app}/tokenLifetimePolicies/{policy['id']}/$ref")
    moved = {"@odata.id": f"{ROOT}/{LIFETIMES}/{other['id']}"}
    env.graph("POST", f"applications/{app}/tokenLifetimePolicies/$ref", moved)

    actions = env.plan(*paths)["actions"]
    assert sorted(a["action"] for a in actions) == ["link", "unlink", "update"]
    env.restore(*paths)
    assert env.graph("GET", f"{LIFETIMES}/{policy['id']}")["definition"] == policy["definition"]
    assert _applied(env, LIFETIMES, policy["id"]) == [app]
    assert _applied(env, LIFETIMES, other["id"]) == []
    env.assert_empty(*paths)


def test_deleted_policy_is_recreated_and_assigned_again(env: Env) -> None:
    """claimsmappingpolicy-delete.md: gone for good; restore creates it anew from its file
    (-post-claimsmappingpolicies.md) and assigns it to its service principal again
    (serviceprincipal-post-claimsmappingpolicies.md), after both exist; the id map records the new id."""
    policy = env.graph("GET", CLAIMS)["value"][0]
    path = f"{CLAIMS}/{policy['id']}.yaml"
    holders = _file(env, path)["appliesTo"]
    env.graph("DELETE", f"{CLAIMS}/{policy['id']}")
    env.ok("backup")
    env.restore(policy["displayName"])
    new = idmap(env)["ids"][policy["id"]]
    back = env.graph("GET", f"{CLAIMS}/{new}")
    assert back["definition"] == policy["definition"]
    assert _applied(env, CLAIMS, new) == holders
    env.ok("backup")
    env.assert_empty()


def test_hard_deleted_app_recreated_gets_its_policies_back(env: Env) -> None:
    """An application deleted and purged (application-delete.md, directory-deleteditems-delete.md; its
    service principal goes with it) comes back under a new id, and so does its service principal; every
    policy that named the old ids is assigned to the new ones (the policy files' appliesTo rewritten through
    the id map), after both the policy and the holder exist."""
    app = env.find("applications", "Contoso Expense Portal")
    sp = env.graph("GET", "servicePrincipals", **{"$filter": f"appId eq '{app['appId']}'"})["value"][0]
    policies = {p: env.graph("GET", p)["value"][0]["id"] for p in (LIFETIMES, CLAIMS, MANAGEMENT)}
    hard_delete(env, "applications", app["id"])
    env.graph("DELETE", f"directory/deletedItems/{sp['id']}")
    out = env.restore(app["id"]).output
    assert "link policies/tokenLifetimePolicies/" in out and "appliesTo: 1 added" in out
    ids = idmap(env)["ids"]
    new_app, new_sp = ids[app["id"]], ids[sp["id"]]
    assert _applied(env, LIFETIMES, policies[LIFETIMES]) == [new_app]
    assert _applied(env, CLAIMS, policies[CLAIMS]) == [new_sp]
    assert _applied(env, MANAGEMENT, policies[MANAGEMENT]) == sorted([new_app, new_sp])
    env.ok("backup")
    env.assert_empty(*(f"{path}/{oid}.yaml" for path, oid in policies.items()))


def test_report_calls_out_a_lengthened_token_lifetime(env: Env) -> None:
    """A token lifetime policy is security relevant (catalog `security`): its changed definition is listed
    in the report's security settings, setting by setting; a claims mapping change is not."""
    policy = env.graph("GET", LIFETIMES)["value"][0]
    longer = [policy["definition"][0].replace("01:00:00", "23:00:00")]
    env.graph("PATCH", f"{LIFETIMES}/{policy['id']}", {"definition": longer})
    claims = env.graph("GET", CLAIMS)["value"][0]
    env.graph("PATCH", f"{CLAIMS}/{claims['id']}", {"description": "changed"})
    env.ok("backup")
    data = json.loads(env.ok("report", "--json").output)
    flagged = [c for c in data["changes"] if c["security"]]
    assert [(c["type"], c["kind"]) for c in flagged] == [("tokenLifetimePolicies", "changed")]
    assert any("23:00:00" in s and s.startswith("definition") for s in flagged[0]["security"])


DEFAULT = "policies/defaultAppManagementPolicy"


def test_default_app_management_policy_turned_off_is_put_back(env: Env) -> None:
    """tenantappmanagementpolicy-update.md (PATCH): the tenant's credential restrictions, turned off and
    emptied by an attacker, come back; the plan is empty afterwards and the report calls the change out."""
    restrictions = {
        "passwordCredentials": [
            {
                "restrictionType": "passwordAddition",
                "restrictForAppsCreatedAfterDateTime": "2021-01-01T10:37:00Z",
            }
        ],
        "keyCredentials": [],
    }
    env.graph("PATCH", DEFAULT, {"isEnabled": True, "applicationRestrictions": restrictions})
    env.ok("backup")
    assert _file(env, f"{DEFAULT}.yaml")["isEnabled"] is True
    kept = git(env, "rev-parse", "HEAD")
    empty = {"passwordCredentials": [], "keyCredentials": []}
    env.graph("PATCH", DEFAULT, {"isEnabled": False, "applicationRestrictions": empty})
    env.ok("backup")
    data = json.loads(env.ok("report", "--json").output)
    assert [c["type"] for c in data["changes"] if c["security"]][:1] == ["defaultAppManagementPolicy"]
    env.restore(f"{DEFAULT}.yaml", "--at", kept)
    live = env.graph("GET", DEFAULT)
    assert live["isEnabled"] is True and live["applicationRestrictions"] == restrictions
    env.assert_empty("--at", kept, f"{DEFAULT}.yaml")


def test_a_failed_recreate_leaves_its_assignments_not_attempted(env: Env) -> None:
    """The assignment waits for both ends: when Graph refuses the deleted policy's creation, its links to the
    service principal are not attempted (no POST to a policy that is not there), the restore exits non-zero,
    and a later restore does both."""
    policy = env.graph("GET", CLAIMS)["value"][0]
    path = f"{CLAIMS}/{policy['id']}.yaml"
    holders = _file(env, path)["appliesTo"]
    env.graph("DELETE", f"{CLAIMS}/{policy['id']}")
    env.ok("backup")
    fault = {"match": "^/v1.0/policies/claimsMappingPolicies$", "status": 400, "times": 1}
    assert env.http.post(f"{env.box.graph_url}/_sandbox/faults", json=fault).status_code < 300
    r = env.run("restore", "--yes", "--at", env.baseline, path)
    assert r.exit_code != 0
    assert "not attempted" in r.output and "appliesTo" in r.output
    assert "claimsMappingPolicies/$ref" not in r.output
    env.restore("--at", env.baseline, path)
    new = idmap(env)["ids"][policy["id"]]
    assert _applied(env, CLAIMS, new) == holders
