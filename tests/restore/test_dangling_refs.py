"""Dangling references end to end: a conditional access policy keeps the id of a group deleted for good
(Graph removes links with an object, not the ids in a policy's conditions), and the backup, `status` and
`report` say so, with the command that brings the group back; after that restore nothing dangles."""

from __future__ import annotations

import json

from restore_env import Env, git

from entragit import catalog

CA = "identity/conditionalAccess/policies"


def _hard_delete_group(env: Env, gid: str) -> None:
    """group-delete.md: a security group is deleted for good at once; a Microsoft 365 group goes to deleted
    items first, from which directory-deleteditems-delete.md removes it for good."""
    env.graph("DELETE", f"groups/{gid}")
    if env.http.get(f"{env.box.graph_url}/v1.0/directory/deletedItems/{gid}").status_code == 200:
        env.graph("DELETE", f"directory/deletedItems/{gid}")


def test_a_policy_naming_a_deleted_group_is_reported_until_the_group_is_restored(env: Env) -> None:
    group = env.graph(
        "POST",
        "groups",
        {"displayName": "CA pilot", "mailEnabled": False, "mailNickname": "capilot", "securityEnabled": True},
    )
    gid = group["id"]
    policy = env.graph(
        "POST",
        CA,
        {
            "displayName": "Pilot needs MFA",
            "state": "enabledForReportingButNotEnforced",
            "conditions": {
                "users": {
                    "includeGroups": [gid],
                    "includeUsers": ["All"],
                    "excludeUsers": ["GuestsOrExternalUsers"],
                },
                "applications": {"includeApplications": ["All"]},
                "clientAppTypes": ["all"],
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        },
    )
    env.ok("backup")
    before = git(env, "rev-parse", "HEAD").strip()
    group_path = catalog.object_path(catalog.by_name("groups"), gid)
    policy_path = catalog.object_path(catalog.by_name("conditionalAccessPolicies"), policy["id"])
    assert "dangling:     none" in env.ok("status").output

    _hard_delete_group(env, gid)
    assert gid in env.graph("GET", f"{CA}/{policy['id']}")["conditions"]["users"]["includeGroups"]
    backup = env.ok("backup")
    command = f"entragit restore {group_path}"  # the policy is put back on the group's successor with it
    line = (
        f'conditionalAccessPolicies "Pilot needs MFA" ({policy_path}) conditions.users.includeGroups → '
        f'groups "CA pilot" {gid}, last backed up in {before[:10]} ({group_path}); '
        f"to bring it back: {command}"
    )
    message = git(env, "log", "-1", "--format=%B")
    assert f"Dangling: {line}\n" in message
    assert message.count("Dangling:") == 1  # "All", "GuestsOrExternalUsers" name no object of the backup
    assert f"entragit: dangling: {line}" in backup.output

    status = env.ok("status").output
    assert "dangling:     1 reference to objects gone" in status and f"  {line}\n" in status
    [ref] = json.loads(env.ok("status", "--json").output)["dangling"]
    assert (ref["holder"], ref["prop"], ref["value"], ref["command"]) == (
        policy_path,
        "conditions.users.includeGroups",
        gid,
        command,
    )
    assert ref["holderType"] == "conditionalAccessPolicies" and "holder_type" not in ref  # camelCase
    assert ref["target"] == {
        "path": group_path,
        "type": "groups",
        "id": gid,
        "last": before,
        "name": "CA pilot",
    }

    report = json.loads(env.ok("report", "--json").output)
    assert [(d["holder"], d["value"], d["command"]) for d in report["dangling"]] == [
        (policy_path, gid, command)
    ]
    env.ok("report")
    markdown = (env.root / "report" / "README.md").read_text()
    assert "## Dangling references" in markdown and command in markdown

    # A later run that changes nothing about it does not tell it again; status still does.
    env.graph("PATCH", f"{CA}/{policy['id']}", {"displayName": "Pilot needs MFA (v2)"})
    env.ok("backup")
    assert "Dangling:" not in git(env, "log", "-1", "--format=%B")
    assert "1 reference to objects gone" in env.ok("status").output

    # The command shown: the group recreated (a new id), the policy pointed at it.
    env.ok(*command.split()[1:2], "--yes", *command.split()[2:])
    env.assert_empty(policy_path)
    new_gid = env.find("groups", "CA pilot")["id"]
    assert env.graph("GET", f"{CA}/{policy['id']}")["conditions"]["users"]["includeGroups"] == [new_gid]
    env.ok("backup")
    assert "dangling:     none" in env.ok("status").output
    assert json.loads(env.ok("report", "--json").output)["dangling"] == []
