"""The tenant-wide policy singletons end to end: backed up, flipped by a compromised account, restored, and
the plan empty afterwards; the admin consent policy's reviewers follow a recreated group."""

from __future__ import annotations

import yaml
from restore_env import Env, git, idmap
from test_inbound import hard_delete

SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"
FLOWS = "policies/authenticationFlowsPolicy"
CONSENT = "policies/adminConsentRequestPolicy"
FILES = tuple(f"{p}.yaml" for p in (SECURITY_DEFAULTS, FLOWS, CONSENT))


def _file(env: Env, path: str) -> dict:
    data: dict = yaml.safe_load((env.root / path).read_text())
    return data


def _consent(env: Env, reviewers: list[dict], enabled: bool = True) -> None:
    """adminconsentrequestpolicy-update.md: PUT with the five required properties."""
    body = {
        "isEnabled": enabled,
        "notifyReviewers": True,
        "remindersEnabled": False,
        "requestDurationInDays": 14,
        "reviewers": reviewers,
    }
    env.graph("PUT", CONSENT, body)


def test_backup_keeps_the_policies_without_their_volatile_version(env: Env) -> None:
    """One file per singleton; the consent policy's version (updated with every write,
    resources/adminconsentrequestpolicy.md) is not kept, so a rewrite of the same values changes nothing."""
    assert _file(env, FILES[0])["isEnabled"] is True
    assert _file(env, FILES[1])["selfServiceSignUp"] == {"isEnabled": True}
    assert "version" not in _file(env, FILES[2])
    head = git(env, "rev-parse", "HEAD")
    env.graph("PUT", CONSENT, {k: v for k, v in _file(env, FILES[2]).items() if k != "id"})
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == head
    log = env.ok("versions", FILES[0]).output
    assert env.baseline[:7] in log


def test_flipped_policies_are_restored_and_the_plan_is_empty(env: Env) -> None:
    """identitysecuritydefaultsenforcementpolicy-update.md and authenticationflowspolicy-update.md (PATCH),
    adminconsentrequestpolicy-update.md (PUT of the whole policy): what an attacker turned off comes back."""
    user = env.find("users", "Megan Bowen")["id"]
    _consent(env, [{"query": f"/users/{user}", "queryType": "MicrosoftGraph"}])
    env.ok("backup")
    env.graph("PATCH", SECURITY_DEFAULTS, {"isEnabled": False})
    env.graph("PATCH", FLOWS, {"selfServiceSignUp": {"isEnabled": False}})
    _consent(env, [], enabled=False)

    actions = env.plan(*FILES)["actions"]
    changed = sorted((a["type"], c["path"]) for a in actions for c in a["changes"])
    assert changed == [
        ("adminConsentRequestPolicy", "isEnabled"),
        ("adminConsentRequestPolicy", "reviewers"),
        ("authenticationFlowsPolicy", "selfServiceSignUp"),
        ("identitySecurityDefaultsEnforcementPolicy", "isEnabled"),
    ]
    env.restore(*FILES)
    assert env.graph("GET", SECURITY_DEFAULTS)["isEnabled"] is True
    assert env.graph("GET", FLOWS)["selfServiceSignUp"] == {"isEnabled": True}
    consent = env.graph("GET", CONSENT)
    assert consent["isEnabled"] is True and consent["requestDurationInDays"] == 14
    assert consent["reviewers"] == [{"query": f"/users/{user}", "queryType": "MicrosoftGraph"}]
    env.assert_empty(*FILES)
    env.assert_empty()


def test_consent_reviewers_follow_a_recreated_group(env: Env) -> None:
    """A reviewer query names a group by id (`/groups/{id}/transitiveMembers/microsoft.graph.user`,
    resources/accessreviewreviewerscope.md); a security group is deleted for good (group-delete.md) and comes
    back with a new id, which the restored policy's query names."""
    group = env.find("groups", "Emergency Access Exclusions")["id"]
    query = f"/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user"
    _consent(env, [{"query": query, "queryType": "MicrosoftGraph"}])
    env.ok("backup")
    hard_delete(env, "groups", group)
    env.ok("backup")

    plan = env.plan("Emergency Access Exclusions")
    kinds = sorted((a["type"], a["action"]) for a in plan["actions"])
    assert ("groups", "recreate") in kinds and ("adminConsentRequestPolicy", "update") in kinds, kinds
    env.restore("Emergency Access Exclusions", "--allow-privileged")
    new = idmap(env)["ids"][group]
    assert new != group
    reviewers = env.graph("GET", CONSENT)["reviewers"]
    assert reviewers == [{"query": query.replace(group, new), "queryType": "MicrosoftGraph"}]
    env.assert_empty(CONSENT + ".yaml")


def test_activity_based_timeout_policy_changed_then_deleted_comes_back(env: Env) -> None:
    """activitybasedtimeoutpolicy-update.md (PATCH) puts a lengthened timeout back; a deleted policy is gone
    for good (activitybasedtimeoutpolicy-delete.md) and is created anew from its file
    (-post-activitybasedtimeoutpolicies.md), its id recorded in the id map."""
    policy = env.find("policies/activityBasedTimeoutPolicies", "Idle session sign-out")
    path = f"policies/activityBasedTimeoutPolicies/{policy['id']}.yaml"
    assert _file(env, path)["definition"] == policy["definition"]
    longer = [policy["definition"][0].replace("01:00:00", "23:00:00")]
    env.graph("PATCH", f"policies/activityBasedTimeoutPolicies/{policy['id']}", {"definition": longer})
    actions = env.plan(path)["actions"]
    assert [(a["action"], [c["path"] for c in a["changes"]]) for a in actions] == [("update", ["definition"])]
    env.restore(path)
    assert (
        env.graph("GET", f"policies/activityBasedTimeoutPolicies/{policy['id']}")["definition"]
        == (policy["definition"])
    )
    env.assert_empty(path)

    env.graph("DELETE", f"policies/activityBasedTimeoutPolicies/{policy['id']}")
    env.ok("backup")
    env.restore("Idle session sign-out")
    new = idmap(env)["ids"][policy["id"]]
    back = env.graph("GET", f"policies/activityBasedTimeoutPolicies/{new}")
    assert {k: back[k] for k in ("displayName", "definition", "isOrganizationDefault")} == {
        k: policy[k] for k in ("displayName", "definition", "isOrganizationDefault")
    }
    env.ok("backup")
    env.assert_empty()


GRANTS = "policies/permissionGrantPolicies"


def test_custom_permission_grant_policy_and_its_condition_sets_come_back(env: Env) -> None:
    """Only custom policies are kept (built-in `microsoft-*` ones are the same in every tenant), without the
    condition sets' ids (Graph's, new with each set). A changed policy is PATCHed and its condition sets
    added and removed one by one (permissiongrantpolicy-post-includes.md, -delete-excludes.md); a deleted
    one is created again under its own id (permissiongrantpolicy-post-permissiongrantpolicies.md) with its
    sets."""
    files = sorted(p.name for p in (env.root / GRANTS).iterdir())
    assert files == ["verified-low-risk.yaml"]
    path = f"{GRANTS}/verified-low-risk.yaml"
    kept = _file(env, path)
    assert kept["excludes"] == [] and "id" not in kept["includes"][0]
    live = env.graph("GET", f"{GRANTS}/verified-low-risk")
    env.graph("PATCH", f"{GRANTS}/verified-low-risk", {"displayName": "Anything goes"})
    env.graph("DELETE", f"{GRANTS}/verified-low-risk/includes/{live['includes'][0]['id']}")
    env.graph("POST", f"{GRANTS}/verified-low-risk/excludes", {"permissionType": "application"})
    env.graph("POST", f"{GRANTS}/verified-low-risk/includes", {"permissionType": "application"})

    changed = sorted(c["path"] for a in env.plan(path)["actions"] for c in a["changes"])
    assert changed == ["displayName", "excludes", "includes"]
    env.restore(path)
    back = env.graph("GET", f"{GRANTS}/verified-low-risk")
    assert back["displayName"] == live["displayName"] and back["excludes"] == []
    assert [{k: v for k, v in i.items() if k != "id"} for i in back["includes"]] == [
        {k: v for k, v in live["includes"][0].items() if k != "id"}
    ]
    env.assert_empty(path)

    env.graph("DELETE", f"{GRANTS}/verified-low-risk")
    env.ok("backup")
    env.restore(path, "--at", env.baseline)
    again = env.graph("GET", f"{GRANTS}/verified-low-risk")
    assert again["displayName"] == live["displayName"] and len(again["includes"]) == 1
    env.ok("backup")
    env.assert_empty()
