"""`entragit apply`: the work tree as the desired state, after `git checkout REV -- PATH` or a merged edit;
every file checked before anything is written; `--prune` deletes objects whose files were removed."""

from __future__ import annotations

from pathlib import Path

import yaml
from restore_env import Env, git


def _path(env: Env, folder: str, oid: str) -> Path:
    return env.root / folder / oid[:2] / f"{oid}.yaml"


def _edit(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_apply_after_git_checkout_restores_the_checked_out_version(env: Env) -> None:
    group = env.find("groups", "Project Aurora")
    gid = group["id"]
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Project Borealis", "description": "changed"})
    env.ok("backup")
    rel = f"groups/{gid[:2]}/{gid}.yaml"
    git(env, "checkout", "HEAD~1", "--", rel)

    dry = env.ok("apply", "--dry-run")
    assert "~ update " + rel in dry.output and "nothing written" in dry.output
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Project Borealis"
    out = env.ok("apply", "--yes").output
    assert "✓ update" in out and "Recorded in commit" in out
    live = env.graph("GET", f"groups/{gid}")
    assert (live["displayName"], live["description"]) == ("Project Aurora", group["description"])
    assert "No changes" in env.ok("apply", "--dry-run").output
    assert git(env, "status", "--porcelain") == ""  # the restored file is committed as it now is live
    assert "0 changed, 0 added, 0 deleted" in env.ok("backup").output


def test_apply_of_a_merged_edit_changes_only_what_the_edit_changed(env: Env) -> None:
    """A pull request edits YAML: a user's job title, a group's members; merged, then applied from CI."""
    uid = env.find("users", "Lidia Holloway")["id"]
    gid = env.find("groups", "Project Aurora")["id"]
    group_file = _path(env, "groups", gid)
    members = yaml.safe_load(group_file.read_text())["members"]
    _edit(_path(env, "users", uid), jobTitle="Chief Restorer")
    _edit(group_file, members=members[1:])
    git(env, "commit", "-qam", "PR #7: new title for Lidia, one member less")

    r = env.run("apply", "--yes", "users", "groups")
    assert r.exit_code == 0, r.output
    assert "Plan: 1 to update, 0 to undelete, 0 to recreate, 0 links to add, 1 to remove" in r.output
    assert env.graph("GET", f"users/{uid}", **{"$select": "jobTitle"})["jobTitle"] == "Chief Restorer"
    now = {m["id"] for m in env.graph("GET", f"groups/{gid}/members", **{"$select": "id"})["value"]}
    assert now == set(members[1:])
    assert "No changes" in env.ok("apply", "--dry-run").output
    assert "0 changed, 0 added, 0 deleted" in env.ok("backup").output


def test_prune_deletes_objects_whose_files_were_removed_behind_the_mass_change_guard(env: Env) -> None:
    gid = env.find("groups", "Project Aurora")["id"]
    rel = f"groups/{gid[:2]}/{gid}.yaml"
    git(env, "rm", "-q", rel)

    assert "No changes" in env.ok("apply", "--dry-run").output  # without --prune a removal is no request
    r = env.run("apply", "--prune", "--yes")
    assert r.exit_code == 2 and "deletes 1 object" in r.output and "--allow-mass-change" in r.output
    assert env.graph("GET", f"groups/{gid}")["id"] == gid  # nothing written
    out = env.ok("apply", "--prune", "--yes", "--allow-mass-change").output
    assert f"- delete {rel}" in out and "✓ delete" in out
    deleted = env.graph("GET", "directory/deletedItems/microsoft.graph.group")["value"]
    assert gid in {g["id"] for g in deleted}  # group-delete.md: a Microsoft 365 group is soft-deleted
    # its administrative unit membership went with it (no link planned back); the next backup drops it
    assert "+ link" not in out and "0 links to add" in out
    env.ok("backup")
    assert "No changes" in env.ok("apply", "--prune", "--dry-run").output


def test_applying_an_edit_of_a_global_administrator_needs_allow_privileged(env: Env) -> None:
    ga = "62e90394-69f5-4237-9190-012177145e10"  # Global Administrator's template id
    users = {u["id"] for u in env.graph("GET", "users", **{"$select": "id"})["value"]}
    admin = next(
        a["principalId"]
        for a in env.graph("GET", "roleManagement/directory/roleAssignments")["value"]
        if a["roleDefinitionId"] == ga and a["principalId"] in users
    )
    _edit(_path(env, "users", admin), jobTitle="edited")
    r = env.run("apply", "--yes", "users")
    assert r.exit_code == 2 and "--allow-privileged" in r.output
    assert env.graph("GET", f"users/{admin}", **{"$select": "jobTitle"})["jobTitle"] != "edited"
    env.ok("apply", "--yes", "--allow-privileged", "users")
    assert env.graph("GET", f"users/{admin}", **{"$select": "jobTitle"})["jobTitle"] == "edited"


def test_bad_files_are_refused_one_line_each_and_nothing_is_written(env: Env) -> None:
    listed = env.graph("GET", "users", **{"$select": "id,userType,jobTitle"})["value"]
    users = [u for u in listed if u["userType"] == "Member"][:6]
    paths = [_path(env, "users", u["id"]) for u in users]
    rel = [p.relative_to(env.root).as_posix() for p in paths]
    paths[0].write_text(paths[0].read_text() + "jobTitle: [unclosed\n")  # not YAML
    _edit(paths[1], jobTitel="typo")  # unknown property
    _edit(paths[2], accountEnabled="yes")  # a string where Graph has a boolean
    _edit(paths[3], createdDateTime="2001-01-01T00:00:00Z")  # read-only
    copy = _path(env, "users", "00000000-0000-0000-0000-000000000001")
    copy.parent.mkdir(exist_ok=True)
    copy.write_text(paths[4].read_text())  # its id differs from its name
    _edit(paths[5], jobTitle="valid edit, still not written")
    policy = env.graph("GET", "identity/conditionalAccess/policies", **{"$top": "1"})["value"][0]
    ca = env.root / "identity" / "conditionalAccess" / "policies" / f"{policy['id']}.yaml"
    _edit(ca, state="on")  # issue 26: validated, then Graph answered 400 "The policy state is invalid"

    r = env.run("apply", "--yes")
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 6 and all(line.startswith("entragit: error: ") for line in lines), r.output
    text = "\n".join(lines)
    assert f"{rel[0]}: invalid YAML" in text
    assert f"{rel[1]}: jobTitel: not a property entragit backs up for users" in text
    assert f"{rel[2]}: accountEnabled: expected a boolean, got 'yes'" in text
    assert f"{rel[3]}: createdDateTime: read-only, changed from " in text
    copied = copy.relative_to(env.root).as_posix()
    assert f"{copied}: id: '{users[4]['id']}' differs from the file name" in text
    ca_rel = ca.relative_to(env.root).as_posix()
    assert f"{ca_rel}: state: 'on' is not one of enabled, disabled, enabledForReportingButNotEnforced" in text
    assert env.graph("GET", f"identity/conditionalAccess/policies/{policy['id']}")["state"] == policy["state"]
    assert (
        env.graph("GET", f"users/{users[5]['id']}", **{"$select": "jobTitle"})["jobTitle"]
        == (users[5]["jobTitle"])
    )
    r = env.run("apply", "--yes", "no/such/folder")
    assert r.exit_code == 2 and "no/such/folder: no such file or folder" in r.output


def test_every_file_of_a_fresh_backup_passes_the_checks(env: Env) -> None:
    """The checks must not refuse what a backup writes (or `apply` of an untouched tree would fail)."""
    assert "No changes" in env.ok("apply", "--dry-run", "--prune").output


def test_a_refused_edit_exits_1_and_plan_exit_code_counts_it(env: Env) -> None:
    """group-update.md: a mail-enabled security group cannot be written through Graph. apply refuses the edit,
    writes nothing and exits 1 (a pipeline must not read "refused" as "applied"), its dry run too (a PR check
    fails on it), and `plan --exit-code` counts a refusal as something left to do (3)."""
    gid = env.find("groups", "Finance Approvers")["id"]
    path = _path(env, "groups", gid)
    _edit(path, description="edited in a pull request")
    git(env, "commit", "-qam", "PR #8: describe Finance Approvers")
    for args in (("--dry-run",), ("--yes",)):
        r = env.run("apply", *args, str(path))
        assert r.exit_code == 1, r.output
        assert "! refuse" in r.output and "Refused, nothing written for: groups/" in r.output
    assert env.graph("GET", f"groups/{gid}")["description"] != "edited in a pull request"
    with env.box.tenant.lock:  # the same edit made in Exchange Online: restoring it is refused too
        obj = env.box.tenant.coll("groups").objs[gid]
        env.box.tenant.replace("groups", {**obj, "description": "changed in Exchange"})
    assert env.run("plan", "--exit-code", "--at", env.baseline, gid).exit_code == 3
