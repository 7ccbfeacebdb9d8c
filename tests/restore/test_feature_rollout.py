"""Feature rollout policies end to end against the sandbox, signed in as a user (device code): Graph admits
them for delegated access only (featurerolloutpolicies-list.md and the other pages: Application "Not
supported.").

A backup keeps each policy with the ids of the groups it is staged to (`appliesTo`, read with
`$expand=appliesTo`: featurerolloutpolicy-get.md, Example 2). A changed policy is PATCHed back
(featurerolloutpolicy-update.md); a group taken off is added again (featurerolloutpolicy-post-appliesto.md)
and one added is removed (-delete-appliesto.md); a deleted policy is created anew with its groups, and a
group deleted for good comes back under a new id and into the rollout under it (the id map)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from restore_env import Env, assert_app_sign_in_leaves_alone, git, idmap, make_env
from schema.wire import Recorder
from test_inbound import hard_delete

from entragit.sandbox.permissions import ALL_PERMISSIONS

PATH = "policies/featureRolloutPolicies"
NAME = "Password hash sync pilot"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path, auth="device-code")


def policy(env: Env) -> dict[str, Any]:
    (found,) = [p for p in env.graph("GET", PATH)["value"] if p["displayName"] == NAME]
    return found  # type: ignore[no-any-return]


def applied(env: Env, oid: str) -> list[str]:
    return sorted(g["id"] for g in env.graph("GET", f"{PATH}/{oid}", **{"$expand": "appliesTo"})["appliesTo"])


def stored(env: Env, oid: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((env.root / PATH / f"{oid}.yaml").read_text())
    return data


def other_group(env: Env, taken: list[str]) -> dict[str, Any]:
    """A static security group the rollout does not name yet (no dynamic groups: resources/
    featurerolloutpolicy.md)."""
    groups = env.graph("GET", "groups", **{"$top": "999"})["value"]
    return next(g for g in groups if g["groupTypes"] == [] and g["securityEnabled"] and g["id"] not in taken)


def test_backup_keeps_the_policy_with_its_groups_and_history_shows_it(env: Env) -> None:
    p = policy(env)
    data = stored(env, p["id"])
    assert data["feature"] == "passwordHashSync" and data["isEnabled"] is True
    assert data["appliesTo"] == applied(env, p["id"]) and len(data["appliesTo"]) == 1
    assert NAME in env.ok("ls", "featureRolloutPolicies").output
    # incremental: no delta query for the type, it is listed again with its groups
    extra = other_group(env, data["appliesTo"])
    env.graph(
        "POST",
        f"{PATH}/{p['id']}/appliesTo/$ref",
        {"@odata.id": f"{env.box.graph_url}/v1.0/directoryObjects/{extra['id']}"},
    )
    env.graph("PATCH", f"{PATH}/{p['id']}", {"displayName": "PHS pilot, wave 2"})
    env.ok("backup")
    data = stored(env, p["id"])
    assert data["displayName"] == "PHS pilot, wave 2" and extra["id"] in data["appliesTo"]
    assert "PHS pilot, wave 2" in env.ok("show", "PHS pilot, wave 2").output
    assert len(env.ok("versions", "PHS pilot, wave 2").output.strip().splitlines()) >= 2
    assert "appliesTo" in env.ok("compare", "PHS pilot, wave 2").output
    assert not git(env, "status", "--porcelain")


def test_changed_policy_and_groups_are_put_back_until_the_plan_is_empty(env: Env) -> None:
    p = policy(env)
    (pilot,) = stored(env, p["id"])["appliesTo"]
    extra = other_group(env, [pilot])
    env.graph("PATCH", f"{PATH}/{p['id']}", {"isEnabled": False, "isAppliedToOrganization": True})
    env.graph("DELETE", f"{PATH}/{p['id']}/appliesTo/{pilot}/$ref")
    ref = {"@odata.id": f"{env.box.graph_url}/v1.0/directoryObjects/{extra['id']}"}
    env.graph("POST", f"{PATH}/{p['id']}/appliesTo/$ref", ref)
    actions = env.plan("--at", env.baseline, NAME)["actions"]
    (update,) = [a for a in actions if a["action"] == "update"]
    assert {c["path"] for c in update["changes"]} == {"isEnabled", "isAppliedToOrganization"}
    recorder = Recorder(env.box)
    env.restore("--at", env.baseline, NAME)
    back = policy(env)
    assert back["isEnabled"] is True and back["isAppliedToOrganization"] is False
    assert applied(env, p["id"]) == [pilot]
    writes = {(c.method, c.path.split("/v1.0/")[-1].strip("/")) for c in recorder.calls if c.method != "GET"}
    assert ("POST", f"{PATH}/{p['id']}/appliesTo/$ref") in writes
    assert ("DELETE", f"{PATH}/{p['id']}/appliesTo/{extra['id']}/$ref") in writes
    env.assert_empty(NAME)


def test_deleted_policy_is_recreated_with_its_groups(env: Env) -> None:
    """featurerolloutpolicy-delete.md: gone for good; restore creates it anew from its file
    (featurerolloutpolicies-post.md) and adds its groups again once it exists."""
    p = policy(env)
    groups = stored(env, p["id"])["appliesTo"]
    env.graph("DELETE", f"{PATH}/{p['id']}")
    env.ok("backup")
    assert not (env.root / PATH / f"{p['id']}.yaml").exists()
    assert "recreate" in [a["action"] for a in env.plan(NAME)["actions"]]
    env.restore(NAME)
    new = idmap(env)["ids"][p["id"]]
    assert policy(env)["feature"] == "passwordHashSync" and applied(env, new) == groups
    env.ok("backup")
    env.assert_empty(NAME)


def test_a_group_deleted_for_good_comes_back_into_the_rollout_under_its_new_id(env: Env) -> None:
    p = policy(env)
    (pilot,) = stored(env, p["id"])["appliesTo"]
    hard_delete(env, "groups", pilot)
    env.ok("backup")
    assert stored(env, p["id"])["appliesTo"] == []
    out = env.restore(pilot).output  # the group, and the links that named it (the rollout's among them)
    new = idmap(env)["ids"][pilot]
    assert new != pilot and f"link {PATH}/" in out
    assert applied(env, p["id"]) == [new]
    env.ok("backup")
    assert stored(env, p["id"])["appliesTo"] == [new]
    env.assert_empty(NAME)


def test_a_user_without_the_permission_fails_the_type_naming_it_and_keeps_its_files(env: Env) -> None:
    """A signed-in user whose token lacks Policy.Read.HybridAuthentication gets Graph's 403: the type fails,
    named with the permission, and its file stays (a failed listing is never a deletion)."""
    p = policy(env)
    before = (env.root / PATH / f"{p['id']}.yaml").read_text()
    # (Directory.ReadWrite.All, which the stored pages name, would read them too)
    env.box.tenant.permissions = [
        p for p in ALL_PERMISSIONS if "HybridAuthentication" not in p and p != "Directory.ReadWrite.All"
    ]
    r = env.run("backup")
    assert r.exit_code == 1, r.output
    assert "featureRolloutPolicies" in r.output and "Policy.Read.HybridAuthentication" in r.output
    assert (env.root / PATH / f"{p['id']}.yaml").read_text() == before


def test_the_least_privileged_read_is_enough_for_a_backup(env: Env) -> None:
    """Microsoft's permissions file: Policy.Read.HybridAuthentication lists them; the listing expands their
    groups, so a backup reads no policy on its own (which needs Policy.ReadWrite.HybridAuthentication)."""
    writers = ("Policy.ReadWrite.HybridAuthentication", "Directory.ReadWrite.All")
    env.box.tenant.permissions = [p for p in ALL_PERMISSIONS if p not in writers]
    env.graph("PATCH", f"{PATH}/{policy(env)['id']}", {"description": "seen by the reader"})
    env.ok("backup")
    assert stored(env, policy(env)["id"])["description"] == "seen by the reader"


def test_an_app_sign_in_leaves_the_policies_alone_and_says_why(env: Env) -> None:
    assert_app_sign_in_leaves_alone(env, "featureRolloutPolicies", PATH, policy(env)["id"], NAME)


def test_a_changed_feature_is_refused_not_written(env: Env) -> None:
    """featurerolloutpolicy-update.md does not list `feature`: an existing policy keeps the feature it was
    created with, so a restore refuses the difference rather than send a PATCH Graph would refuse."""
    p = policy(env)
    env.box.tenant.coll(PATH).objs[p["id"]]["feature"] = "seamlessSso"  # (no documented call changes it)
    (refusal,) = env.plan("--at", env.baseline, NAME)["actions"]
    assert refusal["action"] == "refuse" and "feature" in refusal["reason"], refusal


def test_report_calls_out_a_rollout_turned_to_the_whole_organization(env: Env) -> None:
    """A feature rollout decides how users sign in (catalog `security`): the report lists its change setting
    by setting among the security relevant ones."""
    p = policy(env)
    env.graph("PATCH", f"{PATH}/{p['id']}", {"isAppliedToOrganization": True})
    env.ok("backup")
    out = env.ok("report", "--json").output
    data = json.loads(out[out.index("{") :])  # (stderr's device-code prompt comes first)
    flagged = [c for c in data["changes"] if c["security"]]
    assert [(c["type"], c["kind"]) for c in flagged] == [("featureRolloutPolicies", "changed")]
    assert any(s.startswith("isAppliedToOrganization") for s in flagged[0]["security"]), flagged


def test_a_full_rollout_gets_a_group_swapped_back_removing_first(env: Env) -> None:
    """A policy at its 10 groups (resources/featurerolloutpolicy.md: "Each feature supports a maximum of 10
    groups") whose group was swapped for another: the restore removes the newcomer before it adds the one
    the backup has (an add first would be Graph's 400)."""
    p = policy(env)
    taken = stored(env, p["id"])["appliesTo"]
    for n in range(10):
        made = {"displayName": f"Pilot {n}", "mailEnabled": False, "mailNickname": f"pilot{n}"}
        env.graph("POST", "groups", {**made, "securityEnabled": True})
    groups = env.graph("GET", "groups", **{"$top": "999"})["value"]
    static = [
        g["id"] for g in groups if g["groupTypes"] == [] and g["securityEnabled"] and g["id"] not in taken
    ]

    def ref(gid: str) -> dict[str, str]:
        return {"@odata.id": f"{env.box.graph_url}/v1.0/directoryObjects/{gid}"}

    for gid in static[:9]:
        env.graph("POST", f"{PATH}/{p['id']}/appliesTo/$ref", ref(gid))
    env.ok("backup")
    full = stored(env, p["id"])["appliesTo"]
    assert len(full) == 10
    at = git(env, "rev-parse", "HEAD").strip()
    env.graph("DELETE", f"{PATH}/{p['id']}/appliesTo/{static[0]}/$ref")
    env.graph("POST", f"{PATH}/{p['id']}/appliesTo/$ref", ref(static[9]))
    env.restore("--at", at, NAME)
    assert applied(env, p["id"]) == full
    env.assert_empty(NAME)
