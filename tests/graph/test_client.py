"""GraphClient against the in-process sandbox: paging, retries, $batch, delta, TLS trust.

A backup is only safe if every listing is complete or raises; these tests make Graph misbehave on cue (through
the sandbox's fault injection) and check that the client either recovers or fails loudly with one line.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from graph_helpers import client_for, inject
from graph_stub import Seen, serve

from entragit.graph.client import (
    DeltaExpired,
    GraphClient,
    GraphError,
    Write,
    _retry_after,
    merge_delta_entry,
)
from entragit.sandbox.server import Sandbox

# -- paging ------------------------------------------------------------------------------------------------


def test_list_follows_every_next_link(sandbox: Sandbox, graph_session: requests.Session) -> None:
    client = client_for(sandbox)
    ids = [u["id"] for u in client.list("users", {"$select": "id,displayName", "$top": 3})]
    assert len(ids) == len(set(ids)) == sandbox.tenant.user_count()
    # Pages of 3 for the whole tenant: the client really walked many pages, not one big one.
    assert client.stats["requests"] >= sandbox.tenant.user_count() // 3
    expected = graph_session.get(f"{sandbox.graph_url}/v1.0/users", params={"$top": "999"}).json()["value"]
    assert sorted(ids) == sorted(u["id"] for u in expected)


def test_failure_on_page_three_raises_instead_of_returning_a_partial_list(sandbox: Sandbox) -> None:
    client = client_for(sandbox, max_retries=1)
    items = client.list("users", {"$select": "id", "$top": 2})
    got = [next(items) for _ in range(4)]  # pages 1 and 2 are consumed; page 3 is not fetched yet
    assert len(got) == 4
    inject(sandbox, match=r"/v1\.0/users.*skiptoken", status=500, times=None)
    with pytest.raises(GraphError) as info:
        list(items)
    assert info.value.status == 500
    # And read all at once, a failure part-way leaves the caller with an exception, never a shorter list.
    with pytest.raises(GraphError):
        list(client_for(sandbox, max_retries=1).list("users", {"$select": "id", "$top": 2}))


# -- retries -----------------------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    inject(sandbox, match=r"/v1\.0/users", status=429, times=2, retry_after=0.05)
    started = time.monotonic()
    users = list(client.list("users", {"$select": "id"}))
    assert len(users) == sandbox.tenant.user_count()
    assert client.stats["throttled"] == 2
    assert client.stats["retries"] == 2
    assert time.monotonic() - started >= 0.1  # the Retry-After was honoured each time


def test_a_conditional_access_429_is_retried_once_the_tenants_second_has_passed(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    """Conditional access policies and named locations: 1 request per second per tenant, 429s without
    Retry-After (throttling-limits.md). The second of two requests sent together is refused once and
    retried a second after the first was answered, not again within that second."""
    box = sandbox_factory(throttle=True)
    client = client_for(box, backoff_base=0.5, backoff_cap=30.0)
    started = time.monotonic()
    list(client.list("identity/conditionalAccess/policies"))
    list(client.list("identity/conditionalAccess/namedLocations"))
    assert client.stats["throttled"] == 1 and client.stats["retries"] == 1
    assert 0.9 < time.monotonic() - started < 1.8


def test_503_and_a_dropped_connection_are_retried(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    inject(sandbox, match=r"/v1\.0/organization", status=503, times=2)
    inject(sandbox, match=r"/v1\.0/organization", drop_connection=True, times=1)
    org = client.get("organization")
    assert org["value"][0]["id"] == sandbox.tenant_id
    assert client.stats["retries"] == 3
    assert client.stats["throttled"] == 0


def test_throttling_is_bounded_by_time_not_by_retry_count(sandbox: Sandbox) -> None:
    # Graph may throttle for a long stretch; as long as it says "retry after", the client keeps waiting
    # (a throttled backup is slow, not failed), up to max_throttle_wait.
    client = client_for(sandbox, max_retries=1, max_throttle_wait=5.0)
    inject(sandbox, match=r"/v1\.0/organization", status=429, times=6, retry_after=0.01)
    assert client.get("organization")["value"]
    assert client.stats["throttled"] == 6

    groups = [g["id"] for g in client.list("groups", {"$select": "id"})]
    inject(sandbox, match=rf"/groups/{groups[0]}/owners", status=429, times=6, retry_after=0.01)
    got = client.list_many([f"groups/{g}/owners" for g in groups])
    assert len(got) == len(groups)

    impatient = client_for(sandbox, max_throttle_wait=0.3)
    inject(sandbox, match=r"/v1\.0/domains", status=429, times=None, retry_after=0.05)
    started = time.monotonic()
    with pytest.raises(GraphError) as info:
        impatient.get("domains")
    assert info.value.status == 429
    assert "TooManyRequests" in str(info.value)
    assert time.monotonic() - started < 3


def test_a_retry_after_holds_back_every_worker(sandbox: Sandbox) -> None:
    # Graph's resource-unit bucket is shared by all requests of the app: after one 429 with Retry-After,
    # requests from other workers wait too instead of spending quota on certain 429s.
    client = client_for(sandbox)
    slept: list[float] = []
    client.backoff.sleep = slept.append  # record instead of sleeping
    inject(sandbox, match=r"/v1\.0/organization", status=429, times=1, retry_after=5)
    client.get("organization")
    assert 5 <= slept[0] <= 6
    before = len(slept)
    client.get("users", {"$top": 1})  # another request, not throttled itself, still respects the pause
    assert len(slept) == before + 1 and 3 < slept[-1] <= 6

    bare = client_for(sandbox)
    waits: list[float] = []
    bare.backoff.sleep = waits.append
    inject(sandbox, match=r"/v1\.0/organization", status=429, times=1)  # no Retry-After: backoff only
    bare.get("organization")
    assert len(waits) == 1
    bare.get("users", {"$top": 1})
    assert len(waits) == 1


def test_persistent_failure_is_one_graph_error_line(sandbox: Sandbox) -> None:
    client = client_for(sandbox, max_retries=2)
    inject(sandbox, match=r"/v1\.0/groups", status=503, times=None)
    with pytest.raises(GraphError) as info:
        client.get("groups", {"$select": "id"})
    err = info.value
    assert (err.status, err.code, err.method) == (503, "serviceNotAvailable", "GET")
    text = str(err)
    assert "\n" not in text
    assert text.startswith("GET groups: 503 serviceNotAvailable:")
    assert "3 attempts" in text
    assert "Bearer" not in text and "Authorization" not in text
    assert client.stats["requests"] == 3


def test_a_create_is_resent_only_when_graph_says_it_was_not_processed(sandbox: Sandbox) -> None:
    body = {"displayName": "Ops", "mailEnabled": False, "mailNickname": "ops", "securityEnabled": True}
    client = client_for(sandbox)
    inject(sandbox, match=r"/v1\.0/groups$", method="POST", status=504, times=1)
    with pytest.raises(GraphError) as info:
        client.request("POST", "groups", json=body)  # a gateway timeout may hide a success: no resend
    assert info.value.status == 504
    assert client.stats["requests"] == 1
    inject(sandbox, match=r"/v1\.0/groups$", method="POST", status=503, times=1)
    created = client.request("POST", "groups", json=body)
    assert created is not None and created["displayName"] == "Ops"
    assert client.stats["retries"] == 1


def test_403_names_the_missing_permission(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    inject(sandbox, match=r"/v1\.0/identity/conditionalAccess/policies", status=403, times=1)
    with pytest.raises(GraphError) as info:
        list(client.list("identity/conditionalAccess/policies", required_permission="Policy.Read.All"))
    assert info.value.status == 403
    assert "Authorization_RequestDenied" in str(info.value)
    assert "Policy.Read.All" in str(info.value)


def test_401_fetches_a_fresh_token_once(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    inject(sandbox, match=r"/v1\.0/organization", status=401, times=1)
    assert client.get("organization")["value"]
    inject(sandbox, match=r"/v1\.0/organization", status=401, times=None)
    with pytest.raises(GraphError) as info:
        client.get("organization")
    assert info.value.status == 401


def test_expired_token_is_replaced(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    client.get("organization")
    sandbox.authority.expire_all()  # msal still holds the token as valid; Graph now answers 401
    assert client.get("organization")["value"]
    assert client.stats["retries"] == 1


# -- $batch ------------------------------------------------------------------------------------------------


def _group_ids(box: Sandbox, session: requests.Session) -> list[str]:
    body = session.get(f"{box.graph_url}/v1.0/groups", params={"$select": "id", "$top": "999"}).json()
    return [g["id"] for g in body["value"]]


def _direct(box: Sandbox, session: requests.Session, path: str) -> list[str]:
    ids: list[str] = []
    url: str | None = f"{box.graph_url}/v1.0/{path}?$select=id"
    while url:
        body = session.get(url).json()
        ids += [x["id"] for x in body["value"]]
        url = body.get("@odata.nextLink")
    return sorted(ids)


def test_list_many_batches_and_retries_inner_429(sandbox: Sandbox, graph_session: requests.Session) -> None:
    groups = _group_ids(sandbox, graph_session)
    assert len(groups) > 1
    paths = [f"groups/{g}/members" for g in groups] * 3  # duplicates are read once
    paths += [f"groups/{g}/owners" for g in groups]
    throttled = groups[0]
    inject(sandbox, match=rf"/groups/{throttled}/members", status=429, times=2, retry_after=0.05)
    client = client_for(sandbox)
    result = client.list_many(paths, {"$select": "id"})
    unique = list(dict.fromkeys(paths))
    assert list(result) == unique
    for path in unique:
        assert sorted(x["id"] for x in result[path]) == _direct(sandbox, graph_session, path), path
    assert client.stats["throttled"] == 2
    # 20 per $batch POST (plus two re-sent batches holding only the throttled request).
    assert client.stats["batched"] == len(unique) + 2
    assert client.stats["requests"] == -(-len(unique) // 20) + 2


def test_list_many_follows_inner_next_links(sandbox: Sandbox, graph_session: requests.Session) -> None:
    groups = _group_ids(sandbox, graph_session)
    paths = [f"groups/{g}/members" for g in groups]
    result = client_for(sandbox).list_many(paths, {"$select": "id", "$top": 1})
    for path in paths:
        assert sorted(x["id"] for x in result[path]) == _direct(sandbox, graph_session, path)
    assert any(len(v) > 1 for v in result.values())  # some inner listing really needed a nextLink


def test_list_many_keeps_each_page_as_it_arrives(sandbox: Sandbox, graph_session: requests.Session) -> None:
    """A big group's members are reduced page by page (ids, not decoded objects, are what accumulates), and
    the complete collection of kept items is what `convert` sees."""
    groups = _group_ids(sandbox, graph_session)
    paths = [f"groups/{g}/members" for g in groups]
    page_sizes: list[int] = []

    def keep(page: list[dict[str, Any]]) -> list[str]:
        page_sizes.append(len(page))
        return [str(x["id"]) for x in page]

    result = client_for(sandbox).list_many(paths, {"$select": "id", "$top": 2}, keep=keep, convert=sorted)
    for path in paths:
        assert result[path] == _direct(sandbox, graph_session, path)
    assert max(page_sizes) <= 2  # never a whole multi-page collection at once
    assert len(page_sizes) > len(paths)  # some collections did span pages


def test_list_many_inner_failure_names_the_path(sandbox: Sandbox, graph_session: requests.Session) -> None:
    groups = _group_ids(sandbox, graph_session)
    bad = groups[-1]
    inject(sandbox, match=rf"/groups/{bad}/owners", status=403, times=None)
    client = client_for(sandbox)
    with pytest.raises(GraphError) as info:
        client.list_many([f"groups/{g}/owners" for g in groups], required_permission="Group.Read.All")
    assert f"groups/{bad}/owners" in str(info.value)
    assert "Group.Read.All" in str(info.value)
    assert "\n" not in str(info.value)


def test_get_many_reads_single_objects_and_tolerates_404(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    users = graph_session.get(
        f"{sandbox.graph_url}/v1.0/users", params={"$select": "id", "$top": "999"}
    ).json()
    paths = [f"users/{u['id']}/manager" for u in users["value"]]
    client = client_for(sandbox)
    got = client.get_many(paths, {"$select": "id"})
    assert list(got) == paths
    for path in paths:
        direct = graph_session.get(f"{sandbox.graph_url}/v1.0/{path}", params={"$select": "id"})
        if direct.status_code == 404:
            assert got[path] is None
        else:
            manager = got[path]
            assert manager is not None and manager["id"] == direct.json()["id"]
    assert any(v is None for v in got.values()) and any(v is not None for v in got.values())
    assert client.stats["requests"] == -(-len(paths) // 20)
    with pytest.raises(GraphError) as info:
        client.get_many(["users/00000000-0000-0000-0000-000000000000"], missing_ok=False)
    assert info.value.status == 404


def test_list_many_paces_itself_when_the_budget_runs_dry(sandbox_factory: Callable[..., Sandbox]) -> None:
    # A backup reads thousands of relationships through concurrent $batch requests; once the tenant's
    # resource-unit budget is spent, a client that resends every refused request as soon as Retry-After allows
    # gets nearly all of them refused again (Retry-After covers one request, the resend is dozens). Graph asks
    # clients not to hammer a throttled tenant: the reads must still complete, with few 429s along the way.
    box = sandbox_factory(users=2000, throttle=True, throttle_budget=500)
    client = client_for(box)
    groups = [g["id"] for g in client.list("groups", {"$select": "id", "$top": 999})]
    paths = [f"groups/{g}/{rel}" for g in groups for rel in ("members", "owners")]
    # Counters to zero and the budget full again (the reset refills it): ~600 RU of reads against 500.
    requests.post(f"{box.graph_url}/_sandbox/stats/reset", verify=box.ca_bundle, timeout=10)

    got = client.list_many(paths, {"$select": "id", "$top": 999})

    stats = requests.get(f"{box.graph_url}/_sandbox/stats", verify=box.ca_bundle, timeout=10).json()
    assert stats["resource_units"] > 500  # more than the budget: the run really was throttled...
    assert stats["throttled"] > 0
    # ...yet most requests went through at the first attempt (resending every refused one after each
    # Retry-After gave 1,500-5,000 429s here; pacing gives ~60-130).
    assert stats["throttled"] < len(paths) / 2
    assert client.stats["throttled"] == stats["throttled"]
    assert list(got) == paths
    for g in groups:  # complete, not merely "no exception"
        expected = sorted(box.tenant.members("groups#members", g))
        assert sorted(m["id"] for m in got[f"groups/{g}/members"]) == expected


def test_list_many_of_nothing_sends_nothing(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    assert client.list_many([]) == {}
    assert client.stats["requests"] == 0


# -- delta -------------------------------------------------------------------------------------------------


def test_delta_round_then_changes_then_expired_token(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    first = client.delta("users/delta", {"$select": "id,displayName,jobTitle"})
    live = [u for u in first.items if "@removed" not in u]
    assert len(live) == sandbox.tenant.user_count()
    assert len({u["id"] for u in first.items}) == len(first.items)  # merged: one entry per id
    assert "deltatoken" in first.delta_link.lower()

    quiet = client.delta(first.delta_link)
    assert quiet.items == []

    target = live[0]["id"]
    client.request("PATCH", f"users/{target}", json={"jobTitle": "Chief Tester"})
    changed = client.delta(quiet.delta_link, headers={"Prefer": "return=minimal"})
    assert [u["id"] for u in changed.items] == [target]
    assert changed.items[0]["jobTitle"] == "Chief Tester"

    inject(sandbox, match=r"deltatoken", status=410, times=1)
    with pytest.raises(DeltaExpired) as info:
        client.delta(changed.delta_link)
    assert info.value.status == 410


def test_delta_expired_by_error_code(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    link = client.delta("groups/delta", {"$select": "id,displayName,members"}).delta_link
    inject(sandbox, match=r"deltatoken", status=400, code="syncStateNotFound", times=1)
    with pytest.raises(DeltaExpired):
        client.delta(link)


def test_delta_merges_a_big_group_split_across_pages(sandbox_factory: Callable[..., Sandbox]) -> None:
    users = [
        {
            "id": str(uuid.UUID(int=i + 1)),
            "displayName": f"User {i}",
            "userPrincipalName": f"user{i}@contoso.onmicrosoft.com",
            "accountEnabled": True,
            "mailNickname": f"user{i}",
        }
        for i in range(1200)
    ]
    big: dict[str, Any] = {
        "id": str(uuid.UUID(int=10**6)),
        "displayName": "Everyone",
        "mailEnabled": False,
        "securityEnabled": True,
        "mailNickname": "everyone",
        "groupTypes": [],
        "members": [u["id"] for u in users],
    }
    box = sandbox_factory(seed={"users": users, "groups": [big]})
    client = client_for(box)
    rnd = client.delta("groups/delta", {"$select": "id,displayName,members"})
    assert client.stats["requests"] > 1  # the members came in slices on several pages...
    (group,) = [g for g in rnd.items if g["id"] == big["id"]]  # ...and were merged into one entry
    assert sorted(m["id"] for m in group["members@delta"]) == sorted(big["members"])


def test_delta_merges_repeated_entries() -> None:
    first: dict[str, Any] = {
        "id": "g1",
        "displayName": "Old",
        "members@delta": [{"id": "u1"}, {"id": "u2"}],
    }
    merge_delta_entry(first, {"id": "g1", "displayName": "New", "members@delta": [{"id": "u3"}]})
    merge_delta_entry(first, {"id": "g1", "owners@delta": [{"id": "o1"}]})
    merge_delta_entry(first, {"id": "g1", "@removed": {"reason": "changed"}})
    assert first == {
        "id": "g1",
        "displayName": "New",
        "members@delta": [{"id": "u1"}, {"id": "u2"}, {"id": "u3"}],
        "owners@delta": [{"id": "o1"}],
        "@removed": {"reason": "changed"},
    }


# -- TLS trust ---------------------------------------------------------------------------------------------


def test_requests_ca_bundle_elsewhere_does_not_break_sandbox_trust(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    client = client_for(sandbox, env=None)  # env=None: the real os.environ
    assert client.get("organization")["value"]


def test_ca_bundle_from_environment_is_used_when_none_is_configured(sandbox: Sandbox) -> None:
    good = client_for(sandbox, env={"REQUESTS_CA_BUNDLE": sandbox.ca_bundle})
    no_ca = GraphClient(sandbox.graph_url, good._token, env={"REQUESTS_CA_BUNDLE": sandbox.ca_bundle})
    assert no_ca.get("organization")["value"]
    untrusted = GraphClient(
        sandbox.graph_url, good._token, env={"REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    )
    with pytest.raises(GraphError) as info:
        untrusted.get("organization")
    assert info.value.code == "TLSError"
    assert untrusted.stats["requests"] == 1  # a trust failure is not retried


# -- what only a scripted server can show ------------------------------------------------------------------


def _scripted(
    replies: list[tuple[int, dict[str, str], Any]],
) -> Callable[[Seen], tuple[int, dict[str, str], Any]]:
    queue = list(replies)

    def handler(seen: Seen) -> tuple[int, dict[str, str], Any]:
        return queue.pop(0) if queue else (200, {}, {"value": []})

    return handler


def test_headers_sent_and_request_id_kept_across_retries() -> None:
    busy = (503, {"Retry-After": "0"}, {"error": {"code": "serviceNotAvailable", "message": "busy"}})
    with serve(_scripted([busy])) as stub:
        client = GraphClient(stub.url, lambda: "tok", env={}, backoff_base=0.01)
        client.get("users/$count", headers={"ConsistencyLevel": "eventual"})
    first, second = stub.seen
    assert first.path == second.path == "/v1.0/users/$count"
    for seen in stub.seen:
        assert seen.headers["User-Agent"].startswith("entragit/")
        assert seen.headers["ConsistencyLevel"] == "eventual"
        assert seen.headers["Authorization"] == "Bearer tok"
    assert first.headers["client-request-id"] == second.headers["client-request-id"]


def test_retry_after_parsing() -> None:
    assert _retry_after({"Retry-After": "2.128"}) == pytest.approx(2.128)
    assert _retry_after({}) is None
    assert _retry_after({"Retry-After": "soon"}) is None
    assert _retry_after({"Retry-After": "99999"}) == 300.0
    assert _retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_https_proxy_from_environment_is_applied() -> None:
    client = GraphClient("https://graph.microsoft.com", lambda: "t", env={"HTTPS_PROXY": "http://proxy:3128"})
    assert client._session.proxies["https"] == "http://proxy:3128"
    bypass = GraphClient(
        "https://graph.microsoft.com",
        lambda: "t",
        env={"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".microsoft.com"},
    )
    assert "https" not in bypass._session.proxies


# -- writes through $batch ---------------------------------------------------------------------------------


def test_write_many_batches_writes_resends_only_throttled_ones_and_reports_each(
    sandbox: Sandbox, graph_session: requests.Session
) -> None:
    """json-batching.md: each inner request has its own status; a throttled one (429 with its Retry-After)
    is resent alone, a refused one is that write's result, not the batch's."""
    base = f"{sandbox.graph_url}/v1.0"
    listed = graph_session.get(f"{base}/users", params={"$select": "id,onPremisesSyncEnabled"}).json()[
        "value"
    ]
    users = [u["id"] for u in listed if not u.get("onPremisesSyncEnabled")]  # synced ones are refused
    assert len(users) > 20  # more than one $batch
    writes = [Write("PATCH", f"users/{u}", {"jobTitle": f"batched {i}"}) for i, u in enumerate(users)]
    missing = str(uuid.uuid4())
    writes.insert(7, Write("PATCH", f"users/{missing}", {"jobTitle": "x"}, "User.ReadWrite.All"))
    inject(sandbox, match=rf"/users/{users[3]}$", method="PATCH", status=429, times=2, retry_after=0.05)
    client = client_for(sandbox)
    results = client.write_many(writes)
    refused = results.pop(7)
    assert isinstance(refused, GraphError) and refused.status == 404 and missing in str(refused)
    assert results == [None] * len(users)
    for i, u in enumerate(users):
        got = graph_session.get(f"{base}/users/{u}", params={"$select": "jobTitle"}).json()
        assert got["jobTitle"] == f"batched {i}"
    assert client.stats["throttled"] == 2
    assert client.stats["batched"] == len(writes) + 2  # each once, the throttled one twice more
    assert client.stats["requests"] == -(-len(writes) // 20) + 2


def test_every_request_asks_for_evolvable_enum_members() -> None:
    """best-practices-concept.md (Evolvable enums): without `Prefer: include-unknown-enum-members` Graph
    answers a member after `unknownFutureValue` (a CA policy's `linux`) with the sentinel, and a backup would
    keep the sentinel. json-batching.md: an inner request carries its own headers, so each asks too; a
    caller's own preference (RFC 7240: comma-separated) is kept beside it."""

    def handler(seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.path.endswith("$batch"):
            answers = [{"id": r["id"], "status": 204} for r in seen.body["requests"]]
            for a, r in zip(answers, seen.body["requests"], strict=True):
                if r["method"] == "GET":
                    a.update(status=200, body={"value": []})
            return 200, {}, {"responses": answers}
        return 200, {}, {"value": []}

    with serve(handler) as stub:
        client = GraphClient(stub.url, lambda: "tok", env={}, backoff_base=0.01)
        list(client.list("identity/conditionalAccess/policies"))
        client.get("groups/delta", headers={"Prefer": "return=minimal"})
        client.list_many(["groups/a/members", "groups/b/members"])
        ca = "identity/conditionalAccess/policies"
        client.write_many([Write("PATCH", f"{ca}/p", {"state": "enabled"}), Write("DELETE", f"{ca}/q")])
    plain, minimal, batch, writes = stub.seen
    assert plain.headers["Prefer"] == "include-unknown-enum-members"
    prefs = {p.strip() for p in minimal.headers["Prefer"].split(",")}
    assert prefs == {"include-unknown-enum-members", "return=minimal"}
    for envelope in (batch, writes):
        assert envelope.headers["Prefer"] == "include-unknown-enum-members"
        for inner in envelope.body["requests"]:
            assert inner["headers"]["Prefer"] == "include-unknown-enum-members"
