"""A restore interrupted mid-way and run again completes what is left: it never creates an object twice (one
the interrupted run created, whose answer was lost, is found by its unique properties) and never loses an id
mapping."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
import yaml
from restore_env import Env, git, idmap, leave_mail_groups, member_ids

from entragit.graph.client import GraphClient, Write


def _security_groups(env: Env) -> list[dict[str, Any]]:
    """Groups deleted for good on DELETE (directory-deleteditems-list.md: only Microsoft 365 groups go to
    deleted items), with members, not dynamic, not role-assignable."""
    groups = env.graph("GET", "groups")["value"]
    return [
        g
        for g in groups
        if not g.get("groupTypes") and not g["mailEnabled"] and not g.get("isAssignableToRole")
        if member_ids(env, f"groups/{g['id']}/members")
    ]


def _named(env: Env, name: str) -> list[str]:
    return [g["id"] for g in env.graph("GET", "groups")["value"] if g["displayName"] == name]


def test_a_restore_killed_after_a_creation_reached_graph_completes_without_duplicates(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _security_groups(env)[:2]
    members = {g["id"]: member_ids(env, f"groups/{g['id']}/members") for g in (first, second)}
    for g in (first, second):  # group-post-groups.md: a security group is created Private by default
        env.graph("PATCH", f"groups/{g['id']}", {"visibility": "Private"})
    env.ok("backup")
    for g in (first, second):  # deleted and purged (a cloud security group is soft-deleted first)
        env.graph("DELETE", f"groups/{g['id']}")
        env.graph("DELETE", f"directory/deletedItems/{g['id']}")
    env.ok("backup")

    real = GraphClient.write_many
    sent: list[str] = []

    def dies_once_the_creations_reached_graph(self: GraphClient, writes: Sequence[Write]) -> Any:
        answers = real(self, writes)
        creations = [w.path for w in writes if w.method == "POST" and w.path == "groups"]
        if creations:
            sent.extend(creations)
            raise KeyboardInterrupt  # the process dies: Graph created both groups, nobody saw their ids
        return answers

    monkeypatch.setattr(GraphClient, "write_many", dies_once_the_creations_reached_graph)
    r = env.run("restore", "--yes", first["id"], second["id"])
    assert r.exit_code != 0 and len(sent) == 2  # one $batch with both creations
    monkeypatch.undo()
    # both creations were marked pending, and the marks committed, before the batch went out
    committed = yaml.safe_load(git(env, "show", "HEAD:idmap.yaml"))
    assert not committed.get("ids") and sorted(committed["pending"]) == sorted([first["id"], second["id"]])
    assert [len(_named(env, g["displayName"])) for g in (first, second)] == [1, 1]

    out = env.restore(first["id"], second["id"]).output
    assert out.count("created by an interrupted run") == 2
    assert [len(_named(env, g["displayName"])) for g in (first, second)] == [1, 1]  # no duplicate
    ids = idmap(env)
    assert set(ids["ids"]) == {first["id"], second["id"]} and "pending" not in ids
    assert ids["ids"][second["id"]] == _named(env, second["displayName"])[0]
    for g in (first, second):
        assert member_ids(env, f"groups/{ids['ids'][g['id']]}/members") == members[g["id"]]
    env.assert_empty(first["id"], second["id"])


def test_a_creation_interrupted_before_it_was_sent_is_made_on_the_rerun(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pending mark alone adopts nothing: no object with the group's mailNickname was created since."""
    group = _security_groups(env)[0]
    env.graph("PATCH", f"groups/{group['id']}", {"visibility": "Private"})
    env.ok("backup")
    env.graph("DELETE", f"groups/{group['id']}")
    env.graph("DELETE", f"directory/deletedItems/{group['id']}")  # purged: the rerun must recreate it
    env.ok("backup")
    real = GraphClient.request

    def dies_before_sending(self: GraphClient, method: str, path: str, *a: Any, **k: Any) -> Any:
        if method == "POST" and path == "groups":
            raise KeyboardInterrupt
        return real(self, method, path, *a, **k)

    monkeypatch.setattr(GraphClient, "request", dies_before_sending)
    assert env.run("restore", "--yes", group["id"]).exit_code != 0
    monkeypatch.undo()
    assert _named(env, group["displayName"]) == []
    out = env.restore(group["id"]).output
    assert "created as" in out and "interrupted run" not in out
    assert len(_named(env, group["displayName"])) == 1
    env.assert_empty(group["id"])


def test_a_user_created_by_a_killed_run_is_found_by_its_upn_and_gets_a_password_shown(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The interrupted run's temporary password was never shown: the adopted user gets a new one."""
    user = env.find("users", "Lee Gu")
    leave_mail_groups(env, user["id"])
    env.graph("DELETE", f"users/{user['id']}")
    env.graph("DELETE", f"directory/deletedItems/{user['id']}")
    env.ok("backup")
    real = GraphClient.request

    def dies_after_creating(self: GraphClient, method: str, path: str, *a: Any, **k: Any) -> Any:
        answer = real(self, method, path, *a, **k)
        if method == "POST" and path == "users":
            raise KeyboardInterrupt
        return answer

    monkeypatch.setattr(GraphClient, "request", dies_after_creating)
    # --allow-privileged: Lee Gu's memberships come back too, Tier 0 Administrators among them.
    assert env.run("restore", "--yes", "--allow-privileged", user["id"]).exit_code != 0
    monkeypatch.undo()
    secrets = tmp_path / "passwords.txt"
    out = env.restore(user["id"], "--allow-privileged", "--passwords-file", str(secrets)).output
    assert "created by an interrupted run" in out and f"temporary password written to {secrets}" in out
    upn = user["userPrincipalName"]
    assert secrets.read_text().startswith(f"{upn}\t")
    assert [u for u in env.graph("GET", "users")["value"] if u["userPrincipalName"] == upn] == [ANY]
    env.assert_empty(user["id"])
