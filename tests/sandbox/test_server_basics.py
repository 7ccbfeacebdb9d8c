"""The sandbox transport as a Graph client sees it: TLS trust, bearer checks, Graph's response headers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from msal_session import session_for, token_for

from entragit.sandbox.server import Sandbox, _path_template

from .transport_helpers import admin, any_user_id, plain_session, stats


def test_info_has_the_six_documented_keys_and_graph_url_has_no_version(sandbox: Sandbox) -> None:
    info = sandbox.info()
    assert set(info) == {
        "graph_url",
        "authority_host",
        "tenant_id",
        "client_id",
        "client_secret",
        "ca_bundle",
    }
    assert info["graph_url"] == f"https://127.0.0.1:{sandbox.port}"
    assert info["authority_host"] == info["graph_url"]
    assert info["tenant_id"] == sandbox.tenant.tenant_id
    assert os.path.isfile(info["ca_bundle"])
    assert "BEGIN CERTIFICATE" in Path(info["ca_bundle"]).read_text()


def test_tls_is_verified_with_the_generated_ca_for_ip_and_localhost(sandbox: Sandbox) -> None:
    s = plain_session(sandbox)
    assert s.get(f"https://127.0.0.1:{sandbox.port}/_sandbox/stats").status_code == 200
    assert s.get(f"https://localhost:{sandbox.port}/_sandbox/stats").status_code == 200
    # Without the sandbox CA, verification fails: the sandbox is not trusted by accident.
    untrusted = requests.Session()
    untrusted.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        untrusted.get(f"https://127.0.0.1:{sandbox.port}/_sandbox/stats", timeout=5)


def test_each_sandbox_gets_its_own_port_and_secret(sandbox_factory: Callable[..., Sandbox]) -> None:
    a, b = sandbox_factory(), sandbox_factory()
    assert a.port != b.port
    assert a.client_secret != b.client_secret


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer not-a-token", "Bearer aaa.bbb.ccc", "Basic dXNlcjpwYXNz"],
)
def test_graph_without_a_valid_bearer_token_is_401_with_a_graph_error(
    sandbox: Sandbox, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = plain_session(sandbox).get(f"{sandbox.graph_url}/v1.0/users", headers=headers)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == "InvalidAuthenticationToken"
    assert err["message"]
    assert err["innerError"]["request-id"] == r.headers["request-id"]
    assert "WWW-Authenticate" in r.headers


def test_token_of_another_sandbox_is_rejected(sandbox_factory: Callable[..., Sandbox]) -> None:
    a, b = sandbox_factory(), sandbox_factory()
    r = plain_session(b).get(f"{b.graph_url}/v1.0/users", headers={"Authorization": f"Bearer {token_for(a)}"})
    assert r.status_code == 401


def test_expired_token_is_rejected_with_lifetime_message(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/organization").status_code == 200
    plain_session(sandbox).post(f"{sandbox.graph_url}/_sandbox/tokens/expire")
    r = graph_session.get(f"{sandbox.graph_url}/v1.0/organization")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "expired" in r.json()["error"]["message"]


def test_graph_headers_request_id_client_request_id_date(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    r = graph_session.get(
        f"{sandbox.graph_url}/v1.0/users", headers={"client-request-id": "my-correlation-id"}
    )
    assert r.status_code == 200
    assert r.headers["client-request-id"] == "my-correlation-id"
    assert len(r.headers["request-id"]) == 36
    assert r.headers["Date"].endswith("GMT")
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers["x-ms-resource-unit"] == "2"
    r2 = graph_session.get(f"{sandbox.graph_url}/v1.0/users")
    assert r2.headers["request-id"] != r.headers["request-id"]


def test_error_bodies_carry_the_request_ids_of_the_response(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    r = graph_session.get(
        f"{sandbox.graph_url}/v1.0/users/00000000-0000-0000-0000-00000000dead",
        headers={"client-request-id": "abc"},
    )
    assert r.status_code == 404
    inner = r.json()["error"]["innerError"]
    assert inner["request-id"] == r.headers["request-id"]
    assert inner["client-request-id"] == "abc"
    assert "date" in inner


def test_malformed_json_body_is_400(sandbox: Sandbox, graph_session: requests.Session) -> None:
    uid = any_user_id(graph_session, sandbox)
    r = graph_session.patch(
        f"{sandbox.graph_url}/v1.0/users/{uid}",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadRequest"


def test_only_v1_is_served(sandbox: Sandbox, graph_session: requests.Session) -> None:
    r = graph_session.get(f"{sandbox.graph_url}/beta/users")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadRequest"


def test_keep_alive_serves_many_requests_on_one_connection(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/organization").status_code == 200
    before = stats(sandbox)["connections"]
    for _ in range(20):
        assert graph_session.get(f"{sandbox.graph_url}/v1.0/organization").status_code == 200
    assert stats(sandbox)["connections"] == before + 1  # only the stats call's own connection is new


def test_latency_is_added_to_each_response_and_concurrency_still_helps(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory(latency_ms=300)
    s = session_for(box)
    t0 = time.monotonic()
    assert s.get(f"{box.graph_url}/v1.0/organization").status_code == 200
    assert time.monotonic() - t0 >= 0.3

    # Open eight connections without latency, then measure eight parallel requests with it.
    sessions = [session_for(box) for _ in range(8)]
    admin(box, "POST", "/throttle", {"latency_ms": 0})
    for ss in sessions:
        ss.get(f"{box.graph_url}/v1.0/organization")
    admin(box, "POST", "/throttle", {"latency_ms": 300})
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda ss: ss.get(f"{box.graph_url}/v1.0/organization").status_code, sessions))
    elapsed = time.monotonic() - t0
    assert codes == [200] * 8
    assert 0.3 <= elapsed < 0.3 * 8 / 2  # parallel, not serialized behind one lock


def test_stop_closes_the_port_and_keep_alive_connections(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    box = sandbox_factory()
    s = session_for(box)
    ca = box.ca_bundle
    s.verify = str(shutil.copy(ca, tmp_path / "ca.pem"))
    assert s.get(f"{box.graph_url}/v1.0/organization").status_code == 200
    box.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        s.get(f"{box.graph_url}/v1.0/organization", timeout=5)
    assert not os.path.exists(ca)  # the generated workdir is removed
    box.stop()  # idempotent


def test_context_manager_stops(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    with box as b:
        assert plain_session(b).get(f"{b.graph_url}/_sandbox/stats").status_code == 200
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", box.port), timeout=5):
        pass


def test_stats_count_graph_requests_and_resource_units(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    admin(sandbox, "POST", "/stats/reset")
    graph_session.get(f"{sandbox.graph_url}/v1.0/users")  # 2 RU
    graph_session.get(f"{sandbox.graph_url}/v1.0/users", params={"$select": "id"})  # 1 RU
    graph_session.get(f"{sandbox.graph_url}/v1.0/organization")  # 1 RU
    got = stats(sandbox)
    assert got["requests"] == 3
    assert got["resource_units"] == 4
    assert got["throttled"] == 0
    assert got["by_path"] == {"GET /organization": 1, "GET /users": 2}
    # Admin endpoints and token requests are not Graph requests.
    assert stats(sandbox)["requests"] == 3
    body = json.dumps(got)
    assert sandbox.client_secret not in body


def test_stats_report_the_serving_process_cpu_time(sandbox: Sandbox, graph_session: requests.Session) -> None:
    """Benchmarks subtract two readings to know what serving a run cost the shared cores."""
    before = stats(sandbox)["cpu_seconds"]
    for _ in range(20):
        graph_session.get(f"{sandbox.graph_url}/v1.0/users", params={"$top": "999"})
    after = stats(sandbox)["cpu_seconds"]
    assert after > before


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/groups/8f1e3b2a-1111-2222-3333-444455556666/members/$ref", "/groups/{id}/members/$ref"),
        ("/policies/authenticationMethodsPolicy", "/policies/authenticationMethodsPolicy"),
        ("/oauth2PermissionGrants/abcDEF-123_x", "/oauth2PermissionGrants/{id}"),
        ("/users/adele@contoso.com/manager", "/users/{id}/manager"),
        ("/directory/deletedItems/microsoft.graph.user", "/directory/deletedItems/microsoft.graph.user"),
        (
            "/roleManagement/directory/roleAssignments/lAPpYvVpN0KR-1",
            "/roleManagement/directory/roleAssignments/{id}",
        ),
    ],
)
def test_stats_group_paths_by_operation_not_by_object(path: str, template: str) -> None:
    assert _path_template(path) == template


def test_a_given_workdir_keeps_the_ca_across_restarts(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    work = tmp_path / "sandbox-work"
    first = sandbox_factory(workdir=str(work))
    ca = Path(first.ca_bundle)
    assert ca.parent == work
    pem = ca.read_bytes()
    first.stop()
    assert ca.read_bytes() == pem  # left in place

    second = sandbox_factory(workdir=str(work))
    assert Path(second.ca_bundle).read_bytes() == pem  # clients trusting it keep working
    assert session_for(second).get(f"{second.graph_url}/v1.0/organization").status_code == 200


def test_a_workdir_with_foreign_files_gets_fresh_certificates(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "ca.pem").write_text("not a certificate")
    (work / "server.pem").write_text("junk")
    (work / "server.key").write_text("junk")
    box = sandbox_factory(workdir=str(work))
    assert "BEGIN CERTIFICATE" in Path(box.ca_bundle).read_text()
    assert session_for(box).get(f"{box.graph_url}/v1.0/organization").status_code == 200
