"""CI templates for a backup repository: `entragit init --ci github|azure-devops|gitlab`.

The pipelines live in `templates/` at the top of the source tree (installed under `share/entragit/templates`
by the wheel), each documented at its top, with `@NAME@` placeholders for a tenant's values. `render` fills
them in for one backup repository; `federated_credentials` says what to register on each app registration
so that the pipeline signs in without a stored secret (workload identity federation).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from entragit import __version__, catalog
from entragit.errors import EntragitError, UsageError

CI_SYSTEMS = ("github", "azure-devops", "gitlab")
AUDIENCE = "api://AzureADTokenExchange"
RESTORE_ENVIRONMENT = "entragit-restore"  # the environment every apply template runs in
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# GitLab's ID token names the project and the ref in `sub`, never the environment, and Entra matches GitLab
# tokens on `sub` alone: the restore app trusts this protected branch, which the backup jobs never run on.
GITLAB_APPLY_BRANCH = "entragit-apply"
PACKAGE = f"entragit=={__version__}"  # what the pipelines pip-install unless told otherwise

# (template under templates/, path in the backup repository) per CI system. The fleet pipelines belong in an
# MSP's central repository, not in one tenant's, so init does not write them.
_FILES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "github": tuple(
        (f"github/entragit-{name}.yml", f".github/workflows/entragit-{name}.yml")
        for name in ("backup", "drift", "review", "apply")
    ),
    "azure-devops": tuple(
        (f"azure-devops/entragit-{name}.yml", f".azure-pipelines/entragit-{name}.yml")
        for name in ("backup", "drift", "review", "apply")
    ),
    "gitlab": (("gitlab/.gitlab-ci.yml", ".gitlab-ci.yml"),),
}
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
# A template line holding this is written once per object folder (`object_folders`): the paths that start
# a review or an apply, in each CI system's syntax, come from the catalog rather than from six lists kept
# by hand, which every new type had to be added to.
_FOLDER_LINE = "@OBJECT_FOLDER@"


def object_folders() -> list[str]:
    """The folders of the restorable types' files, none inside another: a merged change under any of them is
    something `apply` writes, so it starts the review and the apply."""
    folders = sorted({t.folder for t in catalog.CATALOG if t.restorable})
    return [f for f in folders if not any(f.startswith(other + "/") for other in folders)]


class TemplateError(EntragitError):
    """A template is missing, or a file it would replace holds something else."""


@dataclass(frozen=True)
class CiValues:
    """What the templates and the federated credentials need to know about one backup repository."""

    tenant_id: str
    backup_client_id: str
    restore_client_id: str
    project: str  # GitHub owner/repo, GitLab group/project, Azure DevOps organization/project
    branch: str = "main"
    package: str = PACKAGE  # what `pip install` is given: a requirement, a path, a VCS URL or a wheel
    service_connection: str = "entragit-backup"  # Azure DevOps only
    restore_service_connection: str = "entragit-restore"
    issuer: str = ""  # GitLab instance URL or Azure DevOps issuer; empty: the public service's

    def placeholders(self) -> dict[str, str]:
        return {
            "TENANT_ID": self.tenant_id,
            "BACKUP_CLIENT_ID": self.backup_client_id,
            "RESTORE_CLIENT_ID": self.restore_client_id,
            "BRANCH": self.branch,
            "ENTRAGIT_PACKAGE": self.package,
            "SERVICE_CONNECTION": self.service_connection,
            "RESTORE_SERVICE_CONNECTION": self.restore_service_connection,
            "APPLY_BRANCH": GITLAB_APPLY_BRANCH,
            "OBJECT_FOLDERS": " ".join(object_folders()),
        }


@dataclass(frozen=True)
class FederatedCredential:
    app: str  # "backup" or "restore"
    jobs: str  # the jobs that sign in with it
    issuer: str
    subject: str  # the token's `sub`; with `flexible`, a claims matching expression on it
    audience: str = AUDIENCE
    flexible: bool = False  # a flexible federated identity credential (`claimsMatchingExpression`)


def templates_dir() -> Path:
    """templates/ of a source checkout, else the copy the wheel installs under the environment's prefix."""
    for candidate in (
        Path(__file__).resolve().parent.parent / "templates",
        Path(sys.prefix) / "share" / "entragit" / "templates",
    ):
        if (candidate / "github").is_dir():
            return candidate
    raise TemplateError("the CI templates are not installed (no templates/ folder next to entragit)")


def _check_system(ci: str) -> None:
    if ci not in CI_SYSTEMS:
        raise UsageError(f"--ci must be one of {', '.join(CI_SYSTEMS)}, not {ci!r}")


def render(ci: str, values: CiValues, source: Path | None = None) -> dict[str, str]:
    """Repository path → text of each template of `ci`, with every placeholder filled in."""
    _check_system(ci)
    source = source or templates_dir()
    fill = values.placeholders()
    out: dict[str, str] = {}
    for template, target in _FILES[ci]:
        try:
            text = (source / template).read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateError(f"template {template}: {exc.strerror or exc}") from None
        text = "".join(
            line.replace(_FOLDER_LINE, folder) if _FOLDER_LINE in line else line
            for line in text.splitlines(keepends=True)
            for folder in (object_folders() if _FOLDER_LINE in line else [""])
        )
        out[target] = _PLACEHOLDER.sub(lambda m: fill.get(m.group(1), m.group(0)), text)
        left = sorted(set(_PLACEHOLDER.findall(out[target])))
        if left:
            raise TemplateError(f"template {template}: no value for {', '.join(left)}")
    return out


def write(root: Path, files: Mapping[str, str]) -> list[str]:
    """Write the rendered files; refuses (before writing any) to replace a file that holds something else."""
    for rel, text in files.items():
        path = root / rel
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") != text:
            raise TemplateError(f"{rel} exists and differs from the template; move it away or merge by hand")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return list(files)


def federated_credentials(ci: str, values: CiValues) -> list[FederatedCredential]:
    """The federated identity credential each app registration needs for the pipelines of `ci`; the restore
    app's subject is one no backup, drift or review job's token carries."""
    _check_system(ci)
    project, branch = values.project, values.branch
    if ci == "github":
        prefix = f"repo:{project}"
        return [
            FederatedCredential(
                "backup", "backup, drift", GITHUB_ISSUER, f"{prefix}:ref:refs/heads/{branch}"
            ),
            FederatedCredential("backup", "review", GITHUB_ISSUER, f"{prefix}:pull_request"),
            FederatedCredential(
                "restore", "apply", GITHUB_ISSUER, f"{prefix}:environment:{RESTORE_ENVIRONMENT}"
            ),
        ]
    if ci == "gitlab":
        issuer = (values.issuer or "https://gitlab.com").rstrip("/")
        prefix = f"project_path:{project}:ref_type:branch:ref:"
        return [
            FederatedCredential("backup", "backup, drift", issuer, prefix + branch),
            # merge request pipelines run on their source branch: any branch, one flexible credential
            FederatedCredential(
                "backup", "review", issuer, f"claims['sub'] matches '{prefix}*'", flexible=True
            ),
            FederatedCredential("restore", "apply", issuer, prefix + GITLAB_APPLY_BRANCH),
        ]
    issuer = values.issuer or "https://vstoken.dev.azure.com/<organization id>"
    return [
        FederatedCredential(
            "backup", "backup, drift, review", issuer, f"sc://{project}/{values.service_connection}"
        ),
        FederatedCredential(
            "restore", "apply", issuer, f"sc://{project}/{values.restore_service_connection}"
        ),
    ]


_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")  # git@host:path


def project_from_remote(ci: str, url: str) -> tuple[str, str]:
    """(project as --ci-project wants it, the host) from a git remote URL, ssh or https:
    GitHub owner/repo, GitLab group/subgroup/project, Azure DevOps organization/project. UsageError when
    the URL is not one of `ci`'s."""
    _check_system(ci)
    url = url.strip()
    scp = _SCP.match(url) if "://" not in url else None
    if scp:
        host, path = scp["host"], scp["path"]
    else:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    segments = [unquote(p) for p in path.strip("/").removesuffix(".git").split("/") if p]
    if ci == "azure-devops":
        project = _azure_devops_project(host, segments)
    else:
        project = "/".join(segments) if len(segments) >= 2 else ""
        if ci == "github" and len(segments) != 2:
            project = ""
    if not project:
        raise UsageError(f"--ci {ci}: cannot tell the project from the remote {url!r}; pass --ci-project")
    return project, host


def _azure_devops_project(host: str, segments: list[str]) -> str:
    """organization/project from dev.azure.com/ORG/PROJECT/_git/REPO,
    ORG.visualstudio.com/[DefaultCollection/]PROJECT/_git/REPO or ssh.dev.azure.com:v3/ORG/PROJECT/REPO."""
    if host == "ssh.dev.azure.com" and len(segments) == 4 and segments[0] == "v3":
        return f"{segments[1]}/{segments[2]}"
    if "_git" not in segments:
        return ""
    before = segments[: segments.index("_git")]
    if host == "dev.azure.com" and len(before) == 2:
        return "/".join(before)
    if host.endswith(".visualstudio.com"):
        before = [s for s in before if s.lower() != "defaultcollection"]
        if len(before) == 1:
            return f"{host.split('.')[0]}/{before[0]}"
    return ""
