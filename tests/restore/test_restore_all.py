"""Whole-tenant restore (`restore --all [--at REV] [--type TYPE]`) and objects named as they are called at the
revision or now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from restore_env import Env, make_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def test_restore_all_brings_the_whole_tenant_back_to_the_revision(env: Env) -> None:
    aurora = env.find("groups", "Project Aurora")
    lidia = env.find("users", "Lidia Holloway")
    policy = env.find("identity/conditionalAccess/policies", "Block legacy authentication")
    env.graph("PATCH", f"groups/{aurora['id']}", {"displayName": "Project Borealis"})
    env.graph("PATCH", f"users/{lidia['id']}", {"jobTitle": "Intern"})
    env.graph("PATCH", f"identity/conditionalAccess/policies/{policy['id']}", {"state": "disabled"})
    env.ok("backup")

    r = env.run("restore", "--yes")
    assert r.exit_code == 2 and "--all" in r.output and len(r.output.strip().splitlines()) == 1
    assert env.run("restore", "--all", "--yes", "Lee Gu").exit_code == 2

    # --type narrows it: only the users come back.
    env.ok("restore", "--all", "--at", env.baseline, "--type", "users", "--yes")
    assert env.graph("GET", f"users/{lidia['id']}")["jobTitle"] == lidia["jobTitle"]
    assert env.graph("GET", f"groups/{aurora['id']}")["displayName"] == "Project Borealis"

    out = env.ok("restore", "--all", "--at", env.baseline, "--yes").output
    assert "Plan: 2 to update" in out, out
    assert env.graph("GET", f"groups/{aurora['id']}")["displayName"] == "Project Aurora"
    live = env.graph("GET", f"identity/conditionalAccess/policies/{policy['id']}")
    assert live["state"] == policy["state"]
    env.assert_empty("--at", env.baseline)


def test_an_object_is_named_as_it_was_called_then_or_is_called_now(env: Env) -> None:
    """`plan --at REV NAME` finds the object by the name it has now (renamed since) or had at REV; a name that
    is one object then and another now is ambiguous, and says so naming both."""
    payroll = env.find("applications", "Payroll Sync")
    env.graph("PATCH", f"applications/{payroll['id']}", {"displayName": "Payroll Sync (old)"})
    env.ok("backup")
    for name in ("Payroll Sync (old)", "applications/Payroll Sync"):
        [action] = env.plan("--at", env.baseline, name)["actions"]
        assert action["action"] == "update" and action["changes"][0]["new"] == "Payroll Sync"

    aurora = env.find("groups", "Project Aurora")
    vpn = env.find("groups", "VPN Users")
    env.graph("PATCH", f"groups/{aurora['id']}", {"displayName": "Project Borealis"})
    env.graph("PATCH", f"groups/{vpn['id']}", {"displayName": "Project Aurora"})
    env.ok("backup")
    r = env.run("plan", "--at", env.baseline, "Project Aurora")
    assert r.exit_code != 0 and len(r.output.strip().splitlines()) == 1, r.output
    assert aurora["id"] in r.output and vpn["id"] in r.output
