"""History commands end to end over a repository built by real backups of the sandbox.

The repository is built once for the module: `entragit init` + `entragit backup`, then changes an admin
would make through raw Graph calls (rename a group and change its members, soft-delete a user and restore it,
delete a conditional access policy, create a second user with an existing name, a group named with a slash and
a user named with emoji and CJK characters, disable a licensed user) with a daily backup after each step.
Every test only reads that repository through the CLI, as a user would.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from daily_backups import DailyBackups as Built
from daily_backups import daily_backups
from gitcmd import git

from entragit import canonical, catalog
from entragit.cli import cli


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with daily_backups(tmp_path_factory, "history") as b:
        box = b.box
        # One commit per backup run: the versions below count runs (attribution: tests/test_attribution.py).
        with open(b.root / "entragit.yaml", "a", encoding="utf-8") as fh:
            fh.write("attribution: false\n")
        git(b.root, "commit", "-qam", "attribution off")
        b.ids["group"] = b.find("groups", "Project Aurora")
        b.ids["ca"] = b.find("identity/conditionalAccess/policies", "Block legacy authentication")
        users = b.graph("GET", "users?$select=id,displayName,userPrincipalName,assignedLicenses,userType")[
            "value"
        ]
        by_name = {u["displayName"]: u for u in users}
        b.ids["megan"] = by_name["Megan Bowen"]["id"]
        b.ids["alex"] = by_name["Alex Wilber"]["id"]
        b.ids["alex_upn"] = by_name["Alex Wilber"]["userPrincipalName"]
        members = [m["id"] for m in b.graph("GET", f"groups/{b.ids['group']}/members?$select=id")["value"]]
        b.ids["leaving"] = members[0]
        b.ids["joining"] = next(u["id"] for u in users if u["id"] not in members and u["id"] != b.ids["alex"])
        b.ids["disabled"] = next(
            u["id"]
            for u in users
            if u["assignedLicenses"] and u.get("userType") != "Guest" and u["id"] not in (b.ids["alex"],)
        )
        b.backup()  # 0: initial state

        g = b.ids["group"]
        b.graph("PATCH", f"groups/{g}", {"displayName": "Project Borealis"})
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{b.ids['joining']}"}
        b.graph("POST", f"groups/{g}/members/$ref", ref)
        b.graph("DELETE", f"groups/{g}/members/{b.ids['leaving']}/$ref")
        b.backup()  # 1: renamed, one member in, one out

        b.graph("DELETE", f"users/{b.ids['alex']}")
        b.graph("DELETE", f"identity/conditionalAccess/policies/{b.ids['ca']}")
        twin = {
            "accountEnabled": True,
            "displayName": "Megan Bowen",
            "mailNickname": "megan2",
            "userPrincipalName": f"megan2@{box.tenant.domain}",
            "passwordProfile": {"password": "Xy7!long-enough-Pa55", "forceChangePasswordNextSignIn": True},
        }
        b.ids["twin"] = b.graph("POST", "users", twin)["id"]
        slashed = {"displayName": "Sales/Marketing", "mailEnabled": False, "mailNickname": "salesmkt"}
        b.ids["slashed"] = b.graph("POST", "groups", {**slashed, "securityEnabled": True})["id"]
        wide = dict(
            twin, displayName="Zoë 🚀 李芳", mailNickname="zoe", userPrincipalName=f"zoe@{box.tenant.domain}"
        )
        b.ids["wide"] = b.graph("POST", "users", wide)["id"]
        b.backup()  # 2: user soft-deleted, CA policy deleted, a second "Megan Bowen", odd names

        b.graph("POST", f"directory/deletedItems/{b.ids['alex']}/restore")
        b.graph("PATCH", f"users/{b.ids['disabled']}", {"accountEnabled": False})
        b.graph("PATCH", f"users/{b.ids['wide']}", {"userPrincipalName": f"zoe.r@{box.tenant.domain}"})
        newer = b.new_secure_score_day()
        b.ids["score"] = str(newer["currentScore"])
        b.ids["max"] = str(newer["maxScore"])
        b.backup()  # 3: user restored, a user disabled, a UPN changed, a new secure score
        yield b


def run(b: Built, *args: str, **env: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--repo", str(b.root)], env={**b.env, **env})


def run_json(b: Built, *args: str) -> Any:
    r = run(b, *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def diff_json(b: Built, *args: str) -> Any:
    """The differences of `compare --json` (beside the labels, path and names since issue 8, item 8)."""
    return run_json(b, "compare", *args)["differences"]


def short(sha: str) -> str:
    return sha[:8]


def head_files(b: Built) -> list[str]:
    return [p for p in git(b.root, "ls-files").splitlines() if catalog.type_for_path(p)]


# -- ls -----------------------------------------------------------------------------------------------------


def test_ls_json_lists_every_object_file_with_its_last_change(built: Built) -> None:
    rows = run_json(built, "ls")
    assert sorted(r["path"] for r in rows) == sorted(head_files(built))
    keys = {"path", "type", "id", "displayName", "identity", "lastBackup", "deleted", "state"}
    assert all(set(r) == keys for r in rows)
    for r in rows:
        last = git(built.root, "log", "-1", "--format=%ct", "--", r["path"]).strip()
        iso = subprocess.run(
            ["date", "-u", "-d", f"@{last}", "+%Y-%m-%dT%H:%M:%SZ"], capture_output=True, text=True
        ).stdout.strip()
        assert r["lastBackup"] == iso
        # a singleton's file is named after its Graph path, not its id (security defaults' is a GUID)
        assert (
            r["id"] == r["path"].rsplit("/", 1)[1].removesuffix(".yaml")
            or catalog.by_name(r["type"]).singleton
        )
    assignments = [r for r in rows if r["type"] == "roleAssignments"]
    names = {r["displayName"] for r in rows}
    assert assignments and all(" → " in r["displayName"] for r in assignments)
    assert any(r["displayName"].split(" → ")[1] in names for r in assignments)  # principal shown by name
    group = next(r for r in rows if r["path"] == built.path("groups", "group"))
    assert group["displayName"] == "Project Borealis" and group["type"] == "groups"


def test_ls_type_filter_and_soft_deleted_objects(built: Built) -> None:
    users = run_json(built, "ls", "users")
    assert {r["type"] for r in users} == {"users"}
    deleted = run_json(built, "ls", "users", "--deleted")
    assert [r["displayName"] for r in deleted] == ["Allan Deyoung"]  # soft-deleted in the seed
    live = run_json(built, "ls", "users", "--no-deleted")
    assert len(live) + len(deleted) == len(users)
    alex = next(r for r in users if r["id"] == built.ids["alex"])
    assert alex["deleted"] is False  # restored since


def test_ls_human_table_marks_deleted_and_rejects_unknown_types(built: Built) -> None:
    r = run(built, "ls", "users")
    assert r.exit_code == 0
    header, *lines = r.output.splitlines()
    assert header.split() == ["TYPE", "DISPLAY", "NAME", "IDENTITY", "LAST", "BACKUP", "(UTC)", "STATE"]
    allan = next(line for line in lines if "Allan Deyoung" in line)
    assert allan.rstrip().endswith("  soft-deleted")  # not "removed": still in the recycle bin
    assert "\x1b[" not in r.output  # NO_COLOR / not a terminal: no escape codes
    bad = run(built, "ls", "widgets")
    assert bad.exit_code == 2 and "unknown object type 'widgets'" in bad.output


# -- show ---------------------------------------------------------------------------------------------------


def test_show_json_is_the_canonical_object_and_at_shows_old_versions(built: Built) -> None:
    path = built.path("groups", "group")
    now = run_json(built, "show", "Project Borealis")
    source = now.pop("@entragit")  # what the text's header says (issue 8, item 8), beside the object
    assert now == canonical.load((built.root / path).read_text())
    assert (source["path"], source["commit"]) == (path, short(built.commits[-1]))
    before = run_json(built, "show", path, "--at", built.commits[0])
    assert before["displayName"] == "Project Aurora"
    assert built.ids["leaving"] in before["members"] and built.ids["leaving"] not in now["members"]
    by_old_name = run_json(built, "show", "Project Aurora", "--at", short(built.commits[0]))
    assert by_old_name == before


def test_show_lists_flattened_attributes_and_search_filters_them(built: Built) -> None:
    r = run(built, "show", built.ids["alex_upn"])
    assert r.exit_code == 0, r.output
    assert "userPrincipalName" in r.output and built.ids["alex_upn"] in r.output
    found = run(built, "show", "Project Borealis", "--search", "MEMBERS")
    lines = [line for line in found.output.splitlines()[2:] if line.strip() and "not set" not in line]
    assert lines and all(line.startswith("members[") for line in lines)
    joining_name = run_json(built, "show", built.ids["joining"])["displayName"]
    assert f"{built.ids['joining']} ({joining_name})" in found.output  # ids shown with their names
    by_value = run(built, "show", "Project Borealis", "--search", "project borealis")
    assert "displayName" in by_value.output and "members[" not in by_value.output


def test_show_resolves_path_id_upn_appid_and_name(built: Built) -> None:
    alex = built.path("users", "alex")
    for spec in (alex, built.ids["alex"], built.ids["alex_upn"].upper(), "Alex Wilber"):
        assert run_json(built, "show", spec)["id"] == built.ids["alex"], spec
    app = run_json(built, "show", "Payroll Sync", "--search", "appId") if False else None
    assert app is None
    apps = [r for r in run_json(built, "ls", "applications") if r["displayName"] == "Payroll Sync"]
    app_obj = run_json(built, "show", apps[0]["path"])
    amb = run(built, "show", app_obj["appId"])  # the application and its service principal share the appId
    assert amb.exit_code == 1
    assert "applications/" in amb.output and "servicePrincipals/" in amb.output


def test_ambiguous_name_lists_candidates_and_unknown_names_and_revisions_are_clear(built: Built) -> None:
    r = run(built, "show", "Megan Bowen")
    assert r.exit_code == 1
    assert r.output.startswith("entragit: error: 'Megan Bowen' matches 2 objects")
    assert built.path("users", "megan") in r.output and built.path("users", "twin") in r.output
    assert r.output.count("\n") == 1  # one line, no traceback
    assert run_json(built, "show", built.ids["twin"])["userPrincipalName"].startswith("megan2@")

    r = run(built, "show", "Nobody Here")
    assert r.exit_code == 1 and "no object matches 'Nobody Here'" in r.output and r.output.count("\n") == 1
    for cmd in (["show", "Alex Wilber", "--at", "v9.9"], ["compare", "Alex Wilber", "v9.9"]):
        r = run(built, *cmd)
        assert r.exit_code == 1 and "unknown revision 'v9.9'" in r.output and r.output.count("\n") == 1


def test_impossible_dates_are_refused_by_every_command_that_takes_a_revision(built: Built) -> None:
    """git's --before= reads 2026-13-45 as some date and showed the latest version: a date-shaped revision
    that is no calendar date is a usage error, before anything is read."""
    for bad in ("2026-13-45", "2026-12-45", "2026-02-30", "2026-11-02T25:00", "2026-11-02T04:30+24:00"):
        for cmd in (
            ["show", "Alex Wilber", "--at", bad],
            ["compare", "Alex Wilber", bad],
            ["compare", "Alex Wilber", "HEAD~1", bad],
        ):
            r = run(built, *cmd)
            assert r.exit_code == 2, (cmd, r.output)
            assert r.output.startswith(f"entragit: error: invalid date '{bad}' (a backup date is YYYY-MM-DD")
            assert r.output.count("\n") == 1
    assert run(built, "show", "Alex Wilber", "--at", "2026-11-02T04:30+02:00").exit_code == 0


# -- versions -----------------------------------------------------------------------------------------------


def test_versions_of_renamed_group_show_the_rename_and_member_changes(built: Built) -> None:
    found = run_json(built, "versions", "Project Borealis")
    assert [v["commit"] for v in found] == [short(built.commits[1]), short(built.commits[0])]
    assert found[0]["summary"].startswith('renamed "Project Aurora" → "Project Borealis"')
    assert "members (+1 −1)" in found[0]["summary"]
    assert found[1]["summary"] == "created"
    assert all(
        set(v) == {"commit", "date", "summary", "path", "by"} and v["date"].endswith("Z") for v in found
    )


def test_versions_of_deleted_and_restored_user_and_of_removed_policy(built: Built) -> None:
    alex = run_json(built, "versions", built.ids["alex_upn"])
    summaries = [v["summary"] for v in alex]
    assert summaries[-1] == "created"
    assert summaries[-2].startswith("soft-deleted") and summaries[-3].startswith("restored")
    policy = run_json(built, "versions", "Block legacy authentication")  # no longer in HEAD: found in history
    assert [v["summary"] for v in policy] == ["deleted", "created"]
    assert policy[0]["commit"] == short(built.commits[2])
    human = run(built, "versions", "Block legacy authentication")
    assert "COMMIT" in human.output and "deleted" in human.output


# -- compare ------------------------------------------------------------------------------------------------


def test_compare_default_previous_against_latest_by_element(built: Built) -> None:
    ops = diff_json(built, "Project Borealis")
    assert {
        "path": "/displayName",
        "op": "replace",
        "old": "Project Aurora",
        "new": "Project Borealis",
    } in ops
    assert {"path": "/members/-", "op": "add", "old": None, "new": built.ids["joining"]} in ops
    removed = [o for o in ops if o["op"] == "remove"]
    assert len(removed) == 1 and removed[0]["old"] == built.ids["leaving"]
    assert removed[0]["path"].startswith("/members/")
    assert all(set(o) == {"path", "op", "old", "new"} for o in ops)


def test_compare_human_output_names_members_and_all_shows_unchanged(built: Built) -> None:
    leaving = run_json(built, "show", built.ids["leaving"])["displayName"]
    r = run(built, "compare", "Project Borealis", built.commits[0], built.commits[1])
    assert r.exit_code == 0, r.output
    assert "~ displayName: Project Aurora → Project Borealis" in r.output
    assert f"- members: {built.ids['leaving']} ({leaving})" in r.output
    assert "mailNickname" not in r.output
    every = run(built, "compare", "Project Borealis", built.commits[0], built.commits[1], "--all")
    assert "  mailNickname:" in every.output
    same = run(built, "compare", "Project Borealis", built.commits[2], built.commits[3])
    assert "no differences" in same.output


def test_compare_one_revision_against_latest_and_a_removed_object(built: Built) -> None:
    ops = diff_json(built, built.ids["alex"], built.commits[2])  # soft-deleted → restored
    assert any(o["path"] == "/deletedDateTime" and o["op"] == "replace" and o["new"] is None for o in ops)
    gone = run(built, "compare", "Block legacy authentication")
    assert "(object absent)" in gone.output
    assert all(o["op"] == "remove" for o in diff_json(built, "Block legacy authentication"))


def test_compare_with_live_tenant(built: Built) -> None:
    assert diff_json(built, "Project Borealis", "HEAD", "live") == []
    assert diff_json(built, "Project Borealis", "live") == []
    built.graph("PATCH", f"groups/{built.ids['group']}", {"description": "changed in the portal"})
    try:
        ops = diff_json(built, "Project Borealis", "HEAD", "live")
        assert [(o["path"], o["op"], o["new"]) for o in ops] == [
            ("/description", "replace", "changed in the portal")
        ]
        r = run(built, "compare", "Project Borealis", "HEAD", "live")
        assert "+++ live" in r.output
        assert diff_json(built, "Allan Deyoung", "HEAD", "live") == []  # soft-deleted, unchanged
        gone = run(built, "compare", "Block legacy authentication", short(built.commits[1]), "live")
        assert gone.exit_code == 0 and "+++ live  (object absent)" in gone.output
    finally:
        before = run_json(built, "show", "Project Borealis")["description"]
        built.graph("PATCH", f"groups/{built.ids['group']}", {"description": before})


# -- restore points -----------------------------------------------------------------------------------------


def test_restore_points_where_all_objects_exist_and_are_not_deleted(built: Built) -> None:
    c = [short(x) for x in built.commits]
    alex = run_json(built, "restore-points", "Alex Wilber")["restorePoints"]
    assert [p["commit"] for p in alex] == [c[3], c[1], c[0]]
    both = run_json(built, "restore-points", "Alex Wilber", "Block legacy authentication")["restorePoints"]
    assert [p["commit"] for p in both] == [c[1], c[0]]
    assert all(set(p) == {"commit", "date"} for p in both)
    human = run(built, "restore-points", "Alex Wilber", built.path("groups", "group"))
    assert human.exit_code == 0 and c[3] in human.output and c[2] not in human.output


# -- reports ------------------------------------------------------------------------------------------------


def test_score_is_the_latest_record_with_its_history(built: Built) -> None:
    data = run_json(built, "score")
    assert set(data) == {"currentScore", "maxScore", "percent", "date", "low", "high", "history"}
    assert data["currentScore"] == float(built.ids["score"]) and data["maxScore"] == float(built.ids["max"])
    assert data["date"].startswith("2026-12-31")
    assert len(data["history"]) >= 2
    assert data["history"][-1] == {
        "date": data["date"],
        "currentScore": data["currentScore"],
        "maxScore": data["maxScore"],
    }
    r = run(built, "score")
    assert r.exit_code == 0 and "Secure score:" in r.output
    assert any(ch in r.output for ch in "▁▂▃▄▅▆▇█")


def test_seats_counts_from_the_latest_user_files(built: Built) -> None:
    users = [
        canonical.load((built.root / p).read_text())
        for p in head_files(built)
        if catalog.type_for_path(p) is catalog.by_name("users")
    ]
    users = [u for u in users if not u.get("deletedDateTime")]
    member = [u for u in users if (u.get("userType") or "Member") != "Guest"]
    expected = {
        "billable": sum(1 for u in member if u.get("accountEnabled") and u.get("assignedLicenses")),
        "guests": len(users) - len(member),
        "disabled": sum(1 for u in users if u.get("accountEnabled") is False),
        "licensed": sum(1 for u in users if u.get("assignedLicenses")),
        "total": len(users),
    }
    data = run_json(built, "seats")
    assert {k: data[k] for k in expected} == expected
    written = canonical.load((built.root / "reports" / "seats.yaml").read_text())  # the backup's own count
    assert (written["billableUsers"], written["guests"], written["licensedUsers"]) == (
        data["billable"],
        data["guests"],
        data["licensed"],
    )
    assert data["disabled"] >= 1 and data["billable"] < data["licensed"]
    human = run(built, "seats")
    disabled_name = run_json(built, "show", built.ids["disabled"])["displayName"]
    assert "billable" in human.output and disabled_name in human.output


def test_repo_option_and_environment_and_not_a_repository(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(built.root / "users")  # default: the repository containing the current directory
    r = CliRunner().invoke(cli, ["versions", "Alex Wilber", "--json"], env=built.env)
    assert r.exit_code == 0 and len(json.loads(r.output)) == 3
    r = CliRunner().invoke(cli, ["ls", "--json"], env={**built.env, "ENTRAGIT_REPO": str(built.root)})
    assert r.exit_code == 0 and json.loads(r.output)
    r = CliRunner().invoke(cli, ["ls", "--repo", str(tmp_path)], env=built.env)
    assert r.exit_code == 1 and "not a backup repository" in r.output


# -- what admins type and see (QA round) ------------------------------------------------------------------


def test_unsharded_path_bare_file_name_and_path_relative_to_the_current_folder_resolve(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    alex, oid = built.path("users", "alex"), built.ids["alex"]
    for spec in (f"users/{oid}.yaml", f"{oid}.yaml", f"./{alex}"):
        assert run_json(built, "show", spec)["id"] == oid, spec
    monkeypatch.chdir(built.root / "users")  # tab completion from inside the users folder
    assert run_json(built, "show", f"{oid[:2]}/{oid}.yaml")["id"] == oid
    versions = run_json(built, "versions", f"users/{oid}.yaml")
    assert len(versions) == 3  # the same history as through the sharded path
    missing = run(built, "show", f"groups/{oid}.yaml")  # right id, wrong folder
    assert missing.exit_code == 1 and "no such object file" in missing.output


def test_display_names_with_a_slash_and_type_prefixed_names_resolve(built: Built) -> None:
    assert run_json(built, "show", "Sales/Marketing")["id"] == built.ids["slashed"]
    assert run_json(built, "versions", "sales/marketing")[0]["summary"] == "created"
    amb = run(built, "show", "Payroll Sync")  # an app registration and its service principal
    assert amb.exit_code == 1 and "TYPE/NAME such as 'applications/Payroll Sync'" in amb.output
    sp = run_json(built, "show", "servicePrincipals/Payroll Sync")
    app = run_json(built, "show", "applications/payroll sync")
    assert sp["appId"] == app["appId"] and sp["id"] != app["id"]
    assert run_json(built, "show", f"applications/{app['appId']}")["id"] == app["id"]
    policy = run_json(built, "versions", "conditionalAccessPolicies/Block legacy authentication")
    assert [v["summary"] for v in policy] == ["deleted", "created"]  # removed objects too


def test_same_named_users_are_listed_with_their_upn(built: Built) -> None:
    r = run(built, "show", "Megan Bowen")
    megan_upn = run_json(built, "show", built.ids["megan"])["userPrincipalName"]
    assert f"(users, Megan Bowen, {megan_upn})" in r.output and "megan2@" in r.output
    assert "TYPE/NAME" not in r.output  # both are users: the type would not help


def test_role_assignments_of_built_in_roles_are_named_by_the_role(built: Built) -> None:
    rows = run_json(built, "ls", "roleAssignments")
    admins = [r["displayName"] for r in rows if r["displayName"].startswith("Global Administrator → ")]
    assert len(admins) == 4, [r["displayName"] for r in rows]
    assert not any(r["displayName"].startswith("62e90394-") for r in rows)


def test_compare_live_of_a_hard_deleted_object_starts_from_its_last_version(built: Built) -> None:
    r = run(built, "compare", "Block legacy authentication", "live")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("conditionalAccessPolicies Block legacy authentication — ")
    assert lines[1].startswith(f"--- {short(built.commits[0])} (")  # the version it was deleted from
    assert "(object absent)" not in lines[1]
    assert lines[2] == "+++ live  (object absent)"
    ops = diff_json(built, "Block legacy authentication", "live")
    assert ops and all(o["op"] == "remove" for o in ops)
    both_absent = run(built, "compare", "Block legacy authentication", built.commits[2], built.commits[3])
    assert "conditionalAccessPolicies Block legacy authentication — " in both_absent.output


def test_table_columns_stay_aligned_after_wide_characters(built: Built) -> None:
    from entragit.cli.output import width

    r = run(built, "ls", "users")
    lines = r.output.splitlines()
    header = lines[0]
    col = width(header[: header.index("IDENTITY")])
    zoe = next(line for line in lines if "Zoë 🚀 李芳" in line)
    assert width(zoe[: zoe.index("zoe.r@")]) == col
    upn = built.ids["alex_upn"]
    plain = next(line for line in lines if upn in line)
    assert width(plain[: plain.index(upn)]) == col


def test_show_of_a_removed_object_suggests_a_command_that_can_be_pasted(built: Built) -> None:
    r = run(built, "show", "Block legacy authentication")
    assert r.exit_code == 1 and "see `entragit versions 'Block legacy authentication'`" in r.output


def test_dates_with_a_utc_offset_name_the_last_backup_before_that_moment(built: Built) -> None:
    # Backups run daily at 02:00 UTC: 03:30 and 04:30 at UTC+02:00 on 2 November fall either side of one.
    for moment, expected in (("2026-11-02T03:30+02:00", 0), ("2026-11-02T04:30:00+02:00", 1)):
        at = run(built, "show", "Project Borealis", "--at", moment)
        assert at.exit_code == 0, at.output
        assert f"at {short(built.commits[expected])}" in at.output.splitlines()[0], moment
    assert (
        run_json(built, "show", built.ids["group"], "--at", "2026-11-01")["displayName"] == "Project Aurora"
    )


def test_show_at_an_old_revision_accepts_the_name_the_object_has_now(built: Built) -> None:
    old = run_json(built, "show", "Project Borealis", "--at", "HEAD~3")  # renamed since
    assert old["displayName"] == "Project Aurora" and old["id"] == built.ids["group"]
    r = run(built, "show", "Sales/Marketing", "--at", built.commits[0])  # created later
    assert r.exit_code == 1 and f"does not exist at {built.commits[0]}" in r.output


def test_ls_after_init_only_says_to_run_a_backup(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    ids = ["--tenant-id", "contoso.onmicrosoft.com", "--client-id", "7d1f3e5a-2c4b-4a9e-8f6d-0b1c2d3e4f5a"]
    r = CliRunner().invoke(cli, ["init", "--repo", str(root), *ids])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["ls", "--repo", str(root)], env={"ENTRAGIT_REPO": ""})
    assert r.exit_code == 0 and r.output.strip() == "no objects backed up yet; run `entragit backup`"
    r = CliRunner().invoke(cli, ["ls", "users", "--repo", str(root)], env={"ENTRAGIT_REPO": ""})
    assert r.output.strip() == "no objects of type users match"


def test_outside_a_repository_the_error_names_the_absolute_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["ls"], env={"ENTRAGIT_REPO": ""})
    assert r.exit_code == 1
    assert r.output.startswith(f"entragit: error: {tmp_path} is not a backup repository")


def test_report_and_settings_files_are_named_as_not_objects(built: Built) -> None:
    r = run(built, "versions", "reports/secureScore.yaml")
    assert r.exit_code == 1 and "is not an object file (see `entragit score`" in r.output
    assert "see `entragit seats`" in run(built, "show", "reports/seats.yaml").output
    assert "no such object file" in run(built, "show", "users/nobody.yaml").output


def test_live_as_the_first_revision_is_a_usage_error(built: Built) -> None:
    r = run(built, "compare", "Project Borealis", "live", "HEAD")
    assert r.exit_code == 2 and "`live` can only be the second revision" in r.output


def test_guests_and_groups_are_found_by_their_mail_address(built: Built) -> None:
    guest = run_json(built, "show", "Ana.Bowman@fabrikam.com")  # not its #EXT# UPN
    assert guest["userPrincipalName"].startswith("ana.bowman_fabrikam.com#EXT#@")
    group = run_json(built, "show", f"MarketingTeam@{built.box.tenant.domain}")
    assert group["displayName"] == "Marketing Team"
    row = next(r for r in run(built, "ls", "users").output.splitlines() if "Ana Bowman" in r)
    assert "#EXT#" in row  # ls still shows the UPN


def test_an_object_already_soft_deleted_at_its_first_backup_says_so(built: Built) -> None:
    found = run_json(built, "versions", "Allan Deyoung")  # in the recycle bin in the seed
    assert found[-1]["summary"] == "created, soft-deleted"


def test_ls_removed_finds_what_was_deleted_for_good(built: Built) -> None:
    rows = run_json(built, "ls", "--removed")
    assert [(r["displayName"], r["deleted"]) for r in rows] == [("Block legacy authentication", True)]
    assert set(rows[0]) == {"path", "type", "id", "displayName", "identity", "lastBackup", "deleted", "state"}
    assert rows[0]["lastBackup"] == "2026-11-03T02:00:00Z"  # the backup that found it gone (commits[2])
    human = run(built, "ls", "--removed")
    assert "Block legacy authentication" in human.output and "removed" in human.output
    assert run(built, "ls", "users", "--removed").output.strip() == "no object of type users was removed"
    assert run(built, "ls", "--removed", "--deleted").exit_code == 2


def test_seats_names_its_backup_with_the_date_form_of_the_other_commands(built: Built) -> None:
    first = run(built, "seats").output.splitlines()[0]
    assert first == f"from backup {short(built.commits[3])} (2026-11-04 02:00 UTC)"


def test_versions_show_a_changed_upn_old_and_new(built: Built) -> None:
    found = run_json(built, "versions", built.ids["wide"])
    domain = built.box.tenant.domain
    assert found[0]["summary"] == f'UPN "zoe@{domain}" → "zoe.r@{domain}"'


# -- every --json carries what the text shows (issue 8, item 8) ----------------------------------------------


def test_seats_json_lists_the_licensed_but_not_billable_users_the_text_shows(built: Built) -> None:
    text = run(built, "seats").output
    data = run_json(built, "seats")
    reclaim = data["reclaim"]
    assert f"Licensed but not billable ({len(reclaim)}; licenses to review)" in text
    assert reclaim and built.ids["disabled"] in {u["id"] for u in reclaim}
    for user in reclaim:
        row = next(line for line in text.splitlines() if user["userPrincipalName"] in line)
        assert user["displayName"] in row and row.rstrip().endswith(user["reason"])
    assert f"from backup {data['commit']} " in text and data["date"] == data["date"][:19] + "Z"


def test_compare_json_names_the_members_and_carries_the_labels(built: Built) -> None:
    args = ("Project Borealis", built.commits[0], built.commits[1])
    text = run(built, "compare", *args).output
    data = run_json(built, "compare", *args)
    assert text.splitlines()[0].endswith(f" — {data['path']}") and data["displayName"] == "Project Borealis"
    assert f"--- {data['a']['label']}\n" in text and f"+++ {data['b']['label']}\n" in text
    assert data["a"]["exists"] and data["b"]["exists"]
    for member in (built.ids["leaving"], built.ids["joining"]):
        assert f"{member} ({data['names'][member]})" in text  # the name the text gives the id


def test_ls_show_versions_restore_points_and_score_json_carry_the_text(built: Built) -> None:
    ls_text = run(built, "ls", "users").output
    rows = {r["id"]: r for r in run_json(built, "ls", "users")}
    alex = rows[built.ids["alex"]]
    assert alex["identity"] == built.ids["alex_upn"] and alex["identity"] in ls_text and alex["state"] is None
    allan = next(r for r in rows.values() if r["displayName"] == "Allan Deyoung")
    assert allan["state"] == "soft-deleted"

    shown = run_json(built, "show", "Project Borealis")["@entragit"]
    show_text = run(built, "show", "Project Borealis").output
    assert f"{shown['path']} at {shown['commit']}" in show_text.splitlines()[0]
    joining = built.ids["joining"]
    assert f"{joining} ({shown['names'][joining]})" in show_text

    versions = run_json(built, "versions", "Project Borealis")
    assert (
        run(built, "versions", "Project Borealis").output.splitlines()[0]
        == f"versions of {versions[0]['path']}"
    )

    points = run_json(built, "restore-points", "Alex Wilber", "Block legacy authentication")
    points_text = run(built, "restore-points", "Alex Wilber", "Block legacy authentication").output
    for obj in points["objects"]:
        assert f"  {obj['displayName']} ({obj['path']})" in points_text

    score = run_json(built, "score")
    score_text = run(built, "score").output
    assert f"({score['percent']:.1f}%)" in score_text.splitlines()[0]
    assert f"low {score['low']['currentScore']:.2f} ({score['low']['date'][:10]})" in score_text
    assert f"high {score['high']['currentScore']:.2f} ({score['high']['date'][:10]})" in score_text
