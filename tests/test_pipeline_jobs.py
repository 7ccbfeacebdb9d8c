"""Every job of every generated pipeline, run as its CI system runs it (tests/ci_jobs.py) against the sandbox,
as a new admin meets them: `entragit init --ci SYSTEM`, the daily backup, a pull/merge request that turns a
conditional access policy off (the review shows what apply will do and changes nothing), one with an edit
apply refuses (the review fails), the merge and the approved apply (the tenant changes), the drift alert,
and the fleet pipeline.

The tenant has two apps, as the README sets them up: a read-only backup app and the restore app. Each trusts
exactly the federated credentials `init` printed, so a job signs in only with the app its subject names.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import live_helpers
from ci_jobs import AzureDevOps, GitHub, GitLab, GitLabCiLocal, Machine, token, tool
from click.testing import CliRunner
from gitcmd import git as _git
from github_oidc import github_oidc

from entragit import permissions, pipelines
from entragit.cli import cli
from entragit.sandbox.assertions import ClientCredentials, FederatedCredential
from entragit.sandbox.server import Sandbox

BACKUP_APP = "b1b1b1b1-0000-4000-8000-00000000b0b0"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Admin",
    "GIT_AUTHOR_EMAIL": "admin@contoso.test",
    "GIT_COMMITTER_NAME": "Admin",
    "GIT_COMMITTER_EMAIL": "admin@contoso.test",
}


def git(root: Path, *args: str) -> str:
    return _git(root, *args, env=IDENTITY).strip()


@dataclass
class World:
    tmp: Path
    box: Sandbox
    origin: Path  # the hosted repository
    admin: Path  # the admin's clone
    values: pipelines.CiValues
    init_output: str

    def clone(self, name: str, ref: str = "main") -> Path:
        path = self.tmp / name
        git(self.tmp, "clone", "-q", str(self.origin), str(path))
        git(path, "checkout", "-q", "--detach", ref)  # CI systems check out a commit
        return path

    def merged(self, name: str, branch: str) -> Path:
        """The checkout of a pull request: its branch merged into the default branch (GitHub's
        refs/pull/N/merge, Azure Repos' merge commit)."""
        path = self.clone(name)
        git(path, "merge", "-q", "--no-ff", f"origin/{branch}", "-m", f"Merge {branch} into main")
        return path

    def sha(self, ref: str) -> str:
        return git(self.origin, "rev-parse", ref)

    def register(self, app: str, creds: list[tuple[str, str]]) -> None:
        self.box.authority.credentials[app] = ClientCredentials(
            federated=[
                FederatedCredential(issuer, subject, (pipelines.AUDIENCE,)) for issuer, subject in creds
            ]
        )

    def policy(self) -> tuple[str, str]:
        """(repository path, id) of an enabled conditional access policy of the latest backup."""
        git(self.admin, "fetch", "-q", "origin")
        git(self.admin, "checkout", "-q", "-B", "main", "origin/main")
        for path in sorted((self.admin / "identity/conditionalAccess/policies").glob("*.yaml")):
            if "\nstate: enabled\n" in path.read_text():
                return str(path.relative_to(self.admin)), path.stem
        raise AssertionError("the demo tenant has no enabled conditional access policy")

    def live_state(self, policy_id: str) -> str:
        client = live_helpers.client_for(self.box)
        return str(client.get(f"identity/conditionalAccess/policies/{policy_id}")["state"])

    def pull_request(self, branch: str, path: str, old: str, new: str, message: str) -> None:
        git(self.admin, "fetch", "-q", "origin")
        git(self.admin, "checkout", "-q", "-B", branch, "origin/main")
        file = self.admin / path
        assert old in file.read_text()
        file.write_text(file.read_text().replace(old, new, 1))
        git(self.admin, "commit", "-qam", message)
        git(self.admin, "push", "-q", "origin", branch)

    def merge(self, branch: str) -> tuple[str, str]:
        """Merge the pull request on the host; (main before, main after)."""
        before = self.sha("main")
        git(self.admin, "checkout", "-q", "-B", "main", "origin/main")
        git(self.admin, "pull", "-q", "origin", "main")
        git(self.admin, "merge", "-q", "--no-ff", branch, "-m", f"Merge {branch}")
        git(self.admin, "push", "-q", "origin", "main")
        return before, self.sha("main")

    def drift_the_tenant(self) -> None:
        client = live_helpers.client_for(self.box)
        user = client.get("users", params={"$top": "1"})["value"][0]
        client.request("PATCH", f"users/{user['id']}", json={"jobTitle": "Changed Outside Git"})


def _world(tmp: Path, box: Sandbox, system: str, project: str, *extra: str) -> World:
    """A tenant with a read-only backup app beside the restore app, and a repository that `init --ci`
    made, pushed to its host."""
    box.add_client(BACKUP_APP, permissions=permissions.required_permissions())
    origin = tmp / "origin.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(origin))
    git(origin, "config", "receive.advertisePushOptions", "true")  # GitLab takes `-o ci.skip`
    admin = tmp / "admin"
    result = CliRunner().invoke(
        cli,
        [
            *("init", "--repo", str(admin), "--tenant-id", box.tenant_id),
            *("--client-id", BACKUP_APP, "--restore-client-id", box.client_id),
            *("--ci", system, "--ci-project", project, "--branch", "main", *extra),
        ],
    )
    assert result.exit_code == 0, result.output
    git(admin, "branch", "-M", "main")
    git(admin, "remote", "add", "origin", str(origin))
    git(admin, "push", "-q", "origin", "main")
    # an attribution note a backup wrote before: every backup job must carry it on, not lose it
    git(admin, "notes", "--ref=entragit-audit", "add", "-m", "entragit.yaml: Admin <admin@contoso.test>")
    git(admin, "push", "-q", "origin", "refs/notes/entragit-audit")
    values = pipelines.CiValues(
        box.tenant_id, BACKUP_APP, box.client_id, project, issuer=_flag(extra, "--ci-issuer")
    )
    return World(tmp, box, origin, admin, values, result.output)


def _flag(args: tuple[str, ...], name: str) -> str:
    return args[args.index(name) + 1] if name in args else ""


def _printed(world: World, system: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(app, jobs) → (issuer, subject) of each credential, as `init` printed it."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for cred in pipelines.federated_credentials(system, world.values):
        assert f"({cred.jobs}): issuer {cred.issuer}" in world.init_output
        assert cred.subject in world.init_output
        out[(cred.app, cred.jobs)] = (cred.issuer, cred.subject)
    return out


def _assert_backup(world: World, workspace: Path) -> None:
    log = git(world.origin, "log", "--format=%s", "main")
    assert log.splitlines()[0] == "report" and log.splitlines()[1].startswith("backup ")
    assert git(world.origin, "ls-tree", "--name-only", "main", "report/").startswith("report/")
    # the note of the init commit came down with the job and is still on the host
    first = git(world.origin, "rev-list", "--max-parents=0", "main")
    assert "Admin" in git(world.origin, "notes", "--ref=entragit-audit", "show", first)
    assert "Admin" in git(workspace, "notes", "--ref=entragit-audit", "show", first)


def _assert_review(run_summary: str, policy_path: str) -> None:
    assert "entragit review: what apply will do after the merge" in run_summary
    assert policy_path in run_summary and "state" in run_summary and "disabled" in run_summary
    assert "dry run: nothing written" in run_summary


# ---------------------------------------------------------------------------------------------- GitHub


def test_github_pipelines(tmp_path: Path, sandbox: Sandbox) -> None:
    world = _world(tmp_path, sandbox, "github", "contoso/tenant-backup")
    creds = _printed(world, "github")
    issuer = pipelines.GITHUB_ISSUER
    fleet_subject = "repo:msp/central:ref:refs/heads/main"
    world.register(
        BACKUP_APP, [creds["backup", "backup, drift"], creds["backup", "review"], (issuer, fleet_subject)]
    )
    world.register(sandbox.client_id, [creds["restore", "apply"]])
    workflows = world.admin / ".github/workflows"
    machine = Machine(tmp_path, sandbox)
    repository = {"default_branch": "main"}
    with github_oidc(subject=creds["backup", "backup, drift"][1]) as oidc:
        env = oidc.env()

        # the daily backup
        workspace = world.clone("backup", "main")
        git(workspace, "checkout", "-q", "main")  # actions/checkout of a branch push leaves the branch
        backup = GitHub(machine, workflows / "entragit-backup.yml").run(
            "backup",
            workspace,
            {"github": {"event": {"repository": repository}}, "inputs": {}, "vars": {}},
            env,
        )
        assert backup.code == 0, backup.log
        assert backup.summary.startswith("## entragit backup") and "### Changed objects" in backup.summary
        _assert_backup(world, workspace)

        # a pull request that turns a policy off: the review shows it, the tenant is untouched
        path, policy_id = world.policy()
        world.pull_request(
            "policy-off", path, "\nstate: enabled\n", "\nstate: disabled\n", "Turn the policy off"
        )
        review_flow = GitHub(machine, workflows / "entragit-review.yml")
        assert "pull_request" in review_flow.triggers()
        oidc.subject = creds["backup", "review"][1]
        pr = {"github": {"event": {"pull_request": {"base": {"sha": world.sha("main")}, "number": 7}}}}
        review = review_flow.run("review", world.merged("pr", "policy-off"), pr, env)
        assert review.code == 0, review.log
        _assert_review(review.summary, path)
        assert f"gh pr comment 7 --edit-last --body-file {machine.tmp}" in machine.calls.read_text()
        assert world.live_state(policy_id) == "enabled"

        # a pull request that edits a read-only property: the review fails and says why
        world.pull_request("bad-edit", path, "id: ", "id: 0", "Edit the id")
        bad = review_flow.run("review", world.merged("pr-bad", "bad-edit"), pr, env)
        assert bad.code == 1 and "apply would refuse or fail (exit 1)" in bad.summary and path in bad.summary

        # the merge, then the apply behind the environment's reviewers
        before, after = world.merge("policy-off")
        apply_flow = GitHub(machine, workflows / "entragit-apply.yml")
        push = {"github": {"event": {"before": before}, "sha": after}}
        changes = apply_flow.run("changes", world.clone("changes", after), push, env)
        assert changes.code == 0 and changes.outputs["files"].split() == [path], changes.log
        needs = {**push, "needs": {"changes": {"outputs": changes.outputs}}}
        # the backup app's subject cannot sign in as the restore app
        denied = apply_flow.run("apply", world.clone("apply-denied", after), needs, env)
        assert denied.code == 1 and "AADSTS700213" in denied.log
        assert world.live_state(policy_id) == "enabled"
        oidc.subject = creds["restore", "apply"][1]
        applied = apply_flow.run("apply", world.clone("apply", after), needs, env)
        assert applied.code == 0, applied.log
        assert "Restored: 1 of 1 actions done" in applied.summary
        assert world.live_state(policy_id) == "disabled"

        # the drift alert: none, then a change made outside git
        oidc.subject = creds["backup", "backup, drift"][1]
        drift_flow = GitHub(machine, workflows / "entragit-drift.yml")
        drift = drift_flow.run("drift", world.clone("drift", "main"), {}, env)
        assert drift.code == 0 and "## entragit drift: none" in drift.summary, drift.log
        world.drift_the_tenant()
        drift = drift_flow.run("drift", world.clone("drift2", "main"), {}, env)
        assert drift.code == 3 and "the tenant drifted from the latest backup" in drift.summary

        # the fleet workflow of an MSP's central repository, with this tenant in tenants.json
        oidc.subject = fleet_subject
        fleet = GitHub(machine, pipelines.templates_dir() / "github/entragit-fleet.yml")
        central = tmp_path / "central"
        central.mkdir()
        tenants = [
            {"name": "contoso", "tenant_id": sandbox.tenant_id, "client_id": BACKUP_APP, "repository": "x/y"}
        ]
        (central / "tenants.json").write_text(json.dumps(tenants))
        listed = fleet.run("tenants", central, {}, env)
        assert listed.code == 0, listed.log
        (matrix,) = json.loads(listed.outputs["matrix"])["include"]
        git(tmp_path, "clone", "-q", str(world.origin), str(central / "backup"))
        tenant_job = fleet.run("backup", central, {"matrix": matrix}, env)
        assert tenant_job.code == 0, tenant_job.log
        assert git(world.origin, "log", "-1", "--format=%s", "main").startswith(("backup ", "report"))
        summary_dir = tmp_path / "summary"
        shutil.copytree(central / "status", summary_dir / "status")
        fleet_summary = fleet.run("summary", summary_dir, {}, env)
    assert fleet_summary.code == 0, fleet_summary.log
    assert "TENANT" in fleet_summary.summary and "contoso" in fleet_summary.summary.lower()


# ---------------------------------------------------------------------------------------------- GitLab


GITLAB_PROJECT = "https://gitlab.test/contoso/tenant-backup.git"
GITLAB_JOB_TOKEN = "glcbt-job-token"
GITLAB_SUBJECT = "project_path:contoso/tenant-backup:ref_type:branch:ref:"  # + the branch
GITLAB_CENTRAL = "project_path:msp/central:ref_type:branch:ref:main"
GITLAB_VARIABLES = {
    "CI_DEFAULT_BRANCH": "main",
    "CI_PROJECT_PATH": "contoso/tenant-backup",
    "CI_SERVER_HOST": "gitlab.test",
    "CI_JOB_TOKEN": GITLAB_JOB_TOKEN,
}


def _gitlab_world(tmp: Path, box: Sandbox) -> tuple[World, dict[tuple[str, str], tuple[str, str]], Machine]:
    """A project that `init --ci gitlab` made, its apps trusting the subjects `init` printed, and a runner
    machine whose git reaches the project with the job token."""
    world = _world(tmp, box, "gitlab", "contoso/tenant-backup")
    creds = _printed(world, "gitlab")
    issuer, main_subject = creds["backup", "backup, drift"]
    assert creds["backup", "review"][1] == f"claims['sub'] matches '{GITLAB_SUBJECT}*'"
    # The sandbox matches subjects exactly (no flexible credentials): it trusts the branches the review
    # runs on here, as the expression would.
    reviewed = [(issuer, GITLAB_SUBJECT + branch) for branch in ("policy-off", "bad-edit")]
    world.register(BACKUP_APP, [(issuer, main_subject), *reviewed, (issuer, GITLAB_CENTRAL)])
    world.register(box.client_id, [creds["restore", "apply"]])
    git(world.admin, "push", "-q", "origin", f"main:{pipelines.GITLAB_APPLY_BRANCH}")  # made once, protected
    hosted = GITLAB_PROJECT.replace("https://", f"https://gitlab-ci-token:{GITLAB_JOB_TOKEN}@")
    return world, creds, Machine(tmp, box, {hosted: world.origin})


def _merge_request(world: World) -> dict[str, str]:
    """The variables of a merge request pipeline into the default branch, besides the project's."""
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": world.sha("main"),
        "CI_COMMIT_BRANCH": "",
    }


def test_gitlab_pipelines(tmp_path: Path, sandbox: Sandbox) -> None:
    world, creds, machine = _gitlab_world(tmp_path, sandbox)
    issuer, main_subject = creds["backup", "backup, drift"]
    prefix, base = GITLAB_SUBJECT, GITLAB_VARIABLES
    pipeline = GitLab(machine, world.admin / ".gitlab-ci.yml")
    schedule = {**base, "CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"}
    assert pipeline.selected("drift", schedule) == "never" and pipeline.selected("apply", schedule) == "never"
    assert (
        pipeline.selected("backup", {**schedule, "CI_COMMIT_BRANCH": pipelines.GITLAB_APPLY_BRANCH})
        == "never"
    )

    workspace = world.clone("backup", "main")
    backup = pipeline.run("backup", workspace, schedule, token(issuer, main_subject))
    assert backup.code == 0, backup.log
    assert "## entragit backup" in (workspace / "entragit-summary.md").read_text()
    _assert_backup(world, workspace)

    # a merge request: the review job plans it, the tenant is untouched
    path, policy_id = world.policy()
    world.pull_request("policy-off", path, "\nstate: enabled\n", "\nstate: disabled\n", "Turn the policy off")
    mr = {**base, **_merge_request(world)}
    assert pipeline.selected("backup", mr) == "never" and pipeline.selected("apply", mr) == "never"
    review_ws = world.clone("review", "origin/policy-off")
    review = pipeline.run("review", review_ws, mr, token(issuer, prefix + "policy-off"))
    assert review.code == 0, review.log
    _assert_review((review_ws / "entragit-review.md").read_text(), path)
    assert "entragit review: what apply will do" in review.log
    assert world.live_state(policy_id) == "enabled"
    world.pull_request("bad-edit", path, "id: ", "id: 0", "Edit the id")
    bad_ws = world.clone("review-bad", "origin/bad-edit")
    bad = pipeline.run("review", bad_ws, mr, token(issuer, prefix + "bad-edit"))
    assert bad.code == 1 and "apply would refuse or fail" in (bad_ws / "entragit-review.md").read_text()

    # merged to main: nothing is applied from main; promoted to the apply branch: the manual apply job
    world.merge("policy-off")
    push_main = {**base, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
    assert pipeline.selected("apply", push_main) == "never"
    before = world.sha(pipelines.GITLAB_APPLY_BRANCH)
    git(world.admin, "push", "-q", "origin", f"main:{pipelines.GITLAB_APPLY_BRANCH}")
    after = world.sha(pipelines.GITLAB_APPLY_BRANCH)
    promoted = {
        **base,
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": pipelines.GITLAB_APPLY_BRANCH,
        "CI_COMMIT_BEFORE_SHA": before,
        "CI_COMMIT_SHA": after,
    }
    # a job on the default branch cannot sign in as the restore app
    denied = pipeline.run("apply", world.clone("apply-denied", after), promoted, token(issuer, main_subject))
    assert denied.code != 0 and "AADSTS700213" in denied.log
    applied = pipeline.run(
        "apply", world.clone("apply", after), promoted, token(issuer, *creds["restore", "apply"][1:])
    )
    assert applied.ran == ["manual"]
    assert applied.code == 0 and f"changed object files: {path}" in applied.log, applied.log
    assert world.live_state(policy_id) == "disabled"

    drift_vars = {**schedule, "ENTRAGIT_JOB": "drift"}
    assert pipeline.selected("backup", drift_vars) == "never"
    drift_ws = world.clone("drift", "main")
    drift = pipeline.run("drift", drift_ws, drift_vars, token(issuer, main_subject))
    assert drift.code == 0 and "## entragit drift: none" in drift.log, drift.log
    world.drift_the_tenant()
    drift = pipeline.run("drift", world.clone("drift2", "main"), drift_vars, token(issuer, main_subject))
    assert drift.code == 3 and "the tenant drifted" in drift.log

    # the fleet pipeline of a central project, with this tenant in tenants.gitlab-ci.yml
    fleet_remote = f"https://gitlab-ci-token:{GITLAB_JOB_TOKEN}@gitlab.test/contoso/fleet-copy.git"
    machine.remotes[fleet_remote] = world.origin
    templates = pipelines.templates_dir() / "gitlab"
    fleet = GitLab(machine, templates / "entragit-fleet.gitlab-ci.yml", templates / "tenants.gitlab-ci.yml")
    matrix = {
        "TENANT": "contoso",
        "AZURE_TENANT_ID": sandbox.tenant_id,
        "AZURE_CLIENT_ID": BACKUP_APP,
        "BACKUP_PROJECT": "contoso/fleet-copy",
    }
    assert set(fleet.job("backup")["parallel"]["matrix"][0]) == set(matrix)
    central_ws = tmp_path / "central"
    central_ws.mkdir()
    web = {**base, "CI_PIPELINE_SOURCE": "web", "CI_PROJECT_PATH": "msp/central"}
    tenant_job = fleet.run("backup", central_ws, web, token(issuer, GITLAB_CENTRAL), matrix)
    assert tenant_job.code == 0, tenant_job.log
    summary = fleet.run("summary", central_ws, web, "")
    assert summary.code == 0, summary.log
    assert "contoso" in (central_ws / "entragit-fleet.txt").read_text().lower()


def test_gitlab_pipelines_under_gitlab_ci_local(tmp_path: Path, sandbox: Sandbox) -> None:
    """The scheduled pipeline and a merge request's as gitlab-ci-local runs them: its own reading of
    `rules`, `extends`, variables and scripts, not tests/ci_jobs.py's; shell executor, no network."""
    command = tool("gitlab-ci-local")
    world, creds, machine = _gitlab_world(tmp_path, sandbox)
    runner = GitLabCiLocal(machine, command)
    issuer, main_subject = creds["backup", "backup, drift"]

    def checkout(name: str, ref: str) -> Path:
        workspace = world.clone(name, ref)
        git(workspace, "remote", "set-url", "origin", GITLAB_PROJECT)
        return workspace

    workspace = checkout("backup", "main")
    schedule = {
        "CI_JOB_TOKEN": GITLAB_JOB_TOKEN,
        "CI_PIPELINE_SOURCE": "schedule",
        "CI_COMMIT_BRANCH": "main",
    }
    backup = runner.run(workspace, schedule, token(issuer, main_subject))
    assert backup.code == 0 and backup.ran == ["backup"], backup.log
    assert "## entragit backup" in backup.log and "users: added " in backup.log
    _assert_backup(world, workspace)

    path, policy_id = world.policy()
    world.pull_request("policy-off", path, "\nstate: enabled\n", "\nstate: disabled\n", "Turn the policy off")
    mr = {"CI_JOB_TOKEN": GITLAB_JOB_TOKEN, **_merge_request(world)}
    review = runner.run(
        checkout("review", "origin/policy-off"), mr, token(issuer, GITLAB_SUBJECT + "policy-off")
    )
    assert review.code == 0 and review.ran == ["review"], review.log
    _assert_review(review.log, path)
    assert world.live_state(policy_id) == "enabled"


# ---------------------------------------------------------------------------------------- Azure DevOps


def test_azure_devops_pipelines(tmp_path: Path, sandbox: Sandbox) -> None:
    issuer = "https://vstoken.dev.azure.com/0e3b7c53-1b5f-4d0e-9d4a-5f9a2b7c1e20"
    world = _world(tmp_path, sandbox, "azure-devops", "contoso/IT", "--ci-issuer", issuer)
    creds = _printed(world, "azure-devops")
    fleet_subject = "sc://contoso/IT/entragit-backup-contoso"
    world.register(BACKUP_APP, [creds["backup", "backup, drift, review"], (issuer, fleet_subject)])
    world.register(sandbox.client_id, [creds["restore", "apply"]])

    def connection(name: str, app: str) -> dict[str, str]:
        subject = f"sc://contoso/IT/{name}"
        return {
            "name": name,
            "idToken": token(issuer, subject),
            "servicePrincipalId": app,
            "tenantId": sandbox.tenant_id,
        }

    backup_conn = connection("entragit-backup", BACKUP_APP)
    machine = Machine(tmp_path, sandbox)
    azure_pipelines = world.admin / ".azure-pipelines"

    workspace = world.clone("backup", "main")
    backup = AzureDevOps(machine, azure_pipelines / "entragit-backup.yml").run(
        "backup", workspace, backup_conn, {"ENTRAGIT_REVIEW": "False"}
    )
    assert backup.code == 0, backup.log
    assert backup.summary.startswith("## entragit backup")
    _assert_backup(world, workspace)

    path, policy_id = world.policy()
    world.pull_request("policy-off", path, "\nstate: enabled\n", "\nstate: disabled\n", "Turn the policy off")
    review_pipeline = AzureDevOps(machine, azure_pipelines / "entragit-review.yml")
    review = review_pipeline.run("review", world.merged("pr", "policy-off"), backup_conn)
    assert review.code == 0, review.log
    _assert_review(review.summary, path)
    assert world.live_state(policy_id) == "enabled"
    world.pull_request("bad-edit", path, "id: ", "id: 0", "Edit the id")
    bad = review_pipeline.run("review", world.merged("pr-bad", "bad-edit"), backup_conn)
    assert bad.code == 1 and "apply would refuse or fail" in bad.summary

    _, after = world.merge("policy-off")
    apply_pipeline = AzureDevOps(machine, azure_pipelines / "entragit-apply.yml")
    changes = apply_pipeline.run("files", world.clone("changes", after), None)
    assert changes.code == 0 and changes.outputs["FILES"].split() == [path], changes.log
    # the backup connection's token cannot sign in as the restore app
    denied = apply_pipeline.run(
        "apply",
        world.clone("apply-denied", after),
        {**backup_conn, "name": "entragit-restore", "servicePrincipalId": sandbox.client_id},
        stage_variables={"FILES": changes.outputs["FILES"]},
    )
    assert denied.code == 1 and "AADSTS700213" in denied.log
    applied = apply_pipeline.run(
        "apply",
        world.clone("apply", after),
        connection("entragit-restore", sandbox.client_id),
        stage_variables={"FILES": changes.outputs["FILES"]},
    )
    assert applied.code == 0 and "Restored: 1 of 1 actions done" in applied.summary, applied.log
    assert world.live_state(policy_id) == "disabled"

    drift_pipeline = AzureDevOps(machine, azure_pipelines / "entragit-drift.yml")
    drift = drift_pipeline.run("drift", world.clone("drift", "main"), backup_conn)
    assert drift.code == 0 and "## entragit drift: none" in drift.summary, drift.log
    world.drift_the_tenant()
    drift = drift_pipeline.run("drift", world.clone("drift2", "main"), backup_conn)
    assert drift.code == 3 and "the tenant drifted" in drift.summary

    fleet = AzureDevOps(machine, pipelines.templates_dir() / "azure-devops/entragit-fleet.yml")
    tenant = {
        "name": "contoso",
        "serviceConnection": "entragit-backup-contoso",
        "repository": "tenant-backup",
    }
    pipeline_ws = tmp_path / "fleet-agent"
    pipeline_ws.mkdir()
    git(tmp_path, "clone", "-q", str(world.origin), str(pipeline_ws / "backup"))
    fleet_conn = {**connection("entragit-backup-contoso", BACKUP_APP)}
    tenant_job = fleet.run("backup", pipeline_ws / "backup", fleet_conn, template=tenant)
    assert tenant_job.code == 0, tenant_job.log
    (staged,) = tmp_path.glob("agent-backup-*/staging/status/contoso.json")
    summary_ws = tmp_path / "summary-agent"
    (summary_ws / "status-contoso").mkdir(parents=True)
    (summary_ws / "s").mkdir()
    shutil.copy(staged, summary_ws / "status-contoso")
    summary = fleet.run("summary", summary_ws / "s", None, {"Pipeline.Workspace": str(summary_ws)})
    assert summary.code == 0, summary.log
    assert "contoso" in summary.summary.lower()
