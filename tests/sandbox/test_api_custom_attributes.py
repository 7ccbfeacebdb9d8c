"""Custom security attributes over raw HTTP: attribute sets, definitions with allowed values, and the values
on users and service principals, each as the cited Graph v1.0 page documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .api_helpers import Graph, base_seed, guid, uid

WRITE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
READ = "#microsoft.graph.customSecurityAttributeValue"
SP = guid("f", 1)


def seeded() -> dict[str, Any]:
    seed = base_seed()
    seed["directory/attributeSets"] = [{"id": "Engineering", "description": "Eng", "maxAttributesPerSet": 25}]
    seed["directory/customSecurityAttributeDefinitions"] = [
        {
            "id": "Engineering_Project",
            "attributeSet": "Engineering",
            "description": "Active projects",
            "isCollection": True,
            "isSearchable": True,
            "name": "Project",
            "status": "Available",
            "type": "String",
            "usePreDefinedValuesOnly": True,
            "allowedValues": [{"id": "Alpine", "isActive": True}, {"id": "Baker", "isActive": True}],
        },
        {
            "id": "Engineering_NumVendors",
            "attributeSet": "Engineering",
            "description": None,
            "isCollection": False,
            "isSearchable": True,
            "name": "NumVendors",
            "status": "Available",
            "type": "Integer",
            "usePreDefinedValuesOnly": False,
            "allowedValues": [],
        },
    ]
    seed["users"][0]["customSecurityAttributes"] = {
        "Engineering": {
            "@odata.type": READ,
            "Project@odata.type": "#Collection(String)",
            "Project": ["Baker"],
        }
    }
    return seed


@pytest.fixture
def cg(graph_factory: Callable[..., Graph]) -> Graph:
    return graph_factory(seeded())


def definition(**extra: Any) -> dict[str, Any]:
    body = {
        "attributeSet": "Engineering",
        "description": "Target completion date",
        "isCollection": False,
        "isSearchable": True,
        "name": "ProjectDate",
        "status": "Available",
        "type": "String",
        "usePreDefinedValuesOnly": False,
    }
    body.update(extra)
    return body


def values_of(g: Graph, path: str) -> Any:
    r = g.get(path, {"$select": "customSecurityAttributes"})
    assert r.status_code == 200, r.text
    return r.json()["customSecurityAttributes"]


def test_attribute_sets_are_created_by_name_updated_and_never_deleted(cg: Graph) -> None:
    """directory-post-attributesets.md (id given, 201), attributeset-update.md (description and
    maxAttributesPerSet, 204), resources/attributeset.md ("can't be renamed or deleted")."""
    r = cg.post(
        "directory/attributeSets", {"id": "Marketing", "description": "Mkt", "maxAttributesPerSet": 5}
    )
    assert r.status_code == 201 and r.json()["id"] == "Marketing"
    assert cg.post("directory/attributeSets", {"id": "Has space"}).status_code == 400
    assert cg.post("directory/attributeSets", {"id": "marketing"}).status_code == 409  # case insensitive
    assert cg.patch("directory/attributeSets/Marketing", {"maxAttributesPerSet": 20}).status_code == 204
    assert cg.get("directory/attributeSets/marketing").json()["maxAttributesPerSet"] == 20
    assert cg.patch("directory/attributeSets/Marketing", {"id": "Sales"}).status_code == 400
    assert cg.delete("directory/attributeSets/Marketing").status_code == 405
    listed = cg.get("directory/attributeSets").json()["value"]
    assert [s["id"] for s in listed] == ["Engineering", "Marketing"]


def test_definitions_get_their_id_from_set_and_name_and_refuse_what_the_create_page_refuses(
    cg: Graph,
) -> None:
    """directory-post-customsecurityattributedefinitions.md: id `<set>_<name>`, generated; every property
    but description required; Boolean neither collection nor predefined-only; the set must exist."""
    r = cg.post("directory/customSecurityAttributeDefinitions", definition())
    assert r.status_code == 201 and r.json()["id"] == "Engineering_ProjectDate"
    assert "allowedValues" not in r.json()
    assert cg.post("directory/customSecurityAttributeDefinitions", definition()).status_code == 409
    for bad in (
        definition(name="Other", id="Engineering_Other"),
        definition(name="NoSet", attributeSet="Nowhere"),
        definition(name="Flag", type="Boolean", isCollection=True),
        definition(name="Flag", type="Boolean", usePreDefinedValuesOnly=True),
        definition(name="Odd", type="Date"),
        {k: v for k, v in definition(name="Partial").items() if k != "isSearchable"},
    ):
        assert cg.post("directory/customSecurityAttributeDefinitions", bad).status_code == 400, bad


def test_allowed_values_come_only_with_expand_and_by_their_own_path(cg: Graph) -> None:
    """resources/customsecurityattributedefinition.md: allowedValues "not returned by default and must be
    specified in an $expand query"; customsecurityattributedefinition-post-allowedvalues.md (201) and
    allowedvalue-update.md (204); resources/allowedvalue.md: never deleted."""
    plain = cg.get("directory/customSecurityAttributeDefinitions").json()["value"]
    assert all("allowedValues" not in d for d in plain)
    expanded = cg.get("directory/customSecurityAttributeDefinitions", {"$expand": "allowedValues"})
    project = next(d for d in expanded.json()["value"] if d["id"] == "Engineering_Project")
    assert project["allowedValues"] == [{"id": "Alpine", "isActive": True}, {"id": "Baker", "isActive": True}]
    path = "directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues"
    assert cg.post(path, {"id": "Cascade", "isActive": True}).status_code == 201
    assert cg.patch(f"{path}/Alpine", {"isActive": False}).status_code == 204
    assert cg.patch(f"{path}/Alpine", {"id": "Other"}).status_code == 400
    assert cg.delete(f"{path}/Alpine").status_code == 405
    assert cg.get(path).json()["value"] == [
        {"id": "Alpine", "isActive": False},
        {"id": "Baker", "isActive": True},
        {"id": "Cascade", "isActive": True},
    ]


def test_definitions_are_deactivated_never_deleted_and_keep_what_cannot_change(cg: Graph) -> None:
    """customsecurityattributedefinition-update.md: description, status and usePreDefinedValuesOnly only
    (true → false, never back); `allowedValues@delta` with OData-Version 4.01; no DELETE."""
    path = "directory/customSecurityAttributeDefinitions/Engineering_Project"
    assert cg.patch(path, {"status": "Deprecated"}).status_code == 204
    assert cg.get(path).json()["status"] == "Deprecated"
    assert cg.delete(path).status_code == 405
    for fixed in ({"type": "Integer"}, {"isCollection": False}, {"isSearchable": False}, {"name": "P2"}):
        assert cg.patch(path, fixed).status_code == 400, fixed
    assert cg.patch(path, {"usePreDefinedValuesOnly": False}).status_code == 204
    assert cg.patch(path, {"usePreDefinedValuesOnly": True}).status_code == 400
    delta = {"allowedValues@delta": [{"id": "Baker", "isActive": False}, {"id": "Skagit", "isActive": True}]}
    assert cg.patch(path, delta).status_code == 400  # without OData-Version: 4.01
    assert cg.patch(path, delta, headers={"OData-Version": "4.01"}).status_code == 204
    got = cg.get(path, {"$expand": "allowedValues"}).json()["allowedValues"]
    assert got == [
        {"id": "Alpine", "isActive": True},
        {"id": "Baker", "isActive": False},
        {"id": "Skagit", "isActive": True},
    ]


def test_values_are_returned_only_when_selected(cg: Graph) -> None:
    """resources/user.md, serviceprincipal.md: customSecurityAttributes "Returned only on $select"; the
    examples page's read shape (`#microsoft.graph.customSecurityAttributeValue`, collection annotations)."""
    assert "customSecurityAttributes" not in cg.get(f"users/{uid(1)}").json()
    assert "customSecurityAttributes" not in cg.get(f"servicePrincipals/{SP}").json()
    assert values_of(cg, f"users/{uid(1)}") == {
        "Engineering": {
            "@odata.type": READ,
            "Project@odata.type": "#Collection(String)",
            "Project": ["Baker"],
        }
    }
    assert values_of(cg, f"users/{uid(2)}") is None
    listed = cg.get("users", {"$select": "id,customSecurityAttributes"}).json()["value"]
    assert sum(1 for u in listed if u["customSecurityAttributes"]) == 1


def test_values_merge_per_set_and_attribute_and_null_or_empty_removes(cg: Graph) -> None:
    """concepts/custom-security-attributes-examples.md: assign (integer with `#Int32`), update, and remove
    a single value with null and a multi-valued one with []; other attributes stay."""
    one = f"users/{uid(1)}"
    body = {"Engineering": {"@odata.type": WRITE, "NumVendors@odata.type": "#Int32", "NumVendors": 4}}
    assert cg.patch(one, {"customSecurityAttributes": body}).status_code == 204
    got = values_of(cg, one)["Engineering"]
    assert got["Project"] == ["Baker"] and got["NumVendors"] == 4
    remove = {"Engineering": {"@odata.type": WRITE, "NumVendors": None}}
    assert cg.patch(one, {"customSecurityAttributes": remove}).status_code == 204
    assert "NumVendors" not in values_of(cg, one)["Engineering"]
    remove = {"Engineering": {"@odata.type": WRITE, "Project": []}}
    assert cg.patch(one, {"customSecurityAttributes": remove}).status_code == 204
    assert values_of(cg, one) is None
    sp_body = {
        "Engineering": {
            "@odata.type": WRITE,
            "Project@odata.type": "#Collection(String)",
            "Project": ["Alpine"],
        }
    }
    assert cg.patch(f"servicePrincipals/{SP}", {"customSecurityAttributes": sp_body}).status_code == 204
    assert values_of(cg, f"servicePrincipals/{SP}")["Engineering"]["Project"] == ["Alpine"]


def test_values_must_match_their_definition(cg: Graph) -> None:
    """The definition pages: type, isCollection, predefined values only; a deactivated value "cannot be
    assigned to any additional supported directory objects"; a deactivated attribute takes no new value."""
    one = f"users/{uid(2)}"

    def attempt(attrs: dict[str, Any]) -> int:
        return cg.patch(
            one, {"customSecurityAttributes": {"Engineering": {"@odata.type": WRITE, **attrs}}}
        ).status_code

    assert attempt({"Project@odata.type": "#Collection(String)", "Project": ["Zulu"]}) == 400
    assert attempt({"Project": "Alpine"}) == 400
    assert attempt({"NumVendors": "four"}) == 400
    assert attempt({"Unknown": "x"}) == 400
    assert (
        cg.patch(one, {"customSecurityAttributes": {"Engineering": {"Project": ["Alpine"]}}}).status_code
        == 400
    )
    path = "directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues/Alpine"
    assert cg.patch(path, {"isActive": False}).status_code == 204
    assert attempt({"Project@odata.type": "#Collection(String)", "Project": ["Alpine"]}) == 400
    assert attempt({"Project@odata.type": "#Collection(String)", "Project": ["Baker"]}) == 204
    cg.patch("directory/customSecurityAttributeDefinitions/Engineering_NumVendors", {"status": "Deprecated"})
    assert attempt({"NumVendors@odata.type": "#Int32", "NumVendors": 3}) == 400


def test_values_are_written_only_by_patch(cg: Graph) -> None:
    """concepts/custom-security-attributes-examples.md: assigned "only through a PATCH operation"."""
    body = {
        "accountEnabled": True,
        "displayName": "New",
        "mailNickname": "new",
        "userPrincipalName": "new@contoso.onmicrosoft.com",
        "passwordProfile": {"password": "Xq7!correct-horse"},
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": WRITE, "NumVendors@odata.type": "#Int32", "NumVendors": 1}
        },
    }
    assert cg.post("users", body).status_code == 400


def test_delta_is_not_asked_for_values(cg: Graph) -> None:
    """No delta page documents customSecurityAttributes; the sandbox refuses it as Graph refuses other
    $select-only properties in a delta query (sandbox/custom_attributes.py, Delta)."""
    r = cg.get("users/delta", {"$select": "displayName,customSecurityAttributes"})
    assert r.status_code == 400 and "customSecurityAttributes" in r.json()["error"]["message"]


def test_permissions_definitions_403_and_values_null_without_assignment_read(
    graph_factory: Callable[..., Graph],
) -> None:
    """directory-list-customsecurityattributedefinitions.md, directory-list-attributesets.md
    (CustomSecAttributeDefinition.Read.All); resources/user.md (CustomSecAttributeAssignment.Read.All to read
    the values, ReadWrite.All to write them). Without the read permission the values are null, not a 403:
    concepts/custom-security-attributes-examples.md (v1.0), "Get the custom security attribute assignments
    for a user": "If there are no custom security attributes assigned to the user or if the calling
    principal does not have access", the response holds `"customSecurityAttributes": null` (the same for a
    service principal); in a listing too."""
    g = graph_factory(seeded(), permissions=["User.ReadWrite.All", "Application.Read.All"])
    assert g.get("directory/attributeSets").status_code == 403
    assert g.get("directory/customSecurityAttributeDefinitions").status_code == 403
    assert values_of(g, f"users/{uid(1)}") is None
    listed = g.get("users", {"$select": "id,customSecurityAttributes"})
    assert listed.status_code == 200 and all(
        u["customSecurityAttributes"] is None for u in listed.json()["value"]
    )
    body = {"Engineering": {"@odata.type": WRITE, "NumVendors@odata.type": "#Int32", "NumVendors": 4}}
    assert g.patch(f"users/{uid(1)}", {"customSecurityAttributes": body}).status_code == 403
    g = graph_factory(
        seeded(),
        permissions=[
            "User.ReadWrite.All",
            "CustomSecAttributeDefinition.Read.All",
            "CustomSecAttributeAssignment.ReadWrite.All",
        ],
    )
    assert g.get("directory/attributeSets").status_code == 200
    assert g.post("directory/attributeSets", {"id": "Other"}).status_code == 403
    assert values_of(g, f"users/{uid(1)}")["Engineering"]["Project"] == ["Baker"]
    assert g.patch(f"users/{uid(1)}", {"customSecurityAttributes": body}).status_code == 204


def test_a_change_of_values_alone_is_not_in_the_next_delta_round(cg: Graph) -> None:
    """concepts/delta-query-users.md: "Only properties included in $select are tracked for changes", and a
    delta round cannot select customSecurityAttributes: a change of the values alone is not in it."""
    first = cg.get("users/delta", {"$select": "displayName"})
    link = first.json().get("@odata.deltaLink")
    while link is None:
        first = cg.get(first.json()["@odata.nextLink"])
        link = first.json().get("@odata.deltaLink")
    body = {"Engineering": {"@odata.type": WRITE, "NumVendors@odata.type": "#Int32", "NumVendors": 2}}
    assert cg.patch(f"users/{uid(3)}", {"customSecurityAttributes": body}).status_code == 204
    assert cg.patch(f"users/{uid(4)}", {"displayName": "Renamed"}).status_code == 204
    cg.tenant.advance(600)
    ids = [i["id"] for i in cg.get(link).json()["value"]]
    assert uid(4) in ids and uid(3) not in ids
