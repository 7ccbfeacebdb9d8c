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

from entragit.errors import EntragitError, UsageError

CI_SYSTEMS = ("github", "azure-devops", "gitlab")
AUDIENCE = "api://AzureADTokenExchange"
RESTORE_ENVIRONMENT = "entragit-restore"  # the environment every apply template runs in
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"

# (template under templates/, path in the backup repository) per CI system. The fleet pipelines belong in an
# MSP's central repository, not in one tenant's, so init does not write them.
_FILES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "github": tuple(
        (f"github/entragit-{name}.yml", f".github/workflows/entragit-{name}.yml")
        for name in ("backup", "drift", "apply")
    ),
    "azure-devops": tuple(
        (f"azure-devops/entragit-{name}.yml", f".azure-pipelines/entragit-{name}.yml")
        for name in ("backup", "drift", "apply")
    ),
    "gitlab": (("gitlab/.gitlab-ci.yml", ".gitlab-ci.yml"),),
}
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


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
    package: str = "entragit"  # what `pip install` is given
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
        }


@dataclass(frozen=True)
class FederatedCredential:
    app: str  # "backup" or "restore"
    issuer: str
    subject: str
    audience: str = AUDIENCE


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
    """The federated identity credential each app registration needs for the pipelines of `ci`."""
    _check_system(ci)
    if ci == "github":
        return [
            FederatedCredential(
                "backup", GITHUB_ISSUER, f"repo:{values.project}:ref:refs/heads/{values.branch}"
            ),
            FederatedCredential(
                "restore", GITHUB_ISSUER, f"repo:{values.project}:environment:{RESTORE_ENVIRONMENT}"
            ),
        ]
    if ci == "gitlab":
        # GitLab's subject names the branch, not the environment: both apps trust jobs on the default branch
        # (protect it, and the entragit-restore environment).
        issuer = (values.issuer or "https://gitlab.com").rstrip("/")
        subject = f"project_path:{values.project}:ref_type:branch:ref:{values.branch}"
        return [
            FederatedCredential("backup", issuer, subject),
            FederatedCredential("restore", issuer, subject),
        ]
    issuer = values.issuer or "https://vstoken.dev.azure.com/<organization id>"
    return [
        FederatedCredential("backup", issuer, f"sc://{values.project}/{values.service_connection}"),
        FederatedCredential("restore", issuer, f"sc://{values.project}/{values.restore_service_connection}"),
    ]
