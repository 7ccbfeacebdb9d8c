"""Directory extensions in the sandbox, over raw HTTP: definitions on an application, values on the objects
they target, returned only when selected (sandbox/extensions.py has the pages and what is inferred)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .api_helpers import Graph, assert_error, base_seed, gid, guid, uid

APP = guid("c", 1)  # Payroll, with a service principal (base_seed)
APP_ID = guid("d", 1)
EXT = "extension_" + APP_ID.replace("-", "") + "_"
COST = EXT + "costCenter"
GRADE = EXT + "payGrade"
TAGS = EXT + "tags"


def seeded(**app_extra: Any) -> dict[str, Any]:
    """base_seed's Payroll app with three definitions, and values on user 1 and group 1."""
    seed = base_seed()
    seed["applications"][0]["extensionProperties"] = [
        {"name": "costCenter", "dataType": "String", "targetObjects": ["User", "Group"]},
        {"name": "payGrade", "dataType": "Integer", "targetObjects": ["User"]},
        {"name": "tags", "dataType": "String", "isMultiValued": True, "targetObjects": ["User"]},
    ]
    seed["applications"][0].update(app_extra)
    seed["users"][0][COST] = "CC-100"
    seed["users"][0][GRADE] = 7
    seed["groups"][0][COST] = "CC-900"
    return seed


@pytest.fixture
def x(graph_factory: Callable[..., Graph]) -> Graph:
    return graph_factory(seeded())


def definitions(g: Graph, app: str = APP) -> dict[str, dict[str, Any]]:
    r = g.get(f"applications/{app}/extensionProperties")
    assert r.status_code == 200, r.text
    return {d["name"]: d for d in r.json()["value"]}


def test_create_names_the_property_after_the_app_and_lists_it_on_the_app(x: Graph) -> None:
    """application-post-extensionproperty.md: 201 with the definition, its name
    `extension_{appId without hyphens}_{name}` (extensibility-overview.md), isMultiValued false by default;
    application-list-extensionproperty.md and extensionproperty-get.md read it back."""
    r = x.post(f"applications/{APP}/extensionProperties", {"name": "badge", "dataType": "Integer",
                                                            "targetObjects": ["User"]})  # fmt: skip
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["name"] == EXT + "badge"
    assert made["isMultiValued"] is False and made["isSyncedFromOnPremises"] is False
    assert made["appDisplayName"] == "Payroll" and made["deletedDateTime"] is None
    assert set(definitions(x)) == {COST, GRADE, TAGS, EXT + "badge"}
    got = x.get(f"applications/{APP}/extensionProperties/{made['id']}").json()
    assert {k: got[k] for k in ("name", "dataType", "targetObjects")} == {
        "name": EXT + "badge",
        "dataType": "Integer",
        "targetObjects": ["User"],
    }
    assert x.get(f"applications(appId='{APP_ID}')/extensionProperties").json()["value"]


@pytest.mark.parametrize(
    "body",
    [
        {"dataType": "String", "targetObjects": ["User"]},  # name is required
        {"name": "a", "targetObjects": ["User"]},  # dataType is required
        {"name": "a", "dataType": "String"},  # targetObjects is required
        {"name": "a", "dataType": "Text", "targetObjects": ["User"]},  # not one of the six types
        {"name": "a", "dataType": "String", "targetObjects": ["user"]},  # values are PascalCase
        {"name": "a", "dataType": "String", "targetObjects": ["ServicePrincipal"]},  # not a target
        {"name": "a", "dataType": "String", "targetObjects": ["User"], "isSyncedFromOnPremises": True},
        {"name": "costCenter", "dataType": "String", "targetObjects": ["User"]},  # the app has it already
    ],
)
def test_create_refuses_what_the_page_does_not_allow(x: Graph, body: dict[str, Any]) -> None:
    """application-post-extensionproperty.md: name, dataType and targetObjects are required; dataType one of
    Binary, Boolean, DateTime, Integer, LargeInteger, String; targetObjects PascalCase User, Group,
    AdministrativeUnit, Application, Device, Organization; isSyncedFromOnPremises is read-only
    (extensionproperty.md)."""
    assert_error(x.post(f"applications/{APP}/extensionProperties", body), 400, "Request_BadRequest")
    assert set(definitions(x)) == {COST, GRADE, TAGS}


def test_a_definition_is_never_updated_and_deleted_by_id(x: Graph) -> None:
    """extensionproperty.md lists create, list, get and delete (extensionproperty-delete.md: 204): no
    update."""
    found = definitions(x)[GRADE]
    path = f"applications/{APP}/extensionProperties/{found['id']}"
    assert x.patch(path, {"dataType": "String"}).status_code == 405
    assert x.delete(path).status_code == 204
    assert x.get(path).status_code == 404
    assert GRADE not in definitions(x)


def test_values_come_only_when_selected(x: Graph) -> None:
    """extensibility-overview.md: "The extension property is returned ... only on $select through the v1.0
    endpoint" — a listing, a single GET and the default properties of a group or application leave it out."""
    assert COST not in x.get(f"users/{uid(1)}").json()
    assert COST not in x.get(f"groups/{gid(1)}").json()
    listed = x.all_pages("users", {"$select": f"id,displayName,{COST},{GRADE}"})
    one = next(u for u in listed if u["id"] == uid(1))
    assert (one[COST], one[GRADE]) == ("CC-100", 7)
    got = x.get(f"groups/{gid(1)}", {"$select": f"id,{COST}"}).json()
    assert got[COST] == "CC-900"


def test_selecting_an_extension_the_type_does_not_have_is_refused(x: Graph) -> None:
    """An extension is a property of the types its targetObjects name only (extensionproperty.md); one not
    available is no property at all (inferred: docs/graph.md, Directory extensions)."""
    assert_error(x.get(f"groups/{gid(1)}", {"$select": f"id,{GRADE}"}), 400, "BadRequest")
    assert_error(x.get("users", {"$select": f"id,{EXT}nothing"}), 400, "BadRequest")


def test_available_extensions_and_the_synced_filter(graph_factory: Callable[..., Graph]) -> None:
    """directoryobject-getavailableextensionproperties.md: POST with an optional isSyncedFromOnPremises;
    true returns only synced ones, false only cloud ones, none all."""
    seed = seeded()
    seed["applications"][0]["extensionProperties"].append(
        {
            "name": "onPremTitle",
            "dataType": "String",
            "targetObjects": ["User"],
            "isSyncedFromOnPremises": True,
        }
    )
    g = graph_factory(seed)
    r = g.post("directoryObjects/getAvailableExtensionProperties", {})
    assert r.status_code == 200, r.text
    every = {d["name"]: d for d in r.json()["value"]}
    assert set(every) == {COST, GRADE, TAGS, EXT + "onPremTitle"}
    assert every[COST]["@odata.type"] == "#microsoft.graph.extensionProperty"
    synced = g.post("directoryObjects/getAvailableExtensionProperties", {"isSyncedFromOnPremises": True})
    assert [d["name"] for d in synced.json()["value"]] == [EXT + "onPremTitle"]
    cloud = g.post("directoryObjects/getAvailableExtensionProperties", {"isSyncedFromOnPremises": False})
    assert EXT + "onPremTitle" not in {d["name"] for d in cloud.json()["value"]}
    assert g.get("directoryObjects/getAvailableExtensionProperties").status_code == 405
    synced_id = next(d["id"] for d in synced.json()["value"])
    # extensionproperty-delete.md: only those not synced from on-premises can be deleted
    r = g.delete(f"applications/{APP}/extensionProperties/{synced_id}")
    assert_error(r, 400, "Request_BadRequest")


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        (GRADE, "7"),  # Integer: a number
        (GRADE, 2**31),  # Integer: 32-bit
        (COST, "x" * 257),  # String: 256 characters at most
        (COST, ["CC-1"]),  # single-valued
        (TAGS, "a"),  # multi-valued: a collection
        (TAGS, ["ok", "y" * 257]),  # the limit applies per value
        (EXT + "nothing", "x"),  # no such extension
    ],
)
def test_values_are_type_checked(x: Graph, prop: str, value: Any) -> None:
    """application-post-extensionproperty.md: dataType limits (String 256 characters, Integer 32-bit), per
    value of a multi-valued extension; a value is written through the target's own update (user-update.md)."""
    assert_error(x.patch(f"users/{uid(1)}", {prop: value}), 400, "Request_BadRequest")
    got = x.get(f"users/{uid(1)}", {"$select": f"id,{COST},{GRADE},{TAGS}"}).json()
    assert (got[COST], got[GRADE], got[TAGS]) == ("CC-100", 7, None)


def test_values_are_written_cleared_and_kept_per_target(x: Graph) -> None:
    """extensionproperty.md, Tip: a value is set with the target's update, removed by setting it to null;
    an extension targeting users only is no property of a group."""
    sel = {"$select": f"id,{COST},{GRADE},{TAGS}"}
    assert x.patch(f"users/{uid(2)}", {COST: "CC-200", TAGS: ["a", "b"]}).status_code == 204
    assert x.patch(f"users/{uid(1)}", {GRADE: None}).status_code == 204
    two, one = x.get(f"users/{uid(2)}", sel).json(), x.get(f"users/{uid(1)}", sel).json()
    assert (two[COST], two[TAGS], one[GRADE]) == ("CC-200", ["a", "b"], None)
    assert_error(x.patch(f"groups/{gid(1)}", {GRADE: 1}), 400, "Request_BadRequest")
    r = x.post("users", {"accountEnabled": True, "displayName": "New", "mailNickname": "new",
                         "userPrincipalName": "new@contoso.onmicrosoft.com", COST: "CC-1",
                         "passwordProfile": {"password": "Xq7!correct-horse"}})  # fmt: skip
    assert r.status_code == 201, r.text
    assert x.get(f"users/{r.json()['id']}", sel).json()[COST] == "CC-1"


def test_a_date_is_stored_in_utc(graph_factory: Callable[..., Graph]) -> None:
    """extensionproperty.md: DateTime "Must be specified in ISO 8601 format. Will be stored in UTC.\""""
    seed = seeded()
    seed["applications"][0]["extensionProperties"].append(
        {"name": "hired", "dataType": "DateTime", "targetObjects": ["User"]}
    )
    g = graph_factory(seed)
    assert g.patch(f"users/{uid(3)}", {EXT + "hired": "2026-03-01T10:00:00+02:00"}).status_code == 204
    got = g.get(f"users/{uid(3)}", {"$select": EXT + "hired"}).json()
    assert got[EXT + "hired"] == "2026-03-01T08:00:00Z"
    assert_error(g.patch(f"users/{uid(3)}", {EXT + "hired": "March"}), 400, "Request_BadRequest")


def test_at_most_100_values_on_one_object(x: Graph) -> None:
    """extensionproperty.md: "Only 100 extension values, across all types and all applications, can be
    written to any single" resource."""
    for i in range(98):
        body = {"name": f"x{i}", "dataType": "Boolean", "targetObjects": ["User"]}
        assert x.post(f"applications/{APP}/extensionProperties", body).status_code == 201
    # user 1 holds 2 values: 98 more make 100, one more is refused
    assert x.patch(f"users/{uid(1)}", {f"{EXT}x{i}": True for i in range(97)}).status_code == 204
    assert x.patch(f"users/{uid(1)}", {f"{EXT}x97": True}).status_code == 204
    x.post(f"applications/{APP}/extensionProperties", {"name": "y", "dataType": "Boolean",
                                                       "targetObjects": ["User"]})  # fmt: skip
    assert_error(x.patch(f"users/{uid(1)}", {EXT + "y": True}), 400, "Request_BadRequest")
    assert x.patch(f"users/{uid(1)}", {EXT + "x0": None, EXT + "y": True}).status_code == 204


def test_a_deleted_definition_hides_its_values_until_recreated(x: Graph) -> None:
    """extensibility-overview.md: deleting a definition makes its data undiscoverable; "To recover the data,
    create a new directory extension definition with the same name as the deleted definition, on the same
    owner app.\""""
    found = definitions(x)[COST]
    assert x.delete(f"applications/{APP}/extensionProperties/{found['id']}").status_code == 204
    assert_error(x.get(f"users/{uid(1)}", {"$select": f"id,{COST}"}), 400, "BadRequest")
    body = {"name": "costCenter", "dataType": "String", "targetObjects": ["User", "Group"]}
    assert x.post(f"applications/{APP}/extensionProperties", body).status_code == 201
    assert x.get(f"users/{uid(1)}", {"$select": f"id,{COST}"}).json()[COST] == "CC-100"


def test_an_owner_app_deleted_and_restored_brings_its_extensions_back_with_its_principal(x: Graph) -> None:
    """extensibility-overview.md: deleting the owner app makes its extensions and their data
    undiscoverable; restoring it restores the definitions but not their discoverability until its service
    principal is restored too (directory-deleteditems-restore.md: the app comes back without it)."""
    sp = guid("f", 1)
    assert x.delete(f"applications/{APP}").status_code == 204  # (its service principal goes with it)
    assert x.get(f"servicePrincipals/{sp}").status_code == 404
    assert x.post("directoryObjects/getAvailableExtensionProperties", {}).json()["value"] == []
    assert_error(x.get(f"users/{uid(1)}", {"$select": f"id,{COST}"}), 400, "BadRequest")
    assert x.post(f"directory/deletedItems/{APP}/restore").status_code == 200
    assert set(definitions(x)) == {COST, GRADE, TAGS}
    assert x.post("directoryObjects/getAvailableExtensionProperties", {}).json()["value"] == []
    assert x.post(f"directory/deletedItems/{sp}/restore").status_code == 200
    found = x.post("directoryObjects/getAvailableExtensionProperties", {}).json()["value"]
    names = {d["name"] for d in found}
    assert names == {COST, GRADE, TAGS}
    assert x.get(f"users/{uid(1)}", {"$select": f"id,{COST}"}).json()[COST] == "CC-100"


def test_delta_carries_selected_values(x: Graph) -> None:
    """concepts/delta-query-users.md: a delta round returns the properties in $select, extensions included,
    and a changed value brings the object into the next round."""
    items, link, _ = x.delta_round(f"users/delta?$select=displayName,{COST}")
    assert next(u for u in items if u["id"] == uid(1))[COST] == "CC-100"
    assert x.patch(f"users/{uid(1)}", {COST: "CC-101"}).status_code == 204
    items, _, _ = x.delta_round(link)
    assert [(u["id"], u[COST]) for u in items] == [(uid(1), "CC-101")]


def test_reading_the_available_extensions_needs_directory_read(graph_factory: Callable[..., Graph]) -> None:
    """directoryobject-getavailableextensionproperties.md, Permissions: Directory.Read.All (application);
    application-list-extensionproperty.md: Application.Read.All."""
    g = graph_factory(seeded(), permissions=["Application.Read.All", "User.Read.All"])
    denied = "Authorization_RequestDenied"
    assert_error(g.post("directoryObjects/getAvailableExtensionProperties", {}), 403, denied)
    assert g.get(f"applications/{APP}/extensionProperties").status_code == 200
    body = {"name": "a", "dataType": "String", "targetObjects": ["User"]}
    assert_error(g.post(f"applications/{APP}/extensionProperties", body), 403, denied)


def many_principals(seed: dict[str, Any], more: int) -> dict[str, Any]:
    """`more` service principals besides the seed's (of Microsoft apps, say)."""
    sp = seed["servicePrincipals"][0]
    extra = [
        {**sp, "id": guid("9", i), "appId": guid("8", i), "displayName": f"Other {i}", "appRoles": []}
        for i in range(1, more + 1)
    ]
    seed["servicePrincipals"] = [*seed["servicePrincipals"], *extra]
    return seed


def test_discovery_answers_nothing_beyond_1000_service_principals(
    graph_factory: Callable[..., Graph],
) -> None:
    """directoryobject-getavailableextensionproperties.md, Important: a known issue makes the action process
    "results for tenants with up to 1,000 service principals; otherwise, it returns an empty response". The
    definitions are still listed on their application (application-list-extensionproperty.md)."""
    plain = graph_factory(seeded())
    have = len(plain.get("servicePrincipals", params={"$top": "999"}).json()["value"])
    at_limit = graph_factory(many_principals(seeded(), 1000 - have))
    assert (
        len(at_limit.get("servicePrincipals", params={"$top": "999"}).json()["value"]) == 999
    )  # a page's most
    names = {
        d["name"]
        for d in at_limit.post("directoryObjects/getAvailableExtensionProperties", {}).json()["value"]
    }
    assert names == {COST, GRADE, TAGS}
    beyond = graph_factory(many_principals(seeded(), 1001 - have))
    r = beyond.post("directoryObjects/getAvailableExtensionProperties", {})
    assert r.status_code == 200 and r.json()["value"] == [], r.text
    assert set(definitions(beyond)) == {COST, GRADE, TAGS}
    assert beyond.get(f"users/{uid(1)}", params={"$select": f"id,{COST}"}).json()[COST] == "CC-100"


def test_applications_filter_on_their_extension_definitions_count_as_an_advanced_query(x: Graph) -> None:
    """application.md: extensionProperties "Supports `$expand` and `$filter` (`/$count eq 0`,
    `/$count ne 0`)"; a filter on `/$count` is an advanced query (aad-advanced-queries.md): without
    ConsistencyLevel: eventual and $count=true it is a 400, and nothing but eq 0 and ne 0 is accepted."""
    eventual = {"ConsistencyLevel": "eventual"}
    query = {"$filter": "extensionProperties/$count ne 0", "$count": "true", "$select": "id,appId"}
    assert_error(x.get("applications", {k: v for k, v in query.items() if k != "$count"}), 400,
                 "Request_UnsupportedQuery")  # fmt: skip
    r = x.get("applications", query, headers=eventual)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()["value"]] == [APP] and r.json()["@odata.count"] == 1
    everyone = x.get("applications", {"$select": "id", "$top": "999"}).json()["value"]
    r = x.get("applications", {**query, "$filter": "extensionProperties/$count eq 0"}, headers=eventual)
    assert sorted(a["id"] for a in r.json()["value"]) == sorted(a["id"] for a in everyone if a["id"] != APP)
    for wrong in ("extensionProperties/$count eq 1", "extensionProperties/any(e:e/name eq 'x')"):
        assert_error(x.get("applications", {**query, "$filter": wrong}, headers=eventual), 400,
                     "Request_UnsupportedQuery")  # fmt: skip
