"""Group settings and the group expiration policy end to end: backed up, changed or deleted by a compromised
account, restored, and the plan empty afterwards; a group a setting names follows its recreation."""

from __future__ import annotations

import yaml
from restore_env import Env, git, idmap
from test_inbound import hard_delete

from entragit import live

UNIFIED = "62375ab9-6b52-47ed-826b-58e47e0e304b"  # Group.Unified
PASSWORDS = "5cf42378-d67d-4f36-ba46-e8b86229381d"  # Password Rule Settings


def _file(env: Env, path: str) -> dict:
    data: dict = yaml.safe_load((env.root / path).read_text())
    return data


def _setting(env: Env, template: str) -> dict:
    return next(s for s in env.graph("GET", "groupSettings")["value"] if s["templateId"] == template)


def _values(setting: dict) -> dict[str, str]:
    return {v["name"]: v["value"] for v in setting["values"]}


def _path(setting: dict) -> str:
    return f"groupSettings/{setting['id']}.yaml"


def test_backup_keeps_each_setting_with_its_values_by_name(env: Env) -> None:
    """One file per setting (resources/groupsetting.md): its template, its values sorted by name so that the
    same settings always give the same file; an unchanged tenant backs up to no commit."""
    setting = _setting(env, UNIFIED)
    kept = _file(env, _path(setting))
    assert kept["templateId"] == UNIFIED and kept["displayName"] == "Group.Unified"
    names = [v["name"] for v in kept["values"]]
    assert names == sorted(names) and _values(kept) == _values(setting)
    policy = env.graph("GET", "groupLifecyclePolicies")["value"][0]
    assert policy["managedGroupTypes"] == "Selected"
    kept_policy = _file(env, f"groupLifecyclePolicies/{policy['id']}.yaml")
    assert kept_policy == {
        **{
            k: policy[k]
            for k in ("id", "alternateNotificationEmails", "groupLifetimeInDays", "managedGroupTypes")
        },
        "groups": _selected(env, policy["id"]),
    }
    assert len(kept_policy["groups"]) == 3
    head = git(env, "rev-parse", "HEAD")
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == head
    assert env.baseline[:7] in env.ok("versions", _path(setting)).output


def test_changed_settings_are_written_back_whole_and_the_plan_is_empty(env: Env) -> None:
    """groupsetting-update.md: PATCH with the entire values collection. An attacker opens group creation to
    everyone and empties the banned password list; the restore puts both back."""
    unified, passwords = _setting(env, UNIFIED), _setting(env, PASSWORDS)
    opened = {**_values(unified), "EnableGroupCreation": "true", "AllowGuestsToBeGroupOwner": "true"}
    env.graph("PATCH", f"groupSettings/{unified['id']}", {"values": _pairs(opened)})
    emptied = {**_values(passwords), "BannedPasswordList": "", "EnableBannedPasswordCheck": "false"}
    env.graph("PATCH", f"groupSettings/{passwords['id']}", {"values": _pairs(emptied)})
    paths = (_path(unified), _path(passwords))
    actions = env.plan(*paths)["actions"]
    assert sorted((a["action"], c["path"]) for a in actions for c in a["changes"]) == [
        ("update", "values"),
        ("update", "values"),
    ]
    env.restore(*paths)
    assert _values(_setting(env, UNIFIED)) == _values(unified)
    assert _values(_setting(env, PASSWORDS)) == _values(passwords)
    env.assert_empty(*paths)


def test_a_deleted_setting_is_created_again_from_its_template(env: Env) -> None:
    """groupsetting-delete.md: the tenant falls back to the template's defaults (banned passwords gone);
    group-post-settings.md: the restore creates the setting again from its templateId with its values, under
    a new id it records in the id map."""
    passwords = _setting(env, PASSWORDS)
    env.graph("DELETE", f"groupSettings/{passwords['id']}")
    env.ok("backup")
    env.restore(_path(passwords))
    back = _setting(env, PASSWORDS)
    assert back["id"] == idmap(env)["ids"][passwords["id"]] != passwords["id"]
    assert _values(back) == _values(passwords)
    env.ok("backup")
    env.assert_empty()


def test_the_group_allowed_to_create_groups_follows_its_recreation(env: Env) -> None:
    """Group.Unified's GroupCreationAllowedGroupId names a security group; deleted for good (group-delete.md)
    and recreated under a new id, the setting is written with the new id."""
    unified = _setting(env, UNIFIED)
    group = _values(unified)["GroupCreationAllowedGroupId"]
    name = env.graph("GET", f"groups/{group}")["displayName"]
    hard_delete(env, "groups", group)
    env.ok("backup")
    kinds = sorted((a["type"], a["action"]) for a in env.plan(name)["actions"])
    assert ("groups", "recreate") in kinds and ("groupSettings", "update") in kinds, kinds
    env.restore(name, "--allow-privileged")
    new = idmap(env)["ids"][group]
    assert _values(_setting(env, UNIFIED))["GroupCreationAllowedGroupId"] == new != group
    env.assert_empty(_path(unified))


def test_expiration_policy_changed_then_deleted_comes_back(env: Env) -> None:
    """grouplifecyclepolicy-update.md (PATCH) puts the lifetime and the managed groups back; a deleted policy
    is gone for good (grouplifecyclepolicy-delete.md) and is created anew from its file
    (-post-grouplifecyclepolicies.md)."""
    policy = env.graph("GET", "groupLifecyclePolicies")["value"][0]
    path = f"groupLifecyclePolicies/{policy['id']}.yaml"
    selected = _file(env, path)["groups"]
    env.graph(
        "PATCH",
        f"groupLifecyclePolicies/{policy['id']}",
        {"groupLifetimeInDays": 30, "managedGroupTypes": "None"},
    )
    actions = env.plan(path)["actions"]
    # A policy for None names no groups: the selected ones are added again once it is Selected again.
    assert [(a["action"], sorted({c["path"] for c in a["changes"]})) for a in actions] == [
        ("update", ["groupLifetimeInDays", "managedGroupTypes"]),
        ("link", ["groups"]),
    ]
    env.restore(path)
    assert env.graph("GET", f"groupLifecyclePolicies/{policy['id']}") | {"@odata.context": None} == policy | {
        "@odata.context": None
    }
    env.assert_empty(path)

    env.graph("DELETE", f"groupLifecyclePolicies/{policy['id']}")
    env.ok("backup")
    env.restore(path)
    new = idmap(env)["ids"][policy["id"]]
    back = env.graph("GET", f"groupLifecyclePolicies/{new}")
    assert {k: back[k] for k in ("groupLifetimeInDays", "managedGroupTypes")} == {
        k: policy[k] for k in ("groupLifetimeInDays", "managedGroupTypes")
    }
    assert _selected(env, new) == selected
    env.ok("backup")
    env.assert_empty()


def test_expiration_policy_groups_come_back_and_follow_a_recreated_group(env: Env) -> None:
    """grouplifecyclepolicy-removegroup.md takes a group out of a Selected policy (its expiry lifted); the
    restore adds it back (grouplifecyclepolicy-addgroup.md). A selected Microsoft 365 group deleted for good
    comes back under a new id (group-post-groups.md), which the restore adds to the policy."""
    policy = env.graph("GET", "groupLifecyclePolicies")["value"][0]
    path = f"groupLifecyclePolicies/{policy['id']}.yaml"
    selected = _selected(env, policy["id"])
    assert len(selected) >= 2
    removed, deleted = selected[0], selected[1]
    env.graph("POST", f"groupLifecyclePolicies/{policy['id']}/removeGroup", {"groupId": removed})
    actions = env.plan(path)["actions"]
    assert [(a["action"], [c["path"] for c in a["changes"]]) for a in actions] == [("link", ["groups"])]
    env.restore(path)
    assert _selected(env, policy["id"]) == selected
    env.assert_empty(path)

    name = env.graph("GET", f"groups/{deleted}")["displayName"]
    hard_delete(env, "groups", deleted)
    env.ok("backup")
    assert deleted not in _file(env, path)["groups"]
    env.restore(name, "--allow-privileged")
    new = idmap(env)["ids"][deleted]
    assert _selected(env, policy["id"]) == sorted({*selected} - {deleted} | {new})
    env.ok("backup")
    env.assert_empty()


def _selected(env: Env, policy_id: str) -> list[str]:
    """The Microsoft 365 groups the policy applies to, read per group
    (group-list-grouplifecyclepolicies.md)."""
    unified = env.graph("GET", "groups", **{"$filter": "groupTypes/any(c:c eq 'Unified')", "$select": "id"})
    return sorted(
        g["id"]
        for g in unified["value"]
        if any(
            p["id"] == policy_id
            for p in env.graph("GET", f"groups/{g['id']}/groupLifecyclePolicies")["value"]
        )
    )


def _pairs(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def test_incremental_and_full_backups_keep_a_change_and_history_shows_it(env: Env) -> None:
    """The settings are re-listed each run (no delta query: group-list-settings.md): an incremental backup
    writes the changed setting, a full one then changes nothing; `versions` and `compare` show the change."""
    passwords = _setting(env, PASSWORDS)
    lowered = {**_values(passwords), "LockoutThreshold": "50"}
    env.graph("PATCH", f"groupSettings/{passwords['id']}", {"values": _pairs(lowered)})
    env.ok("backup")
    assert _values(_file(env, _path(passwords)))["LockoutThreshold"] == "50"
    head = git(env, "rev-parse", "HEAD")
    env.ok("backup", "--full")
    assert git(env, "rev-parse", "HEAD") == head
    assert len(env.ok("versions", _path(passwords)).output.strip().splitlines()) >= 3  # header + 2 commits
    compared = env.ok("compare", _path(passwords)).output
    # (the pair is matched by its name, shown by its place in the file's sorted list)
    index = [v["name"] for v in _file(env, _path(passwords))["values"]].index("LockoutThreshold")
    assert f"values[{index}].value: 5 → 50" in compared, compared


def _policy_reads(env: Env) -> int:
    by_path: dict[str, int] = env.http.get(f"{env.box.graph_url}/_sandbox/stats").json()["by_path"]
    return sum(n for k, n in by_path.items() if k == "GET /groups/{id}/groupLifecyclePolicies")


def test_incremental_backups_read_the_selected_groups_in_turn_and_a_full_one_reads_them_all(env: Env) -> None:
    """Before: every backup read each Microsoft 365 group's policies (3,522 reads a run at 100k users, ten
    times a no-change run's other requests). Now ten incremental runs read each group once between them, a
    group added to the policy meanwhile is in its file within those runs, and `backup --full` reads every
    group at once."""
    policy = env.graph("GET", "groupLifecyclePolicies")["value"][0]
    path = f"groupLifecyclePolicies/{policy['id']}.yaml"
    unified = env.graph("GET", "groups", **{"$filter": "groupTypes/any(c:c eq 'Unified')", "$select": "id"})
    groups = [g["id"] for g in unified["value"]]
    outside = next(g for g in groups if g not in _selected(env, policy["id"]))
    env.graph("POST", f"groupLifecyclePolicies/{policy['id']}/addGroup", {"groupId": outside})
    before, landed = _policy_reads(env), None
    for run in range(1, live.SWEEP_RUNS + 1):
        env.ok("backup")
        if landed is None and outside in _file(env, path)["groups"]:
            landed = run
    assert _policy_reads(env) - before == len(groups)
    assert landed is not None
    env.graph("POST", f"groupLifecyclePolicies/{policy['id']}/removeGroup", {"groupId": outside})
    before = _policy_reads(env)
    env.ok("backup", "--full")
    assert _policy_reads(env) - before == len(groups)
    assert outside not in _file(env, path)["groups"]
