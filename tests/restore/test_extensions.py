"""Directory extensions end to end against the sandbox: definitions kept in their application's file, values
in their objects' files (full and incremental backups, a new set of names re-read whole), history of a value,
and restores of a value, a deleted definition and a hard-deleted owner app (new appId, new names)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from restore_env import Env, git, idmap, make_env

from entragit.catalog import by_name, object_path

APP = "Contoso Expense Portal"  # the demo's first app with a service principal: it owns the extensions
MEGAN = "megan.bowen@contoso.onmicrosoft.com"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def owner(env: Env) -> dict[str, Any]:
    return env.find("applications", APP)


def prefix(app_id: str) -> str:
    return "extension_" + app_id.replace("-", "") + "_"


def file_of(env: Env, collection: str, oid: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((env.root / object_path(by_name(collection), oid)).read_text())
    return data


def definition_id(env: Env, app: dict[str, Any], name: str) -> str:
    found = env.graph("GET", f"applications/{app['id']}/extensionProperties")["value"]
    return str(next(d["id"] for d in found if d["name"] == name))


def value(env: Env, uid: str, name: str) -> Any:
    return env.graph("GET", f"users/{uid}", **{"$select": f"id,{name}"}).get(name)


def test_backup_keeps_definitions_with_the_app_and_values_with_their_objects(env: Env) -> None:
    app = owner(env)
    cost = prefix(app["appId"]) + "costCenter"
    kept = file_of(env, "applications", app["id"])["extensionProperties"]
    assert {d["name"]: (d["dataType"], d["isMultiValued"], d["targetObjects"]) for d in kept} == {
        cost: ("String", False, ["Group", "User"]),
        prefix(app["appId"]) + "payGrade": ("Integer", False, ["User"]),
        prefix(app["appId"]) + "clearances": ("String", True, ["User"]),
    }
    megan = env.graph("GET", f"users/{MEGAN}")
    assert file_of(env, "users", megan["id"])[cost] == value(env, megan["id"], cost)
    # incremental: a changed value is in the next backup, and only that object changed
    env.graph("PATCH", f"users/{megan['id']}", {cost: "CC-7777"})
    env.ok("backup")
    assert file_of(env, "users", megan["id"])[cost] == "CC-7777"
    changed = git(env, "diff", "--name-only", env.baseline, "HEAD").split()
    assert changed == [object_path(by_name("users"), megan["id"])]
    # history: versions and compare show the value's change
    versions = json.loads(env.ok("versions", "--json", MEGAN).output)
    assert len(versions) == 2 and cost in json.dumps(versions[0]), versions
    diff = env.ok("compare", MEGAN).output
    assert cost in diff and "CC-7777" in diff


def test_a_new_set_of_extensions_makes_the_next_backup_read_the_types_whole(env: Env) -> None:
    """Values come only when selected: after a definition comes back (extensibility-overview.md: recreating a
    deleted definition on its app makes its values discoverable again), objects that did not change since the
    last backup show values the last backup could not see; delta would never return them."""
    app = owner(env)
    cost = prefix(app["appId"]) + "costCenter"
    holders = {p for p in git(env, "grep", "-l", cost, "HEAD", "--", "users", "groups").split()}
    assert len(holders) > 5
    env.graph("DELETE", f"applications/{app['id']}/extensionProperties/{definition_id(env, app, cost)}")
    env.ok("backup")
    assert subprocess.run(["git", "-C", str(env.root), "grep", "-q", cost, "HEAD"]).returncode != 0
    message = git(env, "log", "-1", "--format=%B")
    assert "settings changed: extensions for users" in message
    body = {"name": "costCenter", "dataType": "String", "targetObjects": ["User", "Group"]}
    env.graph("POST", f"applications/{app['id']}/extensionProperties", body)
    env.ok("backup")
    again = {p for p in git(env, "grep", "-l", cost, "HEAD", "--", "users", "groups").split()}
    assert again == holders
    assert git(env, "diff", "--name-only", env.baseline, "HEAD").strip() == ""


def test_a_changed_value_is_restored(env: Env) -> None:
    app = owner(env)
    cost, grade = prefix(app["appId"]) + "costCenter", prefix(app["appId"]) + "payGrade"
    megan = env.graph("GET", f"users/{MEGAN}")
    before = value(env, megan["id"], cost)
    unset = next(
        u["id"]
        for u in env.graph(
            "GET",
            "users",
            **{"$select": f"id,userPrincipalName,onPremisesSyncEnabled,{grade}", "$top": "999"},
        )["value"]
        if u.get(grade) is None
        and u["id"] != megan["id"]
        and u["userPrincipalName"].endswith("contoso.onmicrosoft.com")
    )
    env.graph("PATCH", f"users/{megan['id']}", {cost: "CC-0000"})
    env.graph("PATCH", f"users/{unset}", {grade: 12})  # set where the backup had none: cleared by restore
    plan = env.plan("--at", env.baseline, MEGAN, unset)
    changes = {(c["path"], c["new"]) for a in plan["actions"] for c in a["changes"]}
    assert changes == {(cost, before), (grade, None)}
    env.restore("--at", env.baseline, MEGAN, unset, "--allow-privileged")
    assert value(env, megan["id"], cost) == before and value(env, unset, grade) is None
    env.assert_empty("--at", env.baseline, MEGAN, unset)
    env.assert_empty("--at", env.baseline)


def test_a_deleted_definition_is_created_again_on_its_app(env: Env) -> None:
    app = owner(env)
    grade = prefix(app["appId"]) + "payGrade"
    env.graph("DELETE", f"applications/{app['id']}/extensionProperties/{definition_id(env, app, grade)}")
    env.ok("backup")
    plan = env.plan("--at", env.baseline, f"applications/{APP}")
    assert [(a["action"], c["new"]["name"]) for a in plan["actions"] for c in a["changes"]] == [
        ("link", grade)
    ]
    env.restore("--at", env.baseline, f"applications/{APP}")
    found = env.graph("GET", f"applications/{app['id']}/extensionProperties")["value"]
    assert grade in {d["name"] for d in found}
    # the values were kept by Graph and are discoverable again (extensibility-overview.md)
    env.assert_empty("--at", env.baseline)


def test_a_hard_deleted_owner_app_comes_back_with_new_names_and_its_values(env: Env) -> None:
    """A recreated app has a new appId, so its extensions new names (extensibility-overview.md:
    extension_{appId}_{name}): restore creates the definitions on it and writes the values under the new
    names (the id map knows old appId → new), so the whole tenant plans empty afterwards."""
    app = owner(env)
    old = prefix(app["appId"])
    megan = env.graph("GET", f"users/{MEGAN}")
    cost = value(env, megan["id"], old + "costCenter")
    env.graph("DELETE", f"applications/{app['id']}")
    env.graph("DELETE", f"directory/deletedItems/{app['id']}")
    env.ok("backup")
    assert old + "costCenter" not in file_of(env, "users", megan["id"])
    # (users synchronized from on-premises are refused, values and all: the restore exits 1 naming them)
    r = env.run(
        "restore", "--yes", "--at", env.baseline, "--all", "--allow-privileged", "--allow-mass-change"
    )
    assert r.exit_code == 1 and "refused" in r.output, r.output
    assert f"extensionProperties + {old}costCenter (String)" in r.output
    new_app_id = idmap(env)["appIds"][app["appId"]]
    new = prefix(new_app_id)
    assert value(env, megan["id"], new + "costCenter") == cost
    names = {
        d["name"]
        for d in env.graph("GET", f"applications/{idmap(env)['ids'][app['id']]}/extensionProperties")["value"]
    }
    assert names == {new + "costCenter", new + "payGrade", new + "clearances"}
    left = env.plan("--at", env.baseline)["actions"]
    assert {a["action"] for a in left} == {"refuse"}
    assert all("synchronized from on-premises" in a["reason"] for a in left)
    env.assert_empty("--at", env.baseline, MEGAN)
