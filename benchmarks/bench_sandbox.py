"""Benchmark the sandbox as a client sees it: start-up of a big generated tenant and the latency of the
requests a backup makes most (a `$top=999` users page, an indexed `$filter`, an incremental delta round).

Issue 2's targets: `entragit sandbox serve --users 100000` ready within a minute, and a `$top=999` users page
in well under a second. The sandbox runs as its own process, as a user starts it; requests go over HTTPS
with a token from entragit's own msal code path.

Usage: python benchmarks/bench_sandbox.py [--users 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

from entragit.graph.auth import AuthConfig, token_provider


def session(info: dict[str, str]) -> requests.Session:
    """A session with a token from entragit's own msal code path, trusting the sandbox CA."""
    config = AuthConfig(
        info["tenant_id"],
        info["client_id"],
        authority_host=info["authority_host"],
        graph_url=info["graph_url"],
        ca_bundle=info["ca_bundle"],
    )
    token = token_provider(config, env={"AZURE_CLIENT_SECRET": info["client_secret"]})()
    http = requests.Session()
    http.trust_env = False
    http.verify = info["ca_bundle"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def timed(repeat: int, call: Callable[[], requests.Response]) -> tuple[float, float, Any]:
    """Median and best wall time of `repeat` calls, and the last JSON body."""
    times = []
    body: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        r = call()
        times.append(time.perf_counter() - started)
        r.raise_for_status()
        body = r.json()
    return statistics.median(times), min(times), body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "entragit",
            "sandbox",
            "serve",
            "--json",
            "--no-throttle",
            "--users",
            str(args.users),
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        ready = time.perf_counter() - started
        if not line:
            print("sandbox did not start", file=sys.stderr)
            return 1
        info = json.loads(line)
        http = session(info)
        base = f"{info['graph_url']}/v1.0"

        first = http.get(f"{base}/users", params={"$top": "999"}).json()
        next_link = first["@odata.nextLink"]
        page_med, page_best, page = timed(args.repeat, lambda: http.get(next_link))
        sel_med, sel_best, _ = timed(
            args.repeat, lambda: http.get(next_link.replace("$top=999", "$top=999&$select=id,displayName"))
        )
        upn = page["value"][0]["userPrincipalName"]
        flt_med, flt_best, hit = timed(
            args.repeat,
            lambda: http.get(f"{base}/users", params={"$filter": f"userPrincipalName eq '{upn}'"}),
        )
        assert len(hit["value"]) == 1

        latest = http.get(f"{base}/users/delta", params={"$deltatoken": "latest"}).json()["@odata.deltaLink"]
        for user in page["value"][:3]:
            http.patch(f"{base}/users/{user['id']}", json={"jobTitle": "Benchmarked"}).raise_for_status()
        delta_med, delta_best, changed = timed(args.repeat, lambda: http.get(latest))
        assert len(changed["value"]) == 3, len(changed["value"])

        print(f"tenant: {args.users:,} users (sandbox serve, throttling off, no added latency)")
        print(f"ready line after           {ready:8.1f} s      (target: < 60 s)")
        rows = (
            ("$top=999 users page", page_med, page_best, len(page["value"])),
            ("  same with $select", sel_med, sel_best, None),
            ("$filter userPrincipalName eq", flt_med, flt_best, 1),
            ("delta round, 3 changes", delta_med, delta_best, 3),
        )
        for name, med, best, n in rows:
            extra = f"  ({n} objects)" if n is not None else ""
            print(f"{name:<28} {med * 1000:8.1f} ms median, {best * 1000:.1f} ms best{extra}")
        print("targets met" if ready < 60 and page_med < 1 else "TARGETS MISSED")
        return 0 if ready < 60 and page_med < 1 else 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
