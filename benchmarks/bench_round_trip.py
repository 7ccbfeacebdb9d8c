"""Benchmark: the seeded round trip of restore at a large budget.

    python benchmarks/bench_round_trip.py --seeds 50 --steps 20 [--first-seed 0] [--all-kinds] [--shrink]

For each seed and each mode (the whole tenant in one restore, and object by object), the round trip of
tests/restore/round_trip.py: back up the demo sandbox, apply `--steps` random mutations through raw Graph,
restore, back up again and compare file for file through the id map, then plan the whole tenant (must be
empty). Reports the examples tried, the failures found with their seeds, and with --shrink the shortest
failing prefix of each failing sequence (the same seed with fewer steps draws the same first mutations), whose
last mutation is the one that broke the round trip. --all-kinds also draws the kinds round_trip.AWAITING holds
back; --per-kind runs each kind on its own.
Replay one: `python benchmarks/bench_round_trip.py --first-seed S --seeds 1 --steps N --mode M --verbose`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "restore")]

import round_trip as rt  # noqa: E402  (the test helpers are not a package)


def _shortest(seed: int, steps: int, mode: str, kinds: tuple[str, ...]) -> tuple[int, rt.Outcome]:
    """The fewest steps of this seed that still fail (the failure is assumed monotone in the prefix)."""
    lo, hi, worst = 1, steps, None
    while lo < hi:
        mid = (lo + hi) // 2
        with tempfile.TemporaryDirectory() as tmp:
            o = rt.run(Path(tmp), seed, mid, mode, kinds)
        if o.ok:
            lo = mid + 1
        else:
            hi, worst = mid, o
    if worst is None or len(worst.steps) != hi:
        with tempfile.TemporaryDirectory() as tmp:
            worst = rt.run(Path(tmp), seed, hi, mode, kinds)
    return hi, worst


def run(
    first: int,
    seeds: int,
    steps: int,
    modes: tuple[str, ...],
    kinds: tuple[str, ...],
    shrink: bool,
    verbose: bool,
) -> dict[str, Any]:
    tried, failures, drawn = 0, [], Counter[str]()
    culprits: Counter[str] = Counter()
    t0 = time.monotonic()
    for seed in range(first, first + seeds):
        for mode in modes:
            with tempfile.TemporaryDirectory() as tmp:
                o = rt.run(Path(tmp), seed, steps, mode, kinds)
            tried += 1
            drawn.update(s.kind for s in o.steps)
            if verbose or not o.ok:
                print(o.report(), file=sys.stderr, flush=True)
            if o.ok:
                continue
            failure: dict[str, Any] = {"seed": seed, "mode": mode, "problems": len(o.problems)}
            if shrink:
                n, short = _shortest(seed, steps, mode, kinds)
                last = short.steps[-1]
                culprits[f"{mode}: {last.kind}"] += 1
                failure.update(shortest=n, last_mutation=str(last), first_problem=short.problems[0][:300])
                print(f"shortest failing prefix: {n} steps\n{short.report()}", file=sys.stderr, flush=True)
            failures.append(failure)
    return {
        "seeds": seeds,
        "steps": steps,
        "modes": list(modes),
        "examples_tried": tried,
        "failures_found": len(failures),
        "failing_seeds": sorted({f["seed"] for f in failures}),
        "seconds": round(time.monotonic() - t0, 1),
        "mutations_drawn": dict(sorted(drawn.items())),
        "failing_mutation_kinds": dict(culprits.most_common()),
        "failures": failures,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=50, help="how many seeds (from --first-seed on)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=20, help="mutations per example")
    ap.add_argument("--mode", choices=rt.MODES, help="only this restore mode (default: both)")
    ap.add_argument("--all-kinds", action="store_true", help="also the kinds round_trip.AWAITING holds back")
    ap.add_argument("--kind", action="append", choices=rt.ALL_KINDS, help="draw only this kind (repeatable)")
    ap.add_argument(
        "--per-kind", action="store_true", help="each kind on its own: which kinds fail without any other"
    )
    ap.add_argument("--shrink", action="store_true", help="find each failure's shortest failing prefix")
    ap.add_argument("--verbose", action="store_true", help="print every example, not only the failures")
    args = ap.parse_args()
    modes = (args.mode,) if args.mode else rt.MODES
    kinds = tuple(args.kind or (rt.ALL_KINDS if args.all_kinds else rt.DEFAULT_KINDS))
    if args.per_kind:
        per_kind = {}
        for kind in kinds:
            r = run(args.first_seed, args.seeds, args.steps, modes, (kind,), False, args.verbose)
            per_kind[kind] = {k: r[k] for k in ("examples_tried", "failures_found", "failures")}
            print(kind, json.dumps(per_kind[kind]), file=sys.stderr, flush=True)
        print(json.dumps(per_kind, indent=2))
        return
    result = run(args.first_seed, args.seeds, args.steps, modes, kinds, args.shrink, args.verbose)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
