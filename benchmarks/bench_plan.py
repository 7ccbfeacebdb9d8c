"""Benchmark: a whole-tenant `entragit plan` against the full backup it compares with, and `plan OBJECT`.

    python benchmarks/bench_plan.py --users 100000 [--latency-ms 30] [--change 0.01]

Starts the throttled sandbox, makes a full backup (timed), changes a fraction of the objects through Graph,
then times, each in a child process: a whole-tenant `plan --json` (it reads what the backup read, so the
issue's target is at most 1.2x the backup's wall time) and `plan OBJECT` of one user (target: under 2 s,
sign-in included). Prints wall time, Graph requests and resource units of each, the ratio plan/backup and
whether the plan found every changed object, and the peak RSS of each child process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench_backup import (
    ENTRAGIT,
    change_objects,
    env_for,
    init_repo,
    start_sandbox,
    stats,
    stop,
    timed_backup,
)


def _timed(env: dict[str, str], info: dict[str, Any], *args: str) -> tuple[dict[str, Any], str]:
    """One entragit command in a child process: wall, Graph counters, its peak RSS (os.wait4), its stdout."""
    before = stats(info)
    t0 = time.monotonic()
    proc = subprocess.Popen([*ENTRAGIT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    with ThreadPoolExecutor(2) as pipes:  # both pipes drained while the child runs, then its rusage
        out, err = pipes.submit(proc.stdout.read), pipes.submit(proc.stderr.read)
        _, status, usage = os.wait4(proc.pid, 0)
        stdout, stderr = out.result().decode(), err.result().decode()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    seconds = round(time.monotonic() - t0, 2)
    after = stats(info)
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed ({code}): {stderr.strip()[-500:]}")
    return {
        "seconds": seconds,
        "graph_requests": after["requests"] - before["requests"],
        "resource_units": after["resource_units"] - before["resource_units"],
        "throttled": after["throttled"] - before["throttled"],
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }, stdout


def run(users: int, latency_ms: int, fraction: float) -> dict[str, Any]:
    proc, info = start_sandbox(users, latency_ms, [])
    workdir = Path(tempfile.mkdtemp(prefix="entragit-bench-plan-"))
    repo = workdir / "repo"
    results: dict[str, Any] = {"users": users, "latency_ms": latency_ms}
    try:
        env = env_for(info)
        init_repo(info, env, repo)
        before = stats(info)
        full = timed_backup(repo, env)
        after = stats(info)
        full["graph_requests"] = after["requests"] - before["requests"]
        full["resource_units"] = after["resource_units"] - before["resource_units"]
        results["full_backup"] = full
        print(f"full backup: {json.dumps(full)}", file=sys.stderr, flush=True)
        results["changed_objects"] = change_objects(info, fraction, random.Random(7))
        plan, out = _timed(env, info, "plan", "--repo", str(repo), "--json")
        actions = json.loads(out)["actions"]
        plan["objects_to_restore"] = len({a["path"] for a in actions if a["action"] != "skip"})
        results["plan_all"] = plan
        results["plan_all_vs_backup"] = round(plan["seconds"] / full["seconds"], 2)
        print(f"plan (whole tenant): {json.dumps(plan)}", file=sys.stderr, flush=True)
        one = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "users/"], capture_output=True, text=True, check=True
        ).stdout.split()[len(actions) % 97]
        results["plan_one"], _ = _timed(env, info, "plan", "--repo", str(repo), one)
        print(f"plan {one}: {json.dumps(results['plan_one'])}", file=sys.stderr, flush=True)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--latency-ms", type=int, default=30)
    ap.add_argument("--change", type=float, default=0.01, help="fraction of users+groups to change")
    args = ap.parse_args()
    print(json.dumps(run(args.users, args.latency_ms, args.change), indent=2))


if __name__ == "__main__":
    main()
