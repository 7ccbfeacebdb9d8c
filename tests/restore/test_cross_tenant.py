"""Cross-tenant access settings back from the backup: a changed default or partner is PATCHed back, a deleted
partner (gone for good in v1.0) is created again with its settings and its identity synchronization, and
a group it names that was deleted too comes back under a new id the partner then names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from restore_env import Env, git, idmap, make_env

POLICY = "policies/crossTenantAccessPolicy"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def _delete_partner(env: Env, tid: str) -> None:
    """Its identity synchronization first (crosstenantaccesspolicyconfigurationpartner-delete.md)."""
    env.graph("DELETE", f"{POLICY}/partners/{tid}/identitySynchronization")
    env.graph("DELETE", f"{POLICY}/partners/{tid}")


def _partner(env: Env) -> dict:
    partners = env.graph("GET", f"{POLICY}/partners")["value"]
    assert len(partners) == 1, partners
    return dict(partners[0])


def test_backup_keeps_the_policy_default_and_partners_named_by_tenant_id(env: Env) -> None:
    partner = _partner(env)
    tid = partner["tenantId"]
    for path in (f"{POLICY}.yaml", f"{POLICY}/default.yaml", f"{POLICY}/partners/{tid}.yaml"):
        assert (env.root / path).is_file(), path
    kept = yaml.safe_load((env.root / f"{POLICY}/partners/{tid}.yaml").read_text())
    assert kept["id"] == kept["tenantId"] == tid
    assert kept["inboundTrust"]["isMfaAccepted"] is True
    assert kept["identitySynchronization"]["userSyncInbound"] == {"isSyncAllowed": True}
    default = yaml.safe_load((env.root / f"{POLICY}/default.yaml").read_text())
    assert default["isServiceDefault"] is True
    # history knows the files as objects of their types
    out = env.ok("versions", f"{POLICY}/partners/{tid}.yaml").output
    assert "crossTenantPartners" in out or tid in out


def test_changed_default_is_patched_back(env: Env) -> None:
    env.graph("PATCH", f"{POLICY}/default", {"inboundTrust": {"isMfaAccepted": True}})
    env.graph(
        "PATCH",
        f"{POLICY}/default",
        {"b2bCollaborationInbound": {"usersAndGroups": {"accessType": "blocked"}}},
    )
    env.graph("PATCH", POLICY, {"allowedCloudEndpoints": ["microsoftonline.us"]})
    plan = env.plan()
    kinds = sorted((a["type"], a["action"]) for a in plan["actions"])
    assert ("crossTenantAccessDefault", "update") in kinds and ("crossTenantAccessPolicy", "update") in kinds
    shown = env.ok("plan").output
    assert f"POST {POLICY}/default/resetToSystemDefault" in shown, shown
    env.restore("--all", "--at", "HEAD")
    got = env.graph("GET", f"{POLICY}/default")
    assert got["inboundTrust"]["isMfaAccepted"] is False
    assert got["b2bCollaborationInbound"]["usersAndGroups"]["accessType"] == "allowed"
    # the file describes the system default (isServiceDefault true): resetToSystemDefault brought it back,
    # flag included, so the next backup records no change
    assert got["isServiceDefault"] is True
    assert env.graph("GET", POLICY)["allowedCloudEndpoints"] == []
    env.assert_empty()
    before = git(env, "rev-parse", "HEAD")
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == before


def test_customised_default_is_patched_back_setting_by_setting(env: Env) -> None:
    """A default the admin had changed (isServiceDefault false in the file) is PATCHed, not reset."""
    env.graph("PATCH", f"{POLICY}/default", {"inboundTrust": {"isMfaAccepted": True}})
    env.ok("backup")
    customised = git(env, "rev-parse", "HEAD").strip()
    env.graph("POST", f"{POLICY}/default/resetToSystemDefault")
    env.restore("--all", "--at", customised)
    got = env.graph("GET", f"{POLICY}/default")
    assert got["inboundTrust"]["isMfaAccepted"] is True and got["isServiceDefault"] is False
    env.assert_empty("--at", customised)


def test_deleted_partner_is_recreated_with_its_identity_synchronization(env: Env) -> None:
    partner = _partner(env)
    tid = partner["tenantId"]
    env.graph("PATCH", f"{POLICY}/partners/{tid}", {"inboundTrust": {"isMfaAccepted": False}})
    sync_path = f"{POLICY}/partners/{tid}/identitySynchronization"
    env.graph("PUT", sync_path, {"userSyncInbound": {"isSyncAllowed": False}})
    env.restore(f"{POLICY}/partners/{tid}.yaml")  # changed settings and sync policy PATCHed / PUT back
    assert env.graph("GET", f"{POLICY}/partners/{tid}")["inboundTrust"]["isMfaAccepted"] is True
    sync = env.graph("GET", f"{POLICY}/partners/{tid}/identitySynchronization")
    assert sync["userSyncInbound"] == {"isSyncAllowed": True}
    env.assert_empty()

    _delete_partner(env, tid)
    env.ok("backup")
    plan = env.plan("--at", env.baseline)  # the whole tenant at the first backup
    kinds = [(a["type"], a["action"]) for a in plan["actions"]]
    assert ("crossTenantPartners", "recreate") in kinds, kinds
    env.restore("--all", "--at", env.baseline)
    assert _partner(env) == partner
    sync = env.graph("GET", f"{POLICY}/partners/{tid}/identitySynchronization")
    assert sync["displayName"] == "Fabrikam" and sync["userSyncInbound"] == {"isSyncAllowed": True}
    env.assert_empty("--at", env.baseline)


def test_recreated_partner_names_the_successor_of_a_deleted_group(env: Env) -> None:
    partner = _partner(env)
    tid = partner["tenantId"]
    targets = partner["b2bCollaborationOutbound"]["usersAndGroups"]["targets"]
    old = targets[0]["target"]
    group = env.graph("GET", f"groups/{old}")
    _delete_partner(env, tid)
    env.graph("DELETE", f"groups/{old}")
    env.graph("DELETE", f"directory/deletedItems/{old}")  # gone for good: recreated under a new id
    env.ok("backup")
    env.restore("--all", "--at", env.baseline, "--allow-privileged")
    new = idmap(env)["ids"][old]
    assert new != old and env.graph("GET", f"groups/{new}")["displayName"] == group["displayName"]
    got = _partner(env)["b2bCollaborationOutbound"]["usersAndGroups"]["targets"]
    assert got == [{"target": new, "targetType": "group"}]
    before = git(env, "rev-parse", "HEAD")
    env.assert_empty("--at", env.baseline)
    assert git(env, "rev-parse", "HEAD") == before


def test_report_calls_out_a_changed_cross_tenant_default(env: Env) -> None:
    """The report's changes section lists tenant-wide security settings first; cross-tenant access setting
    by setting."""
    env.graph("PATCH", f"{POLICY}/default", {"inboundTrust": {"isMfaAccepted": True}})
    env.ok("backup")
    data = json.loads(env.ok("report", "--json").output)
    trust = [c for c in data["changes"] if c["security"]]
    assert [(c["type"], c["kind"]) for c in trust] == [("crossTenantAccessDefault", "changed")]
    assert "inboundTrust.isMfaAccepted: false → true" in trust[0]["security"]
    env.ok("report")
    readme = (env.root / "report" / "README.md").read_text()
    section = readme.split("**Security settings changed:**", 1)[1].split("###", 1)[0]
    assert "inboundTrust.isMfaAccepted: false → true" in section and "default.yaml" in section


def _fault(env: Env, match: str, status: int) -> None:
    r = env.http.post(
        f"{env.box.graph_url}/_sandbox/faults", json={"match": match, "status": status, "times": 100}
    )
    assert r.status_code < 300, r.text


def test_a_failed_read_of_partners_deletes_no_file_and_names_the_permission(env: Env) -> None:
    """A partner whose identity synchronization cannot be read (400) fails the type, and a 403 on the
    listing names Policy.Read.All: either way the partners' files stay, and the commit says why."""
    tid = _partner(env)["tenantId"]
    path = env.root / f"{POLICY}/partners/{tid}.yaml"
    kept = path.read_bytes()
    env.graph("PATCH", f"{POLICY}/default", {"inboundTrust": {"isMfaAccepted": True}})
    _fault(env, "identitySynchronization", 400)
    r = env.run("backup")
    assert r.exit_code != 0
    assert path.read_bytes() == kept
    log = git(env, "log", "-1")
    assert "Failed-Type: crossTenantPartners (400" in log and "default.yaml" in git(
        env, "show", "--stat", "HEAD"
    )
    env.http.delete(f"{env.box.graph_url}/_sandbox/faults")
    _fault(env, "crossTenantAccessPolicy/partners", 403)
    r = env.run("backup")
    assert r.exit_code != 0 and "Policy.Read.All" in r.output
    assert path.read_bytes() == kept


def test_apply_an_edited_partner_and_prune_a_removed_one(env: Env) -> None:
    """GitOps: an edited partner file is PATCHed; a removed one is deleted by `apply --prune`, its identity
    synchronization first (crosstenantaccesspolicyconfigurationpartner-delete.md)."""
    tid = _partner(env)["tenantId"]
    rel = f"{POLICY}/partners/{tid}.yaml"
    data = yaml.safe_load((env.root / rel).read_text())
    data["inboundTrust"]["isCompliantDeviceAccepted"] = True
    (env.root / rel).write_text(yaml.safe_dump(data, sort_keys=True))
    env.ok("apply", "--yes", rel)
    assert _partner(env)["inboundTrust"]["isCompliantDeviceAccepted"] is True
    (env.root / rel).unlink()
    out = env.ok("apply", "--prune", "--yes", "--allow-mass-change").output
    assert f"- delete {rel}" in out and "✓ delete" in out, out
    assert env.graph("GET", f"{POLICY}/partners")["value"] == []
