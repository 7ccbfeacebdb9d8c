"""Fault injection through /_sandbox/faults: the failures client tests rely on, exactly when asked for."""

from __future__ import annotations

import pytest
import requests

from entragit.sandbox.server import Sandbox

from .transport_helpers import admin, stats


def _inject(box: Sandbox, **spec: object) -> None:
    r = admin(box, "POST", "/faults", spec)
    assert r.status_code == 201, r.text


def test_status_times_and_retry_after(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match=r"/users", status=503, times=2, retry_after=1.5)
    url = f"{sandbox.graph_url}/v1.0/users"
    for _ in range(2):
        r = graph_session.get(url)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1.5"
        err = r.json()["error"]
        assert err["code"] == "serviceNotAvailable"
        assert err["innerError"]["request-id"] == r.headers["request-id"]
    assert graph_session.get(url).status_code == 200
    assert stats(sandbox)["faults"] == 2


def test_429_without_retry_after(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match="organization", status=429, retry_after=None)
    r = graph_session.get(f"{sandbox.graph_url}/v1.0/organization")
    assert r.status_code == 429
    assert "Retry-After" not in r.headers
    err = r.json()["error"]
    assert err["code"] == "TooManyRequests"
    assert err["innerError"]["status"] == "429"


def test_default_is_one_time(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match="organization", status=500)
    url = f"{sandbox.graph_url}/v1.0/organization"
    assert graph_session.get(url).status_code == 500
    assert graph_session.get(url).status_code == 200


def test_match_sees_the_query_string_and_method_filter(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    _inject(sandbox, match=r"\$top=7\b", status=504, times=None)
    base = f"{sandbox.graph_url}/v1.0/users"
    assert graph_session.get(base, params={"$top": "7"}).status_code == 504
    assert graph_session.get(base, params={"$top": "7"}).status_code == 504  # until cleared
    assert graph_session.get(base, params={"$top": "8"}).status_code == 200
    admin(sandbox, "DELETE", "/faults")
    assert graph_session.get(base, params={"$top": "7"}).status_code == 200

    _inject(sandbox, match="/users", status=403, method="PATCH")
    assert graph_session.get(base).status_code == 200
    uid = graph_session.get(base, params={"$top": "1"}).json()["value"][0]["id"]
    r = graph_session.patch(f"{base}/{uid}", json={"jobTitle": "x"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "Authorization_RequestDenied"


def test_only_the_matching_path_fails(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match=r"^/v1\.0/groups", status=500, times=None)
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/users").status_code == 200
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/groups").status_code == 500


def test_drop_connection_closes_without_a_response(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match="/users", drop_connection=True, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        graph_session.get(f"{sandbox.graph_url}/v1.0/users", timeout=10)
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/users", timeout=10).status_code == 200


def test_delete_clears_and_get_lists(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match="users", status=500, times=3)
    _inject(sandbox, match="groups", status=503, times=None)
    listed = admin(sandbox, "GET", "/faults").json()["faults"]
    assert [(f["match"], f["times"]) for f in listed] == [("users", 3), ("groups", None)]
    assert admin(sandbox, "DELETE", "/faults").status_code == 204
    assert admin(sandbox, "GET", "/faults").json()["faults"] == []
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/users").status_code == 200


def test_several_faults_in_one_post_apply_in_order(sandbox: Sandbox, graph_session: requests.Session) -> None:
    r = admin(
        sandbox,
        "POST",
        "/faults",
        [{"match": "users", "status": 502}, {"match": "users", "status": 504}],
    )
    assert r.status_code == 201
    url = f"{sandbox.graph_url}/v1.0/users"
    assert [graph_session.get(url).status_code for _ in range(3)] == [502, 504, 200]


def test_fault_applies_to_the_batch_envelope_when_aimed_at_it(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    _inject(sandbox, match=r"\$batch", status=503, retry_after=3)
    r = graph_session.post(
        f"{sandbox.graph_url}/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users"}]}
    )
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "3"


def test_custom_code_and_message(sandbox: Sandbox, graph_session: requests.Session) -> None:
    _inject(sandbox, match="users/delta", status=410, code="syncStateNotFound", message="token expired")
    r = graph_session.get(f"{sandbox.graph_url}/v1.0/users/delta")
    assert r.status_code == 410
    assert r.json()["error"] == {
        "code": "syncStateNotFound",
        "message": "token expired",
        "innerError": r.json()["error"]["innerError"],
    }


@pytest.mark.parametrize(
    "spec",
    [
        "not an object",
        {"match": "(unclosed"},
        {"match": "x", "status": 99},
        {"match": "x", "status": "503"},
        {"match": "x", "times": 0},
        {"match": "x", "retry_after": "soon"},
    ],
)
def test_bad_fault_specs_are_400(sandbox: Sandbox, spec: object) -> None:
    r = admin(sandbox, "POST", "/faults", spec)
    assert r.status_code == 400
    assert admin(sandbox, "GET", "/faults").json()["faults"] == []


def test_admin_endpoints_need_no_token_and_unknown_ones_are_404(sandbox: Sandbox) -> None:
    assert admin(sandbox, "GET", "/stats").status_code == 200
    assert admin(sandbox, "GET", "/nope").status_code == 404


def test_stats_reset(sandbox: Sandbox, graph_session: requests.Session) -> None:
    graph_session.get(f"{sandbox.graph_url}/v1.0/users")
    assert stats(sandbox)["requests"] == 1
    assert admin(sandbox, "POST", "/stats/reset").status_code == 204
    got = stats(sandbox)
    assert (got["requests"], got["resource_units"], got["throttled"], got["by_path"]) == (0, 0, 0, {})


def test_drop_connection_on_an_inner_request_drops_the_whole_batch(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    _inject(sandbox, match="organization", drop_connection=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        graph_session.post(
            f"{sandbox.graph_url}/v1.0/$batch",
            json={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]},
            timeout=10,
        )


def _delta_link(session: requests.Session, box: Sandbox) -> str:
    url: str | None = f"{box.graph_url}/v1.0/users/delta?$select=id,displayName"
    while url:
        body = session.get(url).json()
        url = body.get("@odata.nextLink")
        if "@odata.deltaLink" in body:
            return str(body["@odata.deltaLink"])
    raise AssertionError("no deltaLink")


def test_tenant_clock_and_knobs_over_http(sandbox: Sandbox, graph_session: requests.Session) -> None:
    before = admin(sandbox, "GET", "/tenant").json()
    assert before["delta_token_days"] == 7.0
    link = _delta_link(graph_session, sandbox)
    assert graph_session.get(link).status_code == 200

    after = admin(sandbox, "POST", "/tenant", {"advance_seconds": 8 * 86400}).json()
    assert after["now"] > before["now"]
    r = graph_session.get(link)  # a delta token older than 7 days is gone
    assert r.status_code == 410

    fresh = _delta_link(graph_session, sandbox)
    admin(sandbox, "POST", "/tenant", {"delta_epoch": before["delta_epoch"] + 1})
    assert graph_session.get(fresh).status_code == 410  # a reset invalidates every token


def test_unknown_tenant_knob_is_400(sandbox: Sandbox) -> None:
    r = admin(sandbox, "POST", "/tenant", {"tenant_id": "x"})
    assert r.status_code == 400
    assert "delta_lag_seconds" in r.json()["error"]["message"]


def test_probability_fails_only_some_matching_requests(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    _inject(sandbox, match="organization", status=503, times=None, probability=0.5)
    codes = [graph_session.get(f"{sandbox.graph_url}/v1.0/organization").status_code for _ in range(120)]
    failures = codes.count(503)
    assert 25 <= failures <= 95  # ~60 expected; bounds leave ~1e-6 odds of a false alarm
    assert codes.count(200) == 120 - failures
    assert admin(sandbox, "POST", "/faults", {"match": "x", "probability": 0}).status_code == 400


def test_a_seeded_probability_replays_the_same_failures(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    """A fault schedule with a seed is reproducible: a failing soak run can be replayed as it ran."""
    runs = []
    for _ in range(2):
        _inject(sandbox, match="organization", status=503, times=None, probability=0.3, seed=11)
        runs.append(
            [graph_session.get(f"{sandbox.graph_url}/v1.0/organization").status_code for _ in range(40)]
        )
        admin(sandbox, "DELETE", "/faults")
    assert runs[0] == runs[1]
    assert 0 < runs[0].count(503) < 40
    assert admin(sandbox, "POST", "/faults", {"match": "x", "seed": "7"}).status_code == 400


def test_after_lets_the_first_matching_requests_through(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    """ "Page 3 fails": the first `after` matches pass, then the fault applies its `times`."""
    _inject(sandbox, match="organization", status=503, times=2, after=2)
    codes = [graph_session.get(f"{sandbox.graph_url}/v1.0/organization").status_code for _ in range(5)]
    assert codes == [200, 200, 503, 503, 200]
    assert admin(sandbox, "POST", "/faults", {"match": "x", "after": -1}).status_code == 400
