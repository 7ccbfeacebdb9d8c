"""End-to-end backups against the in-process sandbox: files, commits, increments, failures, interruption."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import live_helpers
import pytest
import requests
from click.testing import CliRunner
from gitcmd import git
from live_helpers import cli_env
from mounts import mounted, read_only

from entragit import backup, canonical, catalog, config, live, render
from entragit.backup import run_backup
from entragit.cli import cli
from entragit.config import Config
from entragit.graph import client as graph_client
from entragit.graph.client import GraphClient
from entragit.history.tenant import live_object, live_objects, live_unlike
from entragit.repo import writer as store
from entragit.repo.writer import Store
from entragit.sandbox.server import Sandbox


def client_for(box: Sandbox) -> GraphClient:
    # Small backoff: injected 5xx faults are retried quickly instead of for minutes.
    return live_helpers.client_for(box, max_retries=2, backoff_base=0.01)


def make_repo(path: Path, box: Sandbox, *, attribution: bool = False) -> Path:
    """A backup repository for the sandbox. Attribution (one commit per actor, tests/test_attribution.py) is
    off unless asked for: these tests count one commit per run, and the sandbox's own app makes their
    changes, whose cascades (a deleted group's app role assignments) no audit record names."""
    st = Store.init(path)
    config.save(st.root, Config(tenant_id=box.tenant_id, client_id=box.client_id, attribution=attribution))
    st.commit_paths(["entragit.yaml"], "entragit init")
    return st.root


class Env:
    """A sandbox, a repository and a client; `graph` makes raw changes as an admin would."""

    def __init__(self, box: Sandbox, root: Path) -> None:
        self.box = box
        self.root = root
        self.client = client_for(box)
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = box.ca_bundle

    def backup(self, **kwargs: Any) -> backup.BackupResult:
        return run_backup(self.root, client=self.client, **kwargs)

    def graph(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.request(method, path, json=body)

    def fault(self, match: str, status: int, times: int = 100) -> None:
        r = self.http.post(
            f"{self.box.graph_url}/_sandbox/faults", json={"match": match, "status": status, "times": times}
        )
        assert r.status_code < 300, r.text

    def clear_faults(self) -> None:
        self.http.delete(f"{self.box.graph_url}/_sandbox/faults")

    def head(self) -> str:
        return git(self.root, "rev-parse", "HEAD").strip()

    def last_commit_files(self, reports: bool = True) -> list[tuple[str, str]]:
        out = git(self.root, "show", "--name-status", "--format=", "HEAD").split("\n")
        files = sorted((ln.split("\t")[0], ln.split("\t")[1]) for ln in out if ln.strip())
        return [f for f in files if reports or not f[1].startswith("reports/")]

    def load(self, relpath: str) -> dict[str, Any]:
        return canonical.load((self.root / relpath).read_text())

    def files(self, t: catalog.ObjectType) -> list[str]:
        return [p for p in git(self.root, "ls-files").split("\n") if p and catalog.type_for_path(p) is t]


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> Iterator[Env]:
    e = Env(sandbox, make_repo(tmp_path / "backup", sandbox))
    yield e
    e.client.close()


def live_ids(e: Env, t: catalog.ObjectType) -> set[str]:
    """Ids the tenant holds for a type, read with raw Graph calls (live and soft-deleted)."""
    if t.singleton:
        return {"singleton"}
    params = {k: v for k, v in (("$filter", t.list_filter), ("$expand", ",".join(t.expand))) if v}
    scopes = [params]
    if t.scopes is not None:  # listed one scope at a time (PIM for Groups: per role-assignable group)
        found = e.client.list(t.scopes.source, {"$filter": t.scopes.source_filter, "$select": "id"})
        scopes = [{**params, "$filter": t.scopes.filter.format(id=g["id"])} for g in found]
    ids = {o[t.key] for p in scopes for o in e.client.list(t.path, p) if catalog.is_backed_up(t, o)}
    if t.recycle_bin:
        ids |= {o["id"] for o in e.client.list(t.recycle_bin.listing)}
    return ids


def _quiet_user(e: Env) -> dict[str, Any]:
    """A user nobody links to (no membership, not a manager, no role): its change stays local."""
    text = "\n".join(
        (e.root / p).read_text()
        for p in git(e.root, "ls-files").split("\n")
        if p and not p.startswith("users/") and p.endswith(".yaml")
    )
    managers = {e.load(p).get("manager") for p in e.files(catalog.by_name("users"))}
    for p in reversed(e.files(catalog.by_name("users"))):
        u = e.load(p)
        if u.get("deletedDateTime") or u["id"] in text or u["id"] in managers:
            continue
        return u
    raise AssertionError("the demo tenant has no unlinked user")


# ---------------------------------------------------------------------------------------------------- tests


def test_first_backup_writes_one_file_per_object(env: Env) -> None:
    result = env.backup()
    assert result.ok, result.errors
    assert result.commit == env.head()
    assert git(env.root, "status", "--porcelain") == ""
    for t in (t for t in catalog.CATALOG if not t.delegated_only):  # (an app's sign-in: not agreements)
        expected = (
            {catalog.object_path(t, i) for i in live_ids(env, t)} if not t.singleton else {f"{t.path}.yaml"}
        )
        assert set(env.files(t)) == expected, t.name
        assert result.types[t.name].objects == len(expected)
    users = catalog.by_name("users")
    some_user = env.load(env.files(users)[0])
    assert list(some_user)[:3] == ["id", "displayName", "userPrincipalName"]
    assert env.files(users)[0].startswith(f"users/{some_user['id'][:2]}/")
    groups = [env.load(p) for p in env.files(catalog.by_name("groups"))]
    assert any(g.get("members") for g in groups), "memberships are backed up"
    assert any(u.get("manager") for u in (env.load(p) for p in env.files(users)))
    assert (env.root / "reports/secureScore.yaml").exists()
    seats = canonical.load((env.root / "reports/seats.yaml").read_text())
    assert seats["users"] >= seats["billableUsers"] > 0
    subject = git(env.root, "log", "-1", "--format=%s").strip()
    assert subject.startswith("backup ") and subject.endswith(f"0 changed, {result.added} added, 0 deleted")
    assert ".onmicrosoft.com" in subject or "." in subject.split()[1]


def test_second_run_without_changes_makes_no_commit(env: Env) -> None:
    first = env.backup()
    head = env.head()
    again = env.backup()
    assert again.ok and again.commit is None
    assert env.head() == head and first.commit == head
    assert again.types["users"].mode == "delta"
    assert (again.added, again.changed, again.deleted) == (0, 0, 0)
    assert git(env.root, "status", "--porcelain") == ""


def test_an_object_listed_as_the_last_run_listed_it_is_not_rendered_again(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A type listed whole every run: an object whose listing (object and links) has the input digest the
    state keeps (`inputs`) is taken unrendered; a changed one is rendered and written, a changed link too;
    another version of entragit (`render._code`) renders everything once. A type with a delta query keeps
    no input digests."""
    apps = catalog.by_name("applications")
    assert env.backup().ok
    kept = json.loads((env.root / ".git/entragit/state/state.json").read_text())["types"]
    assert len(kept["applications"]["inputs"]) == len(env.files(apps))
    assert "inputs" not in kept["groups"]  # (listed whole in a full run only: the next follows its delta)
    rendered: list[str] = []
    real = render.render
    monkeypatch.setattr(render, "render", lambda t, path, *a: rendered.append(path) or real(t, path, *a))
    assert env.backup().commit is None and not [p for p in rendered if catalog.type_for_path(p) is apps]
    path = env.files(apps)[0]
    app = env.load(path)
    env.graph("PATCH", f"applications/{app['id']}", {"notes": "changed by hand"})
    r = env.backup()
    assert r.commit and [p for p in rendered if catalog.type_for_path(p) is apps] == [path]
    assert env.load(path)["notes"] == "changed by hand"
    users = (env.load(p) for p in env.files(catalog.by_name("users")))
    owner_id = next(u["id"] for u in users if u["id"] not in (app.get("owners") or []))
    env.graph("POST", f"applications/{app['id']}/owners/$ref", {"@odata.id": f"users/{owner_id}"})
    rendered.clear()
    assert env.backup().commit and owner_id in env.load(path)["owners"]
    assert [p for p in rendered if catalog.type_for_path(p) is apps] == [path]
    rendered.clear()
    render._code.cache_clear()
    monkeypatch.setattr(render, "_code", lambda: b"another version")
    assert env.backup().commit is None
    assert len([p for p in rendered if catalog.type_for_path(p) is apps]) == len(env.files(apps))


# ------------------------------------------------------------------------------------------- secure score


def graph_scores(http: requests.Session, box: Sandbox) -> list[dict[str, Any]]:
    """The secure score records Graph holds, newest first, read with a raw GET (no entragit code involved)."""
    r = http.get(f"{box.graph_url}/v1.0/security/secureScores", params={"$top": "200"})
    assert r.status_code == 200, r.text
    assert "@odata.nextLink" not in r.json()
    return list(r.json()["value"])


def score_json(root: Path) -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["score", "--json", "--repo", str(root)], env={"ENTRAGIT_REPO": ""})
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.output))


def test_first_backup_gives_score_a_trend_of_every_day_graph_holds(
    env: Env, graph_session: requests.Session
) -> None:
    raw = graph_scores(graph_session, env.box)
    assert len(raw) >= 20, "the sandbox seed holds about a month of daily scores"
    env.backup()

    data = score_json(env.root)
    expected = [(r["createdDateTime"][:10], float(r["currentScore"]), float(r["maxScore"])) for r in raw]
    got = [(p["date"][:10], p["currentScore"], p["maxScore"]) for p in data["history"]]
    assert got == sorted(expected), "one point per day Graph holds, oldest first, with Graph's values"
    assert (data["date"][:10], data["currentScore"], data["maxScore"]) == expected[0]  # newest record

    saved = env.load("reports/secureScore.yaml")
    assert [h["date"] for h in saved["history"]] == sorted(d for d, _, _ in expected)
    assert saved["controlScores"] and saved["date"] == raw[0]["createdDateTime"][:10]

    r = CliRunner().invoke(cli, ["score", "--repo", str(env.root)], env={"ENTRAGIT_REPO": ""})
    assert r.exit_code == 0 and "no trend yet" not in r.output
    assert f"{len(raw)} days" in r.output

    # Same tenant, same day: same bytes, no commit.
    before = (env.root / "reports/secureScore.yaml").read_bytes()
    head = env.head()
    assert env.backup().commit is None and env.head() == head
    assert (env.root / "reports/secureScore.yaml").read_bytes() == before


def test_score_history_merges_later_backups_one_point_per_day(env: Env) -> None:
    env.backup()
    first = score_json(env.root)["history"]
    scores = env.box.tenant.coll("security/secureScores")

    # The next day Graph adds a record and recomputes the previous day's score (newest value wins).
    with env.box.tenant.lock:
        latest = max(scores.objs.values(), key=lambda o: o["createdDateTime"])
        day = latest["createdDateTime"][:10]
        next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        newer = dict(
            latest,
            id=f"{latest['azureTenantId']}_{next_day}",
            createdDateTime=f"{next_day}T00:00:00Z",
            currentScore=float(latest["currentScore"]) + 7.5,
        )
        env.box.tenant.replace(
            "security/secureScores", dict(latest, currentScore=float(latest["currentScore"]) + 2.0)
        )
        env.box.tenant.insert("security/secureScores", newer)
    r = env.backup()
    assert r.commit is not None
    assert env.last_commit_files() == [("M", "reports/secureScore.yaml")]

    data = score_json(env.root)
    days = [p["date"][:10] for p in data["history"]]
    assert days == sorted(set(days)), "no duplicate days"
    assert days == [p["date"][:10] for p in first] + [next_day]
    by_day = {p["date"][:10]: p["currentScore"] for p in data["history"]}
    assert by_day[day] == first[-1]["currentScore"] + 2.0
    assert by_day[next_day] == data["currentScore"] == float(newer["currentScore"])


def test_only_the_newest_90_days_are_written(env: Env, graph_session: requests.Session) -> None:
    scores = env.box.tenant.coll("security/secureScores")
    with env.box.tenant.lock:
        oldest = min(scores.objs.values(), key=lambda o: o["createdDateTime"])
        start = date.fromisoformat(oldest["createdDateTime"][:10])
        for back in range(1, 101 - len(scores.objs)):
            day = (start - timedelta(days=back)).isoformat()
            old = dict(oldest, id=f"{oldest['azureTenantId']}_{day}", createdDateTime=f"{day}T00:00:00Z")
            env.box.tenant.insert("security/secureScores", old)
    raw = graph_scores(graph_session, env.box)
    assert len(raw) == 100
    env.backup()
    history = env.load("reports/secureScore.yaml")["history"]
    assert [h["date"] for h in history] == sorted(r["createdDateTime"][:10] for r in raw[:90])


def test_each_change_is_one_commit_touching_exactly_its_files(env: Env) -> None:
    env.backup()
    users, groups = catalog.by_name("users"), catalog.by_name("groups")

    # A user changed.
    quiet = _quiet_user(env)
    env.graph("PATCH", f"users/{quiet['id']}", {"jobTitle": "Chief Backup Officer"})
    r = env.backup()
    user_path = catalog.object_path(users, quiet["id"])
    assert env.last_commit_files() == [("M", user_path)]
    assert env.load(user_path)["jobTitle"] == "Chief Backup Officer"
    assert (r.changed, r.added, r.deleted) == (1, 0, 0)
    message = git(env.root, "log", "-1", "--format=%B")
    assert message.split("\n")[0].endswith(": 1 changed, 0 added, 0 deleted")
    assert f"users: changed {quiet['displayName']}" in message

    # A member added to an assigned group.
    group = next(
        env.load(p)
        for p in env.files(groups)
        if not env.load(p).get("membershipRule") and not env.load(p).get("deletedDateTime")
    )
    env.graph(
        "POST",
        f"groups/{group['id']}/members/$ref",
        {"@odata.id": f"{env.client.base_url}/users/{quiet['id']}"},
    )
    env.backup()
    group_path = catalog.object_path(groups, group["id"])
    assert env.last_commit_files() == [("M", group_path)]
    assert quiet["id"] in env.load(group_path)["members"]

    # ... and removed again.
    env.graph("DELETE", f"groups/{group['id']}/members/{quiet['id']}/$ref")
    env.backup()
    assert env.last_commit_files() == [("M", group_path)]
    assert quiet["id"] not in env.load(group_path)["members"]

    # A conditional access policy deleted (hard delete in v1.0).
    ca = catalog.by_name("conditionalAccessPolicies")
    policy_path = env.files(ca)[0]
    policy = env.load(policy_path)
    env.graph("DELETE", f"identity/conditionalAccess/policies/{policy['id']}")
    r = env.backup()
    assert env.last_commit_files() == [("D", policy_path)]
    assert r.deleted == 1
    assert f"deleted {policy['displayName']}" in git(env.root, "log", "-1", "--format=%B")

    # A user soft-deleted: the file stays, with deletedDateTime.
    env.graph("DELETE", f"users/{quiet['id']}")
    env.backup()
    assert env.last_commit_files(reports=False) == [("M", user_path)]  # (+ the seat count)
    assert env.load(user_path)["deletedDateTime"]
    assert "soft-deleted" in git(env.root, "log", "-1", "--format=%B")

    # Restored: back to a live user, same file.
    env.graph("POST", f"directory/deletedItems/{quiet['id']}/restore")
    env.backup()
    assert env.last_commit_files(reports=False) == [("M", user_path)]
    assert env.load(user_path)["deletedDateTime"] is None
    assert "restored" in git(env.root, "log", "-1", "--format=%B")

    # Nothing else changed: no commit.
    assert env.backup().commit is None


def test_hard_deleted_and_purged_objects_lose_their_files(env: Env) -> None:
    """A cloud security group is soft-deleted since 2026 (group-delete.md, MC1183299): its file stays, with
    deletedDateTime, until it is purged (directory-deleteditems-delete.md)."""
    env.backup()
    groups = catalog.by_name("groups")
    security = next(
        g
        for g in (env.load(p) for p in env.files(groups))
        if g.get("securityEnabled")
        and not g.get("mailEnabled")
        and "Unified" not in (g.get("groupTypes") or [])
        and not g.get("deletedDateTime")
    )
    group_path = catalog.object_path(groups, security["id"])
    env.graph("DELETE", f"groups/{security['id']}")
    env.backup()
    assert env.load(group_path)["deletedDateTime"]
    assert env.load(group_path)["members"] == security["members"]  # the links its file had
    env.graph("DELETE", f"directory/deletedItems/{security['id']}")  # purge
    env.backup()
    assert ("D", group_path) in env.last_commit_files()

    users = catalog.by_name("users")
    deleted_user = next(
        (env.load(p) for p in env.files(users) if env.load(p).get("deletedDateTime")), None
    ) or _quiet_user(env)
    if not deleted_user.get("deletedDateTime"):
        env.graph("DELETE", f"users/{deleted_user['id']}")
        env.backup()
    env.graph("DELETE", f"directory/deletedItems/{deleted_user['id']}")  # purge
    env.backup()
    assert ("D", catalog.object_path(users, deleted_user["id"])) in env.last_commit_files()


def test_deleted_custom_role_definition_keeps_its_file_until_purged(env: Env) -> None:
    """unifiedroledefinition-delete.md (2026): deleting a custom role definition soft-deletes it into
    roleManagement/directory/deletedItems/roleDefinitions; its file stays with deletedDateTime, comes back
    live on restore (unifiedroledefinition-restore.md) and goes when it is purged."""
    roles = catalog.by_name("roleDefinitions")
    role = env.graph(
        "POST",
        roles.path,
        {
            "displayName": "Payroll Operator",
            "isEnabled": True,
            "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/users/basic/update"]}],
        },
    )
    env.backup()
    path = catalog.object_path(roles, role["id"])
    assert env.load(path)["deletedDateTime"] is None
    env.graph("DELETE", f"{roles.path}/{role['id']}")
    env.backup()
    # (the role's PIM settings go with it: roleManagementPolicies and their assignments)
    changed = [(kind, p) for kind, p in env.last_commit_files(reports=False) if p.startswith(roles.folder)]
    assert changed == [("M", path)]
    assert env.load(path)["deletedDateTime"]
    assert "soft-deleted" in git(env.root, "log", "-1", "--format=%B")
    assert env.backup().commit is None  # still in the bin: nothing changes
    env.graph("POST", f"roleManagement/directory/deletedItems/roleDefinitions/{role['id']}/restore")
    env.backup()
    assert env.load(path)["deletedDateTime"] is None
    env.graph("DELETE", f"{roles.path}/{role['id']}")
    env.graph("DELETE", f"roleManagement/directory/deletedItems/roleDefinitions/{role['id']}")
    env.backup()
    assert ("D", path) in env.last_commit_files()


def test_failed_type_changes_nothing_and_other_types_commit(env: Env) -> None:
    env.backup()
    ca = catalog.by_name("conditionalAccessPolicies")
    ca_files = {p: (env.root / p).read_bytes() for p in env.files(ca)}
    policy = env.load(next(iter(ca_files)))
    quiet = _quiet_user(env)
    env.graph(
        "PATCH", f"identity/conditionalAccess/policies/{policy['id']}", {"displayName": "renamed policy"}
    )
    env.graph("PATCH", f"users/{quiet['id']}", {"department": "Audit"})

    env.fault("conditionalAccess/policies", 500)
    r = env.backup()
    assert not r.ok
    assert len(r.errors) == 1 and r.errors[0].startswith("conditionalAccessPolicies: ")
    assert "500" in r.errors[0]
    assert r.types["conditionalAccessPolicies"].mode == "failed"
    assert env.last_commit_files() == [("M", catalog.object_path(catalog.by_name("users"), quiet["id"]))]
    assert {p: (env.root / p).read_bytes() for p in env.files(ca)} == ca_files
    assert git(env.root, "status", "--porcelain") == ""
    # git log shows which backups were partial, and why
    trailers = git(env.root, "log", "-1", "--format=%(trailers:key=Failed-Type,valueonly)").split("\n")
    assert trailers[0] == "conditionalAccessPolicies (500 generalException)"

    env.clear_faults()
    r = env.backup()
    assert r.ok and env.last_commit_files() == [("M", catalog.object_path(ca, policy["id"]))]


def test_failure_on_the_first_run_never_looks_like_a_deletion(env: Env) -> None:
    env.fault(r"/users(/delta)?\?", 503)
    r = env.backup()
    assert [e.split(":")[0] for e in r.errors] == ["users"]
    assert env.files(catalog.by_name("users")) == []
    assert env.files(catalog.by_name("groups")), "other types were committed"
    assert not (env.root / "reports/seats.yaml").exists(), "no seat estimate without the users"
    env.clear_faults()
    assert env.backup().ok
    assert env.files(catalog.by_name("users"))


def test_a_delta_page_whose_links_disagree_with_its_body_fails_users_and_changes_no_file(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round's next link is read from the page's bytes, before the page is decoded; when the decoded
    page says otherwise (here: the scan finds no link), the round is not trusted: users fail, and none of
    their files changes or is deleted, although the listing ended early."""
    env.backup()
    users = catalog.by_name("users")
    before = {p: (env.root / p).read_bytes() for p in env.files(users)}
    env.graph("PATCH", f"users/{_quiet_user(env)['id']}", {"department": "Audit"})
    monkeypatch.setattr(graph_client, "page_link", lambda content, name: None)
    r = env.backup(full=True)
    assert [e.split(":")[0] for e in r.errors] == ["users"]
    assert "InvalidResponse" in r.errors[0] and "links other than" in r.errors[0]
    assert {p: (env.root / p).read_bytes() for p in env.files(users)} == before
    assert git(env.root, "status", "--porcelain") == ""


def test_forbidden_names_the_missing_permission(env: Env) -> None:
    env.fault("administrativeUnits", 403)
    r = env.backup()
    (err,) = r.errors
    assert err.startswith("administrativeUnits: ") and "AdministrativeUnit.Read.All" in err
    assert "Failed-Type: administrativeUnits (403 AdministrativeUnit.Read.All)" in git(env.root, "log", "-1")


def test_rejected_delta_token_falls_back_to_a_full_listing(env: Env) -> None:
    env.backup()
    quiet = _quiet_user(env)
    env.graph("PATCH", f"users/{quiet['id']}", {"officeLocation": "Room 410"})
    env.fault(r"users/delta\?\$deltatoken", 410, times=1)
    r = env.backup()
    assert r.ok, r.errors
    assert r.types["users"].mode == "delta→full"
    assert env.last_commit_files() == [("M", catalog.object_path(catalog.by_name("users"), quiet["id"]))]
    assert env.backup().types["users"].mode == "delta"


def test_full_flag_relists_and_repairs_a_damaged_tree(env: Env) -> None:
    env.backup()
    users = catalog.by_name("users")
    path = env.files(users)[0]
    # Someone committed a bad edit by hand; state is then ignored and --full rewrites the file.
    (env.root / path).write_text("id: broken\n")
    git(env.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-am", "hand edit")
    r = env.backup(full=True)
    assert r.ok and r.types["users"].mode == "full"
    assert env.last_commit_files() == [("M", path)]
    assert env.load(path)["id"] != "broken"


def test_killed_run_leaves_a_clean_repository_and_the_next_run_completes(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.backup()
    head = env.head()
    quiet = _quiet_user(env)
    env.graph("PATCH", f"users/{quiet['id']}", {"jobTitle": "Half written"})
    policy = env.load(env.files(catalog.by_name("conditionalAccessPolicies"))[0])
    env.graph("DELETE", f"identity/conditionalAccess/policies/{policy['id']}")
    real = Store._git

    def dies_before_moving_head(self: Store, *args: str, **kwargs: Any) -> str:
        if args[:1] == ("update-ref",) and "HEAD" in args:
            raise KeyboardInterrupt  # files and index at the new commit, HEAD not yet moved
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_git", dies_before_moving_head)
    monkeypatch.setattr(store.Snapshot, "close", lambda self: None)  # killed: no cleanup runs
    with pytest.raises(KeyboardInterrupt):
        env.backup()
    monkeypatch.undo()
    assert git(env.root, "status", "--porcelain"), "the interrupted run left files behind"
    assert env.head() == head

    r = env.backup()
    assert r.ok and r.commit
    assert len(r.notices) == 1 and "an interrupted backup left 2 file(s) changed" in r.notices[0]
    assert git(env.root, "status", "--porcelain", "--untracked-files=all") == ""
    files = dict((p, s) for s, p in env.last_commit_files())
    assert files[catalog.object_path(catalog.by_name("users"), quiet["id"])] == "M"
    assert files[catalog.object_path(catalog.by_name("conditionalAccessPolicies"), policy["id"])] == "D"


def test_incremental_state_follows_the_graph_host(env: Env, sandbox_factory: Any) -> None:
    """Delta links are kept relative to the Graph root, so the same tenant behind another address (a proxy,
    ENTRAGIT_GRAPH_URL changed) continues incrementally; a link made on another host (older state) is never
    sent elsewhere: a one-line notice, and that type is listed in full."""
    env.backup()
    state = json.loads((env.root / ".git/entragit/state/state.json").read_text())
    links = [v["deltaLink"] for v in state["types"].values() if v.get("deltaLink")]
    assert links and all(link.startswith(("users/delta?", "groups/delta?", "directory/")) for link in links)
    assert not any("://" in link for link in links)
    assert env.backup().types["users"].mode == "delta"  # relative links resume

    other = sandbox_factory()  # another Graph host (a different port): an old absolute link must not go there
    state["types"]["users"]["deltaLink"] = f"{other.graph_url}/v1.0/users/delta?$deltatoken=old"
    (env.root / ".git/entragit/state/state.json").write_text(json.dumps(state))
    before = other.stats.snapshot()["requests"]
    r = env.backup()
    assert r.ok and r.types["users"].mode == "full" and r.commit is None
    assert r.notices == [
        f"users: the incremental state was made on {other.graph_url.split('/')[2]}, not {env.box.graph_url}; "
        "listing everything"
    ]
    assert other.stats.snapshot()["requests"] == before


def test_commits_outside_the_backed_up_folders_keep_the_incremental_state(env: Env) -> None:
    """A pipeline commits `entragit report` (or a README, CI templates) after the backup: the next run is
    still incremental. A commit that changes a backed-up file (a hand edit, a restore) makes it list all."""
    env.backup()
    (env.root / "report").mkdir()
    (env.root / "report" / "README.md").write_text("# report\n")
    git(env.root, "add", "report")
    git(env.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "report")
    r = env.backup()
    assert r.ok and r.types["users"].mode == "delta" and r.commit is None

    path = env.files(catalog.by_name("groups"))[0]
    (env.root / path).write_text((env.root / path).read_text().replace("displayName:", "displayName: x", 1))
    git(env.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-am", "hand edit")
    r = env.backup()
    assert r.ok and r.types["groups"].mode == "full"
    assert env.last_commit_files() == [("M", path)]  # the hand edit is repaired from the tenant


def test_lost_state_costs_only_a_full_listing(env: Env) -> None:
    env.backup()
    (env.root / ".git/entragit/state/state.json").unlink()
    r = env.backup()
    assert r.ok and r.commit is None and r.types["users"].mode == "full"


def test_excluded_attributes_and_types(env: Env) -> None:
    cfg = config.load(env.root)
    cfg.exclude_attributes = {"users": ["employeeId", "mobilePhone"]}
    cfg.exclude_types = ["oauth2PermissionGrants"]
    config.save(env.root, cfg)
    git(env.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-am", "settings")
    r = env.backup()
    assert r.ok and "oauth2PermissionGrants" not in r.types
    u = env.load(env.files(catalog.by_name("users"))[0])
    assert "employeeId" not in u and "mobilePhone" not in u and "userPrincipalName" in u


def test_changed_exclude_attributes_rewrite_every_file_of_the_type_in_one_commit_saying_why(env: Env) -> None:
    """Digests and delta rounds find only objects that changed in the tenant: a setting that changes how files
    are written (exclude_attributes) makes the next run list the type in full and rewrite every file it
    changes, in one commit that says why; the run after is quiet again, and taking the exclusion back puts
    the attribute back everywhere."""
    users = catalog.by_name("users")
    assert env.backup().ok
    having = {p for p in env.files(users) if "mobilePhone" in env.load(p)}
    assert len(having) > 2

    def settings(exclude: dict[str, list[str]]) -> None:
        cfg = config.load(env.root)
        cfg.exclude_attributes = exclude
        config.save(env.root, cfg)
        git(env.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-am", "settings")

    for exclude in ({"users": ["mobilePhone"]}, {}):
        settings(exclude)
        before = env.head()
        r = env.backup()
        why = "settings changed: exclude_attributes for users"
        assert r.ok and r.types["users"].mode == "full" and r.types["groups"].mode != "full"
        assert f"{why}: every users file rendered again from a full listing" in r.notices
        assert git(env.root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
        assert git(env.root, "log", "-1", "--format=%B").split("\n\n")[1] == why
        assert {p for _, p in env.last_commit_files(reports=False)} == having
        assert all(("mobilePhone" in env.load(p)) == (not exclude) for p in having)
        quiet = env.backup()
        assert quiet.ok and quiet.commit is None and quiet.types["users"].mode == "delta"
        assert not any("settings changed" in n for n in quiet.notices)


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_init_backup_exit_codes_and_no_secret_in_the_repo(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = CliRunner()
    repo = tmp_path / "cli-repo"
    envvars = cli_env(sandbox)
    r = runner.invoke(
        cli,
        ["init", "--repo", str(repo), "--tenant-id", sandbox.tenant_id, "--client-id", sandbox.client_id],
        env=envvars,
    )
    assert r.exit_code == 0, r.output
    assert config.load(repo).tenant_id == sandbox.tenant_id

    r = runner.invoke(cli, ["backup", "--repo", str(repo)], env=envvars)
    assert r.exit_code == 0, r.output
    assert "changed" in r.output and "commit" in r.output

    # The secret appears nowhere: not in tracked files, not in history, not in entragit's own state.
    grep = subprocess.run(
        ["grep", "-rl", "--", sandbox.client_secret, str(repo)], capture_output=True, text=True, check=False
    )
    assert grep.stdout == ""
    assert sandbox.client_secret not in r.output

    r = runner.invoke(cli, ["backup", "--repo", str(repo), "--type", "nosuchtype"], env=envvars)
    assert r.exit_code == 2 and "valid types" in r.output
    # A mistyped type is a usage error before anything else is looked at, even outside a repository.
    r = runner.invoke(cli, ["backup", "--repo", str(tmp_path), "--type", "nosuchtype"], env=envvars)
    assert r.exit_code == 2 and "valid types" in r.output

    http = requests.Session()
    http.trust_env = False
    http.verify = sandbox.ca_bundle
    http.post(
        f"{sandbox.graph_url}/_sandbox/faults", json={"match": "namedLocations", "status": 403, "times": 100}
    )
    r = runner.invoke(
        cli, ["backup", "--repo", str(repo), "--type", "namedLocations", "--type", "users"], env=envvars
    )
    assert r.exit_code == 1
    assert "entragit: error: namedLocations: " in r.output and "Policy.Read.All" in r.output

    r = runner.invoke(cli, ["backup", "--repo", str(tmp_path / "nothing")], env=envvars)
    assert r.exit_code == 1 and "entragit init" in r.output

    bad = dict(envvars, AZURE_CLIENT_SECRET="wrong-secret")
    r = runner.invoke(cli, ["backup", "--repo", str(repo)], env=bad)
    assert r.exit_code == 1 and "wrong-secret" not in r.output
    assert r.output.count("\n") <= 2


def test_cli_permissions() -> None:
    r = CliRunner().invoke(cli, ["permissions"])
    assert r.exit_code == 0
    perms = r.output.split()
    assert "User.Read.All" in perms and "Policy.Read.All" in perms
    assert not any("ReadWrite" in p for p in perms)
    r = CliRunner().invoke(cli, ["permissions", "--restore"])
    assert "User.ReadWrite.All" in r.output.split()


def test_push_option_pushes_the_commit(env: Env, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(env.root, "remote", "add", "origin", str(remote))
    r = env.backup(push=True)
    assert git(remote, "rev-parse", "HEAD").strip() == r.commit


def test_state_is_never_tracked(env: Env) -> None:
    env.backup()
    tracked = git(env.root, "ls-files").split("\n")
    assert not any(p.startswith(".git") or "state" in p for p in tracked)
    state = json.loads((env.root / ".git/entragit/state/state.json").read_text())
    assert state["head"] == env.head() and state["types"]["users"]["deltaLink"]


def test_backup_process_killed_at_any_moment_recovers(sandbox_factory: Any, tmp_path: Path) -> None:
    """SIGKILL a real `entragit backup` at several moments; the next run gives the tree a clean run gives."""
    import os
    import sys
    import time

    box = sandbox_factory(users=300, latency_ms=5)
    envvars = dict(os.environ, **cli_env(box))
    envvars.pop("ENTRAGIT_REPO")
    repo = make_repo(tmp_path / "killed", box)
    cmd = [sys.executable, "-m", "entragit", "backup", "--repo", str(repo)]
    for delay in (0.4, 0.9, 1.4, 2.0):
        proc = subprocess.Popen(cmd, env=envvars, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait()
    done = subprocess.run(cmd, env=envvars, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""

    clean = make_repo(tmp_path / "clean", box)
    assert subprocess.run([*cmd[:-1], str(clean)], env=envvars, capture_output=True).returncode == 0
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    assert tree == git(clean, "rev-parse", "HEAD^{tree}")


def test_commit_message_summarises_and_caps_the_body() -> None:
    users = catalog.by_name("users")
    out = backup._Outcome(users, backup.TypeSummary("users"))
    for i in range(600):
        out.entries[f"users/{i:03d}.yaml"] = backup._Entry("added", f"User {i:03d}")
    out.entries["users/zz.yaml"] = backup._Entry("deleted", "Gone")
    out.entries["users/yy.yaml"] = backup._Entry("soft-deleted", "Binned")
    msg = backup._commit_message("contoso.com", [out], [("reports/seats.yaml", "updated")])
    lines = msg.split("\n")
    assert lines[0] == "backup contoso.com: 1 changed, 600 added, 1 deleted"
    assert lines[1] == ""
    assert len(lines) <= 2 + backup.BODY_LINES + 2
    assert "… and 103 more" in msg


def _children(pid: int) -> list[str]:
    out = subprocess.run(["pgrep", "-a", "-P", str(pid)], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()


def test_ctrl_c_stops_promptly_and_leaves_the_repository_clean(sandbox_factory: Any, tmp_path: Path) -> None:
    """Ctrl-C in a terminal signals the whole process group, render workers included: one line, exit 130,
    no worker tracebacks, no file or folder left behind, and the next run completes."""
    import os
    import signal
    import sys
    import time

    # 5,000 users: 25 delta pages of 150 ms, so that the round is still going when the workers have started
    # (spawning them takes seconds on a loaded machine)
    box = sandbox_factory(users=5000, latency_ms=150)
    envvars = dict(os.environ, **cli_env(box))
    envvars.pop("ENTRAGIT_REPO")
    repo = make_repo(tmp_path / "interrupted", box)
    cmd = [sys.executable, "-m", "entragit", "backup", "--repo", str(repo)]
    proc = subprocess.Popen(
        cmd, env=envvars, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any("spawn_main" in c for c in _children(proc.pid)):
        time.sleep(0.05)  # until the render workers run (a multi-page users round)
    assert any("spawn_main" in c for c in _children(proc.pid)), "render workers never started"
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines() == [
        "entragit: interrupted; the repository is consistent and the next backup resumes normally"
    ]
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(p.name for p in repo.iterdir()) == [".git", "entragit.yaml"]  # no empty folders either
    assert not (repo / ".git/entragit/run.lock").exists()
    assert subprocess.run(cmd, env=envvars, capture_output=True).returncode == 0


def test_a_404_on_one_groups_members_keeps_its_file_and_the_rest_completes(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members read per object (as a group with 20 or more members always is; here every group, the listing
    expanding none) meet a 404: that group's file stays, the rest of the run completes."""
    monkeypatch.setattr(live.Reader, "expand_in_listing", False)
    env.backup()
    groups = catalog.by_name("groups")
    victim = env.load(env.files(groups)[0])
    before = (env.root / catalog.object_path(groups, victim["id"])).read_bytes()
    quiet = _quiet_user(env)
    env.graph("PATCH", f"users/{quiet['id']}", {"jobTitle": "Still backed up"})
    env.fault(f"groups/{victim['id']}/members", 404, times=1)
    r = env.backup(full=True)
    assert r.ok, r.errors
    assert env.http.get(f"{env.box.graph_url}/_sandbox/stats").json()["faults"] == 1
    assert (env.root / catalog.object_path(groups, victim["id"])).read_bytes() == before
    assert ("D", catalog.object_path(groups, victim["id"])) not in env.last_commit_files()
    assert (
        env.load(catalog.object_path(catalog.by_name("users"), quiet["id"]))["jobTitle"] == "Still backed up"
    )


def test_first_backup_over_stray_untracked_files_reports_added_and_commits_them(
    env: Env, tmp_path: Path
) -> None:
    """Regression: a first backup reported "5 changed, 2348 added". Classification read the work tree, so
    untracked files already lying at object paths (copied in, or left by an older version's crashed run)
    counted as "changed" — and one whose bytes equalled the new content was skipped and never committed."""
    env.backup()
    users = env.files(catalog.by_name("users"))[:3]
    other = Env(env.box, make_repo(tmp_path / "second", env.box))
    try:
        for p in users:  # two identical to what the backup writes, one stale
            (other.root / p).parent.mkdir(parents=True, exist_ok=True)
            (other.root / p).write_bytes((env.root / p).read_bytes())
        (other.root / users[2]).write_text("id: stale\n")
        (other.root / "reports").mkdir()
        (other.root / "reports/seats.yaml").write_bytes((env.root / "reports/seats.yaml").read_bytes())
        result = other.backup()
        assert result.ok and result.changed == 0 and result.deleted == 0
        assert result.added == sum(t.objects for t in result.types.values())
        assert git(other.root, "log", "-1", "--format=%s").startswith(
            f"backup {env.box.tenant.domain}: 0 changed"
        )
        in_head = set(git(other.root, "ls-tree", "-r", "--name-only", "HEAD").split())
        assert {*users, "reports/seats.yaml"} <= in_head
        assert git(other.root, "status", "--porcelain") == ""
    finally:
        other.client.close()


def _tenant_knobs(e: Env, **knobs: Any) -> None:
    r = e.http.post(f"{e.box.graph_url}/_sandbox/tenant", json=knobs)
    assert r.status_code < 300, r.text


def _group_and_outsider(e: Env) -> tuple[str, str]:
    """An assigned group and a live user who is not its member yet."""
    users = [e.load(p) for p in e.files(catalog.by_name("users"))]
    for p in e.files(catalog.by_name("groups")):
        g = e.load(p)
        if (
            g.get("deletedDateTime")
            or g.get("membershipRule")
            or "DynamicMembership" in (g.get("groupTypes") or [])
        ):
            continue
        members = set(g.get("members") or [])
        for u in users:
            if u["id"] not in members and not u.get("deletedDateTime"):
                return g["id"], u["id"]
    raise AssertionError("no assigned group with an outsider in the demo tenant")


@pytest.mark.parametrize("when", ["after-first-backup", "just-before-first-backup"])
def test_a_change_replicated_late_to_delta_is_never_lost(env: Env, tmp_path: Path, when: str) -> None:
    """Graph's delta sees a change only after a replication lag. A run inside the lag must not move its
    watermark past the change: a run after the lag carries it, whether the change came after the first
    backup (delta round from the saved link) or just before it (full listing, deltaLink minted behind)."""
    env.backup()  # lag-free: picks the objects to change
    user = _quiet_user(env)
    group_id, outsider = _group_and_outsider(env)
    lag = 60.0
    _tenant_knobs(env, delta_lag_seconds=lag)
    target = env if when == "after-first-backup" else Env(env.box, make_repo(tmp_path / "fresh", env.box))
    env.graph("PATCH", f"users/{user['id']}", {"jobTitle": "Lag Tester"})
    ref = {"@odata.id": f"{env.box.graph_url}/v1.0/directoryObjects/{outsider}"}
    env.graph("POST", f"groups/{group_id}/members/$ref", ref)
    user_path = catalog.object_path(catalog.by_name("users"), user["id"])
    group_path = catalog.object_path(catalog.by_name("groups"), group_id)

    target.backup()  # inside the lag
    if when == "after-first-backup":  # delta does not show it yet: not in this commit
        assert target.load(user_path).get("jobTitle") != "Lag Tester"
        assert outsider not in (target.load(group_path).get("members") or [])
    _tenant_knobs(env, advance_seconds=lag + 5)
    target.backup()  # past the lag
    assert target.load(user_path)["jobTitle"] == "Lag Tester"
    assert outsider in target.load(group_path)["members"]
    head = target.head()
    assert target.backup(full=True).commit is None  # the tree equals a full listing now
    assert target.head() == head
    if target is not env:
        target.client.close()


def test_live_object_reads_one_object_exactly_as_a_backup_writes_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config.load(env.root)
    cfg.exclude_attributes = {"users": ["mobilePhone"]}
    config.save(env.root, cfg)
    git(env.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-am", "settings")
    assert env.backup().ok
    checked: set[str] = set()
    for name in ("users", "groups", "servicePrincipals", "administrativeUnits", "authorizationPolicy"):
        t = catalog.by_name(name)
        for path in env.files(t):
            obj = env.load(path)
            got = live_object(str(env.root), t, str(obj.get("id") or ""), client=env.client)
            assert got == obj, path
            checked.add("deleted" if obj.get("deletedDateTime") else name)
            checked.update(r.name for r in t.relationships if obj.get(r.name))
    # Live objects with each kind of relationship, a soft-deleted one (read from deletedItems, links kept).
    assert {"manager", "members", "owners", "appRoleAssignedTo", "deleted", "authorizationPolicy"} <= checked
    users = catalog.by_name("users")
    assert all("mobilePhone" not in env.load(p) for p in env.files(users))

    user = _quiet_user(env)
    env.graph("PATCH", f"users/{user['id']}", {"jobTitle": "Fetched Live"})
    got = live_object(str(env.root), users, user["id"], client=env.client)
    assert got is not None and got["jobTitle"] == "Fetched Live"
    assert (
        live_object(str(env.root), users, "00000000-0000-0000-0000-0000000000ff", client=env.client) is None
    )

    # Without a client: built from entragit.yaml + the environment, and closed again.
    for k, v in cli_env(env.box).items():
        monkeypatch.setenv(k, v)
    got = live_object(str(env.root), users, user["id"])
    assert got is not None and got["jobTitle"] == "Fetched Live" and "mobilePhone" not in got


def test_many_objects_are_read_whole_per_type_and_equal_their_one_by_one_reads(env: Env) -> None:
    """A whole-tenant plan reads each type as a full backup does (a listing or delta round, then deleted
    items) instead of one request per object; what it gets must be exactly what the one-by-one read gets,
    for every type: live objects with their links, soft-deleted ones, and None for an object gone for good
    (confirmed by a read of its own, never concluded from its absence in a listing)."""
    users = catalog.by_name("users")
    assert env.backup().ok
    quiet = _quiet_user(env)
    gone_group = next(
        env.load(p) for p in env.files(catalog.by_name("groups")) if not env.load(p).get("mailEnabled")
    )
    env.graph("DELETE", f"groups/{gone_group['id']}")
    env.graph("DELETE", f"directory/deletedItems/{gone_group['id']}")  # gone for good
    env.graph("PATCH", f"users/{quiet['id']}", {"jobTitle": "Read Whole"})
    paths = [p for p in git(env.root, "ls-files").split("\n") if p and catalog.parse_path(p)]
    keys = [parsed for p in paths if (parsed := catalog.parse_path(p)) is not None]
    keys.append((users, "00000000-0000-0000-0000-0000000000ff"))  # never existed
    assert len(keys) > 50
    stats = f"{env.box.graph_url}/_sandbox/stats"
    before = env.http.get(stats).json()["requests"]
    whole = live_objects(str(env.root), keys, env.client)
    requests_whole = env.http.get(stats).json()["requests"] - before
    before = env.http.get(stats).json()["requests"]
    one_by_one = [live_object(str(env.root), t, oid, client=env.client) for t, oid in keys]
    requests_one_by_one = env.http.get(stats).json()["requests"] - before
    assert whole == one_by_one
    assert requests_whole * 3 < requests_one_by_one, (requests_whole, requests_one_by_one)
    by_key = dict(zip(keys, whole, strict=True))
    assert by_key[(users, quiet["id"])]["jobTitle"] == "Read Whole"
    assert by_key[(catalog.by_name("groups"), gone_group["id"])] is None
    assert any(obj and obj.get("deletedDateTime") for obj in whole)  # the demo's soft-deleted objects

    # Compared with the files: only what differs comes back (the two changes and what they cascaded to).
    texts = {k: (env.root / p).read_text() for k, p in zip(keys, paths, strict=False)}
    digests = {k: render.text_digest(text.encode("utf-8")) for k, text in texts.items()}
    unlike = live_unlike(str(env.root), digests, env.client)
    differ = {
        k for k, obj in by_key.items() if k in texts and (obj is None or canonical.dump(obj) != texts[k])
    }
    assert set(unlike) == differ
    assert {(users, quiet["id"]), (catalog.by_name("groups"), gone_group["id"])} <= differ
    assert len(differ) < 5
    assert unlike[(users, quiet["id"])] == by_key[(users, quiet["id"])]


def test_a_whole_tenant_plan_renders_a_multi_page_round_in_the_workers_as_the_backup_does(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100k users the plan rendered every user on the thread that follows the delta round's links, and
    took 1.4x the backup. It now reads a multi-page round through the render workers, like the backup: the
    pages go to the workers, an unchanged tenant differs in nothing, and a changed user comes back exactly
    as its one-by-one read gives it."""
    box = sandbox_factory(users=450)  # three delta pages of 200
    e = Env(box, make_repo(tmp_path / "backup", box))
    try:
        assert e.backup().ok
        users = catalog.by_name("users")
        paths = e.files(users)
        keys = [(users, p.rsplit("/", 1)[-1].removesuffix(".yaml")) for p in paths]
        digests = {k: render.text_digest((e.root / p).read_bytes()) for k, p in zip(keys, paths, strict=True)}
        submitted: list[str] = []
        real_submit = render.RenderPool.submit

        def submit(pool: render.RenderPool, fn: Any, *args: Any) -> Any:
            submitted.append(fn.__name__)
            return real_submit(pool, fn, *args)

        monkeypatch.setattr(render.RenderPool, "submit", submit)
        assert live_unlike(str(e.root), digests, e.client) == {}
        assert submitted.count("render_round_page") >= 2

        quiet = _quiet_user(e)
        e.graph("PATCH", f"users/{quiet['id']}", {"jobTitle": "Planned Through Workers"})
        unlike = live_unlike(str(e.root), digests, e.client)
        assert list(unlike) == [(users, quiet["id"])]
        assert unlike[(users, quiet["id"])] == live_object(str(e.root), users, quiet["id"], client=e.client)
    finally:
        e.client.close()


def _one_error_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("entragit: error: "), output
    assert "Traceback" not in output
    return lines[0]


def test_cli_rough_edges_for_a_new_admin(sandbox: Sandbox, tmp_path: Path) -> None:
    """Each mistake a first-time user makes gets one line saying what to do, and touches nothing."""
    runner = CliRunner()
    envvars = cli_env(sandbox)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = runner.invoke(cli, ["backup", "--repo", str(empty)], env=envvars)
    line = _one_error_line(r.output)
    assert r.exit_code == 1 and str(empty) in line and "entragit init --tenant-id" in line

    repo = tmp_path / "repo"
    init = ["init", "--repo", str(repo), "--tenant-id", sandbox.tenant_id, "--client-id", sandbox.client_id]
    assert runner.invoke(cli, init, env=envvars).exit_code == 0
    (repo / "users").mkdir()
    r = runner.invoke(cli, ["backup", "--repo", str(repo / "users")], env=envvars)
    assert r.exit_code == 1 and f"inside the backup repository {repo}" in _one_error_line(r.output)

    r = runner.invoke(cli, ["backup", "--repo", str(repo)], env=dict(envvars, AZURE_CLIENT_SECRET=""))
    assert r.exit_code == 1 and "AZURE_CLIENT_SECRET" in _one_error_line(r.output)

    # --push without a remote fails before reading the tenant: no commit, no wasted listing.
    head = git(repo, "rev-parse", "HEAD")
    r = runner.invoke(cli, ["backup", "--repo", str(repo), "--push"], env=envvars)
    line = _one_error_line(r.output)
    assert r.exit_code == 1 and "no remote" in line and "git remote add origin" in line
    assert git(repo, "rev-parse", "HEAD") == head

    # A push that fails after the commit keeps the commit and says so; a later run pushes it.
    git(repo, "remote", "add", "origin", str(tmp_path / "missing.git"))
    r = runner.invoke(cli, ["backup", "--repo", str(repo), "--push"], env=envvars)
    assert r.exit_code == 1
    assert "safe in the local repository" in r.output and "FAILED: push" in r.output, r.output
    committed = git(repo, "rev-parse", "HEAD").strip()
    assert committed != head.strip()
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "missing.git"))
    r = runner.invoke(cli, ["backup", "--repo", str(repo), "--push"], env=envvars)
    assert r.exit_code == 0, r.output
    assert git(tmp_path / "missing.git", "rev-parse", "HEAD").strip() == committed

    good = (repo / "entragit.yaml").read_text()
    (repo / "entragit.yaml").write_text(good.replace("exclude_types: []", "exclude_types: [userz"))
    r = runner.invoke(cli, ["backup", "--repo", str(repo)], env=envvars)
    assert r.exit_code == 1 and "entragit.yaml: not valid YAML: line" in _one_error_line(r.output)
    (repo / "entragit.yaml").write_text(good)

    with Store.open(repo).session([]):  # another backup holds the repository
        r = runner.invoke(cli, ["backup", "--repo", str(repo)], env=envvars)
    line = _one_error_line(r.output)
    assert r.exit_code == 1 and "another entragit backup is running" in line
    assert f"(pid {os.getpid()} on {socket.gethostname()}, since 20" in line  # who holds the lock


def test_read_only_repository_is_one_line_and_writes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    """A backup repository on a read-only mount (a fresh clone without .git/entragit/ too): one line naming
    the folder and the reason, exit 1, no Graph request and nothing written."""
    runner = CliRunner()
    envvars = cli_env(sandbox)
    repo = make_repo(tmp_path / "ro", sandbox)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    for root in (repo, clone):
        head = git(root, "rev-parse", "HEAD")
        before = sandbox.stats.snapshot()["requests"]
        with read_only(root):
            r = runner.invoke(cli, ["backup", "--repo", str(root)], env=envvars)
        line = _one_error_line(r.output)
        assert r.exit_code == 1, r.output
        assert "cannot write to the backup repository: Read-only file system" in line and str(root) in line
        assert sandbox.stats.snapshot()["requests"] == before
        assert git(root, "rev-parse", "HEAD") == head and git(root, "status", "--porcelain") == ""
    assert not (clone / ".git/entragit").exists()


def test_full_disk_is_one_line_and_keeps_the_last_commit(sandbox: Sandbox, tmp_path: Path) -> None:
    """ENOSPC while the files of a run are written: one line, exit 1, HEAD unchanged, and the next run on a
    disk with room completes."""
    disk = tmp_path / "disk"
    disk.mkdir()
    runner = CliRunner()
    envvars = cli_env(sandbox)
    with mounted(disk, "-t", "tmpfs", "-o", "size=400k", "tmpfs"):
        repo = make_repo(disk / "repo", sandbox)
        head = git(repo, "rev-parse", "HEAD")
        r = runner.invoke(cli, ["backup", "--repo", str(repo)], env=envvars)
        line = _one_error_line(r.output)
        # The disk fills while files are written (the OS's words), while git writes a file (git's words:
        # "Out of diskspace", "couldn't write …"), or so that what git hashed differs from the commit (the
        # check before HEAD moves). Each is one line, never a traceback.
        reasons = ("No space left on device", "Out of diskspace", "couldn't write", "do not match the commit")
        assert r.exit_code == 1 and any(reason in line for reason in reasons), line
        assert git(repo, "rev-parse", "HEAD") == head
        subprocess.run(["cp", "-a", str(repo), str(tmp_path / "roomy")], check=True)
    r = runner.invoke(cli, ["backup", "--repo", str(tmp_path / "roomy")], env=envvars)
    assert r.exit_code == 0, r.output
    assert git(tmp_path / "roomy", "status", "--porcelain", "--untracked-files=all") == ""


AGENT_KINDS = {
    "users": {"#microsoft.graph.agentUser"},
    "applications": {"#microsoft.graph.agentIdentityBlueprint"},
    "servicePrincipals": {
        "#microsoft.graph.agentIdentity",
        "#microsoft.graph.agentIdentityBlueprintPrincipal",
    },
}


def test_agent_identities_are_backed_up_as_their_kind_and_plain_files_carry_no_type(env: Env) -> None:
    """The demo tenant holds one Entra agent object of each v1.0 kind (resources/agentidentity.md ...): their
    files say `@odata.type`, every other user, application and service principal file has no such line, a
    soft-deleted agent keeps its kind (agentidentity-delete.md: restorable for 30 days), and a delta round
    writes the same bytes as the full listing."""
    assert env.backup().ok
    agents: dict[str, str] = {}
    for name, kinds in AGENT_KINDS.items():
        files = {p: (env.root / p).read_text() for p in env.files(catalog.by_name(name))}
        typed = {p: env.load(p)["@odata.type"] for p, text in files.items() if "'@odata.type'" in text}
        assert set(typed.values()) == kinds, name
        agents.update(typed)
    identity = next(p for p, kind in agents.items() if kind == "#microsoft.graph.agentIdentity")
    agent_user = next(p for p, kind in agents.items() if kind == "#microsoft.graph.agentUser")
    oid = env.load(agent_user)["id"]
    env.graph("PATCH", f"users/{oid}", {"jobTitle": "Helpdesk"})
    env.graph("DELETE", f"servicePrincipals/{env.load(identity)['id']}")
    result = env.backup()
    assert result.ok and result.types["users"].mode == "delta"
    assert env.load(agent_user)["@odata.type"] == "#microsoft.graph.agentUser"
    assert env.load(agent_user)["jobTitle"] == "Helpdesk"
    deleted = env.load(identity)
    assert deleted["@odata.type"] == "#microsoft.graph.agentIdentity" and deleted["deletedDateTime"]
    before = {p: (env.root / p).read_text() for p in agents}
    assert env.backup(full=True).ok
    assert {p: (env.root / p).read_text() for p in agents} == before
