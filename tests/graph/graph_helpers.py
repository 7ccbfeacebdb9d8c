"""Shared helpers for the graph client tests: a client against a sandbox, and fault injection."""

from __future__ import annotations

from typing import Any

import requests

from entragit.graph.auth import AuthConfig, token_provider
from entragit.graph.client import GraphClient
from entragit.sandbox.server import Sandbox


def auth_config(box: Sandbox, method: str = "secret") -> AuthConfig:
    return AuthConfig(
        tenant_id=box.tenant_id,
        client_id=box.client_id,
        method=method,
        authority_host=box.authority_host,
        graph_url=box.graph_url,
        ca_bundle=box.ca_bundle,
    )


def client_for(box: Sandbox, **kwargs: Any) -> GraphClient:
    """A bare transport client (these tests are about GraphClient itself; everything above it gets its
    client from `live.connect`, see tests/live_helpers.py), with tiny backoff so retry tests stay fast."""
    token = token_provider(auth_config(box), env={"AZURE_CLIENT_SECRET": box.client_secret})
    kwargs.setdefault("backoff_base", 0.01)
    kwargs.setdefault("backoff_cap", 0.05)
    kwargs.setdefault("env", {})
    return GraphClient(box.graph_url, token, ca_bundle=box.ca_bundle, **kwargs)


def inject(box: Sandbox, **spec: Any) -> None:
    """POST a fault to the sandbox's test endpoint (see entragit/sandbox/faults.py)."""
    resp = requests.post(f"{box.graph_url}/_sandbox/faults", json=spec, verify=box.ca_bundle, timeout=10)
    assert resp.status_code < 300, resp.text


def clear_faults(box: Sandbox) -> None:
    requests.delete(f"{box.graph_url}/_sandbox/faults", verify=box.ca_bundle, timeout=10)
