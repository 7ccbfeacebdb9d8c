"""Benchmark: restore throughput against the write quota of the throttled sandbox.

    python benchmarks/bench_restore.py --users 1000 --groups 100 --linked-users 100 [--latency-ms 30]

Three scenarios, each a child `entragit restore` timed end to end (plan included):
- roll back N changed users: N cloud-only users get a new jobTitle and department through Graph after a
  backup; `restore --at <that backup>` puts them back (one PATCH each, sent through $batch);
- recreate G hard-deleted groups of 20 members: security groups created with 20 members, backed up, deleted
  and purged from deleted items (a cloud security group is soft-deleted since 2026), backed up;
  `restore --at HEAD~1` creates them anew and adds the members (members@odata.bind, 20 per write, batched).
- recreate U hard-deleted users each linked from 20 objects: U users created, each made a member of 15 of
  U * 15 / 20 security groups, an owner of 3 of them and an owner of 2 applications (U / 10 of them), backed
  up, deleted and purged from deleted items, backed up; `restore --at <the first backup>` of the users.
  The links are held by the groups and applications (inbound references): reports how many of the U * 20 a
  restore of the users alone brings back.
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

import yaml
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


LINKS_EACH = {"members": 15, "group owners": 3, "application owners": 2}  # 20 objects link to each user


def _link_plan(n: int) -> tuple[int, int, list[list[tuple[str, int, str]]]]:
    """For user i: (container kind, container index, relationship) of its 20 inbound links."""
    groups, apps = max(15, n * 15 // 20), max(2, n // 10)  # enough for 15 distinct groups each
    plan = []
    for i in range(n):
        links = [("groups", (i + k) % groups, "members") for k in range(LINKS_EACH["members"])]
        links += [("groups", (i * 3 + k) % groups, "owners") for k in range(LINKS_EACH["group owners"])]
        links += [("applications", (i + k) % apps, "owners") for k in range(LINKS_EACH["application owners"])]
        plan.append(links)
    return groups, apps, plan


def recreate_linked_users(info: dict[str, Any], env: dict[str, str], repo: Path, n: int) -> dict[str, Any]:
    client = graph_client(info)
    tag = uuid.uuid4().hex[:8]
    first = next(iter(client.list("users", {"$select": "userPrincipalName", "$top": "1"})))
    domain = str(first["userPrincipalName"]).rsplit("@", 1)[1]

    def create_user(i: int) -> str:
        body = {
            "accountEnabled": True,
            "displayName": f"bench linked {i}",
            "mailNickname": f"bl{tag}{i}",
            "userPrincipalName": f"bl{tag}{i}@{domain}",
            "passwordProfile": {
                "password": f"Bench-{uuid.uuid4().hex}!",
                "forceChangePasswordNextSignIn": True,
            },
        }
        return str((client.request("POST", "users", json=body) or {})["id"])

    def create_group(i: int) -> str:
        body = {
            "displayName": f"bench linked group {i}",
            "mailEnabled": False,
            "mailNickname": f"blg{tag}{i}",
            "securityEnabled": True,
        }
        return str((client.request("POST", "groups", json=body) or {})["id"])

    def create_app(i: int) -> str:
        return str(
            (client.request("POST", "applications", json={"displayName": f"bench app {i}"}) or {})["id"]
        )

    n_groups, n_apps, plan = _link_plan(n)
    users = client.map_concurrent(create_user, range(n))
    containers = {
        "groups": client.map_concurrent(create_group, range(n_groups)),
        "applications": client.map_concurrent(create_app, range(n_apps)),
    }
    links = [(kind, containers[kind][c], rel, users[i]) for i in range(n) for kind, c, rel in plan[i]]

    def add(link: tuple[str, str, str, str]) -> None:
        kind, cid, rel, uid = link
        ref = {"@odata.id": f"{client.base_url}/directoryObjects/{uid}"}
        client.request("POST", f"{kind}/{cid}/{rel}/$ref", json=ref)

    client.map_concurrent(add, links)
    _entragit(env, "backup", "--repo", str(repo))
    baseline = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    client.map_concurrent(lambda u: client.request("DELETE", f"users/{u}"), users)
    client.map_concurrent(lambda u: client.request("DELETE", f"directory/deletedItems/{u}"), users)
    _entragit(env, "backup", "--repo", str(repo))
    timed = _timed_restore(info, env, repo, baseline, users)
    successors = set(_idmap(repo).values())
    restored = sum(
        1
        for kind, cid, rel in {(k, cid, r) for k, cid, r, _ in links}
        for m in client.list(f"{kind}/{cid}/{rel}", {"$select": "id"})
        if m.get("id") in successors
    )
    client.close()
    return {
        "users": n,
        "links_each": sum(LINKS_EACH.values()),
        "containers": {"groups": n_groups, "applications": n_apps},
        "inbound_links": len(links),
        "inbound_links_restored": restored,
        **timed,
    }


def _idmap(repo: Path) -> dict[str, str]:
    path = repo / "idmap.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    return dict((data or {}).get("ids") or {})


def run(users: int, groups: int, linked: int, latency_ms: int) -> dict[str, Any]:
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
        print(json.dumps(results["recreate_groups"]), file=sys.stderr, flush=True)
        results["recreate_linked_users"] = recreate_linked_users(info, env, repo, linked)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=1000, help="changed users to roll back")
    ap.add_argument("--groups", type=int, default=100, help="hard-deleted groups of 20 members to recreate")
    ap.add_argument(
        "--linked-users",
        type=int,
        default=100,
        help="hard-deleted users linked from 20 objects each to recreate",
    )
    ap.add_argument("--latency-ms", type=int, default=30)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    print(json.dumps(run(args.users, args.groups, args.linked_users, args.latency_ms), indent=2))


if __name__ == "__main__":
    main()
