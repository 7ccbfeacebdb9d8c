"""Recreating accounts: a guest comes back as a guest through an invitation, a member with its licences, an
application with the list of credentials to issue anew (its secrets were never backed up)."""

from __future__ import annotations

from typing import Any

import yaml
from restore_env import Env, git, idmap


def _purge(env: Env, collection: str, oid: str) -> None:
    """Delete for good (directory-deleteditems-delete.md) and back the deletion up."""
    env.graph("DELETE", f"{collection}/{oid}")
    env.graph("DELETE", f"directory/deletedItems/{oid}")
    env.ok("backup")


def _user(env: Env, oid: str) -> dict[str, Any]:
    select = "id,displayName,userType,creationType,userPrincipalName,mail,assignedLicenses,usageLocation"
    result: dict[str, Any] = env.graph("GET", f"users/{oid}", **{"$select": select})
    return result


def test_hard_deleted_guest_is_reinvited_without_mail_and_stays_a_guest(env: Env) -> None:
    """invitation-post.md: the invitation creates a user of userType Guest; sendInvitationMessage false
    sends nothing. A guest created with POST /users would be a member with a password."""
    guest = env.find("users", "Ana Bowman")
    _purge(env, "users", guest["id"])
    [recreate] = [a for a in env.plan(guest["id"])["actions"] if a["action"] == "recreate"]
    assert f"re-invited as a guest ({guest['mail']})" in recreate["reason"]

    out = env.restore(guest["id"]).output
    assert "re-invited as" in out and "no mail sent" in out and "password" not in out
    new = _user(env, idmap(env)["ids"][guest["id"]])
    assert (new["userType"], new["creationType"]) == ("Guest", "Invitation")
    assert (new["mail"], new["userPrincipalName"]) == (guest["mail"], guest["userPrincipalName"])
    audits = env.graph("GET", "auditLogs/directoryAudits")["value"]
    assert any(a["activityDisplayName"] == "Invite external user" for a in audits)
    env.assert_empty(guest["id"])


def test_guest_without_mail_is_reinvited_at_the_address_its_upn_holds(env: Env) -> None:
    """A guest's file without `mail`, other mails or identities still names its address: its `#EXT#`
    userPrincipalName (`ana.bowman_fabrikam.com#EXT#@...`); the order of the sources: tests/restore/
    test_plan_rules.py."""
    guest = env.find("users", "Ana Bowman")
    path = next(env.root.glob(f"users/*/{guest['id']}.yaml"))
    data = yaml.safe_load(path.read_text())
    data.update({"mail": None, "otherMails": [], "identities": []})
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    git(env, "commit", "-qam", "the guest as a backup without its mail would have it")
    _purge(env, "users", guest["id"])
    [recreate] = [a for a in env.plan(guest["id"])["actions"] if a["action"] == "recreate"]
    address = "ana.bowman@fabrikam.com"
    assert f"re-invited as a guest ({address})" in recreate["reason"], recreate["reason"]
    out = env.restore(guest["id"]).output
    assert "re-invited as" in out
    new = _user(env, idmap(env)["ids"][guest["id"]])
    assert (new["userType"], new["mail"]) == ("Guest", address)
    env.assert_empty(guest["id"])


def test_send_invitations_mails_the_reinvited_guest(env: Env) -> None:
    guest = env.find("users", "Kenji Watanabe")
    _purge(env, "users", guest["id"])
    out = env.restore(guest["id"], "--send-invitations").output
    assert "invitation mailed" in out


def test_recreated_member_gets_its_licences_and_usage_location_back(env: Env) -> None:
    """user-assignlicense.md: assignedLicenses is set through assignLicense only, which needs usageLocation
    (set by the creation itself)."""
    member = _user(env, env.find("users", "Megan Bowen")["id"])
    assert member["assignedLicenses"] and member["usageLocation"]
    _purge(env, "users", member["id"])
    actions = env.plan(member["id"])["actions"]
    [recreate] = [a for a in actions if a["action"] == "recreate" and a["type"] == "users"]
    assert f"{len(member['assignedLicenses'])} licence(s) assigned again" in recreate["reason"]

    out = env.ok("restore", "--yes", "--allow-privileged", member["id"]).output
    assert f"{len(member['assignedLicenses'])} licence(s) assigned" in out
    new = _user(env, idmap(env)["ids"][member["id"]])
    assert new["usageLocation"] == member["usageLocation"]
    assert sorted(lic["skuId"] for lic in new["assignedLicenses"]) == sorted(
        lic["skuId"] for lic in member["assignedLicenses"]
    )
    env.assert_empty(member["id"])


def test_recreated_application_lists_the_credentials_it_needs_anew(env: Env) -> None:
    """application.md: passwordCredentials and keyCredentials hold only metadata (secretText is returned once
    by addPassword, the key is never read back), so the recreated application has none."""
    apps = {a["displayName"]: a for a in env.graph("GET", "applications")["value"]}
    payroll, inventory = apps["Payroll Sync"], apps["Inventory API"]
    for app in (payroll, inventory):
        _purge(env, "applications", app["id"])

    out = env.restore(payroll["id"], inventory["id"]).output
    assert "needs new credentials (never backed up): client secret 'secret-1', the old one expired or " in out
    for c in payroll["passwordCredentials"]:
        assert f"client secret '{c['displayName']}', the old one expired or expires {c['endDateTime']}" in out
    [cert] = inventory["keyCredentials"]
    assert f"certificate (AsymmetricX509Cert, Verify) '{cert['displayName']}'" in out
    new = env.graph("GET", f"applications/{idmap(env)['ids'][payroll['id']]}")
    assert new["passwordCredentials"] == []
