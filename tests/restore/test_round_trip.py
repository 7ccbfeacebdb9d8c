"""The round trip of restore, seeded: back up the demo sandbox, change it through raw Graph with a random
sequence of documented mutations (attribute edits, renames, soft and hard deletes, links added and removed,
UPN reuse), restore it, back it up again; the second backup must equal the first file for file once ids are
mapped through idmap.yaml (round_trip.CREATE_SET names what Graph sets on create), and a whole-tenant plan
against the first must be empty. Both ways of restoring: the whole tenant in one restore, and one restore per
object changed or deleted, relationships on.

A small budget here; `benchmarks/bench_round_trip.py` runs the large one. A failing seed replays with
`python benchmarks/bench_round_trip.py --first-seed SEED --seeds 1 --steps 6 --mode MODE --verbose`.
The mutation kinds that cannot round-trip yet are listed, each with its reason, in round_trip.AWAITING.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import round_trip

SEEDS = (1, 2, 3)
STEPS = 6


@pytest.mark.parametrize("mode", round_trip.MODES)
@pytest.mark.parametrize("seed", SEEDS)
def test_restore_brings_back_the_backup_file_for_file(tmp_path: Path, seed: int, mode: str) -> None:
    outcome = round_trip.run(tmp_path, seed, STEPS, mode)
    assert len(outcome.steps) == STEPS, outcome.report()
    assert outcome.ok, outcome.report()
