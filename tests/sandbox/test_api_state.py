"""Tenant.save/load (`--state FILE`) round-trips everything, and the API stays fast on a big tenant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from msal_session import session_for

from entragit.sandbox.graph_api import GraphApi, Request
from entragit.sandbox.server import start
from entragit.sandbox.tenant import StateError, Tenant

from .api_helpers import DOMAIN, PASSWORD, Graph, gid, uid, user


def test_state_round_trips_objects_links_deleted_items_audit_and_delta(g: Graph, tmp_path: Path) -> None:
    _, delta_link, _ = g.delta_round("groups/delta?$select=displayName,members")
    created = g.post(
        "users",
        {
            "accountEnabled": True,
            "displayName": "Persisted",
            "mailNickname": "persisted",
            "userPrincipalName": f"persisted@{DOMAIN}",
            "passwordProfile": {"password": PASSWORD},
        },
    ).json()
    g.post(f"groups/{gid(1)}/members/$ref", g.ref(created["id"]))
    g.put(f"users/{uid(2)}/manager/$ref", g.ref(uid(1)))
    g.delete(f"users/{uid(3)}")
    audits = len(g.all_pages("auditLogs/directoryAudits"))
    path = tmp_path / "state.json"
    g.tenant.save(path)
    assert PASSWORD not in path.read_text()  # write-only secrets never reach the file

    box = start(Tenant.load(path), throttle=False)
    try:
        again = Graph(box, session_for(box))
        assert again.get(f"users/{created['id']}").json()["displayName"] == "Persisted"
        members = {m["id"] for m in again.get(f"groups/{gid(1)}/members").json()["value"]}
        assert created["id"] in members and uid(3) not in members
        assert again.get(f"users/{uid(2)}/manager").json()["id"] == uid(1)
        assert len(again.all_pages("auditLogs/directoryAudits")) == audits
        # the soft-deleted user is still restorable, with its memberships
        assert again.post(f"directory/deletedItems/{uid(3)}/restore").status_code == 200
        assert uid(3) in {m["id"] for m in again.get(f"groups/{gid(1)}/members").json()["value"]}
        # a delta link minted before the restart continues from its watermark
        link = delta_link.replace(g.box.graph_url, box.graph_url)
        items, _, _ = again.delta_round(link)
        group = next(i for i in items if i["id"] == gid(1))
        assert {m["id"] for m in group["members@delta"]} >= {created["id"]}
        # uniqueness indexes were rebuilt
        dup = {
            "accountEnabled": True,
            "displayName": "x",
            "mailNickname": "x",
            "userPrincipalName": f"persisted@{DOMAIN}",
            "passwordProfile": {"password": PASSWORD},
        }
        assert again.post("users", dup).status_code == 400
    finally:
        box.stop()


def test_loading_a_bad_state_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    bad.write_text("{not json")
    with pytest.raises(StateError, match=r"state\.json"):
        Tenant.load(bad)
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(StateError, match="not a sandbox state file"):
        Tenant.load(bad)
    with pytest.raises(StateError, match="cannot read"):
        Tenant.load(tmp_path / "missing.json")


def _big_tenant(users: int) -> Tenant:
    seed: dict[str, Any] = {
        "organization": [
            {
                "id": "3f6a1c2e-8b4d-4e7a-9c1f-5d2b8a6e4c90",
                "verifiedDomains": [{"name": DOMAIN, "isInitial": True}],
            }
        ],
        "users": [user(i, id=f"{i:08x}-0000-4000-8000-000000000000") for i in range(users)],
    }
    return Tenant.from_seed(seed)


def test_request_dataclass_matches_the_transport_contract() -> None:
    req = Request("GET", "/users", {}, {}, None, "https://127.0.0.1:1/v1.0", "app", None)
    tenant = _big_tenant(3)
    resp = GraphApi(tenant).handle(req)
    assert resp.status == 200 and resp.body["@odata.context"] == "https://127.0.0.1:1/v1.0/$metadata#users"
