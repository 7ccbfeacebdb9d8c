"""`entragit permissions`: the Graph application permissions an admin must grant, from the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import live_helpers

from entragit import config
from entragit.backup import BackupResult, run_backup
from entragit.catalog import CATALOG, by_name
from entragit.config import Config
from entragit.permissions import delegated_permissions, permissions_by_type, required_permissions
from entragit.repo.writer import Store


def test_backup_permissions_are_read_only_and_cover_every_type() -> None:
    perms = required_permissions()
    assert perms == sorted(set(perms))
    assert not any("ReadWrite" in p for p in perms)
    for t in CATALOG:
        # a type Graph admits for signed-in users only has delegated permissions, listed apart
        listed = delegated_permissions() if t.delegated_only else perms
        assert set(t.permissions_backup) <= set(listed)
    assert delegated_permissions() == ["Agreement.Read.All", "Policy.Read.HybridAuthentication"]
    assert delegated_permissions(restore=True) == [
        "Agreement.ReadWrite.All",
        "Policy.ReadWrite.HybridAuthentication",
    ]
    for expected in (
        "User.Read.All",
        "Group.Read.All",
        "Application.Read.All",
        "Policy.Read.All",
        "RoleManagement.Read.Directory",
        "AdministrativeUnit.Read.All",
        "AuditLog.Read.All",  # audit attribution
        "SecurityEvents.Read.All",  # secure score
        "Organization.Read.All",  # seats
    ):
        assert expected in perms


def test_restore_permissions_add_writes_and_keep_needed_reads() -> None:
    perms = required_permissions(restore=True)
    assert perms == sorted(set(perms))
    for expected in (
        "User.ReadWrite.All",
        "Group.ReadWrite.All",
        "Application.ReadWrite.All",
        "Policy.ReadWrite.ConditionalAccess",
        "Policy.Read.All",  # conditional access writes need it as well
        "RoleManagement.ReadWrite.Directory",
        "AdministrativeUnit.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "Policy.ReadWrite.AuthenticationMethod",
        "Policy.ReadWrite.Authorization",
    ):
        assert expected in perms
    # a write permission includes its read form: no redundant grant
    assert "User.Read.All" not in perms and "Group.Read.All" not in perms
    # ...but for the extension discovery, documented with Directory.Read.All alone
    assert {"Directory.Read.All", "Directory.ReadWrite.All"} <= set(perms)


def test_permissions_follow_the_catalog() -> None:
    """Restricting to some types narrows the list; reports and audit stay (every backup writes them)."""
    only_users = required_permissions(types=[by_name("users")])
    assert "User.Read.All" in only_users
    assert "Policy.Read.All" not in only_users
    assert "AuditLog.Read.All" in only_users
    by_type = permissions_by_type()
    # (and Directory.Read.All: the names of its directory extensions, directoryobject-getavailable...md)
    assert by_type["users"] == ["Directory.Read.All", "User.Read.All"]
    assert by_type["reports/secureScore"] == ["SecurityEvents.Read.All"]
    assert set(permissions_by_type(restore=True)["organization"]) == {
        *by_name("organization").permissions_backup,
        "Directory.Read.All",
    }


def test_permissions_command_json_matches_the_catalog() -> None:
    import json

    from click.testing import CliRunner

    from entragit.cli import cli

    runner = CliRunner()
    plain = runner.invoke(cli, ["permissions", "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.output) == required_permissions()
    by_type = runner.invoke(cli, ["permissions", "--restore", "--by-type", "--json"])
    assert by_type.exit_code == 0, by_type.output
    assert json.loads(by_type.output) == permissions_by_type(restore=True)
    assert "User.ReadWrite.All" in json.loads(by_type.output)["users"]


def _backed_up(sandbox_factory: Any, tmp_path: Path, granted: list[str]) -> tuple[Path, BackupResult]:
    """A new backup repository and its first backup by an app granted exactly `granted`."""
    box = sandbox_factory(permissions=granted)
    root = tmp_path / "repo"
    st = Store.init(root)
    config.save(st.root, Config(tenant_id=box.tenant_id, client_id=box.client_id))
    st.commit_paths(["entragit.yaml"], "entragit init")
    return root, run_backup(root, client=live_helpers.client_for(box))


def test_a_backup_app_granted_exactly_what_permissions_lists_backs_up_everything(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The sandbox enforces each endpoint's documented least-privileged permission: a backup with exactly
    `entragit permissions` granted meets no 403 (the list is complete), and without one of them the type
    that needs it fails naming it (the list is not padded)."""
    granted = required_permissions()
    root, result = _backed_up(sandbox_factory, tmp_path, granted)
    assert result.ok, result.errors
    # (an app cannot hold the permissions of the types Graph admits for signed-in users only)
    assert set(result.types) == {t.name for t in CATALOG if not t.delegated_only}

    without = sandbox_factory(permissions=[p for p in granted if p != "Policy.Read.ConditionalAccess"])
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    assert [e.split(":")[0] for e in result.errors] == ["authenticationContexts"]
    assert "Policy.Read.ConditionalAccess" in result.errors[0]

    without = sandbox_factory(permissions=[p for p in granted if p != "Policy.Read.PermissionGrant"])
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    assert [e.split(":")[0] for e in result.errors] == ["permissionGrantPolicies"]
    assert "Policy.Read.PermissionGrant" in result.errors[0]
    assert (root / "policies/permissionGrantPolicies/verified-low-risk.yaml").is_file()  # not a deletion


def test_without_directory_read_the_group_policies_are_skipped_by_name_not_deleted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """grouplifecyclepolicy-list.md: an app without Directory.Read.All cannot read the expiration policy;
    group-list-settings.md: nor the group settings without Group.Read.All either (which also reads them).
    Each type fails naming the permission the catalog asks for, and keeps its files."""
    granted = required_permissions()
    root, result = _backed_up(sandbox_factory, tmp_path, granted)
    assert result.ok, result.errors
    files = sorted(
        str(p.relative_to(root))
        for d in ("groupSettings", "groupLifecyclePolicies")
        for p in (root / d).iterdir()
    )
    assert len(files) == 3
    without = sandbox_factory(permissions=[p for p in granted if p != "Directory.Read.All"])
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    failed = {e.split(":")[0]: e for e in result.errors}
    assert "Directory.Read.All" in failed["groupLifecyclePolicies"] and "groupSettings" not in failed
    without = sandbox_factory(
        permissions=[p for p in granted if p not in ("Directory.Read.All", "Group.Read.All")]
    )
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    failed = {e.split(":")[0]: e for e in result.errors}
    for name in ("groupSettings", "groupLifecyclePolicies"):
        assert "Directory.Read.All" in failed[name], failed
    assert (
        sorted(
            str(p.relative_to(root))
            for d in ("groupSettings", "groupLifecyclePolicies")
            for p in (root / d).iterdir()
        )
        == files
    )


def test_without_the_intune_permission_the_compliance_policies_are_skipped_not_deleted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """intune-deviceconfig-devicecompliancepolicy-list.md: DeviceManagementConfiguration.Read.All. An app
    without it backs up everything else; the policies' type fails naming the permission, and their files
    stay (a failed listing is no evidence of deletion)."""
    granted = required_permissions()
    root, result = _backed_up(sandbox_factory, tmp_path, granted)
    assert result.ok
    folder = root / "deviceManagement" / "deviceCompliancePolicies"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 4

    without = sandbox_factory(
        permissions=[p for p in granted if not p.startswith("DeviceManagementConfiguration.")]
    )
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    assert [e.split(":")[0] for e in result.errors] == ["deviceCompliancePolicies"]
    assert "DeviceManagementConfiguration.Read.All" in result.errors[0]
    assert sorted(p.name for p in folder.iterdir()) == files


def test_without_the_federation_permission_the_domains_are_skipped_not_deleted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """domain-list-federationconfiguration.md (2025-11): the federation configuration is read with
    Domain-InternalFederation.Read.All, which Domain.Read.All does not cover. An app without it backs up
    everything else; the domains' type fails naming the permission, and their files stay as they were (a
    configuration that was not read is not one that is gone)."""
    granted = required_permissions()
    root, result = _backed_up(sandbox_factory, tmp_path, granted)
    assert result.ok
    folder = root / "domains"
    before = {p.name: p.read_text() for p in folder.iterdir()}
    assert "federationConfiguration:\n  - " in before["contoso-acquired.com.yaml"]

    without = sandbox_factory(
        permissions=[p for p in granted if not p.startswith("Domain-InternalFederation.")]
    )
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    assert [e.split(":")[0] for e in result.errors] == ["domains"]
    assert "Domain-InternalFederation.Read.All" in result.errors[0]
    assert {p.name: p.read_text() for p in folder.iterdir()} == before


def test_without_policy_read_the_token_policies_are_skipped_by_name_not_deleted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """tokenlifetimepolicy-list.md (and each kind's list page): Policy.Read.All. Without it each token and
    sign-in policy type fails naming the permission, and their files stay."""
    granted = required_permissions()
    root, result = _backed_up(sandbox_factory, tmp_path, granted)
    assert result.ok
    kinds = ("claimsMappingPolicies", "tokenIssuancePolicies", "tokenLifetimePolicies")
    kinds += ("homeRealmDiscoveryPolicies", "appManagementPolicies")
    files = {k: sorted(p.name for p in (root / "policies" / k).iterdir()) for k in kinds}
    assert all(len(f) == 1 for f in files.values())

    without = sandbox_factory(permissions=[p for p in granted if p != "Policy.Read.All"])
    result = run_backup(root, client=live_helpers.client_for(without), full=True)
    failed = {e.split(":")[0]: e for e in result.errors}
    for kind in kinds:
        assert "Policy.Read.All" in failed[kind]
        assert sorted(p.name for p in (root / "policies" / kind).iterdir()) == files[kind]
