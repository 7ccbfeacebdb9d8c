"""Issue 8, item 3: an unreachable Graph host fails at once; transient faults are retried visibly, boundedly.

A host name that does not resolve, or a port nobody listens on, before Graph ever answered, is a wrong URL or
no network: retrying it for minutes (as before: 367 s of silence, then 17 lines) helps nobody. Faults after
Graph answered (503, a dropped connection) are transient and retried, each retry reported through the client's
`on_retry` callback, and the whole client has one bounded retry budget.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from graph_helpers import client_for, inject

from entragit.graph.client import GraphClient, GraphError, GraphUnreachable, RetryNotice
from entragit.sandbox.server import Sandbox


def _closed_port() -> int:
    """A loopback port that was free a moment ago and has nothing listening on it now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("kind", ["unresolvable name", "closed port"])
def test_first_request_to_an_unreachable_host_fails_at_once_naming_it(kind: str) -> None:
    host = "nonexistent.invalid" if kind == "unresolvable name" else f"127.0.0.1:{_closed_port()}"
    notices: list[RetryNotice] = []
    client = GraphClient(f"https://{host}", lambda: "token", env={}, on_retry=notices.append)
    started = time.monotonic()
    with pytest.raises(GraphUnreachable) as info:
        client.get("users")
    assert time.monotonic() - started < 5
    line = str(info.value)
    assert line.startswith(f"cannot reach Graph at {host}: ") and "\n" not in line
    assert ("does not resolve" if "invalid" in host else "connection refused") in line
    assert notices == [] and client.stats["retries"] == 0
    assert client.unreachable is info.value


def test_a_refused_connection_after_graph_answered_is_retried_as_transient(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(workdir=str(tmp_path))  # its CA outlives stop()
    notices: list[RetryNotice] = []
    client = client_for(sandbox, max_retries=2, on_retry=notices.append)
    client.get("organization")
    sandbox.stop()  # Graph went away mid-run: maybe a restart, so it is worth the retries
    with pytest.raises(GraphError) as info:
        client.get("organization")
    assert not isinstance(info.value, GraphUnreachable)
    assert [(n.what, n.status, n.attempt, n.max) for n in notices] == [
        ("organization", "connection lost", 2, 3),
        ("organization", "connection lost", 3, 3),
    ]


def test_each_retry_of_a_transient_fault_is_reported(sandbox: Sandbox) -> None:
    notices: list[RetryNotice] = []
    client = client_for(sandbox, on_retry=notices.append)
    inject(sandbox, match=r"/v1\.0/organization", status=503, times=2)
    inject(sandbox, match=r"/v1\.0/organization", drop_connection=True, times=1)
    assert client.get("organization")["value"][0]["id"] == sandbox.tenant_id
    assert [(n.what, n.status, n.attempt, n.max) for n in notices] == [
        ("organization", "503", 2, 9),
        ("organization", "503", 3, 9),
        ("organization", "connection lost", 4, 9),
    ]
    assert all(n.wait > 0 for n in notices)


def test_the_retry_budget_bounds_the_whole_run(sandbox: Sandbox) -> None:
    """Graph keeps answering 503: with retries left per request, the client-wide budget still ends it."""
    notices: list[RetryNotice] = []
    client = client_for(
        sandbox,
        max_retries=1000,
        backoff_base=0.1,
        backoff_cap=0.2,
        retry_budget=0.5,
        on_retry=notices.append,
    )
    inject(sandbox, match=r"/v1\.0/(users|groups)", status=503, times=None)
    started = time.monotonic()
    with pytest.raises(GraphError) as info:
        client.get("users")
    assert "retry budget of 0.5 s is used up" in str(info.value) and info.value.status == 503
    # The budget is the client's, not the request's: the next request has nothing left to wait with.
    with pytest.raises(GraphError, match="retry budget"):
        client.get("groups")
    assert time.monotonic() - started < 3
    assert 2 <= len(notices) < 20
