"""JSON batching as documented (docs/graph.md, JSON batching): ≤20 requests, unique ids, dependsOn → 424,
envelope 200."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from msal_session import session_for

from entragit.sandbox.server import Sandbox

from .transport_helpers import admin, any_user_id, plain_session, stats

MISSING = "00000000-0000-0000-0000-00000000dead"


def _batch(session: requests.Session, box: Sandbox, requests_: list[dict[str, Any]]) -> requests.Response:
    return session.post(f"{box.graph_url}/v1.0/$batch", json={"requests": requests_})


def _by_id(r: requests.Response) -> dict[str, dict[str, Any]]:
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["responses"]}


def test_envelope_is_200_with_inner_statuses_headers_and_bodies(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    r = _batch(
        graph_session,
        sandbox,
        [
            {"id": "1", "method": "GET", "url": "/users?$select=id,displayName&$top=2"},
            {"id": "2", "method": "GET", "url": f"/users/{MISSING}"},
            {"id": "3", "method": "GET", "url": "organization"},  # relative without leading slash works too
        ],
    )
    assert r.headers["Content-Type"].startswith("application/json")
    got = _by_id(r)
    assert set(got) == {"1", "2", "3"}
    assert got["1"]["status"] == 200
    assert len(got["1"]["body"]["value"]) == 2
    assert set(got["1"]["body"]["value"][0]) >= {"id", "displayName"}
    assert got["1"]["headers"]["Content-Type"].startswith("application/json")
    assert got["1"]["headers"]["x-ms-resource-unit"] == "1"  # users 2 RU, $select −1
    assert got["2"]["status"] == 404
    assert got["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert got["3"]["status"] == 200


def test_inner_write_with_content_type_is_executed(sandbox: Sandbox, graph_session: requests.Session) -> None:
    uid = any_user_id(graph_session, sandbox)
    r = _batch(
        graph_session,
        sandbox,
        [
            {
                "id": "a",
                "method": "PATCH",
                "url": f"/users/{uid}",
                "headers": {"Content-Type": "application/json"},
                "body": {"jobTitle": "Batched title"},
            },
            {"id": "b", "method": "GET", "url": f"/users/{uid}?$select=jobTitle", "dependsOn": ["a"]},
        ],
    )
    got = _by_id(r)
    assert got["a"]["status"] == 204
    assert "body" not in got["a"]
    assert got["b"]["status"] == 200
    assert got["b"]["body"]["jobTitle"] == "Batched title"


def test_twenty_requests_are_accepted_twenty_one_are_400(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    reqs = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(1, 21)]
    assert len(_by_id(_batch(graph_session, sandbox, reqs))) == 20
    reqs.append({"id": "21", "method": "GET", "url": "/organization"})
    r = _batch(graph_session, sandbox, reqs)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadRequest"
    assert "20" in r.json()["error"]["message"]


def test_duplicate_ids_are_400_case_insensitively(sandbox: Sandbox, graph_session: requests.Session) -> None:
    r = _batch(
        graph_session,
        sandbox,
        [
            {"id": "abc", "method": "GET", "url": "/organization"},
            {"id": "ABC", "method": "GET", "url": "/organization"},
        ],
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadRequest"


def test_body_without_content_type_header_is_400(sandbox: Sandbox, graph_session: requests.Session) -> None:
    uid = any_user_id(graph_session, sandbox)
    r = _batch(
        graph_session,
        sandbox,
        [{"id": "1", "method": "PATCH", "url": f"/users/{uid}", "body": {"jobTitle": "x"}}],
    )
    assert r.status_code == 400
    assert "Content-Type" in r.json()["error"]["message"]
    # And nothing was executed.
    assert (
        graph_session.get(f"{sandbox.graph_url}/v1.0/users/{uid}?$select=jobTitle").json().get("jobTitle")
        != "x"
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"requests": "nope"},
        {"requests": []},
        {"requests": [{"method": "GET", "url": "/users"}]},
        {"requests": [{"id": "1", "url": "/users"}]},
        {"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}]},
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
                {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]},
            ]
        },
    ],
)
def test_malformed_batches_are_400(sandbox: Sandbox, graph_session: requests.Session, payload: Any) -> None:
    r = graph_session.post(f"{sandbox.graph_url}/v1.0/$batch", json=payload)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadRequest"


def test_dependents_of_a_failed_request_get_424(sandbox: Sandbox, graph_session: requests.Session) -> None:
    r = _batch(
        graph_session,
        sandbox,
        [
            {"id": "3", "method": "GET", "url": "/organization", "dependsOn": ["2"]},
            {"id": "1", "method": "GET", "url": f"/users/{MISSING}"},
            {"id": "2", "method": "GET", "url": "/organization", "dependsOn": ["1"]},
            {"id": "4", "method": "GET", "url": "/organization"},
        ],
    )
    got = _by_id(r)
    assert got["1"]["status"] == 404
    assert got["2"]["status"] == 424
    assert got["3"]["status"] == 424  # transitively
    assert got["2"]["body"]["error"]["code"] == "FailedDependency"
    assert got["4"]["status"] == 200
    # Responses come back in request order (Graph does not promise an order; clients match by id).
    assert [item["id"] for item in r.json()["responses"]] == ["3", "1", "2", "4"]


def test_dependents_run_after_their_dependency(sandbox: Sandbox, graph_session: requests.Session) -> None:
    uid = any_user_id(graph_session, sandbox)
    r = _batch(
        graph_session,
        sandbox,
        [
            {"id": "read", "method": "GET", "url": f"/users/{uid}?$select=jobTitle", "dependsOn": ["write"]},
            {
                "id": "write",
                "method": "PATCH",
                "url": f"/users/{uid}",
                "headers": {"content-type": "application/json"},
                "body": {"jobTitle": "Ordered"},
            },
        ],
    )
    got = _by_id(r)
    assert got["write"]["status"] == 204
    assert got["read"]["body"]["jobTitle"] == "Ordered"


def test_absolute_inner_url_is_an_inner_400(sandbox: Sandbox, graph_session: requests.Session) -> None:
    got = _by_id(
        _batch(
            graph_session,
            sandbox,
            [{"id": "1", "method": "GET", "url": f"{sandbox.graph_url}/v1.0/users"}],
        )
    )
    assert got["1"]["status"] == 400


def test_batch_needs_a_token(sandbox: Sandbox) -> None:
    r = plain_session(sandbox).post(
        f"{sandbox.graph_url}/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users"}]}
    )
    assert r.status_code == 401


def test_stats_count_each_inner_request_not_the_envelope(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    admin(sandbox, "POST", "/stats/reset")
    _batch(
        graph_session,
        sandbox,
        [
            {"id": "1", "method": "GET", "url": "/users"},
            {"id": "2", "method": "GET", "url": "/users?$select=id"},
            {"id": "3", "method": "GET", "url": "/organization"},
        ],
    )
    got = stats(sandbox)
    assert got["requests"] == 3
    assert got["batches"] == 1
    assert got["resource_units"] == 2 + 1 + 1
    assert "POST /$batch" not in got["by_path"]


def test_inner_requests_are_throttled_individually_with_their_own_retry_after(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory(throttle=True, throttle_budget=10)
    s = session_for(box)
    r = _batch(s, box, [{"id": str(i), "method": "GET", "url": "/users"} for i in range(1, 11)])
    assert r.status_code == 200  # the envelope never fails for inner 429s
    got = _by_id(r)
    statuses = [got[str(i)]["status"] for i in range(1, 11)]
    assert statuses[:5] == [200] * 5  # 5 × 2 RU = the budget
    assert statuses[5:] == [429] * 5
    throttled = got["6"]
    assert float(throttled["headers"]["Retry-After"]) > 0
    assert throttled["body"]["error"]["code"] == "TooManyRequests"
    assert stats(box)["throttled"] == 5


def test_faults_apply_to_inner_requests(sandbox: Sandbox, graph_session: requests.Session) -> None:
    admin(
        sandbox,
        "POST",
        "/faults",
        {"match": r"/v1\.0/organization", "status": 503, "times": 1, "retry_after": 2},
    )
    got = _by_id(
        _batch(
            graph_session,
            sandbox,
            [
                {"id": "1", "method": "GET", "url": "/organization"},
                {"id": "2", "method": "GET", "url": "/organization"},
                {"id": "3", "method": "GET", "url": "/users?$top=1"},
            ],
        )
    )
    assert got["1"]["status"] == 503
    assert got["1"]["headers"]["Retry-After"] == "2"
    assert got["1"]["body"]["error"]["code"] == "serviceNotAvailable"
    assert got["2"]["status"] == 200
    assert got["3"]["status"] == 200


def test_a_sandbox_bug_in_one_inner_request_is_a_500_for_that_request_only(
    sandbox: Sandbox, graph_session: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sandbox.api.handle

    def flaky(req: Any) -> Any:
        if req.path == "/organization":
            raise RuntimeError("boom")
        return real(req)

    monkeypatch.setattr(sandbox.api, "handle", flaky)
    got = _by_id(
        _batch(
            graph_session,
            sandbox,
            [
                {"id": "1", "method": "GET", "url": "/organization"},
                {"id": "2", "method": "GET", "url": "/users"},
            ],
        )
    )
    assert got["1"]["status"] == 500
    assert got["1"]["body"]["error"]["code"] == "generalException"
    assert got["2"]["status"] == 200
    r = graph_session.get(f"{sandbox.graph_url}/v1.0/organization")
    assert r.status_code == 500  # and the server keeps serving
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/users").status_code == 200
