"""Benchmark: entragit's full backup beside a peer exporter's request plan, on the same sandbox tenant.

    python benchmarks/bench_peer.py --users 10000 [--latency-ms 30] [--workers 8]

The peer is Microsoft EntraExporter's request plan for users, groups, applications and service principals, as
its documentation and published behaviour describe it, replayed with raw HTTP (no code of it is used):

1. list each type in full (all default properties, 999 per page);
2. per group its owners and members, per application its owners, per service principal its owners,
   appRoleAssignedTo and appRoleAssignments, as GETs packed 20 per `$batch` (`$top=999`, every nextLink
   followed; `--workers` batches in flight, inner 429s resent after their Retry-After);
3. one JSON file per object, the child collections inside it.

Then `entragit backup --full` of the same four types into a fresh repository, then a no-change
incremental run. Both sides run against one `entragit sandbox serve` (throttling on, like Graph); the
sandbox's `/_sandbox/stats` counters give each side's requests and resource units. Prints wall time and RU
bill of each side, their ratios, and for each entragit run its two floors (bench_backup.bounds): the RU
bound (RU ÷ the tenant's budget per second) and the CPU floor (its CPU and the sandbox's over the cores).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from bench_backup import (
    ENTRAGIT,
    admin_session,
    bounds,
    env_for,
    init_repo,
    start_sandbox,
    stats,
    stop,
    timed_backup,
    token,
)

TYPES = ("users", "groups", "applications", "servicePrincipals")
CHILDREN = {
    "groups": ("owners", "members"),
    "applications": ("owners",),
    "servicePrincipals": ("owners", "appRoleAssignedTo", "appRoleAssignments"),
}
BATCH = 20  # Graph's limit of requests per $batch (json-batching.md)
# entragit reading every relationship per object, as before issue 12 (for the before/after figures)
PER_OBJECT = [
    sys.executable,
    "-c",
    "import sys; from entragit import live; live.Reader.expand_in_listing = False; "
    "from entragit.cli import cli; sys.argv[0] = 'entragit'; cli()",
]


class Peer:
    """The peer's plan over one requests session (raw HTTP, a bearer token, the sandbox's CA)."""

    def __init__(self, info: dict[str, Any], workers: int) -> None:
        self.base = f"{info['graph_url']}/v1.0"
        self.http = admin_session(info)
        adapter = requests.adapters.HTTPAdapter(pool_connections=workers, pool_maxsize=workers * 2)
        self.http.mount("https://", adapter)
        self.http.headers["Authorization"] = f"Bearer {token(info)}"
        self.workers = workers
        self.lock = threading.Lock()

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request; a 429 on the request itself waits its Retry-After and goes again."""
        while True:
            r = self.http.request(method, url, timeout=120, **kwargs)
            if r.status_code != 429:
                r.raise_for_status()
                return r
            time.sleep(float(r.headers.get("Retry-After") or 1))

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.base}/{path}?$top=999"
        while url:
            body = self.send("GET", url).json()
            yield from body["value"]
            url = body.get("@odata.nextLink")

    def batch(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """Relative GET urls → their response bodies; inner 429s are sent again after their Retry-After."""
        done: dict[str, dict[str, Any]] = {}
        todo = list(urls)
        while todo:
            body = {"requests": [{"id": str(i), "method": "GET", "url": u} for i, u in enumerate(todo)]}
            answers = self.send("POST", f"{self.base}/$batch", json=body).json()["responses"]
            again, wait = [], 0.0
            for a in answers:
                url = todo[int(a["id"])]
                if a["status"] == 429:
                    again.append(url)
                    wait = max(wait, float((a.get("headers") or {}).get("Retry-After") or 1))
                elif a["status"] == 200:
                    done[url] = a["body"]
                else:
                    raise RuntimeError(f"{url}: {a['status']} {a.get('body')}")
            todo = again
            if todo:
                time.sleep(wait)
        return done

    def children(self, plan: list[tuple[str, str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """(type, id, child) → every item of that child collection, read 20 requests per $batch."""
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        todo = [(f"/{t}/{oid}/{child}?$top=999", (oid, child)) for t, oid, child in plan]
        with ThreadPoolExecutor(self.workers) as pool:
            while todo:
                keys = dict(todo)
                groups = [list(keys)[i : i + BATCH] for i in range(0, len(keys), BATCH)]
                nxt: list[tuple[str, tuple[str, str]]] = []
                for got in pool.map(self.batch, groups):
                    for url, body in got.items():
                        key = keys[url]
                        out.setdefault(key, []).extend(body.get("value", []))
                        link = body.get("@odata.nextLink")
                        if link:
                            nxt.append((link.removeprefix(self.base), key))
                todo = nxt
        return out

    def export(self, folder: Path) -> int:
        """The whole plan; returns the number of JSON files written."""
        listed = {t: list(self.pages(t)) for t in TYPES}
        plan = [(t, str(o["id"]), c) for t, cs in CHILDREN.items() for o in listed[t] for c in cs]
        kids = self.children(plan)
        files = 0
        for t, objs in listed.items():
            (folder / t).mkdir(parents=True, exist_ok=True)
            for o in objs:
                for c in CHILDREN.get(t, ()):
                    o[c] = kids.get((str(o["id"]), c), [])
                (folder / t / f"{o['id']}.json").write_text(json.dumps(o, indent=2, sort_keys=True))
                files += 1
        return files


def measured(info: dict[str, Any], action: Any) -> dict[str, Any]:
    before = stats(info)
    t0 = time.monotonic()
    extra = action()
    out = {"seconds": round(time.monotonic() - t0, 2)}
    after = stats(info)
    for key in ("requests", "resource_units", "throttled"):
        out[key] = after[key] - before[key]
    out["sandbox_cpu_seconds"] = round(after["cpu_seconds"] - before["cpu_seconds"], 1)
    if isinstance(extra, dict):
        out.update(extra)
    return out


def run(users: int, latency_ms: int, workers: int, per_object: bool) -> dict[str, Any]:
    proc, info = start_sandbox(users, latency_ms, [])
    workdir = Path(tempfile.mkdtemp(prefix="entragit-peer-"))
    repo = workdir / "repo"
    results: dict[str, Any] = {"users": users, "latency_ms": latency_ms, "peer_workers": workers}
    try:
        env = env_for(info)
        peer = Peer(info, workers)
        results["peer"] = measured(info, lambda: {"files": peer.export(workdir / "peer")})
        print(f"peer: {json.dumps(results['peer'])}", file=sys.stderr, flush=True)
        init_repo(info, env, repo)
        types = [arg for t in TYPES for arg in ("--type", t)]
        time.sleep(10)  # the RU bucket refills (8,000 RU per 10 s): both sides start with a full budget
        runs = [("entragit_full", ["--full", *types]), ("entragit_nochange", types)]
        if per_object:  # the same repository: its full run rewrites nothing when the files are the same
            runs += [("per_object_full", ["--full", *types]), ("per_object_nochange", types)]
        for label, args in runs:
            command = PER_OBJECT if label.startswith("per_object") else ENTRAGIT
            if label == "per_object_full":
                time.sleep(10)  # a full RU bucket again
            backup: dict[str, Any] = {}

            def one(
                args: list[str] = args, backup: dict[str, Any] = backup, command: list[str] = command
            ) -> None:
                backup.update(timed_backup(repo, env, *args, command=command))

            results[label] = measured(info, one)
            results[label].update({k: backup[k] for k in ("exit", "peak_rss_mib", "cpu_seconds", "summary")})
            results[label].update(bounds(results[label], users))
            print(f"{label}: {json.dumps(results[label])}", file=sys.stderr, flush=True)
        full, peer_side = results["entragit_full"], results["peer"]
        results["ratio_wall"] = round(full["seconds"] / peer_side["seconds"], 3)
        results["ratio_ru"] = round(full["resource_units"] / peer_side["resource_units"], 3)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--latency-ms", type=int, default=30)
    ap.add_argument("--workers", type=int, default=8, help="the peer's $batch requests in flight")
    ap.add_argument(
        "--per-object",
        action="store_true",
        help="also entragit reading every relationship per object (before)",
    )
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    print(json.dumps(run(args.users, args.latency_ms, args.workers, args.per_object), indent=2))


if __name__ == "__main__":
    main()
