"""Feature rollout policies over raw HTTP, as Microsoft documents them (api-reference/v1.0):

- every page's permission table: "Delegated (work or school account)" only, "Not supported." for Application
  (featurerolloutpolicies-list.md, featurerolloutpolicy-get.md, featurerolloutpolicies-post.md,
  featurerolloutpolicy-update.md, featurerolloutpolicy-delete.md, featurerolloutpolicy-post-appliesto.md,
  featurerolloutpolicy-delete-appliesto.md); Microsoft's permissions file: Policy.Read.HybridAuthentication
  to list, Policy.ReadWrite.HybridAuthentication (or Directory.ReadWrite.All) to write;
- featurerolloutpolicies-list.md (`$expand`), featurerolloutpolicy-get.md (Example 2: `$expand=appliesTo`,
  each group as a directory object);
- featurerolloutpolicies-post.md (201; required: displayName, feature, isEnabled; feature a
  stagedFeatureName); featurerolloutpolicy-update.md (204; description, displayName,
  isAppliedToOrganization, isEnabled);
- featurerolloutpolicy-post-appliesto.md (`POST .../appliesTo/$ref`, 201), -delete-appliesto.md (204);
  resources/featurerolloutpolicy.md, limitations: at most 10 groups, groups only, no dynamic groups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from msal_session import session_for, user_session_for

from entragit.sandbox import seed as seed_mod
from entragit.sandbox.server import Sandbox

from .api_helpers import Graph, assert_error, security_group

PATH = "policies/featureRolloutPolicies"


@pytest.fixture
def box(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(seed=seed_mod.demo_seed())


@pytest.fixture
def user(box: Sandbox) -> Graph:
    return Graph(box, user_session_for(box))


def refused(r: Any) -> None:
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("BadRequest", "Request_BadRequest")


def ref(box: Sandbox, oid: str) -> dict[str, str]:
    return {"@odata.id": f"{box.info()['graph_url'].rstrip('/')}/directoryObjects/{oid}"}


def groups(user: Graph, **flt: Any) -> list[dict[str, Any]]:
    listed = user.get("groups", {"$top": "999"}).json()["value"]
    return [g for g in listed if all(g.get(k) == v for k, v in flt.items())]


def new_policy(user: Graph, **extra: Any) -> dict[str, Any]:
    body = {"displayName": "SSO pilot", "feature": "seamlessSso", "isEnabled": True, **extra}
    r = user.post(PATH, body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_an_app_token_is_refused_whatever_it_holds(box: Sandbox) -> None:
    """Application: "Not supported." on every page: the sandbox's app holds every permission it knows and
    still gets Graph's 403, for reads and writes."""
    app = Graph(box, session_for(box))
    assert_error(app.get(PATH), 403, "Authorization_RequestDenied")
    body = {"displayName": "x", "feature": "seamlessSso", "isEnabled": True}
    assert_error(app.post(PATH, body), 403, "Authorization_RequestDenied")


def test_a_user_token_needs_the_delegated_permission(box: Sandbox) -> None:
    """Microsoft's permissions file: Policy.Read.HybridAuthentication lists the policies (with their
    groups, `$expand`); one policy is read with Policy.ReadWrite.HybridAuthentication
    (featurerolloutpolicy-get.md)."""
    box.tenant.permissions = ["Policy.Read.HybridAuthentication"]
    reader = Graph(box, user_session_for(box))
    (pilot,) = reader.get(PATH, {"$expand": "appliesTo"}).json()["value"]
    assert len(pilot["appliesTo"]) == 1
    assert_error(reader.get(f"{PATH}/{pilot['id']}"), 403, "Authorization_RequestDenied")
    body = {"displayName": "x", "feature": "seamlessSso", "isEnabled": True}
    assert_error(reader.post(PATH, body), 403, "Authorization_RequestDenied")
    box.tenant.permissions = ["Policy.Read.All"]  # no page lists it for feature rollout
    assert_error(Graph(box, user_session_for(box)).get(PATH), 403, "Authorization_RequestDenied")


def test_list_and_expand_applies_to(user: Graph) -> None:
    (pilot,) = user.get(PATH).json()["value"]
    assert set(pilot) == {
        "id",
        "displayName",
        "description",
        "feature",
        "isEnabled",
        "isAppliedToOrganization",
    }
    assert pilot["feature"] == "passwordHashSync" and pilot["isAppliedToOrganization"] is False
    (expanded,) = user.get(PATH, {"$expand": "appliesTo"}).json()["value"]
    (group,) = expanded["appliesTo"]
    assert group["@odata.type"] == "#microsoft.graph.group"
    one = user.get(f"{PATH}/{pilot['id']}", {"$expand": "appliesTo"}).json()
    assert [g["id"] for g in one["appliesTo"]] == [group["id"]]
    refused(user.get(PATH, {"$expand": "owners"}))


def test_create_requires_the_documented_properties_and_a_known_feature(user: Graph) -> None:
    created = new_policy(user, description="first wave")
    assert created["isAppliedToOrganization"] is False and created["feature"] == "seamlessSso"
    assert user.get(f"{PATH}/{created['id']}").json()["description"] == "first wave"
    refused(user.post(PATH, {"displayName": "x", "feature": "seamlessSso"}))  # isEnabled missing
    refused(user.post(PATH, {"feature": "seamlessSso", "isEnabled": True}))  # displayName missing
    refused(user.post(PATH, {"displayName": "x", "isEnabled": True}))  # feature missing
    refused(user.post(PATH, {"displayName": "x", "feature": "smartcards", "isEnabled": True}))
    refused(user.post(PATH, {"displayName": "x", "feature": "seamlessSso", "isEnabled": "yes"}))
    refused(user.post(PATH, {"displayName": "x", "feature": "seamlessSso", "isEnabled": True, "colour": 1}))


def test_update_changes_the_documented_properties_but_not_the_feature(user: Graph) -> None:
    (pilot,) = user.get(PATH).json()["value"]
    r = user.patch(f"{PATH}/{pilot['id']}", {"isEnabled": False, "displayName": "Paused"})
    assert r.status_code == 204, r.text
    back = user.get(f"{PATH}/{pilot['id']}").json()
    assert back["isEnabled"] is False and back["displayName"] == "Paused"
    refused(user.patch(f"{PATH}/{pilot['id']}", {"feature": "seamlessSso"}))
    refused(user.patch(f"{PATH}/{pilot['id']}", {"isAppliedToOrganization": "all"}))
    assert user.delete(f"{PATH}/{pilot['id']}").status_code == 204
    assert user.get(f"{PATH}/{pilot['id']}").status_code == 404


def test_applies_to_is_added_and_removed_by_ref(box: Sandbox, user: Graph) -> None:
    policy = new_policy(user)
    group = groups(user, groupTypes=[], securityEnabled=True)[0]
    r = user.post(f"{PATH}/{policy['id']}/appliesTo/$ref", ref(box, group["id"]))
    assert r.status_code == 201, r.text
    assert r.json()["directoryObject"]["id"] == group["id"]
    linked = user.get(f"{PATH}/{policy['id']}/appliesTo").json()["value"]
    assert [g["id"] for g in linked] == [group["id"]]
    refused(user.post(f"{PATH}/{policy['id']}/appliesTo/$ref", ref(box, group["id"])))  # already there
    r = user.delete(f"{PATH}/{policy['id']}/appliesTo/{group['id']}/$ref")
    assert r.status_code == 204, r.text
    assert user.get(f"{PATH}/{policy['id']}/appliesTo").json()["value"] == []


def test_applies_to_takes_groups_only_at_most_ten_and_no_dynamic_ones(box: Sandbox, user: Graph) -> None:
    """resources/featurerolloutpolicy.md: "Each feature supports a maximum of 10 groups", "The appliesTo
    field only supports groups", "Dynamic groups and nested groups are not supported"."""
    policy = new_policy(user)
    link = f"{PATH}/{policy['id']}/appliesTo/$ref"
    a_user = user.get("users", {"$top": "1"}).json()["value"][0]
    refused(user.post(link, ref(box, a_user["id"])))
    dynamic = [g for g in groups(user) if "DynamicMembership" in g["groupTypes"]]
    assert dynamic, "the demo tenant has dynamic groups"
    refused(user.post(link, ref(box, dynamic[0]["id"])))
    for n in range(11):
        made = {"displayName": f"Pilot {n}", "mailEnabled": False, "mailNickname": f"pilot{n}"}
        assert user.post("groups", {**made, "securityEnabled": True}).status_code == 201
    static = [g for g in groups(user) if "DynamicMembership" not in g["groupTypes"]]
    for g in static[:10]:
        assert user.post(link, ref(box, g["id"])).status_code == 201
    refused(user.post(link, ref(box, static[10]["id"])))
    assert len(user.get(f"{PATH}/{policy['id']}/appliesTo").json()["value"]) == 10


def test_a_seed_file_gives_policies_with_their_groups(sandbox_factory: Callable[..., Sandbox]) -> None:
    """A hand-written seed names a policy's groups by id in `appliesTo`, as the expanded read shows them."""
    pilot = security_group(1)
    box = sandbox_factory(
        seed={
            "groups": [pilot],
            PATH: [
                {
                    "displayName": "MFA pilot",
                    "feature": "multiFactorAuthentication",
                    "isEnabled": True,
                    "appliesTo": [pilot["id"]],
                }
            ],
        }
    )
    (got,) = Graph(box, user_session_for(box)).get(PATH, {"$expand": "appliesTo"}).json()["value"]
    assert [g["id"] for g in got["appliesTo"]] == [pilot["id"]] and got["isAppliedToOrganization"] is False
