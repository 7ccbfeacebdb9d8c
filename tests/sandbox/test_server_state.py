"""--state persistence in-process: writes reach the file soon after they happen, atomically, and load back."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from msal_session import session_for

from entragit.sandbox.server import SAVE_INTERVAL_S, Sandbox, start
from entragit.sandbox.tenant import Tenant

from .transport_helpers import any_user_id


def _wait_for(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


def test_writes_are_saved_within_a_few_seconds_without_shutdown(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    box = sandbox_factory(state_path=str(state))
    s = session_for(box)
    s.get(f"{box.graph_url}/v1.0/users")
    time.sleep(0.3)
    assert not state.exists()  # reads never trigger a save
    uid = any_user_id(s, box)
    assert s.patch(f"{box.graph_url}/v1.0/users/{uid}", json={"jobTitle": "Saved soon"}).status_code == 204
    assert _wait_for(state, SAVE_INTERVAL_S + 3)
    assert not list(tmp_path.glob(".sandbox-state-*"))
    loaded = Tenant.load(state)
    assert loaded.tenant_id == box.tenant_id
    assert loaded.user_count() == box.tenant.user_count()


def test_stop_saves_and_the_state_loads_into_a_new_sandbox(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    state = tmp_path / "nested" / "state.json"
    box = sandbox_factory(state_path=str(state))
    s = session_for(box)
    uid = any_user_id(s, box)
    s.patch(f"{box.graph_url}/v1.0/users/{uid}", json={"jobTitle": "Across restarts"})
    box.stop()
    assert state.exists()

    with start(Tenant.load(state), throttle=False) as again:
        s2 = session_for(again)
        r = s2.get(f"{again.graph_url}/v1.0/users/{uid}", params={"$select": "jobTitle"})
        assert r.json()["jobTitle"] == "Across restarts"
