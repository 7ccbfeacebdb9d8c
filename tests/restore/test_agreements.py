"""Terms of use agreements end to end against the sandbox, signed in as a user (device code): Graph admits
agreements for delegated access only (termsofusecontainer-list-agreements.md and the other agreement pages:
Application "Not supported.").

A backup keeps each agreement's settings and its files' names and languages; Graph never returns a PDF's
bytes (agreement-list-files.md: `"fileData": null`), so the PDFs are committed beside the YAML by an admin
(`<id>.<language>.pdf`), and a recreate sends them. A changed agreement is PATCHed back (displayName,
isViewingBeforeAcceptanceRequired: agreement-update.md); a deleted one is created anew with its PDFs and the
conditional access policy that required it is pointed at the new id."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from restore_env import Env, assert_app_sign_in_leaves_alone, git, idmap, make_env
from schema.wire import Recorder

from entragit.sandbox.permissions import ALL_PERMISSIONS

PATH = "identityGovernance/termsOfUse/agreements"
CA = "identity/conditionalAccess/policies"
NAME = "Guest terms of use"
GUESTS = "Guests must use MFA"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path, auth="device-code")


def agreement(env: Env) -> dict[str, Any]:
    (found,) = [a for a in env.graph("GET", PATH)["value"] if a["displayName"] == NAME]
    return found  # type: ignore[no-any-return]


def stored_pdfs(env: Env, aid: str) -> dict[str, bytes]:
    """language → the PDF the tenant holds (the sandbox keeps what was uploaded; Graph shows it to users)."""
    files = env.box.tenant.coll(PATH).objs[aid]["files"]
    return {f["language"]: base64.b64decode(f["data"]) for f in files}


def commit_pdfs(env: Env, aid: str) -> dict[str, bytes]:
    """What an admin does once: put the agreement's PDFs beside its file and commit them."""
    pdfs = stored_pdfs(env, aid)
    for language, data in pdfs.items():
        (env.root / PATH / f"{aid}.{language}.pdf").write_bytes(data)
    git(env, "add", PATH)
    git(env, "commit", "-q", "-m", "the terms of use PDFs")
    return pdfs


def test_backup_keeps_settings_and_files_and_history_shows_them(env: Env) -> None:
    a = agreement(env)
    data = yaml.safe_load((env.root / PATH / f"{a['id']}.yaml").read_text())
    assert data["userReacceptRequiredFrequency"] == "P365D"
    assert [(f["language"], f["fileName"], f["isDefault"]) for f in data["files"]] == [
        ("en", "guest-terms.pdf", True),
        ("fr-FR", "conditions-invites.pdf", False),
    ]
    assert all(
        set(f) == {"displayName", "fileName", "isDefault", "isMajorVersion", "language"}
        for f in data["files"]
    )
    policy = next(p for p in env.graph("GET", CA)["value"] if p["displayName"] == GUESTS)
    assert policy["grantControls"]["termsOfUse"] == [a["id"]]
    # PDFs committed beside the file are no objects: history, a backup and its deletion check leave them be.
    pdfs = commit_pdfs(env, a["id"])
    assert NAME in env.ok("ls", "agreements").output and ".pdf" not in env.ok("ls").output
    assert "1 file checked" in env.ok("validate", str(env.root / PATH / f"{a['id']}.yaml")).output
    env.graph("PATCH", f"{PATH}/{a['id']}", {"displayName": "Guest ToU (2026)"})
    env.ok("backup")  # incremental: agreements have no delta query, they are listed again
    assert (
        yaml.safe_load((env.root / PATH / f"{a['id']}.yaml").read_text())["displayName"] == "Guest ToU (2026)"
    )
    assert (env.root / PATH / f"{a['id']}.en.pdf").read_bytes() == pdfs["en"]
    assert "Guest ToU (2026)" in env.ok("show", "Guest ToU (2026)").output
    assert len(env.ok("versions", "Guest ToU (2026)").output.strip().splitlines()) >= 3
    assert "Guest ToU (2026)" in env.ok("compare", "Guest ToU (2026)").output
    assert not git(env, "status", "--porcelain")
    # The report's conditional access in plain words names the agreement the guests' policy requires.
    env.ok("report")
    assert 'accepting the terms of use "Guest ToU (2026)"' in (env.root / "report/README.md").read_text()


def test_changed_agreement_is_patched_back_until_the_plan_is_empty(env: Env) -> None:
    a = agreement(env)
    env.graph(
        "PATCH", f"{PATH}/{a['id']}", {"displayName": "Renamed", "isViewingBeforeAcceptanceRequired": False}
    )
    (update,) = env.plan("--at", env.baseline, NAME)["actions"]
    assert update["action"] == "update"
    assert {c["path"] for c in update["changes"]} == {"displayName", "isViewingBeforeAcceptanceRequired"}
    env.restore("--at", env.baseline, NAME)
    back = agreement(env)
    assert back["isViewingBeforeAcceptanceRequired"] is True
    env.assert_empty(NAME)


def test_deleted_agreement_is_recreated_with_its_pdfs_and_the_policy_follows(env: Env) -> None:
    a = agreement(env)
    pdfs = commit_pdfs(env, a["id"])
    env.graph("DELETE", f"{PATH}/{a['id']}")
    env.ok("backup")
    assert not (env.root / PATH / f"{a['id']}.yaml").exists()
    assert (env.root / PATH / f"{a['id']}.fr-FR.pdf").read_bytes() == pdfs["fr-FR"]  # never dropped
    # The guests' policy now names a deleted agreement: the backup's commit says so, with the way back.
    news = git(env, "log", "-1", "--format=%B")
    assert "grantControls.termsOfUse" in news and f"entragit restore {PATH}/{a['id']}.yaml" in news, news
    plan = env.plan(NAME)
    kinds = sorted(x["action"] for x in plan["actions"])
    assert kinds == ["recreate", "update"]
    (recreate,) = [x for x in plan["actions"] if x["action"] == "recreate"]
    assert "accept" in recreate["reason"]  # users must accept the recreated agreement again
    assert "fileData" not in str(recreate)  # the PDFs are sent, not shown
    recorder = Recorder(env.box)
    env.restore(NAME)
    new = idmap(env)["ids"][a["id"]]
    (create,) = [c.body for c in recorder.calls if c.method == "POST" and c.path.rstrip("/").endswith(PATH)]
    assert sorted(f["language"] for f in create["files"]) == ["en", "fr-FR"]
    assert stored_pdfs(env, new) == pdfs
    policy = next(p for p in env.graph("GET", CA)["value"] if p["displayName"] == GUESTS)
    assert policy["grantControls"]["termsOfUse"] == [new]
    # The record moved the PDFs beside the successor's file, so a later restore finds them there.
    assert (env.root / PATH / f"{new}.en.pdf").read_bytes() == pdfs["en"]
    assert not (env.root / PATH / f"{a['id']}.en.pdf").exists()
    env.assert_empty(NAME)
    env.assert_empty(GUESTS)


def test_without_its_pdfs_a_deleted_agreement_is_refused_naming_them(env: Env) -> None:
    a = agreement(env)
    env.graph("DELETE", f"{PATH}/{a['id']}")
    env.ok("backup")
    (refusal,) = [x for x in env.plan(NAME)["actions"] if x["action"] == "refuse"]
    assert f"{a['id']}.en.pdf" in refusal["reason"] and f"{a['id']}.fr-FR.pdf" in refusal["reason"]
    r = env.run("restore", "--yes", NAME)
    assert r.exit_code == 1, r.output
    # The policy that requires it is not pointed anywhere else: what names a refused object waits for it.
    policy = next(p for p in env.graph("GET", CA)["value"] if p["displayName"] == GUESTS)
    assert policy["grantControls"]["termsOfUse"] == [a["id"]]
    assert env.box.tenant.coll(PATH).objs == {}


def test_a_user_without_the_permission_fails_the_type_naming_it_and_keeps_its_files(env: Env) -> None:
    """A signed-in user whose token lacks Agreement.Read.All gets Graph's 403: the type fails, named with
    the permission, and its files stay (a failed listing is never a deletion)."""
    a = agreement(env)
    before = (env.root / PATH / f"{a['id']}.yaml").read_text()
    env.box.tenant.permissions = [p for p in ALL_PERMISSIONS if not p.startswith("Agreement.")]
    env.graph("PATCH", f"{PATH}/{a['id']}", {"displayName": "changed meanwhile"})
    r = env.run("backup")
    assert r.exit_code == 1, r.output
    assert "agreements" in r.output and "Agreement.Read.All" in r.output
    assert (env.root / PATH / f"{a['id']}.yaml").read_text() == before


def test_an_app_sign_in_leaves_agreements_alone_and_says_why(env: Env) -> None:
    assert_app_sign_in_leaves_alone(env, "agreements", PATH, agreement(env)["id"], NAME)
