"""Benchmark: what attribution (one commit per actor from the audit log) adds to incremental backups.

    python benchmarks/bench_attribution.py --users 100000 [--rounds 3] [--latency-ms 30]

One throttled sandbox and one backup repository: a full backup, then rounds of incremental backups with
attribution on and off in alternating order (on, off, off, on, ...), so that drift of a shared machine falls
on both alike: per round a 1%-changed run of each mode (the objects changed through Graph before each run)
and a no-change run of each. `attribution:` in entragit.yaml is switched and committed between runs, as a
user would. Prints every run and, per kind, the median of each mode and their ratio; the issue's target is
a ratio within 1.10 for both kinds.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_backup import change_objects, env_for, init_repo, start_sandbox, stats, stop, timed_backup

from entragit import config


def _set_attribution(repo: Path, on: bool) -> None:
    cfg = config.load(repo)
    if cfg.attribution == on:
        return
    cfg.attribution = on
    config.save(repo, cfg)
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "commit", "-q", "-m", f"attribution {on}", "entragit.yaml"], check=True)


def _run(info: dict[str, Any], env: dict[str, str], repo: Path, on: bool) -> dict[str, Any]:
    _set_attribution(repo, on)
    before = stats(info)
    r = timed_backup(repo, env)
    after = stats(info)
    if r["exit"] != 0:
        raise SystemExit(f"backup failed: {r['summary']}")
    r["graph_requests"] = after["requests"] - before["requests"]
    r["attribution"] = on
    return r


def run(users: int, latency_ms: int, rounds: int, fraction: float) -> dict[str, Any]:
    proc, info = start_sandbox(users, latency_ms, [])
    workdir = Path(tempfile.mkdtemp(prefix="entragit-bench-attr-"))
    repo = workdir / "repo"
    rng = random.Random(11)
    runs: dict[str, list[dict[str, Any]]] = {"incremental_1pct": [], "incremental_nochange": []}
    try:
        env = env_for(info)
        init_repo(info, env, repo)
        full = timed_backup(repo, env)
        print(f"full: {json.dumps(full)}", file=sys.stderr, flush=True)
        for i in range(rounds):
            order = [True, False] if i % 2 == 0 else [False, True]
            for on in order:
                change_objects(info, fraction, rng)
                r = _run(info, env, repo, on)
                runs["incremental_1pct"].append(r)
                print(f"1% attribution={on}: {json.dumps(r)}", file=sys.stderr, flush=True)
            for on in order:
                r = _run(info, env, repo, on)
                runs["incremental_nochange"].append(r)
                print(f"no change attribution={on}: {json.dumps(r)}", file=sys.stderr, flush=True)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    summary: dict[str, Any] = {"users": users, "latency_ms": latency_ms, "rounds": rounds}
    for kind, rs in runs.items():
        on = statistics.median(r["seconds"] for r in rs if r["attribution"])
        off = statistics.median(r["seconds"] for r in rs if not r["attribution"])
        summary[kind] = {
            "median_on_s": on,
            "median_off_s": off,
            "ratio_on_off": round(on / off, 3),
            "runs": [(r["attribution"], r["seconds"], r["graph_requests"]) for r in rs],
        }
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--latency-ms", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each mode and kind")
    ap.add_argument("--change", type=float, default=0.01, help="fraction of users+groups changed per run")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    print(json.dumps(run(args.users, args.latency_ms, args.rounds, args.change), indent=2))


if __name__ == "__main__":
    main()
