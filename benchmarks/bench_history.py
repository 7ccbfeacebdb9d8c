"""Benchmark history queries on a large synthetic backup repository.

Builds (with `git fast-import`, not our backup, so that setup takes seconds) a repository of N object files in
the sharded layout with C commits — the first adds every object, each later one changes 1% of them (renames,
member changes, a few soft-deletes, additions and removals) — then times the CLI as a user runs it:

- `entragit ls --json` cold (no cache in .git/entragit/history), warm (cache for HEAD), and after one more
  commit (cache updated from the diff);
- `entragit versions`, `entragit show` and `entragit compare` of one object, and `entragit seats`.

Usage: python benchmarks/bench_history.py [--objects 100000] [--commits 100] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from entragit import canonical, catalog

MIX = (("users", 0.6), ("groups", 0.25), ("applications", 0.05), ("servicePrincipals", 0.1))


def guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sample(type_name: str, oid: str, n: int, version: int, rng: random.Random, ids: list[str]) -> dict:
    """A Graph-like object of about 1-1.5 KB of YAML."""
    name = f"{type_name[:-1].title()} {n}" + (f" v{version}" if version else "")
    if type_name == "users":
        return {
            "id": oid,
            "displayName": name,
            "userPrincipalName": f"user{n}@contoso.onmicrosoft.com",
            "accountEnabled": n % 17 != 0,
            "userType": "Guest" if n % 23 == 0 else "Member",
            "assignedLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": []}]
            if n % 3
            else [],
            "businessPhones": [f"+1 555 {n:07d}"],
            "city": rng.choice(["Seattle", "Paris", "Berlin", "Tokyo"]),
            "department": rng.choice(["Sales", "Finance", "IT", "Legal"]),
            "givenName": "User",
            "surname": str(n),
            "jobTitle": "Engineer",
            "mail": f"user{n}@contoso.com",
            "mailNickname": f"user{n}",
            "usageLocation": "US",
            "proxyAddresses": [f"SMTP:user{n}@contoso.com", f"smtp:u{n}@contoso.onmicrosoft.com"],
            "manager": rng.choice(ids) if ids else None,
        }
    if type_name == "groups":
        return {
            "id": oid,
            "displayName": name,
            "mailNickname": f"group{n}",
            "description": f"Group number {n} for the benchmark",
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "members": sorted(rng.sample(ids, min(len(ids), 20))) if ids else [],
            "owners": sorted(rng.sample(ids, min(len(ids), 2))) if ids else [],
            "visibility": "Private",
        }
    return {
        "id": oid,
        "appId": f"{n:08d}-0000-4000-8000-{n:012d}",
        "displayName": name,
        "signInAudience": "AzureADMyOrg",
        "tags": ["bench", "WindowsAzureActiveDirectoryIntegratedApp"],
        "owners": sorted(rng.sample(ids, min(len(ids), 2))) if ids else [],
        "notes": f"Application {n}",
    }


def fast_import_stream(objects: int, commits: int, seed: int = 1) -> Iterator[bytes]:
    rng = random.Random(seed)
    types = {t: catalog.by_name(t) for t, _ in MIX}
    pool: list[tuple[str, str, int]] = []  # (type, id, n)
    for t, share in MIX:
        pool.extend((t, guid(rng), len(pool) + i) for i in range(int(objects * share)))
    user_ids = [oid for t, oid, _ in pool if t == "users"][:5000]
    version: dict[str, int] = {}
    when = 1_750_000_000

    def blob(t: str, oid: str, n: int) -> bytes:
        obj = sample(t, oid, n, version.get(oid, 0), rng, user_ids)
        if version.get(oid, 0) < 0:
            obj["deletedDateTime"] = "2026-01-01T00:00:00Z"
        data = canonical.dump(canonical.canonicalize(types[t], obj)).encode()
        path = catalog.object_path(types[t], oid)
        return b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)

    for c in range(commits):
        when += 86_400
        changes: list[bytes] = []
        if c == 0:
            changes = [blob(t, oid, n) for t, oid, n in pool]
        else:
            for t, oid, n in rng.sample(pool, max(1, len(pool) // 100)):
                r = rng.random()
                if r < 0.02 and t == "users":
                    version[oid] = -1  # soft-deleted
                elif r < 0.03 and t == "groups":
                    pool.remove((t, oid, n))
                    changes.append(b"D %s\n" % catalog.object_path(types[t], oid).encode())
                    continue
                else:
                    version[oid] = abs(version.get(oid, 0)) + 1
                changes.append(blob(t, oid, n))
            for _ in range(5):
                item = ("users", guid(rng), len(pool) + objects)
                pool.append(item)
                changes.append(blob(*item))
        msg = f"backup contoso.onmicrosoft.com: run {c + 1}".encode()
        yield b"commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\n" % when
        yield b"data %d\n%s\n" % (len(msg), msg)
        yield b"".join(changes)
        yield b"\n"


def build(repo: Path, objects: int, commits: int) -> float:
    start = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "feature.manyFiles", "true"], check=True)
    proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for chunk in fast_import_stream(objects, commits):
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    # A backup repository has a checked-out tree; history commands never read it, but keep it realistic.
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard", "main"], check=True)
    return time.perf_counter() - start


def timed(repo: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and the git processes it ran).

    CPU time is reported too because wall time on a shared machine mostly measures the neighbours."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "entragit", *args, "--repo", str(repo)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def synthetic_repository(doc: str | None, name: str) -> tuple[argparse.Namespace, Path, Path]:
    """The command line (`--objects`, `--commits`, `--dir`) and the synthetic repository it asks for, built
    unless `--dir` holds it already, with no history cache (the next command runs cold)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--dir", help="Build here and keep it (default: a temporary directory, removed)")
    args = parser.parse_args()
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix=f"entragit-bench-{name}-"))
    repo = base / "repo"
    if not (repo / ".git").exists():
        print(f"building {args.objects} objects × {args.commits} commits in {repo} ...", flush=True)
        print(f"  built in {build(repo, args.objects, args.commits):.1f} s", flush=True)
    shutil.rmtree(repo / ".git" / "entragit" / "history", ignore_errors=True)
    return args, base, repo


def main() -> None:
    args, base, repo = synthetic_repository(__doc__, "history")
    cache = repo / ".git" / "entragit" / "history"
    try:
        files = int(
            subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True).stdout.count(b"\n")
        )
        print(f"repository: {files} files, {args.commits} commits; load average {os.getloadavg()[0]:.1f}")
        results = [("ls --json, cold (no cache)", timed(repo, "ls", "--json"))]
        results.append(("ls --json, warm (cache for HEAD)", timed(repo, "ls", "--json")))
        results.append(("ls (table), warm", timed(repo, "ls")))
        # One more backup-like commit: 1% of files changed; caches are updated from the diff.
        listing = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "users"], capture_output=True, text=True
        )
        changed = listing.stdout.split()[: max(1, files // 100)]
        stamp = time.time_ns()
        for rel in changed:
            p = repo / rel
            p.write_text(re.sub(r"(?m)^jobTitle: .*$", f"jobTitle: Engineer {stamp}", p.read_text()))
        subprocess.run(["git", "-C", str(repo), "add", "-u"], check=True)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "backup: 1% changed"], check=True)
        results.append(("ls --json after a commit changing 1% (incremental)", timed(repo, "ls", "--json")))
        target = changed[0]
        results.append(("versions OBJECT", timed(repo, "versions", target)))
        results.append(("show OBJECT (by UPN)", timed(repo, "show", "user0@contoso.onmicrosoft.com")))
        results.append(("compare OBJECT", timed(repo, "compare", target)))
        results.append(("seats", timed(repo, "seats", "--json")))
        results.append(("restore-points OBJECT OBJECT", timed(repo, "restore-points", target, changed[1])))
        width = max(len(name) for name, _ in results)
        print(f"  {'command'.ljust(width)}    wall     CPU")
        for name, (wall, cpu) in results:
            print(f"  {name.ljust(width)}  {wall:6.2f}s {cpu:6.2f}s")
        size = sum(f.stat().st_size for f in cache.glob("*.json"))
        print(f"  cache size: {size / 1e6:.1f} MB in {cache}; load average {os.getloadavg()[0]:.1f}")
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    main()
