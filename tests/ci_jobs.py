"""Run the jobs of the generated pipelines as their CI systems run them: the shell the YAML holds, taken from
the YAML (never restated here), with the variables each system sets (CI=true, no stdin, a step summary file,
logging commands), against the sandbox and local bare repositories standing in for the hosted ones.

What a CI system does itself (actions/checkout, setup-python, caches, artifacts, installing the package:
entragit is this checkout on PYTHONPATH) the test does before calling a job. Each runner knows the
expressions and rules the templates use; one it does not know fails the test, so a template change that the
runners cannot follow is noticed instead of silently skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from github_oidc import jwt
from ruamel.yaml import YAML

from entragit.sandbox.server import Sandbox

ROOT = Path(__file__).parent.parent
AUDIENCE = "api://AzureADTokenExchange"


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@dataclass
class JobRun:
    """What one job left behind: its exit status (the first failing step's), its log, its summary."""

    code: int
    log: str
    summary: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # step or job outputs / output variables
    ran: list[str] = field(default_factory=list)


class Machine:
    """A runner machine: environment every job gets (the sandbox as Graph and login hosts, entragit on the
    path, git rewriting the hosted remotes to local bare repositories)."""

    def __init__(self, tmp: Path, box: Sandbox, remotes: Mapping[str, Path] | None = None) -> None:
        self.tmp = tmp
        self.box = box
        self.bin = tmp / "bin"
        self.bin.mkdir(exist_ok=True)
        self.remotes = dict(remotes or {})
        self.calls = tmp / "calls.log"
        for tool in ("gh", "az"):  # hosted CLIs: record the call; `pr list` knows no open pull request
            stub = self.bin / tool
            stub.write_text(
                f'#!/bin/sh\necho "{tool} $*" >>"{self.calls}"\ncase "$1 $2" in "pr list") echo 0 ;; esac\n'
            )
            stub.chmod(0o755)
        self._count = 0

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
        env = {
            **keep,
            "PATH": os.pathsep.join([str(self.bin), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "PYTHONPATH": str(ROOT),
            "CI": "true",
            "ENTRAGIT_GRAPH_URL": self.box.graph_url,
            "AZURE_AUTHORITY_HOST": self.box.authority_host,
            "REQUESTS_CA_BUNDLE": self.box.ca_bundle,
        }
        # git's url.<base>.insteadOf through the environment: the hosted URL reaches the local bare repository
        env["GIT_CONFIG_COUNT"] = str(len(self.remotes))
        for i, (url, path) in enumerate(self.remotes.items()):
            env[f"GIT_CONFIG_KEY_{i}"] = f"url.{path.as_uri()}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{i}"] = url
        return env

    def temp(self, name: str) -> Path:
        self._count += 1
        path = self.tmp / f"{name}-{self._count}"
        path.mkdir()
        return path

    def bash(self, script: str, cwd: Path, env: Mapping[str, str], flags: tuple[str, ...]) -> tuple[int, str]:
        """One shell step, as the runners start it: no stdin, stdout and stderr to the log."""
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", *flags, "-c", script],
            cwd=cwd,
            env={**self.env(), **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        return proc.returncode, proc.stdout


def tool(name: str) -> str:
    """The path of an outside tool a test runs (.ci/run installs them). Without it the test skips, saying
    so; under ENTRAGIT_REQUIRE_TOOLS=1 (set by .ci/run) it fails instead: CI cannot pass unchecked."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not found on PATH (.ci/run installs it)"
        if os.environ.get("ENTRAGIT_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def token(issuer: str, subject: str, **claims: Any) -> str:
    """An ID token as the CI system issues it (unsigned: the sandbox checks iss, sub, aud, exp)."""
    now = int(time.time())
    return jwt(
        {"iss": issuer, "sub": subject, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 600, **claims}
    )


# --------------------------------------------------------------------------------------------- GitHub


_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w-]+)*$")


class GitHub:
    """GitHub Actions: a job's `run` steps with `${{ }}` expressions evaluated from `context`, GITHUB_OUTPUT,
    GITHUB_STEP_SUMMARY and RUNNER_TEMP files, `if:` conditions, job outputs."""

    # the expressions the templates use beyond plain context lookups
    KNOWN: Mapping[str, Callable[[dict[str, Any]], Any]] = {
        "inputs.review || vars.ENTRAGIT_REVIEW == 'true'": lambda c: (
            "true" if c["inputs"].get("review") or c["vars"].get("ENTRAGIT_REVIEW") == "true" else "false"
        ),
        "!cancelled() && steps.backup.outputs.branch != '' && steps.backup.outputs.branch != "
        "github.event.repository.default_branch": lambda c: (
            c["steps"]["backup"]["outputs"].get("branch", "")
            not in ("", c["github"]["event"]["repository"]["default_branch"])
        ),
        "!cancelled() && steps.plan.outputs.summary != ''": lambda c: bool(
            c["steps"]["plan"]["outputs"].get("summary")
        ),
        "needs.changes.outputs.files != ''": lambda c: c["needs"]["changes"]["outputs"]["files"] != "",
        "!cancelled()": lambda c: True,
    }

    def __init__(self, machine: Machine, workflow: Path) -> None:
        self.machine = machine
        self.workflow = load(workflow)

    def triggers(self) -> dict[str, Any]:
        return dict(self.workflow["on"])

    def evaluate(self, text: str, context: dict[str, Any]) -> Any:
        def one(expr: str) -> Any:
            expr = expr.strip()
            if expr in self.KNOWN:
                return self.KNOWN[expr](context)
            assert _PATH.match(expr), f"the test does not know the expression {expr!r}"
            value: Any = context
            for part in expr.split("."):
                value = value[part]
            return value

        whole = re.fullmatch(r"\$\{\{(.*)\}\}", text.strip())
        if whole:
            return one(whole.group(1))
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(one(m.group(1))), text)

    def run(
        self,
        job_name: str,
        workspace: Path,
        context: dict[str, Any],
        env: Mapping[str, str] | None = None,
    ) -> JobRun:
        job = self.workflow["jobs"][job_name]
        context = {**context, "steps": {}}
        context["github"] = {"token": "ghs-workflow-token", **context.get("github", {})}
        context.setdefault("needs", {})
        if "if" in job:
            condition = job["if"] if job["if"].startswith("${{") else "${{ " + job["if"] + " }}"
            assert self.evaluate(condition, context), f"{job_name} would not run"
        temp = self.machine.temp(f"runner-{job_name}")
        summary = temp / "step_summary.md"
        summary.touch()
        log, ran, code = "", [], 0
        for step in job["steps"]:
            if "run" not in step or step.get("name", "").startswith("Install"):
                continue
            if "if" in step:
                if not self.evaluate(step["if"], context):
                    continue
            elif code:
                continue  # success(): steps after a failure are skipped
            output = temp / f"output-{len(ran)}"
            output.touch()
            step_env = {**self.workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            step_env = {k: str(self.evaluate(str(v), context)) for k, v in step_env.items()}
            status, out = self.machine.bash(
                step["run"],
                workspace,
                {
                    **(env or {}),
                    **step_env,
                    "GITHUB_ACTIONS": "true",
                    "RUNNER_TEMP": str(temp),
                    "GITHUB_STEP_SUMMARY": str(summary),
                    "GITHUB_OUTPUT": str(output),
                },
                ("-eo", "pipefail"),  # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`
            )
            log += out
            ran.append(step["name"])
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": _outputs(output)}
            code = code or status
        outputs = {k: str(self.evaluate(v, context)) for k, v in job.get("outputs", {}).items()}
        return JobRun(code, log, summary.read_text(), outputs, ran)


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


# --------------------------------------------------------------------------------------------- GitLab


class GitLab:
    """GitLab CI with the shell executor: `extends` merged, `rules` evaluated for the pipeline's variables,
    before_script and script run in one bash (`set -eo pipefail`, as the runner does), the job's ID token in
    the variable `id_tokens` names."""

    def __init__(self, machine: Machine, pipeline: Path, include: Path | None = None) -> None:
        self.machine = machine
        self.pipeline = {**(load(include) if include else {}), **load(pipeline)}

    def job(self, name: str) -> dict[str, Any]:
        job = dict(self.pipeline[name])
        parents = job.pop("extends", [])
        merged: dict[str, Any] = {}
        for parent in [parents] if isinstance(parents, str) else parents:
            merged.update(self.job(parent))
        variables = {**merged.get("variables", {}), **job.get("variables", {})}
        return {**merged, **job, "variables": variables}

    def selected(self, name: str, variables: Mapping[str, str]) -> str:
        """The `when` of the first rule that matches ('never' when none does)."""
        for rule in self.job(name).get("rules", []):
            if "if" not in rule or _gitlab_if(rule["if"], variables):
                return str(rule.get("when", "on_success"))
        return "never"

    def run(
        self,
        name: str,
        workspace: Path,
        variables: dict[str, str],
        id_token: str,
        matrix: Mapping[str, str] | None = None,
    ) -> JobRun:
        job = self.job(name)
        when = self.selected(name, variables)
        assert when != "never", (
            f"the rules of {name} do not start it for {variables.get('CI_PIPELINE_SOURCE')}"
        )
        lines = [
            line
            for line in [*job.get("before_script", []), *job["script"]]
            if "pip install" not in line  # entragit is this checkout
        ]
        builds = self.machine.temp("builds")
        env = {
            **{k: str(v) for k, v in self.pipeline.get("variables", {}).items()},
            **{k: str(v) for k, v in job["variables"].items()},
            **(matrix or {}),
            **variables,
            "GITLAB_CI": "true",
            "CI_BUILDS_DIR": str(builds),
            "CI_PROJECT_DIR": str(workspace),
            "CI_JOB_ID": str(self.machine._count),
        }
        for token_name, spec in job.get("id_tokens", {}).items():
            assert spec["aud"] == AUDIENCE
            env[token_name] = id_token
        code, log = self.machine.bash("\n".join(lines), workspace, env, ("-eo", "pipefail"))
        return JobRun(code, log, ran=[when])


class GitLabCiLocal:
    """A whole pipeline run by gitlab-ci-local (GitLab's `rules`, `extends`, variables and job scripts as its
    authors implement them, not as the runner above reads them), with the shell executor, offline.

    The workspace's origin is the project's URL on the host: gitlab-ci-local derives CI_PROJECT_PATH,
    CI_SERVER_HOST and CI_DEFAULT_BRANCH from it, and the machine's git maps the job token's URL of it to
    the local bare repository. Where gitlab-ci-local differs from a GitLab shell runner, the test sets what
    the runner would:
    - `image:` makes it point CI_BUILDS_DIR and CI_PROJECT_DIR into a container (/builds); a shell runner
      ignores `image:` and the job runs in the workspace;
    - it mints no `id_tokens`: each token variable holds the job's token;
    - it sets GITLAB_CI=false.
    HOME is an empty directory, the runner user's: bash reads ~/.bashrc when its stdin is a socket, as
    node's pipes are, and a developer's would put another Python first on PATH. pip stays offline
    (PIP_NO_INDEX): ENTRAGIT_PACKAGE names the installed entragit, which PYTHONPATH overrides with this
    checkout.
    """

    def __init__(self, machine: Machine, command: str) -> None:
        self.machine = machine
        self.command = command  # tool("gitlab-ci-local")

    def run(self, workspace: Path, variables: Mapping[str, str], id_token: str) -> JobRun:
        """The pipeline the variables start; `ran` names the jobs its rules selected."""
        pipeline = load(workspace / ".gitlab-ci.yml")
        runner = {
            **variables,
            "GITLAB_CI": "true",
            "CI_BUILDS_DIR": str(self.machine.temp("builds")),
            "CI_PROJECT_DIR": str(workspace),
            "ENTRAGIT_PACKAGE": "entragit",
            "PIP_NO_INDEX": "1",
            **{
                name: id_token
                for job in pipeline.values()
                if isinstance(job, dict)
                for name in job.get("id_tokens", {})
            },
        }
        proc = subprocess.run(
            [
                self.command,
                *("--force-shell-executor", "--no-color"),
                f"--ignore-predefined-vars={','.join(runner)}",
                *(f"--variable={k}={v}" for k, v in runner.items()),
            ],
            cwd=workspace,
            env={**self.machine.env(), "HOME": str(self.machine.temp("home"))},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        ran = re.findall(r"^ (?:PASS|FAIL|WARN) +(\S+)", proc.stdout, re.MULTILINE)
        return JobRun(proc.returncode, proc.stdout, ran=ran)


def _gitlab_if(expression: str, variables: Mapping[str, str]) -> bool:
    """GitLab's rules:if for what the templates use: `$A == "x"`, `$A != $B`, `&&`, `||`."""

    def value(term: str) -> str:
        term = term.strip()
        if term.startswith("$"):
            return variables.get(term[1:], "")
        assert term.startswith('"') and term.endswith('"'), f"the test does not know the term {term!r}"
        return term[1:-1]

    def compare(part: str) -> bool:
        m = re.fullmatch(r"\s*(\S+)\s*(==|!=)\s*(\S+)\s*", part)
        assert m, f"the test does not know the condition {part!r}"
        same = value(m.group(1)) == value(m.group(3))
        return same if m.group(2) == "==" else not same

    return any(all(compare(p) for p in alt.split("&&")) for alt in expression.split("||"))


# --------------------------------------------------------------------------------------- Azure DevOps


class AzureDevOps:
    """Azure Pipelines: a job's `bash`/AzureCLI steps (the connection's idToken, servicePrincipalId and
    tenantId in the environment, as addSpnToEnvironment gives them), `$(Var)` macros, variables as
    environment variables, the `task.setvariable` and `task.uploadsummary` logging commands."""

    def __init__(self, machine: Machine, pipeline: Path) -> None:
        self.machine = machine
        self.text = pipeline.read_text(encoding="utf-8")
        self.pipeline = load(pipeline)

    def jobs(self, template: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
        """Job name → job, across stages; `template` fills `${{ tenant.X }}` of an `each` expansion."""
        pipeline = self.pipeline
        if template is not None:
            text = re.sub(r"\$\{\{ tenant\.(\w+) \}\}", lambda m: template[m.group(1)], self.text)
            pipeline = YAML(typ="safe").load(text)
        found: dict[str, dict[str, Any]] = {}
        for stage in pipeline.get("stages", [{"jobs": pipeline.get("jobs", [])}]):
            if isinstance(stage, dict) and any(str(k).startswith("${{ each") for k in stage):
                stage = next(iter(stage.values()))[0]
            for job in stage.get("jobs", []):
                found[job.get("job") or job["deployment"]] = job
        return found

    def run(
        self,
        job_name: str,
        workspace: Path,
        connection: Mapping[str, str] | None,
        variables: Mapping[str, str] | None = None,
        template: Mapping[str, str] | None = None,
        stage_variables: Mapping[str, str] | None = None,
    ) -> JobRun:
        job = self.jobs(template)[job_name]
        steps = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
        temp = self.machine.temp(f"agent-{job_name}")
        macros = {
            "Pipeline.Workspace": str(workspace.parent),
            "Build.SourcesDirectory": str(workspace),
            "Build.ArtifactStagingDirectory": str(temp / "staging"),
            "System.AccessToken": "ado-build-token",
            "System.TeamProject": "IT",
            **{k: str(v) for k, v in self.pipeline.get("variables", {}).items()},
            **(stage_variables or {}),
            **(variables or {}),
        }
        env_vars = {_env_name(k): v for k, v in macros.items()}
        log, ran, code, summaries = "", [], 0, []
        outputs: dict[str, str] = {}
        for step in steps:
            if "bash" in step:
                script, cwd = step["bash"], workspace
                extra: dict[str, str] = {}
            elif step.get("task") == "AzureCLI@2":
                inputs = step["inputs"]
                assert inputs["addSpnToEnvironment"] is True and connection is not None
                assert inputs["azureSubscription"] == connection["name"], inputs["azureSubscription"]
                script = inputs["inlineScript"]
                cwd = Path(_macro(inputs.get("workingDirectory", str(workspace)), macros))
                extra = {k: v for k, v in connection.items() if k != "name"}
            else:
                continue  # checkout, UsePythonVersion, Cache, the install script, publish, download
            if code and "condition" not in step:
                continue
            step_env = {k: _macro(str(v), macros) for k, v in step.get("env", {}).items()}
            status, out = self.machine.bash(
                _macro(script, macros),
                cwd,
                {**env_vars, **extra, **step_env, "TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(temp)},
                (),  # the Bash and AzureCLI tasks run plain bash: the scripts set -e themselves
            )
            log += out
            ran.append(step.get("displayName", "bash"))
            for line in out.splitlines():
                m = re.match(r"##vso\[task\.setvariable variable=(\w+)[^\]]*\](.*)$", line)
                if m:
                    outputs[m.group(1)] = m.group(2)
                m = re.match(r"##vso\[task\.uploadsummary\](.*)$", line)
                if m:
                    summaries.append(Path(m.group(1)).read_text())
            code = code or status
        return JobRun(code, log, "".join(summaries), outputs, ran)


def _env_name(variable: str) -> str:
    return variable.upper().replace(".", "_")


def _macro(text: str, macros: Mapping[str, str]) -> str:
    """`$(Name)` as the agent replaces it before the script runs; an unknown name stays as written."""
    return re.sub(r"\$\(([A-Za-z][\w.]*)\)", lambda m: macros.get(m.group(1), m.group(0)), text)
