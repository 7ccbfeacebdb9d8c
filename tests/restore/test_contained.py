"""What hangs off an object and is kept in its file: an application's federated identity credentials, a
service principal's delegated permission classifications, an authentication strength's combination
configurations (kind "contained", matched by their key) and a guest's sponsors (links, ids through the id
map). Each: change → restore → plan empty, and removal → restore, end to end against the sandbox."""

from __future__ import annotations

from typing import Any

from restore_env import Env, idmap

APP = "Contoso Expense Portal"  # the demo tenant's app with a GitHub Actions federated credential
STRENGTHS = "identity/conditionalAccess/authenticationStrength/policies"
GITHUB = "https://token.actions.githubusercontent.com"


def _items(env: Env, path: str) -> list[dict[str, Any]]:
    """The live items without their ids (which a restore cannot keep), in a stable order."""
    got = [{k: v for k, v in i.items() if k != "id"} for i in env.graph("GET", path)["value"]]
    return sorted(got, key=repr)


def _actions(env: Env, oid: str) -> list[dict[str, Any]]:
    return [a for a in env.plan(oid)["actions"] if a["action"] != "skip"]


def test_changed_added_and_deleted_federated_credentials_are_put_back(env: Env) -> None:
    """A credential whose subject was changed is PATCHed back (same name: the same credential), one added
    since is removed, one deleted comes back: CI that signs in through federation works again."""
    app = env.find("applications", APP)
    fics = f"applications/{app['id']}/federatedIdentityCredentials"
    before = _items(env, fics)
    [main] = env.graph("GET", fics)["value"]
    env.graph("PATCH", f"{fics}/{main['id']}", {"subject": "repo:contoso/attacker:ref:refs/heads/main"})
    rogue = {"name": "rogue", "issuer": GITHUB, "subject": "repo:x/y:ref:refs/heads/main"}
    env.graph("POST", fics, {**rogue, "audiences": ["api://AzureADTokenExchange"]})

    actions = _actions(env, app["id"])
    assert [(a["action"], len(a["changes"])) for a in actions] == [("unlink", 1), ("link", 1)]
    unlink, link = actions
    assert link["changes"][0]["old"]["subject"] == "repo:contoso/attacker:ref:refs/heads/main"
    assert link["changes"][0]["new"]["subject"] == main["subject"]
    assert unlink["changes"][0]["old"]["name"] == "rogue" and unlink["changes"][0]["new"] is None
    shown = env.ok("plan", app["id"]).output
    assert "federatedIdentityCredentials" in shown and '"name": "rogue"' in shown, shown

    out = env.restore(app["id"]).output
    assert "federatedIdentityCredentials: 1 changed" in out and "1 removed" in out, out
    assert _items(env, fics) == before
    env.assert_empty(app["id"])

    env.graph("DELETE", f"{fics}/{main['name']}")  # (the name is an alternate key)
    assert _items(env, fics) == []
    assert "federatedIdentityCredentials: 1 added" in env.restore(app["id"]).output
    assert _items(env, fics) == before
    env.assert_empty(app["id"])


def test_a_hard_deleted_application_is_recreated_with_its_federated_credentials(env: Env) -> None:
    """The recreated application has a new id; its credentials are POSTed to it after the creation, and
    the plan says so before anything is written."""
    app = env.find("applications", APP)
    before = _items(env, f"applications/{app['id']}/federatedIdentityCredentials")
    assert before, "the demo app has a federated credential"
    env.graph("DELETE", f"applications/{app['id']}")
    env.graph("DELETE", f"directory/deletedItems/{app['id']}")
    env.ok("backup")

    mine = [a for a in env.plan(app["id"])["actions"] if a["path"].startswith("applications/")]
    assert mine[0]["action"] == "recreate"
    [fics] = [a for a in mine if a["changes"][0]["path"] == "federatedIdentityCredentials"]
    assert fics["action"] == "link" and [c["new"]["name"] for c in fics["changes"]] == [before[0]["name"]]

    env.restore(app["id"])
    new = idmap(env)["ids"][app["id"]]
    assert new != app["id"]
    assert _items(env, f"applications/{new}/federatedIdentityCredentials") == before
    env.assert_empty(app["id"])


def test_a_changed_classification_is_deleted_and_classified_again(env: Env) -> None:
    """delegatedPermissionClassification has no Update method: a classification changed since the backup
    is deleted and posted again as it was; one added since is removed."""
    sp = env.find("servicePrincipals", "Microsoft Graph")
    path = f"servicePrincipals/{sp['id']}/delegatedPermissionClassifications"
    before = _items(env, path)
    [low] = env.graph("GET", path)["value"]
    env.graph("DELETE", f"{path}/{low['id']}")
    env.graph("POST", path, {"permissionId": low["permissionId"], "classification": "high"})
    other = next(s for s in sp["oauth2PermissionScopes"] if s["id"] != low["permissionId"])
    env.graph("POST", path, {"permissionId": other["id"], "classification": "medium"})

    actions = _actions(env, sp["id"])
    assert [(a["action"], len(a["changes"])) for a in actions] == [("unlink", 1), ("link", 1)]
    assert actions[1]["changes"][0]["old"]["classification"] == "high"
    out = env.restore(sp["id"]).output
    assert "delegatedPermissionClassifications: 1 changed" in out, out
    assert _items(env, path) == before
    env.assert_empty(sp["id"])


def test_combination_configurations_are_put_back(env: Env) -> None:
    """A FIDO2 configuration whose allowed keys were changed is PATCHed back; a deleted one is POSTed again
    with its @odata.type (authenticationstrengthpolicy-post-combinationconfigurations.md)."""
    strength = next(
        p
        for p in env.graph("GET", STRENGTHS)["value"]
        if p["displayName"] == "Contoso hardware keys or Hello"
    )
    path = f"{STRENGTHS}/{strength['id']}/combinationConfigurations"
    before = _items(env, path)
    [fido] = env.graph("GET", path)["value"]
    env.graph(
        "PATCH",
        f"{path}/{fido['id']}",
        {"@odata.type": fido["@odata.type"], "allowedAAGUIDs": ["00000000-0000-0000-0000-000000000001"]},
    )
    assert "combinationConfigurations: 1 changed" in env.restore(strength["id"]).output
    assert _items(env, path) == before
    env.assert_empty(strength["id"])

    env.graph("DELETE", f"{path}/{fido['id']}")
    assert "combinationConfigurations: 1 added" in env.restore(strength["id"]).output
    assert _items(env, path) == before
    env.assert_empty(strength["id"])


def _sponsors(env: Env, uid: str) -> list[str]:
    return sorted(s["id"] for s in env.graph("GET", f"users/{uid}/sponsors", **{"$select": "id"})["value"])


def _sponsored_guest(env: Env) -> dict[str, Any]:
    guests = env.graph("GET", "users", **{"$filter": "userType eq 'Guest'", "$expand": "sponsors"})["value"]
    return next(g for g in guests if g["sponsors"])


def test_a_removed_sponsor_is_added_again(env: Env) -> None:
    guest = _sponsored_guest(env)
    [sponsor] = _sponsors(env, guest["id"])
    env.graph("DELETE", f"users/{guest['id']}/sponsors/{sponsor}/$ref")
    [link] = _actions(env, guest["id"])
    assert link["action"] == "link" and link["changes"] == [{"path": "sponsors", "old": None, "new": sponsor}]
    env.restore(guest["id"])
    assert _sponsors(env, guest["id"]) == [sponsor]
    env.assert_empty(guest["id"])


def test_a_sponsor_recreated_by_the_restore_is_linked_by_its_new_id(env: Env) -> None:
    """The guest's sponsor was deleted for good: restoring the guest with its sub-objects recreates the
    sponsor (a new id) and links the guest to it through the id map."""
    guest = _sponsored_guest(env)
    domain = guest["userPrincipalName"].split("#EXT#@")[-1]
    sponsor = env.graph(
        "POST",
        "users",
        {
            "accountEnabled": True,
            "displayName": "Sponsor Sam",
            "mailNickname": "sponsor.sam",
            "userPrincipalName": f"sponsor.sam@{domain}",
            "passwordProfile": {"password": "Xq7!long-enough-Passw0rd"},
        },
    )
    env.graph(
        "POST",
        f"users/{guest['id']}/sponsors/$ref",
        {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{sponsor['id']}"},
    )
    env.ok("backup")
    kept = _sponsors(env, guest["id"])
    assert sponsor["id"] in kept
    env.graph("DELETE", f"users/{sponsor['id']}")
    env.graph("DELETE", f"directory/deletedItems/{sponsor['id']}")
    assert sponsor["id"] not in _sponsors(env, guest["id"])

    env.restore(guest["id"], "--sub-objects")
    new = idmap(env)["ids"][sponsor["id"]]
    assert _sponsors(env, guest["id"]) == sorted(new if s == sponsor["id"] else s for s in kept)
    env.assert_empty(guest["id"])
