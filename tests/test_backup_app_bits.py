"""What hangs off an object, kept in its file by full and incremental backups: an application's federated
identity credentials, a service principal's delegated permission classifications, a custom authentication
strength's combination configurations, and the sponsors of guests (read each run beside the users' delta
round, which does not track them: docs/graph.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from live_helpers import cli_env
from test_backup import Env, make_repo

from entragit import catalog, live
from entragit.cli import cli
from entragit.sandbox.server import Sandbox

APPLICATIONS, SERVICE_PRINCIPALS = catalog.by_name("applications"), catalog.by_name("servicePrincipals")
USERS, STRENGTHS = catalog.by_name("users"), catalog.by_name("authenticationStrengthPolicies")


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> Iterator[Env]:
    e = Env(sandbox, make_repo(tmp_path / "backup", sandbox))
    yield e
    e.client.close()


def _owner(e: Env, t: catalog.ObjectType, rel: str) -> tuple[str, dict[str, Any]]:
    """The backed-up object of type t with items in relationship rel: (path, its file)."""
    for path in e.files(t):
        obj = e.load(path)
        if obj.get(rel):
            return path, obj
    raise AssertionError(f"no {t.name} file holds {rel}")


def _guests(e: Env) -> dict[str, dict[str, Any]]:
    users = (e.load(p) for p in e.files(USERS))
    return {catalog.object_path(USERS, u["id"]): u for u in users if u.get("userType") == "Guest"}


def test_a_full_backup_keeps_each_in_its_owners_file_without_ids(env: Env) -> None:
    r = env.backup()
    assert r.ok, r.errors
    _, app = _owner(env, APPLICATIONS, "federatedIdentityCredentials")
    assert app["federatedIdentityCredentials"] == [
        {
            "audiences": ["api://AzureADTokenExchange"],
            "description": "Deploys from the main branch",
            "issuer": "https://token.actions.githubusercontent.com",
            "name": "github-main",
            "subject": "repo:contoso/contoso-expense-portal:ref:refs/heads/main",
        }
    ]
    _, sp = _owner(env, SERVICE_PRINCIPALS, "delegatedPermissionClassifications")
    [classification] = sp["delegatedPermissionClassifications"]
    assert classification["permissionName"] == "User.Read" and classification["classification"] == "low"
    assert "id" not in classification
    _, strength = _owner(env, STRENGTHS, "combinationConfigurations")
    [combination] = strength["combinationConfigurations"]
    assert combination["@odata.type"] == "#microsoft.graph.fido2CombinationConfiguration"
    assert combination["appliesToCombinations"] == ["fido2"] and "id" not in combination
    # guests' files list their sponsors (perhaps none); members' files say nothing about sponsors
    guests = _guests(env)
    assert guests and all(isinstance(g["sponsors"], list) for g in guests.values())
    assert any(g["sponsors"] for g in guests.values())
    members = [env.load(p) for p in env.files(USERS) if p not in guests]
    assert members and not any("sponsors" in m for m in members)


def test_an_incremental_backup_keeps_changes_of_each(env: Env) -> None:
    """Applications, service principals and strengths are re-listed each run; users come from a delta
    round, and a guest whose sponsors changed (nothing else) is rewritten from the guests' listing."""
    assert env.backup().ok
    app_path, app = _owner(env, APPLICATIONS, "federatedIdentityCredentials")
    fics = f"applications/{app['id']}/federatedIdentityCredentials"
    env.graph("PATCH", f"{fics}/github-main", {"subject": "repo:contoso/portal:environment:prod"})
    sp_path, sp = _owner(env, SERVICE_PRINCIPALS, "delegatedPermissionClassifications")
    path = f"servicePrincipals/{sp['id']}/delegatedPermissionClassifications"
    [item] = env.graph("GET", path)["value"]
    env.graph("DELETE", f"{path}/{item['id']}")
    strength_path, strength = _owner(env, STRENGTHS, "combinationConfigurations")
    path = f"{STRENGTHS.path}/{strength['id']}/combinationConfigurations"
    [fido] = env.graph("GET", path)["value"]
    env.graph("PATCH", f"{path}/{fido['id']}", {"allowedAAGUIDs": []})
    guest_path, guest = next((p, g) for p, g in _guests(env).items() if not g["sponsors"])
    sponsor = next(u for u in (env.load(p) for p in env.files(USERS)) if u.get("userType") == "Member")
    env.graph("POST", f"users/{guest['id']}/sponsors/$ref", {"@odata.id": f"users/{sponsor['id']}"})

    r = env.backup()
    assert r.ok, r.errors
    assert r.types["users"].mode == "delta"
    changed = {path for status, path in env.last_commit_files(reports=False)}
    assert changed == {app_path, sp_path, strength_path, guest_path}
    assert [f["subject"] for f in env.load(app_path)["federatedIdentityCredentials"]] == [
        "repo:contoso/portal:environment:prod"
    ]
    assert env.load(sp_path)["delegatedPermissionClassifications"] == []
    assert env.load(strength_path)["combinationConfigurations"][0]["allowedAAGUIDs"] == []
    assert env.load(guest_path)["sponsors"] == [sponsor["id"]]

    # a guest in the delta round whose sponsors changed too, beside a member in the round: the guest's file
    # takes both (the round's guests wait for the guests' listing; the members are taken before it ends)
    env.graph("PATCH", f"users/{guest['id']}", {"jobTitle": "Auditor"})
    env.graph("DELETE", f"users/{guest['id']}/sponsors/{sponsor['id']}/$ref")
    env.graph("PATCH", f"users/{sponsor['id']}", {"jobTitle": "Sponsor"})
    assert env.backup().ok
    assert {p for _status, p in env.last_commit_files(reports=False)} == {
        guest_path,
        catalog.object_path(USERS, sponsor["id"]),
    }
    assert (env.load(guest_path)["jobTitle"], env.load(guest_path)["sponsors"]) == ("Auditor", [])
    assert env.load(catalog.object_path(USERS, sponsor["id"]))["jobTitle"] == "Sponsor"

    # a guest who became a member: the delta round brings the change, the file no longer lists sponsors
    env.graph("PATCH", f"users/{guest['id']}", {"userType": "Member"})
    assert env.backup().ok
    assert "sponsors" not in env.load(guest_path)


def test_a_guests_sponsors_change_is_kept_after_runs_that_skipped_the_unchanged_ones(env: Env) -> None:
    """Runs keep a digest of each guest's sponsors, and incremental runs open only the files of guests whose
    sponsors changed: a change after such runs (added, then removed again) still reaches the file, and a run
    with no change commits nothing."""
    assert env.backup().ok  # the full run's digests
    r = env.backup()
    assert r.ok and r.commit is None, r.errors
    guest_path, guest = next((p, g) for p, g in _guests(env).items() if g["sponsors"])
    sponsor = next(u for u in (env.load(p) for p in env.files(USERS)) if u.get("userType") == "Member")
    env.graph("POST", f"users/{guest['id']}/sponsors/$ref", {"@odata.id": f"users/{sponsor['id']}"})
    assert env.backup().ok
    assert sorted(env.load(guest_path)["sponsors"]) == sorted([*guest["sponsors"], sponsor["id"]])
    env.graph("DELETE", f"users/{guest['id']}/sponsors/{sponsor['id']}/$ref")
    r = env.backup()
    assert r.ok and {path for _, path in env.last_commit_files(reports=False)} == {guest_path}
    assert sorted(env.load(guest_path)["sponsors"]) == sorted(guest["sponsors"])
    r = env.backup()
    assert r.ok and r.commit is None


def test_the_guests_listing_in_ranges_leaves_no_guest_out_whatever_the_bounds(env: Env) -> None:
    """The guests' sponsors listing, split in ranges of mailNickname (`le b1`, `ge b1 and le b2`, ...,
    `ge bN`), returns each guest once with the sponsors the single listing returns, for any bounds: sorted,
    unsorted, equal to a guest's nickname, outside every nickname."""
    reader = live.Reader(env.client)
    whole = reader.side_links(USERS)
    assert len(whole) >= 3 and any(v["sponsors"] for v in whole.values())
    nicknames = sorted(env.graph("GET", f"users/{oid}?$select=mailNickname")["mailNickname"] for oid in whole)
    for bounds in (nicknames[1:-1], ["zzz", "a", nicknames[1]], ["~"], ["", nicknames[0].upper()]):
        reader = live.Reader(env.client)
        reader.side_split = {"users": bounds}
        assert reader.side_links(USERS) == whole, bounds


def test_a_run_reads_the_guests_in_the_ranges_the_last_one_found(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bounds a run found go to the state (`sideSplit`), the next run reads those ranges side by side
    and still keeps every guest's sponsors; a range that fails fails the users type, no file changed."""
    monkeypatch.setattr(live, "SIDE_RANGE_OBJECTS", 1)
    assert env.backup().ok
    state = json.loads((env.root / ".git/entragit/state/state.json").read_text())
    bounds = state["types"]["users"]["sideSplit"]
    assert len(bounds) >= 2 and bounds == sorted(bounds)
    guests = _guests(env)
    sponsor = next(u for u in (env.load(p) for p in env.files(USERS)) if u.get("userType") == "Member")
    for guest in guests.values():
        if sponsor["id"] not in guest["sponsors"]:
            env.graph("POST", f"users/{guest['id']}/sponsors/$ref", {"@odata.id": f"users/{sponsor['id']}"})
    env.fault(r"mailNickname(%20|\+| )ge", 503)
    r = env.backup()
    assert r.types["users"].mode == "failed" and not r.commit
    env.clear_faults()
    r = env.backup()
    assert r.ok and r.types["users"].mode == "delta"
    for path in guests:
        assert sponsor["id"] in env.load(path)["sponsors"], path


def test_a_first_backup_reads_the_guests_in_ranges_too(env: Env) -> None:
    """A first run has no last run's bounds: it reads the guests in the ranges of `FIRST_SPLIT` side by side
    (a range that fails fails the users type), and keeps every guest's sponsors as one listing reads them."""
    whole = live.Reader(env.client)
    whole.side_split = {"users": []}  # (no bounds: the one listing)
    expected = whole.side_links(USERS)
    env.fault(r"mailNickname(%20|\+| )le", 503)
    r = env.backup()
    assert r.types["users"].mode == "failed" and not env.files(USERS)
    env.clear_faults()
    assert env.backup().ok
    assert {g["id"]: g.get("sponsors") for g in _guests(env).values()} == {
        oid: sorted(v["sponsors"]) for oid, v in expected.items()
    }


def test_ranges_graph_refuses_fall_back_to_one_listing(env: Env) -> None:
    """A 400 for the ranges (the filter table leaves mailNickname's ge/le blank) costs no run: the guests
    come in one listing, every sponsor kept, and the next runs read them so without trying ranges again."""
    whole = live.Reader(env.client)
    whole.side_split = {"users": []}
    expected = {oid: sorted(v["sponsors"]) for oid, v in whole.side_links(USERS).items()}
    env.fault(r"mailNickname(%20|\+| )(ge|le)", 400)
    r = env.backup()
    assert r.ok, r.errors
    assert {g["id"]: g.get("sponsors") for g in _guests(env).values()} == expected
    state = json.loads((env.root / ".git/entragit/state/state.json").read_text())
    assert state["types"]["users"]["sideSplit"] == []
    env.clear_faults()
    env.fault(r"mailNickname(%20|\+| )(ge|le)", 503)  # (a range tried now would fail the users type)
    r = env.backup()
    assert r.ok and r.types["users"].mode == "delta", r.errors


def test_a_failed_guests_listing_changes_no_users_file(env: Env) -> None:
    """No data loss: sponsors the run could not read are never written as none; the users type fails as a
    whole (its files and incremental state as they were) and the next run takes the change."""
    assert env.backup().ok
    guest_path, guest = next((p, g) for p, g in _guests(env).items() if g["sponsors"])
    before = (env.root / guest_path).read_bytes()
    env.graph("DELETE", f"users/{guest['id']}/sponsors/{guest['sponsors'][0]}/$ref")
    env.fault(r"/users\?.*userType", 503)
    for full in (False, True):  # an incremental run, and a full one (the listing beside the first round)
        r = env.backup(full=full)
        assert r.types["users"].mode == "failed" and "users" in r.errors[0]
        assert (env.root / guest_path).read_bytes() == before
    env.clear_faults()
    r = env.backup()
    assert r.ok and r.types["users"].mode == "delta"
    assert env.load(guest_path)["sponsors"] == guest["sponsors"][1:]


def test_history_shows_a_credential_change(env: Env) -> None:
    """versions, show and compare read the items like any other value of the file; compare … live reads
    them as a backup does (no difference right after one)."""
    assert env.backup().ok
    _, app = _owner(env, APPLICATIONS, "federatedIdentityCredentials")
    fics = f"applications/{app['id']}/federatedIdentityCredentials"
    env.graph("PATCH", f"{fics}/github-main", {"subject": "repo:contoso/portal:environment:prod"})
    assert env.backup().ok

    def run(*args: str) -> str:
        r = CliRunner().invoke(cli, [args[0], "--repo", str(env.root), *args[1:]], env=cli_env(env.box))
        assert r.exit_code == 0, r.output
        return r.output

    assert "federatedIdentityCredentials" in run("versions", app["id"]).splitlines()[2]
    assert "repo:contoso/portal:environment:prod" in run("show", app["id"])
    compared = run("compare", app["id"])
    assert "repo:contoso/contoso-expense-portal:ref:refs/heads/main" in compared
    assert "repo:contoso/portal:environment:prod" in compared
    assert "federatedIdentityCredentials" not in run("compare", app["id"], "live")
