"""The incremental state on disk: big maps in parts, written only when they change, never trusted half."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entragit.repo import state
from entragit.repo.writer import Store


@pytest.fixture
def st(tmp_path: Path) -> Store:
    s = Store.init(tmp_path / "repo")
    s.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    return s


def _big(n: int, value: str = "d") -> dict[str, str]:
    return {f"users/{i}.yaml": f"{value}{i}" for i in range(n)}


def _parts(st: Store) -> dict[str, int]:
    folder = st.state_dir / state.FOLDER / state.PARTS
    return {p.name: p.stat().st_ino for p in folder.iterdir()} if folder.is_dir() else {}


def test_a_big_map_goes_to_a_part_and_comes_back(st: Store) -> None:
    digests = _big(state.PART_ENTRIES + 1)
    st.save_state({"users": {"deltaLink": "users/delta?$deltatoken=1", "digests": digests, "soft": ["x"]}})
    on_disk = json.loads((st.state_dir / state.FOLDER / state.FILE).read_text())["types"]["users"]
    assert on_disk["digests"] == {"$part": next(iter(_parts(st)))}  # (the small values stay in the file)
    assert on_disk["soft"] == ["x"] and on_disk["deltaLink"].endswith("=1")
    loaded = Store.open(st.root).load_state()["types"]["users"]
    assert loaded["digests"] == digests and loaded["soft"] == ["x"]


def test_only_the_maps_that_changed_are_written_again(st: Store) -> None:
    """The no-change run's saving: a map equal to the one loaded keeps its file; a changed one gets a new
    file and the old one goes."""
    st.save_state({"users": {"digests": _big(600), "seats": _big(600, "s")}})
    before = _parts(st)
    run = Store.open(st.root)
    types = run.load_state()["types"]
    types["users"]["digests"] = {**types["users"]["digests"], "users/new.yaml": "n"}
    run.save_state(types)
    after = _parts(st)
    assert len(before) == len(after) == 2
    kept = set(before) & set(after)
    assert len(kept) == 1 and before[next(iter(kept))] == after[next(iter(kept))]  # not rewritten
    assert Store.open(st.root).load_state()["types"]["users"]["digests"]["users/new.yaml"] == "n"


def test_a_map_changed_in_place_is_saved_as_changed(st: Store) -> None:
    """The load keeps a copy of what it read: a caller that edits the loaded map itself must not have its
    edit taken for the part it came from."""
    st.save_state({"users": {"digests": _big(600)}})
    run = Store.open(st.root)
    types = run.load_state()["types"]
    types["users"]["digests"]["users/0.yaml"] = "edited"
    run.save_state(types)
    assert Store.open(st.root).load_state()["types"]["users"]["digests"]["users/0.yaml"] == "edited"


@pytest.mark.parametrize("damage", ["missing", "not JSON"])
def test_a_state_whose_part_is_damaged_is_no_state(st: Store, damage: str) -> None:
    """The next run then lists everything, as for a damaged state file: never digests half read."""
    st.save_state({"users": {"deltaLink": "users/delta?$deltatoken=1", "digests": _big(600)}})
    part = st.state_dir / state.FOLDER / state.PARTS / next(iter(_parts(st)))
    if damage == "missing":
        part.unlink()
    else:
        part.write_text("{")
    assert Store.open(st.root).load_state() == {}


def test_parts_a_killed_save_left_are_removed_by_the_next(st: Store) -> None:
    st.save_state({"users": {"digests": _big(600)}})
    (st.state_dir / state.FOLDER / state.PARTS / "left-by-a-killed-run.json").write_text("{}")
    st.save_state({"users": {"digests": _big(600)}})
    assert len(_parts(st)) == 1


def test_the_state_an_older_entragit_wrote_is_read_once_then_removed(st: Store) -> None:
    """An upgrade goes on incrementally from the one-file state; after the first save an older entragit
    finds no state (it would take a part's reference for the users' digests) and lists everything."""
    legacy = st.state_dir / state.LEGACY
    digests = _big(600)
    legacy.write_text(json.dumps({"head": st.head(), "types": {"users": {"digests": digests}}}))
    run = Store.open(st.root)
    types = run.load_state()["types"]
    assert types["users"]["digests"] == digests
    run.save_state(types)
    assert not legacy.exists()
    assert Store.open(st.root).load_state()["types"]["users"]["digests"] == digests
