"""Benchmark: restore throughput against the write quota of the throttled sandbox.

    python benchmarks/bench_restore.py --users 1000 --groups 100 [--latency-ms 30]

Two scenarios, each a child `entragit restore` timed end to end (plan included):
- roll back N changed users: N cloud-only users get a new jobTitle and department through Graph after a
  backup; `restore --at <that backup>` puts them back (one PATCH each, sent through $batch);
- recreate G hard-deleted groups of 20 members: security groups created with 20 members, backed up, deleted
  and purged from deleted items (a cloud security group is soft-deleted since 2026), backed up;
  `restore --at HEAD~1` creates them anew and adds the members (members@odata.bind, 20 per write, batched).
Each reports its writes (as the sandbox counted them), wall time, writes per second and that rate as a
fraction of Graph's write quota per app (3,000 writes per 150 s = 20 per second; docs/graph.md, Throttling).
The issue's target: 1,000 users in at most 63 s (80% of the quota).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench_backup import ENTRAGIT, env_for, graph_client, init_repo, start_sandbox, stats, stop

QUOTA_PER_S = 3000 / 150
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def _writes(before: dict[str, Any], after: dict[str, Any]) -> int:
    def count(s: dict[str, Any]) -> int:
        return sum(n for k, n in s["by_path"].items() if k.split()[0] in WRITE_METHODS and "$batch" not in k)

    return count(after) - count(before)


def _entragit(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*ENTRAGIT, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"entragit {args[0]} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return done.stdout


def _timed_restore(
    info: dict[str, Any], env: dict[str, str], repo: Path, at: str, ids: list[str]
) -> dict[str, Any]:
    before = stats(info)
    t0 = time.monotonic()
    out = _entragit(
        env, "restore", "--repo", str(repo), "--yes", "--allow-privileged", "--at", at, "--", *ids
    )
    seconds = time.monotonic() - t0
    after = stats(info)
    writes = _writes(before, after)
    rate = writes / seconds if seconds else 0.0
    return {
        "seconds": round(seconds, 2),
        "writes": writes,
        "batches": after["batches"] - before["batches"],
        "throttled": after["throttled"] - before["throttled"],
        "writes_per_second": round(rate, 1),
        "fraction_of_write_quota": round(rate / QUOTA_PER_S, 2),
        "summary": out.strip().splitlines()[-1] if out.strip() else "",
    }


def roll_back_users(info: dict[str, Any], env: dict[str, str], repo: Path, n: int) -> dict[str, Any]:
    client = graph_client(info)
    listed = client.list("users", {"$select": "id,onPremisesSyncEnabled,userType", "$top": "999"})
    users = [u["id"] for u in listed if not u.get("onPremisesSyncEnabled") and u.get("userType") == "Member"]
    if len(users) < n:
        raise SystemExit(f"the sandbox has {len(users)} cloud-only members, fewer than --users {n}")
    users = users[:n]

    def change(uid: str) -> None:
        client.request("PATCH", f"users/{uid}", json={"jobTitle": "bench changed", "department": "bench"})

    client.map_concurrent(change, users)
    client.close()
    return {"users": len(users), **_timed_restore(info, env, repo, "HEAD", users)}


def recreate_groups(info: dict[str, Any], env: dict[str, str], repo: Path, n: int) -> dict[str, Any]:
    client = graph_client(info)
    listed = client.list("users", {"$select": "id,userType", "$top": "999"})
    members = [u["id"] for u in listed if u.get("userType") == "Member"]

    def create(i: int) -> str:
        chosen = [members[(i * 20 + k) % len(members)] for k in range(20)]
        body = {
            "displayName": f"bench group {i}",
            "mailEnabled": False,
            "mailNickname": f"bench-{uuid.uuid4().hex[:10]}",
            "securityEnabled": True,
            "visibility": "Private",
            "members@odata.bind": [f"{client.base_url}/directoryObjects/{m}" for m in chosen],
        }
        return str((client.request("POST", "groups", json=body) or {})["id"])

    groups = client.map_concurrent(create, range(n))
    _entragit(env, "backup", "--repo", str(repo))
    client.map_concurrent(lambda g: client.request("DELETE", f"groups/{g}"), groups)
    # A cloud security group is soft-deleted since 2026 (group-delete.md): purged, so that it is recreated.
    client.map_concurrent(lambda g: client.request("DELETE", f"directory/deletedItems/{g}"), groups)
    client.close()
    _entragit(env, "backup", "--repo", str(repo))
    return {"groups": len(groups), "members_each": 20, **_timed_restore(info, env, repo, "HEAD~1", groups)}


def run(users: int, groups: int, latency_ms: int) -> dict[str, Any]:
    # About a fifth of the sandbox's users are synced from on-premises or guests: seed enough cloud members.
    proc, info = start_sandbox(users * 5 // 4 + 100, latency_ms, [])
    workdir = Path(tempfile.mkdtemp(prefix="entragit-bench-restore-"))
    repo = workdir / "repo"
    results: dict[str, Any] = {"latency_ms": latency_ms, "write_quota_per_second": QUOTA_PER_S}
    try:
        env = env_for(info)
        init_repo(info, env, repo)
        _entragit(env, "backup", "--repo", str(repo))
        results["roll_back_users"] = roll_back_users(info, env, repo, users)
        print(json.dumps(results["roll_back_users"]), file=sys.stderr, flush=True)
        results["recreate_groups"] = recreate_groups(info, env, repo, groups)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=1000, help="changed users to roll back")
    ap.add_argument("--groups", type=int, default=100, help="hard-deleted groups of 20 members to recreate")
    ap.add_argument("--latency-ms", type=int, default=30)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    print(json.dumps(run(args.users, args.groups, args.latency_ms), indent=2))


if __name__ == "__main__":
    main()
