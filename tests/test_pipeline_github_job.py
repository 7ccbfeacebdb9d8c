"""The GitHub template's backup job, run for real: its shell steps against the sandbox, signed in through an
emulated GitHub OIDC endpoint whose token the sandbox's federated credential (the one `init --ci` prints)
accepts, pushing to a local origin; then review mode with a stand-in `gh`.

Steps that `uses:` an action (checkout, setup-python, cache) are what the runner does and are done here by
the test (a clone of origin); the install step is skipped (entragit is this checkout). tests/ci_jobs.py runs
the steps; tests/test_pipeline_jobs.py runs every other job of every pipeline the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import live_helpers
from ci_jobs import GitHub, JobRun, Machine
from click.testing import CliRunner
from gitcmd import git as _git
from github_oidc import github_oidc

from entragit import pipelines
from entragit.cli import cli
from entragit.sandbox.assertions import ClientCredentials, FederatedCredential
from entragit.sandbox.server import Sandbox

WORKFLOW = ".github/workflows/entragit-backup.yml"


def _run(machine: Machine, workspace: Path, review: bool, env: dict[str, str]) -> JobRun:
    context = {
        "github": {"event": {"repository": {"default_branch": "main"}}},
        "inputs": {"review": review},
        "vars": {},
    }
    return GitHub(machine, workspace / WORKFLOW).run("backup", workspace, context, env)


def test_github_backup_job_commits_pushes_and_summarises(tmp_path: Path, sandbox: Sandbox) -> None:
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    result = CliRunner().invoke(
        cli,
        [
            "init",
            "--repo",
            str(seed),
            "--tenant-id",
            sandbox.tenant_id,
            "--client-id",
            sandbox.client_id,
            "--ci",
            "github",
            "--ci-project",
            "contoso/entra-backup",
            "--branch",
            "main",
        ],
    )
    assert result.exit_code == 0, result.output
    _git(seed, "push", "-q", str(origin), "HEAD:refs/heads/main")
    workspace = tmp_path / "workspace"  # what actions/checkout leaves
    _git(tmp_path, "clone", "-q", str(origin), str(workspace))

    # The tenant trusts exactly the backup credential init printed; the emulated GitHub token must match it.
    values = pipelines.CiValues(
        sandbox.tenant_id, sandbox.client_id, sandbox.client_id, "contoso/entra-backup"
    )
    backup_cred = pipelines.federated_credentials("github", values)[0]
    assert f"subject {backup_cred.subject}" in result.output
    sandbox.authority.credentials[sandbox.client_id] = ClientCredentials(
        federated=[FederatedCredential(backup_cred.issuer, backup_cred.subject, (backup_cred.audience,))]
    )
    machine = Machine(tmp_path, sandbox)
    with github_oidc(subject=backup_cred.subject) as gh:
        job = _run(machine, workspace, False, gh.env())
        assert job.code == 0, job.log
        assert job.ran == ["Back up the tenant"]
        assert gh.requests and {r["audience"] for r in gh.requests} == {"api://AzureADTokenExchange"}

        assert _git(origin, "log", "-1", "--format=%s", "main") == "report\n"  # the report, after the backup
        head = _git(origin, "log", "-1", "--format=%s%n%b", "main~1")
        assert head.startswith("backup ") and "users: added " in head
        text = job.summary
        assert text.startswith("## entragit backup\n")
        summary_line = next(line for line in text.splitlines() if line.startswith("backup: "))
        assert "objects in" in summary_line and "commit " in summary_line
        assert "### Changed objects" in text and "users: added " in text
        assert gh.request_token not in text and not machine.calls.exists()

        # review mode: a change in the tenant goes to the day's branch and one pull request
        client = live_helpers.client_for(sandbox)
        user = client.get("users", params={"$top": "1"})["value"][0]
        client.request("PATCH", f"users/{user['id']}", json={"jobTitle": "Reviewed Change"})
        workspace2 = tmp_path / "workspace2"
        _git(tmp_path, "clone", "-q", str(origin), str(workspace2))
        job = _run(machine, workspace2, True, gh.env())
    assert job.code == 0, job.log
    assert job.ran == ["Back up the tenant", "Open or update the day's pull request"]
    branch = f"entragit/backup-{datetime.now(timezone.utc):%Y-%m-%d}"
    assert any(s.startswith("backup ") for s in _git(origin, "log", "-2", "--format=%s", branch).splitlines())
    assert _git(origin, "rev-parse", "main") != _git(origin, "rev-parse", branch)  # main untouched
    calls = machine.calls.read_text().splitlines()
    assert calls[0] == f"gh pr list --head {branch} --state open --json number --jq length"
    assert calls[1].startswith(f"gh pr create --base main --head {branch} --title entragit backup ")
    assert "users: changed " in job.summary
