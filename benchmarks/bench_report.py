"""Benchmark `entragit report` on the large synthetic repository of bench_history.py (target: < 30 s at
100,000 objects and 100 daily commits).

The repository is bench_history's (`build`, imported, not copied): every object added by the first commit,
1% changed by each later one. The report is timed cold (no history cache in .git/entragit/), warm, and as
`--json`.

Usage: python benchmarks/bench_report.py [--objects 100000] [--commits 100] [--dir DIR]
"""

from __future__ import annotations

import os
import shutil

from bench_history import synthetic_repository, timed  # the script's folder is on sys.path

TARGET = 30.0


def main() -> None:
    args, base, repo = synthetic_repository(__doc__, "report")
    try:
        out = base / "report"
        results = [
            ("report, cold (no cache)", timed(repo, "report", "--out", str(out))),
            ("report, warm (cache for HEAD)", timed(repo, "report", "--out", str(out))),
            ("report --json, warm", timed(repo, "report", "--json")),
        ]
        width = max(len(name) for name, _ in results)
        print(f"  {'command'.ljust(width)}    wall     CPU   (target {TARGET:.0f} s)")
        for name, (wall, cpu) in results:
            flag = "" if wall < TARGET else "  OVER TARGET"
            print(f"  {name.ljust(width)}  {wall:6.2f}s {cpu:6.2f}s{flag}")
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
        print(f"  files: {', '.join(f'{n} {s / 1000:.0f} kB' for n, s in sorted(sizes.items()))}")
        print(f"  load average {os.getloadavg()[0]:.1f}")
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    main()
