"""Shared helpers for the sandbox transport tests: plain sessions that trust the sandbox CA."""

from __future__ import annotations

from typing import Any

import requests

from entragit.sandbox.server import Sandbox


def plain_session(box: Sandbox) -> requests.Session:
    """A session that trusts the sandbox CA but carries no token (REQUESTS_CA_BUNDLE must not override it)."""
    s = requests.Session()
    s.trust_env = False
    s.verify = box.ca_bundle
    return s


def admin(box: Sandbox, method: str, path: str, json: Any = None) -> requests.Response:
    """Call a /_sandbox/ test endpoint (no token needed)."""
    return plain_session(box).request(method, f"{box.graph_url}/_sandbox{path}", json=json, timeout=10)


def stats(box: Sandbox) -> dict[str, Any]:
    r = admin(box, "GET", "/stats")
    assert r.status_code == 200
    return dict(r.json())


def any_user_id(session: requests.Session, box: Sandbox) -> str:
    r = session.get(f"{box.graph_url}/v1.0/users", params={"$select": "id", "$top": "1"})
    assert r.status_code == 200, r.text
    return str(r.json()["value"][0]["id"])
