"""Benchmark dangling references (entragit/repo/dangling.py) on bench_history.py's synthetic repository.

On top of its N objects × C commits (groups removed over time, 15% applications and service principals, whose
appId references name no application: the bulk of the holder files), one commit adds conditional access
policies naming removed groups, "All" and built-in role template ids. Then it times:

- `dangling.current` (what `status` and `report` add) with the history caches cold and warm, and `entragit
  status` warm;
- `dangling.news` for a backup run that removes one group a policy names and changes 1% of the users (what a
  backup adds before its commit).

Usage: python benchmarks/bench_dangling.py [--objects 100000] [--commits 100] [--dir DIR]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_history import synthetic_repository, timed

from entragit import canonical, catalog
from entragit.repo import dangling
from entragit.repo.reader import BackupRepo

POLICIES = 20
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def add_policies(repo: Path) -> tuple[list[str], str]:
    """CA policies naming removed groups and live ones; returns the removed groups named and a live group
    that one policy names (the group the simulated backup removes)."""
    ca, groups = catalog.by_name("conditionalAccessPolicies"), catalog.by_name("groups")
    removed = sorted(
        {
            line
            for line in git(
                repo, "log", "--diff-filter=D", "--name-only", "--format=", "--", "groups"
            ).split()
        }
    )
    gone_ids = [p.rsplit("/", 1)[-1].removesuffix(".yaml") for p in removed][:POLICIES]
    live = [p.rsplit("/", 1)[-1].removesuffix(".yaml") for p in git(repo, "ls-files", "groups").split()]
    for i in range(POLICIES):
        obj = {
            "id": f"{i:08d}-cccc-4000-8000-000000000000",
            "displayName": f"Policy {i}",
            "state": "enabled",
            "conditions": {
                "users": {
                    "includeUsers": ["All"],
                    "excludeGroups": [gone_ids[i % len(gone_ids)], live[i]] if gone_ids else [live[i]],
                    "includeRoles": [GLOBAL_ADMIN],
                },
                "applications": {"includeApplications": ["All", "00000003-0000-0000-c000-000000000000"]},
            },
        }
        path = repo / catalog.object_path(ca, obj["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(canonical.dump(canonical.canonicalize(ca, obj)), encoding="utf-8")
    (repo / "entragit.yaml").write_text("tenant_id: t\nclient_id: c\n", encoding="utf-8")
    git(repo, "add", "-A")
    if git(repo, "status", "--porcelain"):  # (a kept --dir has them already)
        git(
            repo,
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@x",
            "commit",
            "-q",
            "-m",
            "backup contoso: policies",
        )
    assert catalog.object_path(groups, live[0])
    return gone_ids, live[0]


def clock(label: str, fn: object) -> object:
    start = time.perf_counter()
    value = fn()  # type: ignore[operator]
    print(f"  {label:<58} {time.perf_counter() - start:6.2f} s")
    return value


def main() -> None:
    args, base, repo = synthetic_repository(__doc__, "dangling")
    try:
        gone_ids, live_group = add_policies(repo)
        files = git(repo, "ls-files").count("\n")
        print(f"repository: {files} files, {args.commits + 1} commits, {len(gone_ids)} removed groups named")
        cache = repo / ".git" / "entragit" / "history"
        shutil.rmtree(cache, ignore_errors=True)
        r = BackupRepo(repo)
        clock(
            "index + last-change map, cold (what status builds anyway)", lambda: (r.index(), r.last_changes())
        )
        clock("dangling.current, references cache cold", lambda: dangling.current(BackupRepo(repo)))
        found = clock("dangling.current, caches warm", lambda: dangling.current(BackupRepo(repo)))
        print(f"    {len(found)} dangling references")  # type: ignore[arg-type]
        wall, cpu = timed(repo, "status")
        print(f"  {'entragit status, warm':<58} {wall:6.2f} s (CPU {cpu:.2f} s)")

        groups, users = catalog.by_name("groups"), catalog.by_name("users")
        tracked = git(repo, "ls-files").split()
        removed = [catalog.object_path(groups, live_group)]
        changed = [p for p in tracked if p.startswith("users/")][: files // 100]
        written = {}  # users are no holders: a run hands over only holders' and appId owners' texts
        news = clock(
            "dangling.news: 1 group removed, 1% of users changed",
            lambda: dangling.news(BackupRepo(repo), tracked, removed, written, changed),
        )
        print(f"    {len(news)} new dangling references")  # type: ignore[arg-type]
        assert users
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
