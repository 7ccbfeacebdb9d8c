"""Graph's identity throttling (docs/graph.md, Throttling; concepts/throttling-limits.md and its include
includes/throttling-identity-and-access.md, the 2025 table): RU costs and tiers, write quota, 1 rps for CA
policies."""

from __future__ import annotations

import time
from collections.abc import Callable

import msal
import pytest
import requests
from msal_session import session_for

from entragit.sandbox import throttle as throttle_mod
from entragit.sandbox.server import Sandbox
from entragit.sandbox.throttle import Throttle, request_cost, tier_budget

from .transport_helpers import admin, any_user_id, plain_session, stats

APP = "app-1"
TENANT = "tenant-1"


@pytest.mark.parametrize(("users", "budget"), [(0, 3500), (49, 3500), (50, 5000), (500, 5000), (501, 8000)])
def test_budget_follows_the_tenant_size_tiers(users: int, budget: int) -> None:
    assert tier_budget(users) == budget


@pytest.mark.parametrize(
    ("method", "path", "query", "cost"),
    [
        ("GET", "/users", {}, 2),
        ("GET", "/users", {"$select": "id"}, 1),
        ("GET", "/users/abc", {}, 1),  # one user is no row of the table: 1 RU
        ("GET", "/users/delta", {}, 2),
        ("GET", "/users/abc/memberOf", {}, 2),
        ("GET", "/users", {"$top": "5"}, 1),
        ("GET", "/users", {"$top": "5", "$select": "id"}, 1),  # floor 1
        ("GET", "/users", {"$top": "999", "$select": "id"}, 1),
        ("GET", "/groups", {}, 1),
        ("GET", "/groups", {"$expand": "members"}, 2),
        ("GET", "/groups/g1/members", {}, 3),
        ("GET", "/groups/g1/members", {"$select": "id"}, 2),
        ("GET", "/groups/g1/members/$ref", {}, 3),
        ("GET", "/groups/g1/transitiveMembers", {}, 5),
        ("GET", "/subscribedSkus", {}, 3),
        ("GET", "/applications", {}, 2),
        ("GET", "/applications/a1/extensionProperties", {}, 2),
        ("GET", "/oauth2PermissionGrants", {}, 2),
        ("GET", "/servicePrincipals/s1/appRoleAssignments", {}, 2),
        ("GET", "/servicePrincipals/s1/appRoleAssignedTo", {}, 1),
        ("GET", "/organization", {}, 1),
        ("POST", "/directoryObjects/getByIds", {}, 5),
        ("POST", "/directoryObjects/getByIds", {"$select": "id"}, 2),  # the page's note: not 5 - 1
        ("POST", "/getObjectsById", {}, 5),
        ("GET", "/applications/a1", {}, 1),
        ("POST", "/users/u1/checkMemberGroups", {}, 4),
        ("PATCH", "/users/u1", {}, 1),
        ("POST", "/groups", {}, 1),
        ("DELETE", "/groups/g1/members/u1/$ref", {}, 1),
    ],
)
def test_request_costs_follow_the_documented_table(
    method: str, path: str, query: dict[str, str], cost: int
) -> None:
    assert request_cost(method, path, query) == cost


def test_bucket_refuses_beyond_the_budget_without_charging_and_refills() -> None:
    t = Throttle(10)  # 10 RU per 10 s = 1 RU/s
    for _ in range(5):
        assert t.charge(APP, TENANT, "GET", "/users", {}).allowed
    refused = t.charge(APP, TENANT, "GET", "/users", {})
    assert not refused.allowed
    assert refused.reason == "ResourceUnitLimitExceeded"
    assert 1.5 < float(refused.headers["Retry-After"]) <= 2.0
    assert refused.headers["x-ms-throttle-scope"] == f"Tenant_Application/Read/{APP}/{TENANT}"
    assert refused.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    # Another application in the same tenant has its own budget.
    assert t.charge("app-2", TENANT, "GET", "/users", {}).allowed
    # A 1 RU request still fits after a second of refill.
    time.sleep(1.05)
    assert t.charge(APP, TENANT, "GET", "/organization", {}).allowed


def test_limit_percentage_header_appears_above_80_percent() -> None:
    t = Throttle(10)
    first = t.charge(APP, TENANT, "GET", "/users", {})
    assert "x-ms-throttle-limit-percentage" not in first.headers
    assert first.headers["x-ms-resource-unit"] == "2"
    for _ in range(3):
        t.charge(APP, TENANT, "GET", "/users", {})
    late = t.charge(APP, TENANT, "GET", "/organization", {})  # 9 of 10 used
    assert float(late.headers["x-ms-throttle-limit-percentage"]) >= 0.8


def test_write_quota_is_separate_from_resource_units() -> None:
    t = Throttle(1000, write_quota=3)
    for _ in range(3):
        assert t.charge(APP, TENANT, "PATCH", "/users/u1", {}).allowed
    refused = t.charge(APP, TENANT, "PATCH", "/users/u1", {})
    assert not refused.allowed
    assert refused.reason == "WriteLimitExceeded"
    assert refused.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert refused.headers["x-ms-throttle-scope"].startswith("Tenant_Application/Write/")
    assert float(refused.headers["Retry-After"]) > 0
    assert t.charge(APP, TENANT, "GET", "/users", {}).allowed  # reads still pass


def test_conditional_access_is_one_request_per_second_per_tenant_without_retry_after() -> None:
    t = Throttle(100000)
    assert t.charge(APP, TENANT, "GET", "/identity/conditionalAccess/policies", {}).allowed
    refused = t.charge("other-app", TENANT, "GET", "/identity/conditionalAccess/namedLocations", {})
    assert not refused.allowed
    assert "Retry-After" not in refused.headers
    assert refused.retry_after is None
    assert t.charge(APP, "other-tenant", "GET", "/identity/conditionalAccess/policies", {}).allowed
    time.sleep(1.0)
    assert t.charge(APP, TENANT, "GET", "/identity/conditionalAccess/policies/p1", {}).allowed


def test_disabled_throttle_never_refuses_but_still_reports_costs() -> None:
    t = Throttle(1, enabled=False)
    for _ in range(50):
        d = t.charge(APP, TENANT, "GET", "/users", {})
        assert d.allowed
    assert d.headers["x-ms-resource-unit"] == "2"
    assert t.charge(APP, TENANT, "GET", "/identity/conditionalAccess/policies", {}).allowed
    assert t.charge(APP, TENANT, "GET", "/identity/conditionalAccess/policies", {}).allowed


# -- over HTTP ---------------------------------------------------------------------------------------------


def test_429_over_http_has_graph_body_and_headers_and_retry_after_works(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory(throttle=True, throttle_budget=20)  # 2 RU/s
    s = session_for(box)
    codes: list[int] = []
    t0 = time.monotonic()
    while 429 not in codes and len(codes) < 40:
        codes.append(s.get(f"{box.graph_url}/v1.0/users").status_code)
    elapsed = time.monotonic() - t0
    passed = len(codes) - 1
    # The 20 RU budget at 2 RU each, plus what refilled (2 RU/s) while the loop ran.
    assert 10 <= passed <= 11 + elapsed
    r = s.get(f"{box.graph_url}/v1.0/users")
    assert r.status_code == 429
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == "TooManyRequests"
    assert err["message"] == "Please retry again later."
    assert err["innerError"]["code"] == "429"
    assert err["innerError"]["status"] == "429"
    assert err["innerError"]["request-id"] == r.headers["request-id"]
    retry = float(r.headers["Retry-After"])
    assert 0 < retry <= 1.0
    assert r.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert r.headers["x-ms-throttle-scope"] == f"Tenant_Application/Read/{box.client_id}/{box.tenant_id}"
    time.sleep(retry + 0.05)
    ok = s.get(f"{box.graph_url}/v1.0/users")
    assert ok.status_code == 200
    assert float(ok.headers["x-ms-throttle-limit-percentage"]) > 0.8
    got = stats(box)
    assert got["throttled"] == 2
    assert got["requests"] == passed + 3
    assert got["resource_units"] == (passed + 1) * 2


def test_conditional_access_over_http_has_no_retry_after(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory(throttle=True)
    s = session_for(box)
    url = f"{box.graph_url}/v1.0/identity/conditionalAccess/policies"
    assert s.get(url).status_code == 200
    r = s.get(f"{box.graph_url}/v1.0/identity/conditionalAccess/namedLocations")
    assert r.status_code == 429
    assert "Retry-After" not in r.headers
    assert r.json()["error"]["code"] == "TooManyRequests"
    time.sleep(1.0)
    assert s.get(url).status_code == 200


def test_write_quota_over_http(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory(throttle=True)
    box.throttle.write_quota = 2  # the documented 3,000 per 150 s, shrunk so a test can reach it
    s = session_for(box)
    uid = any_user_id(s, box)
    codes = [
        s.patch(f"{box.graph_url}/v1.0/users/{uid}", json={"jobTitle": f"t{i}"}).status_code for i in range(3)
    ]
    assert codes == [204, 204, 429]
    r = s.patch(f"{box.graph_url}/v1.0/users/{uid}", json={"jobTitle": "again"})
    assert r.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert float(r.headers["Retry-After"]) > 0


def test_no_throttle_serves_everything(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory(throttle=False, throttle_budget=1)
    s = session_for(box)
    assert all(s.get(f"{box.graph_url}/v1.0/users").status_code == 200 for _ in range(20))
    assert stats(box)["throttled"] == 0


def test_default_budget_comes_from_the_tenant_size(sandbox: Sandbox) -> None:
    assert sandbox.throttle.budget == tier_budget(sandbox.tenant.user_count())


def test_throttle_settings_can_change_at_runtime(sandbox: Sandbox, graph_session: requests.Session) -> None:
    r = admin(sandbox, "POST", "/throttle", {"enabled": True, "budget": 4})
    assert r.json() == {
        "enabled": True,
        "budget": 4,
        "write_quota": 3000,
        "tenant_write_quota": 18000,
        "latency_ms": 0,
    }
    codes = [graph_session.get(f"{sandbox.graph_url}/v1.0/users").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    admin(sandbox, "POST", "/throttle", {"enabled": False})
    assert graph_session.get(f"{sandbox.graph_url}/v1.0/users").status_code == 200


def test_each_application_has_its_own_budget_over_http(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory(throttle=True, throttle_budget=4)
    s = session_for(box)
    assert [s.get(f"{box.graph_url}/v1.0/users").status_code for _ in range(3)] == [200, 200, 429]
    other_id = "0f0e0d0c-0b0a-4909-8807-060504030201"
    secret = box.add_client(other_id)
    app = msal.ConfidentialClientApplication(
        other_id,
        client_credential=secret,
        authority=f"{box.authority_host}/{box.tenant_id}",
        instance_discovery=False,
        http_client=plain_session(box),
    )
    token = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])["access_token"]
    r = plain_session(box).get(f"{box.graph_url}/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_reports_are_five_requests_per_ten_seconds_per_app() -> None:
    t = Throttle(100000)
    for _ in range(5):
        assert t.charge(APP, TENANT, "GET", "/auditLogs/directoryAudits", {}).allowed
    refused = t.charge(APP, TENANT, "GET", "/auditLogs/directoryAudits", {"$top": "999"})
    assert not refused.allowed
    assert 1.5 < float(refused.headers["Retry-After"]) <= 2.0
    assert t.charge("app-2", TENANT, "GET", "/auditLogs/directoryAudits", {}).allowed
    assert t.charge(APP, TENANT, "GET", "/users", {}).allowed  # the directory budget is separate


def test_tenant_wide_write_quota_spans_applications(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle_mod, "TENANT_WRITE_QUOTA", 4)  # 18,000 per 5 min, shrunk
    t = Throttle(1000000, write_quota=1000000)
    for i in range(4):
        assert t.charge(f"app-{i}", TENANT, "POST", "/groups", {}).allowed
    refused = t.charge("app-9", TENANT, "PATCH", "/groups/g1", {})
    assert not refused.allowed
    assert refused.headers["x-ms-throttle-scope"] == f"Tenant/Write/app-9/{TENANT}"
    assert refused.headers["x-ms-throttle-information"] == "WriteLimitExceeded"


def test_write_quotas_are_settable_and_retry_after_is_whole_seconds_until_the_window_admits(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    """throttling-limits.md (identity and access): writes are limited to 3,000 per app per 150 s and 18,000
    per tenant per 5 min; throttling.md: Retry-After is the number of seconds to wait. The window admits the
    next write when its oldest write is 150 s old, so Retry-After is an integer close to 150."""
    box = sandbox_factory(throttle=True)
    r = admin(box, "POST", "/throttle", {"write_quota": 2, "tenant_write_quota": 3})
    assert (r.json()["write_quota"], r.json()["tenant_write_quota"]) == (2, 3)
    s = session_for(box)
    uid = any_user_id(s, box)
    url = f"{box.graph_url}/v1.0/users/{uid}"
    assert [s.patch(url, json={"jobTitle": f"t{i}"}).status_code for i in range(2)] == [204, 204]
    refused = s.patch(url, json={"jobTitle": "t2"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"].isdigit()
    assert 148 <= int(refused.headers["Retry-After"]) <= 150
    assert refused.headers["x-ms-throttle-scope"].startswith("Tenant_Application/Write/")
    # A second application has its own 150 s quota but shares the tenant's: one more write fills it.
    other = box.add_client("0e3c6a55-4b1f-4f7e-9d1a-2b3c4d5e6f70")
    info = {**box.info(), "client_id": "0e3c6a55-4b1f-4f7e-9d1a-2b3c4d5e6f70", "client_secret": other}
    s2 = session_for(info)
    assert s2.patch(url, json={"jobTitle": "t3"}).status_code == 204
    tenant_refused = s2.patch(url, json={"jobTitle": "t4"})
    assert tenant_refused.status_code == 429
    assert tenant_refused.headers["x-ms-throttle-scope"].startswith("Tenant/Write/")
    assert 298 <= int(tenant_refused.headers["Retry-After"]) <= 300
    assert admin(box, "POST", "/throttle", {"write_quota": 0}).status_code == 400


def test_a_write_window_admits_again_once_its_oldest_write_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quota counts the writes of the last 150 s (throttling-limits.md), not a continuous refill: after
    two writes at t=0 and t=100, a third at t=120 waits 30 s; at t=150 one write is admitted again."""
    clock = [1000.0]
    monkeypatch.setattr(throttle_mod.time, "monotonic", lambda: clock[0])
    t = Throttle(1000000, write_quota=2)
    assert t.charge(APP, TENANT, "PATCH", "/users/u1", {}).allowed
    clock[0] += 100
    assert t.charge(APP, TENANT, "PATCH", "/users/u1", {}).allowed
    clock[0] += 20
    refused = t.charge(APP, TENANT, "PATCH", "/users/u1", {})
    assert not refused.allowed and refused.headers["Retry-After"] == "30"
    clock[0] += 30
    assert t.charge(APP, TENANT, "PATCH", "/users/u1", {}).allowed
    assert not t.charge(APP, TENANT, "PATCH", "/users/u1", {}).allowed
