"""Licences assigned to a group (group-based licensing) are kept in its file and restored through
POST /groups/{id}/assignLicense (group-assignlicense.md): assignedLicenses is read-only on PATCH
(group.md)."""

from __future__ import annotations

from typing import Any

from restore_env import Env, idmap

GROUP = "SG-Finance-Readers"


def _sku(env: Env) -> dict[str, Any]:
    skus = env.graph("GET", "subscribedSkus")["value"]
    return next(s for s in skus if s.get("servicePlans"))


def _licences(env: Env, gid: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = env.graph("GET", f"groups/{gid}", **{"$select": "assignedLicenses"})[
        "assignedLicenses"
    ]
    return got


def _licensed_group(env: Env) -> tuple[str, list[dict[str, Any]]]:
    """The group with a licence whose first service plan is disabled, backed up."""
    group = env.find("groups", GROUP)
    sku = _sku(env)
    wanted = [{"disabledPlans": [sku["servicePlans"][0]["servicePlanId"]], "skuId": sku["skuId"]}]
    env.graph("POST", f"groups/{group['id']}/assignLicense", {"addLicenses": wanted, "removeLicenses": []})
    env.ok("backup")
    return str(group["id"]), wanted


def test_a_changed_group_licence_is_put_back(env: Env) -> None:
    """change → restore → plan empty: a removed licence is added again and a licence added since is
    removed, disabledPlans kept."""
    gid, wanted = _licensed_group(env)
    other = next(s for s in env.graph("GET", "subscribedSkus")["value"] if s["skuId"] != wanted[0]["skuId"])
    change = {"addLicenses": [{"skuId": other["skuId"]}], "removeLicenses": [wanted[0]["skuId"]]}
    env.graph("POST", f"groups/{gid}/assignLicense", change)
    [update] = [a for a in env.plan(gid)["actions"] if a["action"] == "update"]
    assert [c["path"] for c in update["changes"]] == ["assignedLicenses"]
    out = env.restore(gid).output
    assert "updated assignedLicenses" in out, out
    assert _licences(env, gid) == wanted
    env.assert_empty(gid)


def test_a_hard_deleted_group_comes_back_with_its_licences(env: Env) -> None:
    """delete → restore: the recreated group (a new id) gets its licences through assignLicense after the
    POST, which may not carry them."""
    gid, wanted = _licensed_group(env)
    env.graph("DELETE", f"groups/{gid}")
    env.graph("DELETE", f"directory/deletedItems/{gid}")
    env.ok("backup")
    [recreate] = [a for a in env.plan(gid)["actions"] if a["action"] == "recreate"]
    assert "1 licence(s) assigned again" in recreate["reason"]
    out = env.restore(gid).output
    assert "1 licence(s) assigned" in out, out
    new = idmap(env)["ids"][gid]
    assert _licences(env, new) == wanted
    env.assert_empty(gid)
