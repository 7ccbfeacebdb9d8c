"""What a backup pays for directory extensions, and what it does when their discovery fails.

Definitions come from the discovery call's answer (directoryobject-getavailableextensionproperties.md returns
every usable extensionProperty with its name, dataType, isMultiValued and targetObjects), read one application
at a time only for applications without a service principal, whose definitions discovery does not show
(extensibility-overview.md, "Considerations for using directory extensions"). A failed discovery (no
Directory.Read.All, an error that outlasts the retries) keeps the names of the last backup: it must never be
committed as "every extension value removed"."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import live_helpers
import pytest
import yaml
from restore_env import Env, git, make_env

from entragit import config, live
from entragit.backup import run_backup
from entragit.catalog import by_name, object_path
from entragit.config import Config
from entragit.repo.writer import Store

APP = "Contoso Expense Portal"  # the demo's app that owns the extensions (it has a service principal)
MEGAN = "megan.bowen@contoso.onmicrosoft.com"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def stats(env: Env) -> dict[str, int]:
    by_path: dict[str, int] = env.http.get(f"{env.box.graph_url}/_sandbox/stats").json()["by_path"]
    return by_path


def per_app_reads(before: dict[str, int], after: dict[str, int]) -> int:
    key = re.compile(r"^GET .*applications/\{id\}/extensionProperties$")
    return sum(n - before.get(k, 0) for k, n in after.items() if key.match(k))


def file_of(env: Env, collection: str, oid: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((env.root / object_path(by_name(collection), oid)).read_text())
    return data


def fault(env: Env, match: str, status: int) -> None:
    r = env.http.post(
        f"{env.box.graph_url}/_sandbox/faults", json={"match": match, "status": status, "times": 50}
    )
    assert r.status_code < 300, r.text


def test_definitions_come_from_discovery_and_only_apps_without_a_service_principal_are_read(env: Env) -> None:
    """Before: every backup read each application's extensionProperties (one request per app, 2,000 at 100k
    users). Now only the app discovery cannot see is read, and only the app whose definitions changed is
    written again."""
    lone = env.graph("POST", "applications", {"displayName": "No Principal Tool"})  # no service principal
    env.graph(
        "POST",
        f"applications/{lone['id']}/extensionProperties",
        {"name": "badge", "dataType": "String", "targetObjects": ["User"]},
    )
    owner = env.find("applications", APP)
    env.ok("backup")
    assert [d["name"] for d in file_of(env, "applications", lone["id"])["extensionProperties"]] == [
        "extension_" + lone["appId"].replace("-", "") + "_badge"
    ]
    kept = file_of(env, "applications", owner["id"])["extensionProperties"]
    assert len(kept) == 3 and all(d["isMultiValued"] in (True, False) for d in kept)

    env.graph(
        "POST",
        f"applications/{owner['id']}/extensionProperties",
        {"name": "floor", "dataType": "Integer", "targetObjects": ["User"]},
    )
    head = git(env, "rev-parse", "HEAD").strip()
    before = stats(env)
    env.ok("backup")
    assert per_app_reads(before, stats(env)) == 1  # the app without a service principal, nothing else
    changed = git(env, "diff", "--name-only", head, "HEAD", "--", "applications").split()
    assert changed == [object_path(by_name("applications"), owner["id"])]
    floor = "extension_" + owner["appId"].replace("-", "") + "_floor"
    assert floor in {d["name"] for d in file_of(env, "applications", owner["id"])["extensionProperties"]}


def test_a_failed_discovery_keeps_every_value_and_the_other_changes_still_land(env: Env) -> None:
    """Before: without Directory.Read.All the whole backup failed (users, groups, applications, administrative
    units, organization). Now the run keeps the last backup's names, says why in one line, and commits the
    users' other changes with every value line in place."""
    values_before = git(env, "grep", "-c", "^extension_", "HEAD", "--", "users", "groups", "applications")
    assert values_before.strip()
    megan = env.graph("GET", f"users/{MEGAN}")
    env.graph("PATCH", f"users/{megan['id']}", {"jobTitle": "Discovery Survivor"})
    fault(env, "getAvailableExtensionProperties", 403)
    r = env.ok("backup")
    assert "getAvailableExtensionProperties failed (403 Directory.Read.All)" in r.output
    assert "kept the 3 extension name(s) of the last backup" in r.output
    assert file_of(env, "users", megan["id"])["jobTitle"] == "Discovery Survivor"
    assert (
        git(env, "grep", "-c", "^extension_", "HEAD", "--", "users", "groups", "applications")
        == values_before
    )
    changed = git(env, "diff", "--name-only", env.baseline, "HEAD", "--", "users", "groups", "applications")
    assert changed.split() == [object_path(by_name("users"), megan["id"])]
    owner = env.find("applications", APP)  # definitions read per application instead
    assert len(file_of(env, "applications", owner["id"])["extensionProperties"]) == 3


def test_a_first_backup_without_discovery_has_no_values_and_says_so(env: Env, tmp_path: Path) -> None:
    """A transient failure (503 past the retries) on a repository's first backup: no names to keep, so the
    run backs up without values, says so, and the next run with discovery reads the types whole."""
    fresh = _fresh_repo(env, tmp_path)
    client = live_helpers.client_for(env.box, max_retries=1, backoff_base=0.01)
    try:
        fault(env, "getAvailableExtensionProperties", 503)
        result = run_backup(fresh, client=client)
        assert result.ok, result.errors
        assert result.notices[0].startswith("directoryObjects/getAvailableExtensionProperties failed (503")
        assert result.notices[0].endswith("no directory extension values backed up this run")
        users = [p for p in fresh.glob("users/*/*.yaml")]
        assert users and not any("extension_" in p.read_text() for p in users)
        env.http.delete(f"{env.box.graph_url}/_sandbox/faults")
        result = run_backup(fresh, client=client)
        assert (
            "settings changed: extensions for users: every users file rendered again from a full listing"
            in (result.notices)
        )
        assert any("extension_" in p.read_text() for p in fresh.glob("users/*/*.yaml"))
    finally:
        client.close()


def test_an_empty_answer_beyond_1000_service_principals_is_not_taken_for_no_extensions(
    env: Env, tmp_path: Path
) -> None:
    """directoryobject-getavailableextensionproperties.md, Important: beyond 1,000 service principals the
    call returns an empty response. Taken at its word, the next backup would drop every value line."""
    values_before = git(env, "grep", "-c", "^extension_", "HEAD", "--", "users", "groups")
    _beyond_discovery(env)
    assert env.graph("POST", "directoryObjects/getAvailableExtensionProperties", {})["value"] == []
    r = env.ok("backup", "--type", "users", "--type", "groups")
    assert "answered nothing in a tenant of 1,001 service principals" in r.output
    assert git(env, "grep", "-c", "^extension_", "HEAD", "--", "users", "groups") == values_before
    # A repository's first backup there has no names to keep: it reads the definitions of the applications
    # that have any before the listings that select their names, so its files hold the values from the start.
    fresh = _fresh_repo(env, tmp_path)
    client = live_helpers.client_for(env.box)
    try:
        first = run_backup(fresh, client=client)
        # (only the applications that have definitions: application.md's `/$count ne 0` filter)
        assert first.ok and "read the extension definitions of 1 of " in first.notices[0], first.notices
        assert _values(fresh) == _values(env.root)
        second = run_backup(fresh, client=client)
        assert second.ok and "kept the 3 extension name(s) of the last backup" in second.notices[0]
        assert not any("settings changed" in n for n in second.notices)  # (no second full listing)
    finally:
        client.close()


def test_a_first_backup_past_the_limit_reads_every_application_where_the_count_filter_is_refused(
    env: Env, tmp_path: Path
) -> None:
    """The `/$count ne 0` filter is an advanced query; refused (a 400), the first backup reads every
    application's definitions one by one and keeps the same values."""
    _beyond_discovery(env)
    fault(env, r"extensionProperties/\$count", 400)
    fresh = _fresh_repo(env, tmp_path)
    client = live_helpers.client_for(env.box)
    try:
        first = run_backup(fresh, client=client)
        assert first.ok and first.notices[0].endswith("one by one first"), first.notices
        assert _values(fresh) == _values(env.root) and _values(env.root)
    finally:
        client.close()


def _fresh_repo(env: Env, tmp_path: Path) -> Path:
    """A repository for the env's sandbox that has had no backup yet."""
    st = Store.init(tmp_path / "fresh")
    config.save(st.root, Config(tenant_id=env.box.tenant_id, client_id=env.box.client_id))
    st.commit_paths(["entragit.yaml"], "entragit init")
    return st.root


def _values(root: Path) -> dict[str, int]:
    """User file → how many extension value lines it holds."""
    found = {p.name: p.read_text().count("\nextension_") for p in root.glob("users/*/*.yaml")}
    return {k: v for k, v in found.items() if v}


def _beyond_discovery(env: Env) -> None:
    """Take the sandbox tenant past 1,000 service principals, where discovery answers nothing."""
    sps = env.box.tenant.coll("servicePrincipals")
    template = next(iter(sps.objs.values()))
    with env.box.tenant.lock:
        sps.load(
            [
                {
                    **template,
                    "id": str(uuid.UUID(int=i)),
                    "appId": str(uuid.UUID(int=10**6 + i)),
                    "appRoles": [],
                }
                for i in range(1, 1001 - len(sps.objs) + 1)
            ]
        )


def test_beyond_discovery_each_run_reads_a_share_of_the_applications_and_a_new_definition_lands_in_turn(
    env: Env,
) -> None:
    """Before: past 1,000 service principals every backup read each application's extensionProperties
    (2,000 requests a run at 100k users, 19x a no-change run's other requests). Now a run reads one
    application in SWEEP_RUNS (the others keep what their files hold), so SWEEP_RUNS runs read each exactly
    once, and a definition added meanwhile is in its application's file, then its values in the users',
    within those runs."""
    _beyond_discovery(env)
    env.ok("backup")  # the state's turn starts here
    apps = [a for a in env.graph("GET", "applications?$select=id")["value"]]
    owner = env.find("applications", APP)
    env.graph(
        "POST",
        f"applications/{owner['id']}/extensionProperties",
        {"name": "floor", "dataType": "Integer", "targetObjects": ["User"]},
    )
    floor = "extension_" + owner["appId"].replace("-", "") + "_floor"
    megan = env.graph("GET", f"users/{MEGAN}")
    env.graph("PATCH", f"users/{megan['id']}", {floor: 7})
    reads, landed = 0, None
    for run in range(1, live.SWEEP_RUNS + 2):
        before = stats(env)
        r = env.ok("backup")
        reads += per_app_reads(before, stats(env)) if run <= live.SWEEP_RUNS else 0
        if landed is None and floor in {
            d["name"] for d in file_of(env, "applications", owner["id"])["extensionProperties"]
        }:
            landed = run
    assert reads == len(apps)
    assert landed is not None and landed <= live.SWEEP_RUNS
    assert file_of(env, "users", megan["id"])[floor] == 7
    assert "for one application in 10 this run" in r.output


def test_beyond_discovery_a_deleted_definition_is_dropped_from_the_names_and_the_users_still_back_up(
    env: Env,
) -> None:
    """Graph refuses a listing that selects a property it does not know. A name kept from the last run
    whose definition was deleted since would have failed every users listing until the files forgot it;
    now the run checks the kept names, drops it, and backs the users up."""
    _beyond_discovery(env)
    env.ok("backup")
    owner = env.find("applications", APP)
    megan = env.graph("GET", f"users/{MEGAN}")
    held = file_of(env, "users", megan["id"])
    live = env.graph("GET", f"applications/{owner['id']}/extensionProperties")["value"]
    gone = next(d for d in live if d["name"] in held)
    env.graph("DELETE", f"applications/{owner['id']}/extensionProperties/{gone['id']}")
    env.graph("PATCH", f"users/{megan['id']}", {"jobTitle": "Still Backed Up"})
    r = env.ok("backup")
    assert "kept the 2 extension name(s) of the last backup" in r.output
    after = file_of(env, "users", megan["id"])
    assert after["jobTitle"] == "Still Backed Up" and gone["name"] not in after


def test_beyond_discovery_a_plan_takes_the_names_from_the_files_and_finds_the_values_in_place(
    env: Env,
) -> None:
    """Before: a plan past 1,000 service principals took discovery's empty answer for "no extensions", read
    Megan without her values, and planned to write them back though they were in place. Now it selects the
    names the application files define, without reading each application, and has nothing to do; a value
    changed since is the one write it plans."""
    _beyond_discovery(env)
    megan = env.graph("GET", f"users/{MEGAN}")
    before = stats(env)
    env.assert_empty(megan["id"])
    assert per_app_reads(before, stats(env)) == 0
    name = next(k for k in file_of(env, "users", megan["id"]) if k.startswith("extension_"))
    env.graph("PATCH", f"users/{megan['id']}", {name: None})
    changes = [c for a in env.plan(megan["id"])["actions"] for c in a.get("changes", [])]
    assert [c["path"] for c in changes] == [name]


def test_beyond_discovery_a_fresh_clone_takes_the_names_from_its_files(env: Env, tmp_path: Path) -> None:
    """A CI job on a fresh clone has no incremental state. Past 1,000 service principals it would read every
    application's definitions before its listings; it now selects the names the application files define,
    and the values come back as they were."""
    _beyond_discovery(env)
    clone = tmp_path / "clone"
    git(env, "clone", "-q", str(env.root), str(clone))
    client = live_helpers.client_for(env.box)
    try:
        result = run_backup(clone, client=client)
    finally:
        client.close()
    assert result.ok and "kept the 3 extension name(s) of the last backup" in result.notices[0]
    assert _values(clone) == _values(env.root) != {}
