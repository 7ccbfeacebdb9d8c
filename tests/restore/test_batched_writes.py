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


def test_hard_deleted_groups_are_created_again_together_in_one_batch(env: Env) -> None:
    """Creations that are one POST each (groups; not users or applications, which need steps after it)
    and of one rank go through one $batch; each gets its id mapped, and the links follow."""
    listed = env.graph(
        "GET", "groups", **{"$select": "id,mailEnabled,securityEnabled,groupTypes,membershipRule"}
    )["value"]
    plain = [g["id"] for g in listed if g["securityEnabled"] and not g["mailEnabled"] and not g["groupTypes"]]
    gids = plain[:3]
    assert len(gids) == 3
    for gid in gids:
        env.graph("DELETE", f"groups/{gid}")
        env.graph("DELETE", f"directory/deletedItems/{gid}")  # purged: recreate, not undelete

    before = _stats(env)
    env.ok("plan", "--no-relationships", *gids)
    planning = _stats(env)["batches"] - before["batches"]
    before = _stats(env)
    out = env.restore("--no-relationships", *gids).output
    after = _stats(env)
    assert out.count("✓ recreate") == 3 and "failed" not in out
    # the three creations together, then their directory extension values together (they name definitions
    # of an application, which a restore brings back first when it must: apply.order)
    assert after["batches"] - before["batches"] == planning + 2
    assert after["by_path"]["POST /groups"] - before["by_path"].get("POST /groups", 0) == 3
    idmap = (env.root / "idmap.yaml").read_text()
    assert all(gid in idmap for gid in gids) and "pending" not in idmap

    env.restore(*gids)  # now their members and owners
    env.assert_empty(*gids)
