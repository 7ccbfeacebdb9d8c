"""The GitHub template's backup job, run for real: its shell steps against the sandbox, signed in through an
emulated GitHub OIDC endpoint whose token the sandbox's federated credential (the one `init --ci` prints)
accepts, pushing to a local origin; then review mode with a stand-in `gh`.

Steps that `uses:` an action (checkout, setup-python, cache) are what the runner does and are done here by
the test (a clone of origin); the install step is skipped (entragit is this checkout).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import live_helpers
from click.testing import CliRunner
from gitcmd import git as _git
from github_oidc import github_oidc
from ruamel.yaml import YAML

from entragit import ci
from entragit.cli import cli
from entragit.sandbox.assertions import ClientCredentials, FederatedCredential
from entragit.sandbox.server import Sandbox

ROOT = Path(__file__).parent.parent
WORKFLOW = ".github/workflows/entragit-backup.yml"
# The expressions of the backup job's step environments, as GitHub evaluates them for these runs.
EXPRESSIONS = {
    "${{ github.event.repository.default_branch }}": "main",
    "${{ github.token }}": "ghs-workflow-token",
    "${{ steps.backup.outputs.branch }}": "<output:branch>",
    "${{ steps.backup.outputs.summary }}": "<output:summary>",
}


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


class Runner:
    """One GitHub-hosted runner's worth of environment for the backup job."""

    def __init__(self, tmp: Path, box: Sandbox, oidc_env: dict[str, str]) -> None:
        self.tmp = tmp
        self.box = box
        self.oidc_env = oidc_env
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.gh_log = tmp / "gh.log"
        # a stand-in for the GitHub CLI: records its arguments, knows no open pull request
        gh = self.bin / "gh"
        gh.write_text(f'#!/bin/sh\necho "$@" >>"{self.gh_log}"\ncase "$1 $2" in "pr list") echo 0 ;; esac\n')
        gh.chmod(0o755)

    def run_job(self, workspace: Path, review: bool) -> tuple[list[str], Path]:
        workflow = YAML(typ="safe").load((workspace / WORKFLOW).read_text())
        job = workflow["jobs"]["backup"]
        assert job["permissions"]["id-token"] == "write"
        temp = self.tmp / f"runner-temp-{review}"
        temp.mkdir()
        summary, output = temp / "step_summary.md", temp / "output"
        summary.touch()
        ran: list[str] = []
        for step in job["steps"]:
            if "run" not in step or step.get("name", "").startswith("Install"):
                continue
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            env = {k: self._evaluate(str(v), review, output) for k, v in env.items()}
            if step.get("if") and not self._condition(step["if"], output):
                continue
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env={
                    **self._base_env(),
                    **env,
                    "RUNNER_TEMP": str(temp),
                    "GITHUB_STEP_SUMMARY": str(summary),
                    "GITHUB_OUTPUT": str(output),
                },
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert proc.returncode == 0, f"step {step.get('name')}: {proc.stdout}\n{proc.stderr}"
            ran.append(step["name"])
        return ran, summary

    def _evaluate(self, value: str, review: bool, output: Path) -> str:
        if value == "${{ inputs.review || vars.ENTRAGIT_REVIEW == 'true' }}":
            return "true" if review else "false"
        if "${{" not in value:
            return value
        assert value in EXPRESSIONS, f"the test does not know the expression {value}"
        found = EXPRESSIONS[value]
        if found.startswith("<output:"):
            return _outputs(output)[found[len("<output:") : -1]]
        return found

    def _condition(self, condition: str, output: Path) -> bool:
        expected = (
            "${{ !cancelled() && steps.backup.outputs.branch != '' && steps.backup.outputs.branch != "
            "github.event.repository.default_branch }}"
        )
        assert condition == expected, f"the test does not know the condition {condition}"
        branch = _outputs(output).get("branch", "")
        return branch not in ("", "main")

    def _base_env(self) -> dict[str, Any]:
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
        return {
            **keep,
            "PATH": os.pathsep.join([str(self.bin), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "PYTHONPATH": str(ROOT),
            # What the runner would reach over the internet, here the sandbox: the Graph and login hosts.
            "ENTRAGIT_GRAPH_URL": self.box.graph_url,
            "AZURE_AUTHORITY_HOST": self.box.authority_host,
            "REQUESTS_CA_BUNDLE": self.box.ca_bundle,
            "GITHUB_ACTIONS": "true",
            **self.oidc_env,
        }


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
        ],
    )
    assert result.exit_code == 0, result.output
    _git(seed, "push", "-q", str(origin), "HEAD:refs/heads/main")
    workspace = tmp_path / "workspace"  # what actions/checkout leaves
    _git(tmp_path, "clone", "-q", str(origin), str(workspace))

    # The tenant trusts exactly the backup credential init printed; the emulated GitHub token must match it.
    values = ci.CiValues(sandbox.tenant_id, sandbox.client_id, sandbox.client_id, "contoso/entra-backup")
    backup_cred = ci.federated_credentials("github", values)[0]
    assert f"subject {backup_cred.subject}" in result.output
    sandbox.authority.credentials[sandbox.client_id] = ClientCredentials(
        federated=[FederatedCredential(backup_cred.issuer, backup_cred.subject, (backup_cred.audience,))]
    )
    with github_oidc(subject=backup_cred.subject) as gh:
        runner = Runner(tmp_path, sandbox, gh.env())
        ran, summary = runner.run_job(workspace, review=False)
        assert ran == ["Back up the tenant"]
        assert gh.requests and {r["audience"] for r in gh.requests} == {"api://AzureADTokenExchange"}

        head = _git(origin, "log", "-1", "--format=%s%n%b", "main")
        assert head.startswith("backup ") and "users: added " in head
        text = summary.read_text()
        assert text.startswith("## entragit backup\n")
        summary_line = next(line for line in text.splitlines() if line.startswith("backup: "))
        assert "objects in" in summary_line and "commit " in summary_line
        assert "### Changed objects" in text and "users: added " in text
        assert gh.request_token not in text and not runner.gh_log.exists()

        # review mode: a change in the tenant goes to the day's branch and one pull request
        client = live_helpers.client_for(sandbox)
        user = client.get("users", params={"$top": "1"})["value"][0]
        client.request("PATCH", f"users/{user['id']}", json={"jobTitle": "Reviewed Change"})
        workspace2 = tmp_path / "workspace2"
        _git(tmp_path, "clone", "-q", str(origin), str(workspace2))
        ran, summary = runner.run_job(workspace2, review=True)
    assert ran == ["Back up the tenant", "Open or update the day's pull request"]
    branch = f"entragit/backup-{datetime.now(timezone.utc):%Y-%m-%d}"
    assert _git(origin, "log", "-1", "--format=%s", branch).startswith("backup ")
    assert _git(origin, "rev-parse", "main") != _git(origin, "rev-parse", branch)  # main untouched
    calls = runner.gh_log.read_text().splitlines()
    assert calls[0] == f"pr list --head {branch} --state open --json number --jq length"
    assert calls[1].startswith(f"pr create --base main --head {branch} --title entragit backup ")
    assert "users: changed " in summary.read_text()
