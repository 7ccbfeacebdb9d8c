"""The CI templates (templates/) and `entragit init --ci`: what a backup repository gets and what to register.

The schemas are checked by .ci/run (check-jsonschema, offline); these tests check what the schemas cannot:
every placeholder is filled, every object folder starts an apply, init writes, commits and tells, and the
GitHub workflows pass actionlint.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ci_jobs import tool
from click.testing import CliRunner
from gitcmd import git as _git
from ruamel.yaml import YAML

from entragit import __version__, catalog, config, pipelines
from entragit.cli import cli
from entragit.errors import UsageError

TEMPLATES = Path(__file__).parent.parent / "templates"
VALUES = pipelines.CiValues(
    tenant_id="11111111-1111-1111-1111-111111111111",
    backup_client_id="22222222-2222-2222-2222-222222222222",
    restore_client_id="33333333-3333-3333-3333-333333333333",
    project="contoso/entra-backup",
)
# The CI jobs sign in as apps: the types Graph admits for signed-in users only (terms of use agreements) are
# applied from a terminal (`--auth device-code`), never by a pipeline.
OBJECT_FOLDERS = sorted({t.folder for t in catalog.CATALOG if t.restorable and not t.delegated_only})


def _yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _every_template() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".yml", ".json"))


@pytest.mark.parametrize("path", _every_template(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_are_documented_at_the_top(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return  # an example tenants file: its workflow documents it
    assert text.startswith("# ") and len(text.split("\n\n", 1)[0].splitlines()) >= 1


@pytest.mark.parametrize("system", pipelines.CI_SYSTEMS)
def test_render_fills_every_placeholder(system: str) -> None:
    files = pipelines.render(system, VALUES, TEMPLATES)
    assert files
    for path, text in files.items():
        assert not re.search(r"@[A-Z_]+@", text), path
        assert VALUES.tenant_id in text or system == "azure-devops", path  # ADO reads it from the connection
        _yaml(text)


def _glob(pattern: str) -> re.Pattern[str]:
    """A CI path glob as a regex: `**/` any folders, `**` anything, `*` within one folder."""
    parts = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*"}
    return re.compile(
        "".join(parts.get(tok, re.escape(tok)) for tok in re.findall(r"\*\*/|\*\*|\*|[^*]+", pattern))
    )


def test_apply_triggers_cover_every_restorable_type() -> None:
    """A merged change to any restorable type's file must start the apply and be among the files the review
    and the apply hand to entragit, in every CI system: the folders come from the catalog when init writes
    the pipelines, so a new type needs no template edit (it needed six)."""
    gh = pipelines.render("github", VALUES, TEMPLATES)
    ado = pipelines.render("azure-devops", VALUES, TEMPLATES)
    gl = pipelines.render("gitlab", VALUES, TEMPLATES)[".gitlab-ci.yml"]
    gh_paths = _yaml(gh[".github/workflows/entragit-apply.yml"])["on"]["push"]["paths"]
    review_paths = _yaml(gh[".github/workflows/entragit-review.yml"])["on"]["pull_request"]["paths"]
    ado_paths = _yaml(ado[".azure-pipelines/entragit-apply.yml"])["trigger"]["paths"]["include"]
    gl_paths = _yaml(gl)["apply"]["rules"][0]["changes"]
    handed = [
        set(m.split())
        for text in [*gh.values(), *ado.values(), gl]
        for m in re.findall(r'\.\.[^"]*" -- ([^\\|]+)\\', text)
    ]
    assert len(handed) == 6  # review and apply of each system
    for t in catalog.CATALOG:
        if not t.restorable or t.delegated_only:  # (OBJECT_FOLDERS: not for an app's sign-in)
            continue
        path = catalog.object_path(t, "ab12")
        assert any(_glob(p).fullmatch(path) for p in gh_paths), path
        assert any(_glob(p).fullmatch(path) for p in review_paths), path
        assert any(path.startswith(p + "/") for p in ado_paths), path
        assert any(_glob(p).fullmatch(path) for p in gl_paths), path
        assert all(any(path.startswith(f + "/") for f in folders) for folders in handed), path


def test_backup_templates_use_federation_and_pip_caching() -> None:
    gh = _yaml((TEMPLATES / "github/entragit-backup.yml").read_text())
    job = gh["jobs"]["backup"]
    assert job["permissions"]["id-token"] == "write"
    assert any(s.get("with", {}).get("cache") == "pip" for s in job["steps"])
    assert set(gh["on"]) == {"schedule", "workflow_dispatch"}
    gl = _yaml((TEMPLATES / "gitlab/.gitlab-ci.yml").read_text())
    assert gl[".entragit"]["id_tokens"]["AZURE_ID_TOKEN"]["aud"] == pipelines.AUDIENCE
    assert gl["apply"]["rules"][0]["when"] == "manual"
    assert gl["apply"]["environment"]["name"] == pipelines.RESTORE_ENVIRONMENT
    ado = _yaml((TEMPLATES / "azure-devops/entragit-apply.yml").read_text())
    assert ado["stages"][1]["jobs"][0]["environment"] == pipelines.RESTORE_ENVIRONMENT
    apply = _yaml((TEMPLATES / "github/entragit-apply.yml").read_text())
    assert apply["jobs"]["apply"]["environment"] == pipelines.RESTORE_ENVIRONMENT


def test_federated_credentials() -> None:
    gh = pipelines.federated_credentials("github", VALUES)
    assert [(c.app, c.jobs, c.issuer, c.subject, c.audience) for c in gh] == [
        (
            "backup",
            "backup, drift",
            pipelines.GITHUB_ISSUER,
            "repo:contoso/entra-backup:ref:refs/heads/main",
            pipelines.AUDIENCE,
        ),
        (
            "backup",
            "review",
            pipelines.GITHUB_ISSUER,
            "repo:contoso/entra-backup:pull_request",
            pipelines.AUDIENCE,
        ),
        (
            "restore",
            "apply",
            pipelines.GITHUB_ISSUER,
            "repo:contoso/entra-backup:environment:entragit-restore",
            pipelines.AUDIENCE,
        ),
    ]
    gl = pipelines.federated_credentials("gitlab", VALUES)
    prefix = "project_path:contoso/entra-backup:ref_type:branch:ref:"
    assert [(c.app, c.subject, c.flexible) for c in gl] == [
        ("backup", prefix + "main", False),
        ("backup", f"claims['sub'] matches '{prefix}*'", True),
        ("restore", prefix + "entragit-apply", False),
    ]
    assert gl[0].issuer == "https://gitlab.com"
    ado = pipelines.federated_credentials("azure-devops", VALUES)
    assert [c.subject for c in ado] == [
        "sc://contoso/entra-backup/entragit-backup",
        "sc://contoso/entra-backup/entragit-restore",
    ]


@pytest.mark.parametrize("system", pipelines.CI_SYSTEMS)
def test_no_backup_job_token_matches_the_restore_app(system: str) -> None:
    """The read-only backup app's jobs must never obtain the restore app's token: no subject (or flexible
    expression) of the backup app matches the restore app's subject, in any CI system (GitLab's `sub` names
    the branch only, so the restore app trusts a branch of its own)."""
    creds = pipelines.federated_credentials(system, VALUES)
    (restore,) = [c for c in creds if c.app == "restore"]
    for c in creds:
        if c.app == "backup":
            assert c.subject != restore.subject
            if c.flexible:  # claims['sub'] matches '<prefix>*': the backup app may match, never the reverse
                assert not restore.flexible


@pytest.mark.parametrize(
    ("system", "url", "project", "host"),
    [
        ("github", "git@github.com:contoso/tenant-backup.git", "contoso/tenant-backup", "github.com"),
        ("github", "https://github.com/contoso/tenant-backup", "contoso/tenant-backup", "github.com"),
        ("github", "ssh://git@github.com/contoso/tenant-backup.git", "contoso/tenant-backup", "github.com"),
        ("gitlab", "git@gitlab.com:it/identity/entra-backup.git", "it/identity/entra-backup", "gitlab.com"),
        ("gitlab", "https://gitlab.contoso.com/it/entra.git", "it/entra", "gitlab.contoso.com"),
        ("azure-devops", "https://dev.azure.com/contoso/IT/_git/entra-backup", "contoso/IT", "dev.azure.com"),
        (
            "azure-devops",
            "https://contoso@dev.azure.com/contoso/IT%20Ops/_git/b",
            "contoso/IT Ops",
            "dev.azure.com",
        ),
        (
            "azure-devops",
            "git@ssh.dev.azure.com:v3/contoso/IT/entra-backup",
            "contoso/IT",
            "ssh.dev.azure.com",
        ),
        (
            "azure-devops",
            "https://contoso.visualstudio.com/DefaultCollection/IT/_git/b",
            "contoso/IT",
            "contoso.visualstudio.com",
        ),
    ],
)
def test_project_from_remote(system: str, url: str, project: str, host: str) -> None:
    assert pipelines.project_from_remote(system, url) == (project, host)


def test_project_from_a_remote_of_another_kind_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot tell the project from the remote"):
        pipelines.project_from_remote("azure-devops", "git@github.com:contoso/tenant-backup.git")


def _init_args(root: Path) -> list[str]:
    return [
        "init",
        "--repo",
        str(root),
        "--tenant-id",
        VALUES.tenant_id,
        "--client-id",
        VALUES.backup_client_id,
    ]


def _clone(tmp: Path, name: str, branch: str, origin: str) -> Path:
    root = tmp / name
    _git(tmp, "init", "-q", "-b", branch, str(root))
    _git(root, "remote", "add", "origin", origin)
    return root


def test_init_ci_reads_the_project_and_branch_from_the_clone(tmp_path: Path) -> None:
    """A new admin's clone: origin git@github.com:contoso/tenant-backup.git on master. The pipelines and
    the printed subjects name that repository and that branch; flags override them."""
    root = _clone(tmp_path, "tenant-backup", "master", "git@github.com:contoso/tenant-backup.git")
    result = CliRunner().invoke(cli, [*_init_args(root), "--ci", "github"])
    assert result.exit_code == 0, result.output
    assert "subject repo:contoso/tenant-backup:ref:refs/heads/master" in result.output
    assert "subject repo:contoso/tenant-backup:pull_request" in result.output
    assert 'branches: ["master"]' in (root / ".github/workflows/entragit-apply.yml").read_text()
    other = _clone(tmp_path, "other", "trunk", "https://gitlab.contoso.com/it/identity/entra.git")
    gl = CliRunner().invoke(cli, [*_init_args(other), "--ci", "gitlab"])
    assert gl.exit_code == 0, gl.output
    assert "issuer https://gitlab.contoso.com" in gl.output
    assert "subject project_path:it/identity/entra:ref_type:branch:ref:trunk" in gl.output
    third = _clone(tmp_path, "third", "trunk", "git@ssh.dev.azure.com:v3/contoso/IT/entra")
    wheel = "https://files.example.com/entragit-0.1.0-py3-none-any.whl"
    flags = ["--ci", "azure-devops", "--ci-project", "fabrikam/Ops", "--branch", "main", "--package", wheel]
    forced = CliRunner().invoke(cli, [*_init_args(third), *flags])
    assert forced.exit_code == 0, forced.output
    assert "subject sc://fabrikam/Ops/entragit-backup" in forced.output
    drift = (third / ".azure-pipelines/entragit-drift.yml").read_text()
    assert '- "main"' in drift and f'ENTRAGIT_PACKAGE: "{wheel}"' in drift


def test_init_ci_writes_commits_and_prints_the_credentials(tmp_path: Path) -> None:
    root = tmp_path / "backup"
    args = _init_args(root)
    result = CliRunner().invoke(
        cli,
        [
            *args,
            "--ci",
            "github",
            "--ci-project",
            "contoso/entra-backup",
            "--restore-client-id",
            VALUES.restore_client_id,
        ],
    )
    assert result.exit_code == 0, result.output
    workflow = (root / ".github/workflows/entragit-apply.yml").read_text()
    assert f'AZURE_CLIENT_ID: "{VALUES.restore_client_id}"' in workflow
    # what the pipelines install: the exact version that wrote them, unless --package says otherwise
    assert f'ENTRAGIT_PACKAGE: "entragit=={__version__}"' in workflow
    assert config.load(root).auth == "federated"
    assert "subject repo:contoso/entra-backup:environment:entragit-restore" in result.output
    assert (
        f"restore app {VALUES.restore_client_id} (apply): issuer https://token.actions.githubusercontent.com"
        in result.output
    )
    tracked = _git(root, "ls-files").split()
    assert ".github/workflows/entragit-backup.yml" in tracked and "entragit.yaml" in tracked
    assert _git(root, "status", "--porcelain") == ""
    # a hand-edited workflow is never overwritten
    (root / ".github/workflows/entragit-drift.yml").write_text("# mine\n")
    again = CliRunner().invoke(cli, [*args, "--ci", "github", "--ci-project", "contoso/entra-backup"])
    assert again.exit_code == 1
    assert again.output.strip().endswith(
        ".github/workflows/entragit-drift.yml exists and differs from the template; move it away or merge by "
        "hand"
    )
    assert (root / ".github/workflows/entragit-drift.yml").read_text() == "# mine\n"


def test_init_ci_needs_the_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            *("init", "--repo", str(tmp_path / "b"), "--ci", "gitlab"),
            *("--tenant-id", "0b5e2c1d-4a3f-4e6b-9d8c-7f1a2b3c4d5e"),
            *("--client-id", "7d1c5b2e-3f4a-4b6c-8d9e-0a1b2c3d4e5f"),
        ],
    )
    assert result.exit_code == 2 and "--ci needs --ci-project" in result.output
    assert "no origin remote to read it from" in result.output
    assert not (tmp_path / "b").exists()


def _scripts(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every shell script of a pipeline: GitHub `run`, GitLab `script`/`before_script` lines, Azure `bash`,
    `script` and AzureCLI `inlineScript`."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if key in ("run", "bash", "inlineScript") and isinstance(value, str):
                found.append((where, value))
            elif key in ("script", "before_script") and isinstance(value, (str, list)):
                lines = [value] if isinstance(value, str) else value
                found.extend((f"{where}[{i}]", line) for i, line in enumerate(lines) if isinstance(line, str))
            else:
                found.extend(_scripts(value, where))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_scripts(item, f"{path}[{i}]"))
    return found


@pytest.mark.parametrize(
    "path", [p for p in _every_template() if p.suffix == ".yml"], ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_every_script_is_valid_bash(path: Path) -> None:
    """The scripts of the Azure DevOps and GitLab templates never run in these tests: at least they parse."""
    scripts = _scripts(_yaml(path.read_text()))
    assert scripts or path.name == "tenants.gitlab-ci.yml"
    for where, script in scripts:
        # Azure macro syntax $(Var) is replaced before bash sees the script; stand in a word for it
        text = re.sub(r"\$\((?=[A-Z][A-Za-z]*\.[A-Za-z.]+\))", "$(echo ", script)
        proc = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert proc.returncode == 0, f"{path.name} {where}: {proc.stderr}"


def test_init_ci_for_azure_devops_and_gitlab(tmp_path: Path) -> None:
    base = ["--tenant-id", VALUES.tenant_id, "--client-id", VALUES.backup_client_id]
    ado = CliRunner().invoke(
        cli,
        [
            "init",
            "--repo",
            str(tmp_path / "a"),
            *base,
            "--ci",
            "azure-devops",
            "--ci-project",
            "contoso/IT",
            "--service-connection",
            "backup-conn",
            "--restore-service-connection",
            "restore-conn",
        ],
    )
    assert ado.exit_code == 0, ado.output
    assert (
        "subject sc://contoso/IT/backup-conn" in ado.output
        and "subject sc://contoso/IT/restore-conn" in ado.output
    )
    assert (
        'azureSubscription: "restore-conn"'
        in (tmp_path / "a/.azure-pipelines/entragit-apply.yml").read_text()
    )
    gl = CliRunner().invoke(
        cli,
        [
            "init",
            "--repo",
            str(tmp_path / "g"),
            *base,
            "--ci",
            "gitlab",
            "--ci-project",
            "it/entra-backup",
            "--ci-issuer",
            "https://gitlab.contoso.com/",
            "--branch",
            "main",
        ],
    )
    assert gl.exit_code == 0, gl.output
    assert "issuer https://gitlab.contoso.com" in gl.output
    assert "subject project_path:it/entra-backup:ref_type:branch:ref:main" in gl.output
    assert f'AZURE_TENANT_ID: "{VALUES.tenant_id}"' in (tmp_path / "g/.gitlab-ci.yml").read_text()


def test_github_workflows_pass_actionlint(tmp_path: Path) -> None:
    """actionlint over the templates and over the workflows `init --ci github` writes from them: expressions
    and contexts, job and step keys, the inputs and runtime of each action used (a node20 action is flagged
    since GitHub deprecated that runtime), and shellcheck over every `run` script."""
    actionlint, shellcheck = tool("actionlint"), tool("shellcheck")
    root = tmp_path / "backup"
    args = ["--ci", "github", "--ci-project", VALUES.project, "--restore-client-id", VALUES.restore_client_id]
    result = CliRunner().invoke(cli, [*_init_args(root), *args])
    assert result.exit_code == 0, result.output
    written = sorted((root / ".github/workflows").glob("*.yml"))
    templates = sorted((TEMPLATES / "github").glob("*.yml"))
    assert written and len(templates) > len(written)  # the fleet workflow is for a central repository
    proc = subprocess.run(
        [actionlint, "-oneline", "-shellcheck", shellcheck, *map(str, templates + written)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
