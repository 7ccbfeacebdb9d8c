"""Custom security attributes in a backup: sets and definitions always; values on users and service
principals only when entragit.yaml opts in (`custom_security_attributes: true`), kept current by incremental
runs although no delta round carries them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import live_helpers
import pytest
from click.testing import CliRunner

from entragit import canonical, catalog, config
from entragit.backup import run_backup
from entragit.cli import cli
from entragit.config import Config
from entragit.repo.writer import Store
from entragit.sandbox.permissions import ALL_PERMISSIONS
from entragit.sandbox.server import Sandbox

WRITE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
DEFINITIONS = catalog.by_name("customSecurityAttributeDefinitions")
USERS = catalog.by_name("users")
SPS = catalog.by_name("servicePrincipals")


def make_repo(path: Path, box: Sandbox, opt_in: bool) -> Path:
    st = Store.init(path)
    cfg = Config(
        tenant_id=box.tenant_id, client_id=box.client_id, attribution=False, custom_security_attributes=opt_in
    )
    config.save(st.root, cfg)
    st.commit_paths(["entragit.yaml"], "entragit init")
    return st.root


def read(root: Path, t: catalog.ObjectType, oid: str) -> dict[str, Any]:
    return canonical.load((root / catalog.object_path(t, oid)).read_text(encoding="utf-8"))


def valued(box: Sandbox, key: str) -> list[str]:
    return sorted(
        str(o["id"]) for o in box.tenant.coll(key).objs.values() if o.get("customSecurityAttributes")
    )


def test_definitions_always_values_only_when_opted_in(sandbox: Sandbox, tmp_path: Path) -> None:
    client = live_helpers.client_for(sandbox)
    off = make_repo(tmp_path / "off", sandbox, opt_in=False)
    assert run_backup(off, client=client).ok
    clearance = read(off, DEFINITIONS, "Security_Clearance")
    assert clearance["allowedValues"] == [
        {"id": "Confidential", "isActive": True},
        {"id": "Public", "isActive": True},
        {"id": "Secret", "isActive": True},
    ]
    assert (off / "directory/attributeSets/Security.yaml").is_file()
    users = valued(sandbox, "users")
    assert len(users) == 3
    assert "customSecurityAttributes" not in read(off, USERS, users[0])
    assert "customSecurityAttributes" not in (off / catalog.object_path(USERS, users[0])).read_text()

    on = make_repo(tmp_path / "on", sandbox, opt_in=True)
    assert run_backup(on, client=client).ok
    assert read(on, USERS, users[0])["customSecurityAttributes"] == {
        "Security": {"Clearance": "Secret", "Projects": ["Falcon", "Harbor"]}
    }
    (sp,) = valued(sandbox, "servicePrincipals")
    assert read(on, SPS, sp)["customSecurityAttributes"] == {"Security": {"Clearance": "Confidential"}}
    others = [u for u in sandbox.tenant.coll("users").objs if u not in users]
    assert read(on, USERS, others[0])["customSecurityAttributes"] is None
    # the values are all that opting in adds: a file with values keeps every other property and link
    for t, oid in [*((USERS, u) for u in users), (SPS, sp)]:
        with_values = read(on, t, oid)
        del with_values["customSecurityAttributes"]
        assert with_values == read(off, t, oid)
    assert any(read(on, USERS, u).get("manager") for u in users)


def test_incremental_runs_keep_values_current(sandbox: Sandbox, tmp_path: Path) -> None:
    """A value changed on a user the delta round does not return (no other change) still reaches the file;
    so does a value removed and one assigned to a user that had none."""
    client = live_helpers.client_for(sandbox)
    root = make_repo(tmp_path / "on", sandbox, opt_in=True)
    assert run_backup(root, client=client).ok
    first, second, _third = valued(sandbox, "users")
    plain = next(u for u in sandbox.tenant.coll("users").objs if u not in valued(sandbox, "users"))

    def assign(user: str, attrs: dict[str, Any]) -> None:
        body = {"customSecurityAttributes": {"Security": {"@odata.type": WRITE, **attrs}}}
        client.request("PATCH", f"users/{user}", json=body)

    assign(first, {"Clearance": "Public"})
    assign(second, {"Clearance": None, "Projects": []})
    assign(plain, {"Projects@odata.type": "#Collection(String)", "Projects": ["Zed", "Alpha"]})
    result = run_backup(root, client=client)
    assert result.ok and result.types["users"].mode == "delta"
    assert read(root, USERS, first)["customSecurityAttributes"]["Security"]["Clearance"] == "Public"
    assert read(root, USERS, second)["customSecurityAttributes"] is None
    assert read(root, USERS, plain)["customSecurityAttributes"] == {
        "Security": {"Projects": ["Alpha", "Zed"]}
    }
    again = run_backup(root, client=client)
    assert again.ok and again.commit is None  # nothing changed: no commit, no rewritten file


def test_opting_in_rewrites_every_file_once_and_permissions_follow(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = live_helpers.client_for(sandbox)
    root = make_repo(tmp_path / "repo", sandbox, opt_in=False)
    assert run_backup(root, client=client).ok
    monkeypatch.setenv("ENTRAGIT_REPO", str(root))
    listed = CliRunner().invoke(cli, ["permissions", "--restore"]).output
    assert "CustomSecAttributeDefinition.Read.All" in listed and "CustomSecAttributeAssignment" not in listed
    cfg = config.load(root)
    cfg.custom_security_attributes = True
    config.save(root, cfg)
    assert "custom_security_attributes: true" in (root / "entragit.yaml").read_text()
    listed = CliRunner().invoke(cli, ["permissions", "--restore"]).output
    assert "CustomSecAttributeAssignment.Read.All" in listed
    assert "CustomSecAttributeAssignment.ReadWrite.All" in listed
    result = run_backup(root, client=client)
    assert result.ok
    assert any("custom_security_attributes" in n for n in result.notices)
    user = valued(sandbox, "users")[0]
    assert read(root, USERS, user)["customSecurityAttributes"]["Security"]["Clearance"] == "Secret"
    assert os.environ["ENTRAGIT_REPO"] == str(root)


def test_without_the_assignment_permission_no_value_changes_and_the_run_names_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Graph reads the values as null, not a 403, for an app without CustomSecAttributeAssignment.Read.All
    (concepts/custom-security-attributes-examples.md); the app's token lists the permissions it holds
    (`roles`, access-token-claims-reference.md). Without it a backup reads no values and changes none in
    the files (neither removed nor added), still writes every other change, and names the permission; a plan
    of the repository then plans no change of the values (it cannot read them)."""
    admin = live_helpers.client_for(sandbox)
    root = make_repo(tmp_path / "on", sandbox, opt_in=True)
    assert run_backup(root, client=admin).ok
    first, second, _third = valued(sandbox, "users")
    (sp,) = valued(sandbox, "servicePrincipals")
    plain = next(u for u in sandbox.tenant.coll("users").objs if u not in valued(sandbox, "users"))
    kept = {(USERS, u): read(root, USERS, u)["customSecurityAttributes"] for u in (first, second)}
    kept[(SPS, sp)] = read(root, SPS, sp)["customSecurityAttributes"]
    body = {"Security": {"@odata.type": WRITE, "Clearance": "Public"}}
    admin.request("PATCH", f"users/{first}", json={"customSecurityAttributes": body})  # values alone
    admin.request("PATCH", f"users/{second}", json={"displayName": "Renamed"})
    assign = {
        "Security": {"@odata.type": WRITE, "Projects@odata.type": "#Collection(String)", "Projects": ["X"]}
    }
    admin.request("PATCH", f"users/{plain}", json={"customSecurityAttributes": assign})
    sandbox.tenant.permissions = [
        p for p in ALL_PERMISSIONS if not p.startswith("CustomSecAttributeAssignment")
    ]
    client = live_helpers.client_for(sandbox)  # a new token: the grant changed

    for full in (False, True):
        result = run_backup(root, client=client, full=full)
        assert not result.ok
        (line,) = [e for e in result.errors if "CustomSecAttributeAssignment.Read.All" in e]
        assert "customSecurityAttributes" in line and "users" in line and "servicePrincipals" in line
        assert len(result.errors) == 1, result.errors
        for (t, oid), values in kept.items():
            assert read(root, t, oid)["customSecurityAttributes"] == values
        assert read(root, USERS, plain)["customSecurityAttributes"] is None
    assert read(root, USERS, second)["displayName"] == "Renamed"
    message = Store.open(root).repo.git.log("-1", "--format=%B")
    assert "Failed-Type: users (customSecurityAttributes" in message, message

    compared = CliRunner().invoke(
        cli, ["compare", "--repo", str(root), "--json", second, "live"], env=live_helpers.cli_env(sandbox)
    )
    assert compared.exit_code == 0, compared.output
    assert [d["path"] for d in json.loads(compared.output)["differences"]] == [], compared.output
    for args in ([first, second, sp, plain], []):
        out = CliRunner().invoke(
            cli, ["plan", "--repo", str(root), "--json", *args], env=live_helpers.cli_env(sandbox)
        )
        assert out.exit_code == 0, out.output
        plan = json.loads(out.output)
        changed = [c["path"] for a in plan["actions"] for c in a.get("changes", [])]
        assert "customSecurityAttributes" not in changed, out.output
        (note,) = plan["notes"]
        assert note.startswith("customSecurityAttributes of users, servicePrincipals not compared"), note
        assert note.endswith("CustomSecAttributeAssignment.Read.All"), note
