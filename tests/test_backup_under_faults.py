"""Backups while Graph fails at random (a seeded schedule of 5xx, 429 and dropped connections on every kind of
request, `$batch` parts included): whatever a run loses, each type's files are either exactly what they were
before it or exactly what a clean run of the same tenant writes, never a mix, and the next clean run
converges. This is the "no data loss" promise under the faults a scheduled job meets in a week of nights."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_backup import Env, _group_and_outsider, _quiet_user, git, make_repo

from entragit import catalog
from entragit.backup import BackupResult
from entragit.sandbox.server import Sandbox

# Each matches every request with a small chance of its own: with the tests' two retries, some requests
# get through after a retry and some types run out of retries, on the first page, a later page or a batch.
SCHEDULE: tuple[dict[str, Any], ...] = (
    {"status": 503, "probability": 0.12},
    {"status": 500, "probability": 0.06},
    {"status": 429, "retry_after": 0, "probability": 0.06},
    {"drop_connection": True, "probability": 0.04},
)

# One of these per seed, in the first faulted run (a full one): a failure no retry outlasts, where a
# half-read listing would hurt most (a later page of the users' delta round, a group's members or a service
# principal's assignments inside a `$batch`), with the type it must fail.
SURE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("users", {"match": r"/users/delta\?\$skiptoken", "status": 503, "after": 2}),  # page 4 of 4
    ("groups", {"match": r"/groups/[^/?]+/members", "status": 500}),
    ("servicePrincipals", {"match": r"/servicePrincipals/[^/?]+/appRoleAssignedTo", "status": 503}),
)

Trees = dict[str, dict[str, str]]  # type name -> {path: blob id}


def trees(root: Path, rev: str = "HEAD") -> Trees:
    """Each backed-up type's files at a commit, as blob ids (reports and config left out)."""
    out: Trees = {}
    for line in git(root, "ls-tree", "-r", rev).splitlines():
        meta, path = line.split("\t", 1)
        t = catalog.type_for_path(path)
        if t is not None:
            out.setdefault(t.name, {})[path] = meta.split()[2]
    return out


def change_tenant(e: Env, rng: random.Random) -> None:
    """A night's worth of edits of several kinds, chosen by the seed."""
    users = [e.load(p) for p in e.files(catalog.by_name("users"))]
    live_users = [u for u in users if not u.get("deletedDateTime") and not u.get("onPremisesSyncEnabled")]
    for u in rng.sample(live_users, 40):  # spread over every page of the users' round
        e.graph("PATCH", f"users/{u['id']}", {"department": f"Dept {rng.randrange(1000)}"})
    group, outsider = _group_and_outsider(e)
    e.graph("POST", f"groups/{group}/members/$ref", {"@odata.id": f"{e.box.graph_url}/v1.0/users/{outsider}"})
    e.graph("DELETE", f"users/{_quiet_user(e)['id']}")
    policy = e.load(e.files(catalog.by_name("conditionalAccessPolicies"))[0])
    e.graph(
        "PATCH",
        f"identity/conditionalAccess/policies/{policy['id']}",
        {"displayName": f"policy {rng.randrange(1000)}"},
    )


def inject(e: Env, seed: int, sure: dict[str, Any] | None = None) -> None:
    """The seed's random schedule (after `sure`, when given: the oldest matching fault wins)."""
    e.clear_faults()
    specs = [{"match": ".", "seed": seed * 10 + i, **f} for i, f in enumerate(SCHEDULE)]
    for spec in [sure, *specs] if sure else specs:
        r = e.http.post(f"{e.box.graph_url}/_sandbox/faults", json={**spec, "times": None})
        assert r.status_code == 201, r.text


def check_run(e: Env, r: BackupResult, before: Trees, reference: Trees) -> set[str]:
    """Every type is all-or-nothing; returns the types that failed."""
    failed = {name for name, summary in r.types.items() if summary.error}
    after = trees(e.root)
    for name in set(before) | set(reference) | set(after):
        expected = before if name in failed else reference
        assert after.get(name, {}) == expected.get(name, {}), (
            f"{name} ({'failed' if name in failed else 'succeeded'}) is neither its old nor its new state"
        )
    assert git(e.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (e.root / ".git/entragit/run.lock").exists()
    for error in r.errors:
        assert "\n" not in error and "Traceback" not in error, error
    assert {err.split(":")[0] for err in r.errors if not err.startswith("reports/")} == failed
    return failed


@pytest.fixture
def env(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> Iterator[Env]:
    box = sandbox_factory(users=800)  # several pages of users, groups with members, apps: every path
    e = Env(box, make_repo(tmp_path / "backup", box))
    yield e
    e.client.close()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_a_type_is_never_half_backed_up_whatever_fails(env: Env, tmp_path: Path, seed: int) -> None:
    assert env.backup().ok
    change_tenant(env, random.Random(seed))
    # What a clean run writes for this tenant state: the same repository, copied, backed up without faults.
    ref_root = tmp_path / "reference"
    shutil.copytree(env.root, ref_root, symlinks=True)
    ref = Env(env.box, ref_root)
    try:
        assert ref.backup().ok
    finally:
        ref.client.close()
    reference = trees(ref_root)
    assert reference != trees(env.root), "the edits changed no file: the test would prove nothing"

    sure_type, sure = SURE[seed % len(SURE)]
    for attempt in range(3):  # a type that failed is retried by the next run, under the same schedule
        inject(env, seed, sure if attempt == 0 else None)
        before = trees(env.root)
        r = env.backup(full=attempt == 0)  # the sure faults hit full reads; then incremental ones
        failed = check_run(env, r, before, reference)
        if attempt == 0:
            assert sure_type in failed
    env.clear_faults()
    r = env.backup()
    assert r.ok, r.errors
    assert trees(env.root) == reference
