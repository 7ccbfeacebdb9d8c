"""Who changed what: backup commits authored by the actors the directory audit log names (issue 13).

The sandbox records every change made through the API in `auditLogs/directoryAudits` (directoryaudit-list.md,
directoryaudit.md: initiatedBy, targetResources by id, activityDateTime, correlationId); a write carrying
`X-Sandbox-Actor: <UPN>` is recorded as that user, as an admin working in the portal would be.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import live_helpers
import pytest
from click.testing import CliRunner
from gitcmd import git
from test_backup import Env, make_repo

from entragit import audit_log, catalog, config, history, live
from entragit.cli import cli
from entragit.config import Config
from entragit.repo.authorship import NOTES_REF
from entragit.sandbox.server import Sandbox


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> Iterator[Env]:
    e = Env(sandbox, make_repo(tmp_path / "backup", sandbox, attribution=True))
    e.backup()  # the baseline: attribution starts with the second run
    yield e
    e.client.close()


def users(e: Env, n: int) -> list[dict[str, Any]]:
    """n members of the tenant, each with a UPN to act as."""
    found = [u for u in e.client.list("users", {"$top": "50"}) if u.get("userType") != "Guest"]
    return found[:n]


def as_actor(e: Env, upn: str | None, method: str, path: str, body: Any) -> None:
    e.client.request(method, path, body, headers={"X-Sandbox-Actor": upn} if upn else None)


def run_log(e: Env, since: str) -> list[tuple[str, str, str]]:
    """(author, committer name, subject) of the commits after `since`, oldest first."""
    out = git(e.root, "log", "--reverse", "--format=%an <%ae>%x09%cn%x09%s", f"{since}..HEAD")
    return [tuple(line.split("\t")) for line in out.splitlines()]  # type: ignore[misc]


def user_path(oid: str) -> str:
    return catalog.object_path(catalog.by_name("users"), oid)


def blame_author(e: Env, path: str, text: str) -> str:
    out = git(e.root, "blame", "--line-porcelain", "HEAD", "--", path)
    author = ""
    for line in out.splitlines():
        if line.startswith("author "):
            author = line[len("author ") :]
        elif line.startswith("\t") and text in line:
            return author
    raise AssertionError(f"{text!r} not in {path}")


def test_two_admins_and_an_app_make_three_commits_authored_as_each(env: Env) -> None:
    ana, ben, target1, target2 = users(env, 4)
    group = next(iter(env.client.list("groups", {"$top": "1"})))
    before = env.head()
    as_actor(env, ana["userPrincipalName"], "PATCH", f"users/{target1['id']}", {"jobTitle": "Set by Ana"})
    as_actor(env, ben["userPrincipalName"], "PATCH", f"groups/{group['id']}", {"description": "Set by Ben"})
    as_actor(env, None, "PATCH", f"users/{target2['id']}", {"jobTitle": "Set by the app"})
    result = env.backup()
    assert result.ok, result.errors
    log = run_log(env, before)
    app_id = env.box.client_id
    assert [a for a, _, _ in log] == [
        f"{ana['displayName']} <{ana['userPrincipalName']}>",
        f"{ben['displayName']} <{ben['userPrincipalName']}>",
        log[2][0],
    ]
    assert log[2][0].endswith(f"<{app_id}@app.entra>")
    assert len({c for _, c, _ in log}) == 1 and log[0][1] not in (ana["displayName"], ben["displayName"])
    assert all(s.endswith("1 changed, 0 added, 0 deleted") for _, _, s in log)
    assert result.commit == env.head()
    # git blame names the person behind each line
    assert blame_author(env, user_path(target1["id"]), "Set by Ana") == ana["displayName"]
    assert blame_author(env, user_path(target2["id"]), "Set by the app") == log[2][0].split(" <")[0]
    body = git(env.root, "log", "-1", "--format=%B", f"{before}..HEAD", "--author", ben["userPrincipalName"])
    assert f"Changed-By: {ben['displayName']} <{ben['userPrincipalName']}>" in body
    assert "Audit: Update group, " in body and "correlation " in body
    # versions and ls --changed-by show the actor
    _, found = history.versions(str(env.root), target1["id"])
    assert found[0].actor == f"{ana['displayName']} <{ana['userPrincipalName']}>"
    cmp = history.compare(str(env.root), target1["id"])
    assert cmp.b_label.endswith(f" by {ana['displayName']} <{ana['userPrincipalName']}>")
    assert cmp.a_label.endswith(" by " + git(env.root, "log", "-1", "--format=%an <%ae>", before).strip())
    rows = history.list_objects(str(env.root), changed_by=ana["userPrincipalName"])
    assert [r.entry.id for r in rows] == [target1["id"]]
    out = CliRunner().invoke(cli, ["ls", "--changed-by", ben["displayName"], "--repo", str(env.root)])
    assert (
        out.exit_code == 0 and group["displayName"] in out.output and target1["displayName"] not in out.output
    )


def test_an_object_changed_by_two_admins_is_in_the_last_ones_commit_naming_both(env: Env) -> None:
    ana, ben, target = users(env, 3)
    before = env.head()
    as_actor(env, ana["userPrincipalName"], "PATCH", f"users/{target['id']}", {"jobTitle": "Ana's"})
    as_actor(env, ben["userPrincipalName"], "PATCH", f"users/{target['id']}", {"department": "Ben's"})
    env.backup()
    log = run_log(env, before)
    assert [a for a, _, _ in log] == [f"{ben['displayName']} <{ben['userPrincipalName']}>"]
    trailers = git(env.root, "log", "-1", "--format=%(trailers:key=Changed-By,valueonly)").split("\n")
    assert trailers[:2] == [
        f"{ana['displayName']} <{ana['userPrincipalName']}>",
        f"{ben['displayName']} <{ben['userPrincipalName']}>",
    ]


def test_a_late_audit_record_is_attached_as_a_note_and_shown_by_versions(env: Env) -> None:
    """Real audit records lag minutes behind the change: the record is removed before the backup (as if not
    yet written) and put back after it; the next run names the actor in a note on the earlier commit."""
    ana, target = users(env, 2)
    as_actor(env, ana["userPrincipalName"], "PATCH", f"users/{target['id']}", {"jobTitle": "Late record"})
    audits = env.box.tenant.coll("auditLogs/directoryAudits")
    record = audits.remove(next(reversed(list(audits.objs))))
    assert record is not None and record["targetResources"][0]["id"] == target["id"]
    first = env.backup()
    message = git(env.root, "log", "-1", "--format=%B")
    assert "Unattributed: no audit record for 1 change(s) yet" in message
    _, found = history.versions(str(env.root), target["id"])
    assert found[0].actor == "unattributed"
    audits.put(record)
    second = env.backup()
    assert second.commit is None  # nothing changed: only the note
    note = git(env.root, "notes", f"--ref={NOTES_REF}", "show", str(first.commit))
    assert user_path(target["id"]) in note and ana["userPrincipalName"] in note
    _, found = history.versions(str(env.root), target["id"])
    assert found[0].actor == f"{ana['displayName']} <{ana['userPrincipalName']}>"
    out = CliRunner().invoke(cli, ["versions", target["id"], "--repo", str(env.root)])
    assert out.exit_code == 0 and ana["displayName"] in out.output


def test_without_audit_permission_one_unattributed_commit_and_a_warning(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """directoryaudit-list.md: reading the audit log needs AuditLog.Read.All; without it Graph answers 403."""
    from entragit.permissions import required_permissions

    box = sandbox_factory(permissions=[p for p in required_permissions() if p != "AuditLog.Read.All"])
    e = Env(box, make_repo(tmp_path / "backup", box, attribution=True))
    e.backup()
    ana, t1, t2 = users(e, 3)
    writer_id = "5b1c2d3e-0000-4000-8000-0000000a0d17"  # an admin app with every permission makes the changes
    secret = box.add_client(writer_id)
    writer = live.connect(
        Config(tenant_id=box.tenant_id, client_id=writer_id),
        {**live_helpers.sandbox_env(box), "AZURE_CLIENT_SECRET": secret},
    )
    before = e.head()
    writer.request(
        "PATCH", f"users/{t1['id']}", {"jobTitle": "one"}, {"X-Sandbox-Actor": ana["userPrincipalName"]}
    )
    writer.request("PATCH", f"users/{t2['id']}", {"jobTitle": "two"})
    writer.close()
    result = e.backup()
    assert result.ok, result.errors
    assert len(run_log(e, before)) == 1
    warning = [n for n in result.notices if "audit log" in n]
    assert len(warning) == 1 and "AuditLog.Read.All" in warning[0] and "\n" not in warning[0]
    assert "Unattributed: audit log unavailable (403 AuditLog.Read.All)" in git(
        e.root, "log", "-1", "--format=%B"
    )
    e.client.close()


def test_a_hostile_display_name_cannot_break_the_commit_header(env: Env) -> None:
    eve, target = users(env, 2)
    hostile = "Eve\nauthor Mallory <m@evil> 0 +0000\n<script>"
    env.client.request("PATCH", f"users/{eve['id']}", {"displayName": hostile})
    env.backup()
    before = env.head()
    as_actor(env, eve["userPrincipalName"], "PATCH", f"users/{target['id']}", {"jobTitle": "by Eve"})
    env.backup()
    (author,) = [a for a, _, _ in run_log(env, before)]
    assert author == f"Eve author Mallory ‹m@evil› 0 +0000 ‹script› <{eve['userPrincipalName']}>"
    raw = git(env.root, "cat-file", "commit", "HEAD")
    header = raw.split("\n\n", 1)[0].splitlines()
    assert [ln.split(" ")[0] for ln in header] == ["tree", "parent", "author", "committer"]
    trailers = git(env.root, "log", "-1", "--format=%(trailers:key=Changed-By,valueonly)").strip()
    assert trailers == author
    # the object's own name in the body is one line too: no paragraph, no forged trailer
    named = git(env.root, "log", "-1", "--format=%B", before)
    assert "users: changed Eve author Mallory <m@evil> 0 +0000 <script> (" in named


def test_attribution_false_keeps_one_commit_by_the_repository(env: Env) -> None:
    cfg = config.load(env.root)
    cfg.attribution = False
    config.save(env.root, cfg)
    git(env.root, "commit", "-qam", "attribution off")
    ana, t1 = users(env, 2)
    before = env.head()
    as_actor(env, ana["userPrincipalName"], "PATCH", f"users/{t1['id']}", {"jobTitle": "quiet"})
    env.backup()
    log = run_log(env, before)
    assert len(log) == 1 and ana["displayName"] not in log[0][0]
    assert "Unattributed" not in git(env.root, "log", "-1", "--format=%B")


def test_a_quiet_run_reads_no_audit_log_and_a_changed_run_one_page(env: Env) -> None:
    """Nothing changed and nothing waits for a late record: the audit log (throttled at 5 requests per 10 s)
    is not read at all. Shown with a fault on auditLogs that only a reader of the log meets."""
    env.fault("auditLogs", 403, times=1)
    assert env.backup().notices == []
    ana, target = users(env, 2)
    as_actor(env, ana["userPrincipalName"], "PATCH", f"users/{target['id']}", {"jobTitle": "x"})
    changed = env.backup()
    assert [n for n in changed.notices if "audit log" in n]  # the fault was still there: read once now
    env.clear_faults()


def test_actors_of_records_shaped_as_documented() -> None:
    """directoryaudit-list.md example 1: a user initiator with its IP; an app initiator (initiatedBy.app);
    a record naming only a service (a system actor such as directory sync) keeps the name it gives."""
    user = {
        "id": "Directory_1",
        "result": "success",
        "activityDisplayName": "Add member to group",
        "activityDateTime": "2018-01-09T21:20:02.7215374Z",
        "correlationId": "da159bfb-54fa-4092-8a38-6e1fa7870e30",
        "initiatedBy": {
            "user": {
                "id": "728309ae-1a37-4937-9afe-e35d964db09b",
                "displayName": "Audry Oliver",
                "userPrincipalName": "bob@wingtiptoysonline.com",
                "ipAddress": "127.0.0.1",
            },
            "app": None,
        },
        "targetResources": [{"id": "EF7E527D-6C92-4234-8C6D-CF6FDFB57F95"}, {"id": "1f0e98f5"}],
    }
    a = audit_log.parse(user)
    assert a is not None and (a.actor.name, a.actor.email, a.ip) == (
        "Audry Oliver",
        "bob@wingtiptoysonline.com",
        "127.0.0.1",
    )
    assert a.detail() == (
        "Add member to group, 2018-01-09T21:20:02.7215374Z, "
        "correlation da159bfb-54fa-4092-8a38-6e1fa7870e30, ip 127.0.0.1"
    )
    assert set(audit_log.by_target([a])) == {"ef7e527d-6c92-4234-8c6d-cf6fdfb57f95", "1f0e98f5"}
    app = {**user, "initiatedBy": {"user": None, "app": {"appId": "1234", "displayName": "Payroll Sync"}}}
    b = audit_log.parse(app)
    assert b is not None and (b.actor.kind, b.actor.name, b.actor.email) == (
        "app",
        "Payroll Sync",
        "1234@app.entra",
    )
    system = {
        **user,
        "initiatedBy": {
            "user": None,
            "app": {"appId": None, "displayName": "Microsoft Substrate Management"},
        },
    }
    c = audit_log.parse(system)
    assert c is not None and (c.actor.kind, c.actor.name, c.actor.email) == (
        "system",
        "Microsoft Substrate Management",
        "",
    )
    assert audit_log.parse({**user, "result": "failure"}) is None


def test_a_change_left_unattributed_is_looked_for_until_an_hour_after_its_run(env: Env) -> None:
    """Audit records lag minutes: the first run starting an hour after the unattributed commit is the last
    to read the log for it, so later quiet runs cost no audit request (shown with a fault on auditLogs)."""
    _, target = users(env, 2)
    env.client.request("PATCH", f"users/{target['id']}", {"jobTitle": "no record"})
    audits = env.box.tenant.coll("auditLogs/directoryAudits")
    audits.remove(next(reversed(list(audits.objs))))
    env.backup()
    state_file = env.root / ".git/entragit/audit.json"
    state = json.loads(state_file.read_text())
    assert [list(w["ids"]) for w in state["pending"]] == [[target["id"]]]
    state["pending"][0]["until"] = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    state_file.write_text(json.dumps(state))
    before = audit_reads(env)
    assert env.backup().notices == []
    assert audit_reads(env) == before + 1  # still looked for once
    assert env.backup().notices == []
    assert audit_reads(env) == before + 1  # then no longer


def audit_reads(e: Env) -> int:
    """Requests the sandbox has answered (or failed) on the directory audit log so far."""
    return sum(n for key, n in dict(e.box.stats.by_path).items() if "auditLogs" in key)


def test_changes_made_while_the_audit_log_was_unreadable_are_attributed_once_it_is_readable(
    env: Env,
) -> None:
    """A run that cannot read the audit log commits its changes unattributed and says so; quiet runs say
    nothing, and the first run that can read the log again names the actor in a note on that commit."""
    ana, target = users(env, 2)
    as_actor(env, ana["userPrincipalName"], "PATCH", f"users/{target['id']}", {"jobTitle": "while blind"})
    env.fault("auditLogs", 503, times=1000)
    first = env.backup()
    assert first.commit and [n for n in first.notices if "audit log could not be read" in n]
    assert "Unattributed: audit log unavailable" in git(env.root, "log", "-1", "--format=%B")
    quiet = env.backup()
    assert quiet.commit is None and quiet.notices == []  # nothing changed: nothing to say
    env.clear_faults()
    again = env.backup()
    assert again.commit is None and again.notices == []
    note = git(env.root, "notes", f"--ref={NOTES_REF}", "show", str(first.commit))
    assert user_path(target["id"]) in note and ana["userPrincipalName"] in note
    _, found = history.versions(str(env.root), target["id"])
    assert found[0].actor == f"{ana['displayName']} <{ana['userPrincipalName']}>"
