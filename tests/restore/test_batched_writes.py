"""Independent writes of a restore go through $batch (json-batching.md), and a throttled one (429 with its
Retry-After, throttling.md) is resent after the wait, not reported as failed."""

from __future__ import annotations

import requests
from restore_env import Env


def _stats(env: Env) -> dict[str, int]:
    r = requests.get(f"{env.box.graph_url}/_sandbox/stats", verify=env.box.ca_bundle, timeout=10)
    return dict(r.json())


def test_many_rolled_back_users_are_written_through_batch_and_a_throttled_write_is_resent(env: Env) -> None:
    listed = env.graph("GET", "users", **{"$select": "id,onPremisesSyncEnabled,userType"})["value"]
    users = [u["id"] for u in listed if not u.get("onPremisesSyncEnabled") and u["userType"] == "Member"]
    users = users[:12]
    for u in users:
        env.graph("PATCH", f"users/{u}", {"officeLocation": "Moved by mistake"})
    fault = {
        "match": rf"/users/{users[5]}$",
        "method": "PATCH",
        "status": 429,
        "times": 1,
        "retry_after": 0.1,
    }
    r = requests.post(
        f"{env.box.graph_url}/_sandbox/faults", json=fault, verify=env.box.ca_bundle, timeout=10
    )
    assert r.status_code < 300

    before = _stats(env)
    env.ok("plan", *users)
    planning = _stats(env)["batches"] - before["batches"]
    before = _stats(env)
    out = env.ok("restore", "--yes", "--allow-privileged", *users).output
    after = _stats(env)
    assert out.count("✓ update") == len(users) and "failed" not in out
    assert after["batches"] - before["batches"] == planning + 2  # the writes, then the throttled one again
    patched = after["by_path"]["PATCH /users/{id}"] - before["by_path"].get("PATCH /users/{id}", 0)
    assert patched == len(users) + 1
    env.assert_empty(*users)
