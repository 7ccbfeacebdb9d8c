"""Reading: paging, $select and default property sets, $filter, advanced queries, @odata.context, errors."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from .api_helpers import DOMAIN, Graph, assert_error, base_seed, gid, guid, not_found_message, uid, user

USER_DEFAULT = {
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
}


def big(graph_factory: Callable[..., Graph], n: int = 250) -> Graph:
    seed = base_seed(0)
    seed["users"] = [user(i) for i in range(1, n + 1)]
    return graph_factory(seed)


def test_users_page_by_100_by_default_and_nextlinks_cover_everything_once(
    graph_factory: Callable[..., Graph],
) -> None:
    graph = big(graph_factory)
    r = graph.get("users")
    body = r.json()
    assert r.status_code == 200
    assert body["@odata.context"] == f"{graph.base}/$metadata#users"
    assert len(body["value"]) == 100
    link = body["@odata.nextLink"]
    assert link.startswith(f"{graph.base}/users?") and "$skiptoken=" in link
    items = graph.all_pages("users")
    ids = [u["id"] for u in items]
    assert len(ids) == len(set(ids)) == graph.tenant.user_count()


def test_top_999_is_the_maximum_and_1000_is_refused(graph_factory: Callable[..., Graph]) -> None:
    graph = big(graph_factory)
    r = graph.get("users", {"$top": "999"})
    assert r.status_code == 200 and "@odata.nextLink" not in r.json()
    assert len(r.json()["value"]) == graph.tenant.user_count()
    assert_error(graph.get("users", {"$top": "1000"}), 400, "Request_BadRequest")
    assert_error(graph.get("users", {"$top": "0"}), 400, "Request_BadRequest")


def test_nextlink_keeps_the_query_and_is_followed_verbatim(graph_factory: Callable[..., Graph]) -> None:
    graph = big(graph_factory)
    r = graph.get(
        "users", {"$top": "7", "$select": "id,displayName", "$filter": "startsWith(displayName,'User 1')"}
    )
    body = r.json()
    query = parse_qs(urlsplit(body["@odata.nextLink"]).query)
    assert query["$top"] == ["7"] and query["$select"] == ["id,displayName"]
    assert query["$filter"] == ["startsWith(displayName,'User 1')"]
    items = graph.all_pages(
        "users", {"$top": "7", "$select": "id,displayName", "$filter": "startsWith(displayName,'User 1')"}
    )
    names = sorted(u["displayName"] for u in items)
    assert names == sorted(f"User {i:03d}" for i in range(100, 200))
    assert all(set(u) == {"id", "displayName"} for u in items)


def test_a_forged_skiptoken_is_a_400(g: Graph) -> None:
    assert_error(g.get("users", {"$skiptoken": "not-a-token!!"}), 400, "Request_BadRequest")


def test_users_without_select_return_the_documented_default_set_only(g: Graph) -> None:
    r = g.get("users", {"$top": "1"})
    item = r.json()["value"][0]
    assert set(item) == USER_DEFAULT  # no department, usageLocation, accountEnabled...
    one = g.get(f"users/{uid(1)}").json()
    assert set(one) == USER_DEFAULT | {"@odata.context"}
    assert one["@odata.context"] == f"{g.base}/$metadata#users/$entity"


def test_select_returns_exactly_the_named_properties_nulls_included_and_context_names_them(g: Graph) -> None:
    r = g.get(f"users/{uid(1)}", {"$select": "displayName,department,employeeId"})
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#users(displayName,department,employeeId)/$entity"
    assert body["department"] == "R&D" and body["employeeId"] is None and body["id"] == uid(1)
    r = g.get("users", {"$select": "accountEnabled,usageLocation", "$top": "2"})
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#users(accountEnabled,usageLocation)"
    assert set(r.json()["value"][0]) == {"accountEnabled", "usageLocation", "id"}


def test_select_of_an_unknown_property_is_a_400_and_single_item_only_properties_are_501_in_lists(
    g: Graph,
) -> None:
    assert_error(g.get("users", {"$select": "displayName,shoeSize"}), 400, "BadRequest")
    r = g.get("users", {"$select": "skills"})
    assert r.status_code == 501 and r.json()["error"]["code"] == "NotImplemented"
    assert g.get(f"users/{uid(1)}", {"$select": "skills"}).status_code == 200


def test_password_profile_is_never_returned(g: Graph) -> None:
    body = {
        "accountEnabled": True,
        "displayName": "New Hire",
        "mailNickname": "newhire",
        "userPrincipalName": f"newhire@{DOMAIN}",
        "passwordProfile": {"password": "Xq7!correct-horse", "forceChangePasswordNextSignIn": True},
    }
    created = g.post("users", body).json()
    assert "passwordProfile" not in created
    r = g.get(f"users/{created['id']}", {"$select": "displayName,passwordProfile"})
    assert r.status_code == 200 and r.json()["passwordProfile"] is None
    assert "Xq7" not in g.get("users", {"$select": "id,passwordProfile"}).text


def test_filter_eq_and_startswith_on_key_properties_case_insensitively(g: Graph) -> None:
    r = g.get("users", {"$filter": f"userPrincipalName eq 'USER003@{DOMAIN.upper()}'"})
    assert [u["id"] for u in r.json()["value"]] == [uid(3)]
    r = g.get("users", {"$filter": "startsWith(displayName,'user 01')"})
    assert {u["id"] for u in r.json()["value"]} == {uid(i) for i in range(10, 13)}
    r = g.get("groups", {"$filter": "mailNickname eq 'team002'", "$select": "id"})
    assert r.json()["value"] == [{"id": guid("b", 2)}]
    r = g.get("servicePrincipals", {"$filter": f"appId eq '{guid('d', 1)}'", "$select": "id,appId"})
    assert r.json()["value"] == [{"id": guid("f", 1), "appId": guid("d", 1)}]
    r = g.get("applications", {"$filter": "displayName eq 'Payroll'", "$select": "appId"})
    assert r.json()["value"][0]["appId"] == guid("d", 1)


def test_filter_id_in_and_or_combinations(g: Graph) -> None:
    r = g.get("users", {"$filter": f"id in ('{uid(1)}','{uid(2)}','{guid('9', 9)}')"})
    assert sorted(u["id"] for u in r.json()["value"]) == [uid(1), uid(2)]
    r = g.get("users", {"$filter": f"userPrincipalName eq 'user001@{DOMAIN}' or displayName eq 'User 002'"})
    assert sorted(u["id"] for u in r.json()["value"]) == [uid(1), uid(2)]
    r = g.get("users", {"$filter": "startsWith(displayName,'User 00') and accountEnabled eq true"})
    assert len(r.json()["value"]) == 9
    r = g.get("groups", {"$filter": "groupTypes/any(c:c eq 'Unified')", "$select": "id"})
    assert r.json()["value"] == [{"id": guid("b", 2)}]


def test_guests_by_ranges_of_mail_nickname_follow_every_change_between_pages(g: Graph) -> None:
    """userType eq is a default filter (includes/filter-directory-objects.md) and user.md lists ge and le
    for mailNickname (the table leaves that cell blank): no ConsistencyLevel asked, even with $expand. The
    same filter asked again after a change (the next page of a listing) sees the change: a member who became
    a guest, a guest whose nickname left the range."""
    flt = "userType eq 'Guest' and mailNickname ge 'user00' and mailNickname le 'user02'"
    query = {"$filter": flt, "$select": "id,mailNickname", "$expand": "sponsors($select=id)"}
    assert g.get("users", query).json()["value"] == []
    assert g.patch(f"users/{uid(3)}", {"userType": "Guest"}).status_code == 204
    r = g.get("users", query)
    assert r.status_code == 200 and [u["id"] for u in r.json()["value"]] == [uid(3)]
    assert g.patch(f"users/{uid(3)}", {"mailNickname": "zz-user003"}).status_code == 204
    assert g.get("users", query).json()["value"] == []


def test_filter_on_a_non_filterable_property_and_bad_syntax_are_400(g: Graph) -> None:
    assert_error(g.get("users", {"$filter": "passwordPolicies eq 'x'"}), 400, "Request_UnsupportedQuery")
    assert g.get("users", {"$filter": "displayName eq"}).status_code == 400


def test_advanced_operators_need_consistencylevel_eventual_and_count(g: Graph) -> None:
    for flt in (
        "displayName ne 'User 001'",
        "endsWith(mail,'@contoso.onmicrosoft.com')",
        "not(accountEnabled eq true)",
    ):
        err = assert_error(g.get("users", {"$filter": flt}), 400, "Request_UnsupportedQuery")
        assert "ConsistencyLevel" in err["message"]
        # the header alone is not enough: $count=true is required as well
        assert_error(
            g.get("users", {"$filter": flt}, headers={"ConsistencyLevel": "eventual"}),
            400,
            "Request_UnsupportedQuery",
        )
    r = g.get(
        "users",
        {"$filter": "displayName ne 'User 001'", "$count": "true", "$select": "id"},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert r.status_code == 200
    total = g.tenant.user_count()
    assert r.json()["@odata.count"] == total - 1 == len(r.json()["value"])


def test_count_needs_the_header_and_appears_on_the_first_page_only(
    graph_factory: Callable[..., Graph],
) -> None:
    graph = big(graph_factory, 150)
    assert_error(graph.get("users", {"$count": "true"}), 400, "Request_UnsupportedQuery")
    eventual = {"ConsistencyLevel": "eventual"}
    r = graph.get("users", {"$count": "true", "$top": "100"}, headers=eventual)
    body = r.json()
    assert body["@odata.count"] == graph.tenant.user_count()
    second = graph.s.get(body["@odata.nextLink"], headers=eventual).json()
    assert "@odata.count" not in second
    assert graph.get("users/$count").status_code == 400
    r = graph.get("users/$count", headers=eventual)
    assert r.status_code == 200 and r.text.strip() == str(graph.tenant.user_count())


def test_search_needs_eventual(g: Graph) -> None:
    assert_error(g.get("users", {"$search": '"displayName:User 00"'}), 400, "Request_UnsupportedQuery")
    r = g.get("users", {"$search": '"displayName:User 00"'}, headers={"ConsistencyLevel": "eventual"})
    assert r.status_code == 200 and len(r.json()["value"]) == 9


def test_orderby_display_name(g: Graph) -> None:
    r = g.get("users", {"$orderby": "displayName desc", "$top": "3", "$select": "displayName"})
    assert [u["displayName"] for u in r.json()["value"]] == ["User 012", "User 011", "User 010"]
    assert_error(g.get("users", {"$orderby": "jobTitle"}), 400, "Request_UnsupportedQuery")


def test_unknown_item_is_404_with_graphs_message_and_users_are_addressable_by_upn(g: Graph) -> None:
    missing = guid("9", 1)
    assert_error(g.get(f"users/{missing}"), 404, "Request_ResourceNotFound", not_found_message(missing))
    assert_error(g.get(f"groups/{missing}"), 404, "Request_ResourceNotFound", not_found_message(missing))
    r = g.get(f"users/user002@{DOMAIN}")
    assert r.status_code == 200 and r.json()["id"] == uid(2)
    r = g.get(f"applications(appId='{guid('d', 1)}')")
    assert r.status_code == 200 and r.json()["id"] == guid("c", 1)


def test_unsupported_segments_and_methods(g: Graph) -> None:
    assert_error(g.get("contacts"), 400, "BadRequest", "Resource not found for the segment 'contacts'.")
    assert_error(
        g.get(f"users/{uid(1)}/photos"), 400, "BadRequest", "Resource not found for the segment 'photos'."
    )
    assert_error(g.put(f"users/{uid(1)}", {}), 405, "Request_BadRequest")
    assert_error(g.get("users", {"$frobnicate": "1"}), 400, "BadRequest")


def test_named_locations_are_polymorphic_with_odata_type_first(g: Graph) -> None:
    for body in (
        {
            "@odata.type": "#microsoft.graph.ipNamedLocation",
            "displayName": "Office",
            "isTrusted": True,
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "12.34.221.11/22"}],
        },
        {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            "displayName": "Home countries",
            "countriesAndRegions": ["US", "GB"],
        },
    ):
        assert g.post("identity/conditionalAccess/namedLocations", body).status_code == 201
    r = g.get("identity/conditionalAccess/namedLocations")
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#conditionalAccess/namedLocations"
    kinds = {item["displayName"]: item["@odata.type"] for item in body["value"]}
    assert kinds["Office"] == "#microsoft.graph.ipNamedLocation"
    assert kinds["Home countries"] == "#microsoft.graph.countryNamedLocation"
    assert all(next(iter(item)) == "@odata.type" for item in body["value"])
    r = g.get(
        "identity/conditionalAccess/namedLocations",
        {"$filter": "isof('microsoft.graph.countryNamedLocation')"},
    )
    assert [i["displayName"] for i in r.json()["value"]] == ["Home countries"]


def test_read_only_collections_every_tenant_has(g: Graph) -> None:
    skus = g.get("subscribedSkus").json()
    assert skus["@odata.context"] == f"{g.base}/$metadata#subscribedSkus" and skus["value"]
    assert all("_" in s["id"] and s["skuPartNumber"] for s in skus["value"])
    assert_error(
        g.get("subscribedSkus", {"$filter": "skuPartNumber eq 'X'"}), 400, "Request_UnsupportedQuery"
    )
    scores = g.get("security/secureScores", {"$top": "2"}).json()["value"]
    assert len(scores) == 2 and scores[0]["createdDateTime"] >= scores[1]["createdDateTime"]
    org = g.get("organization").json()["value"]
    assert org[0]["id"] == g.box.tenant_id
    assert g.post("organization", {"displayName": "x"}).status_code == 405
    defs = g.get(
        "roleManagement/directory/roleDefinitions", {"$filter": "displayName eq 'Global Administrator'"}
    )
    assert defs.json()["value"][0]["templateId"] == "62e90394-69f5-4237-9190-012177145e10"


def test_singleton_policies_get_and_patch(g: Graph) -> None:
    r = g.get("policies/authorizationPolicy")
    assert r.status_code == 200
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#policies/authorizationPolicy/$entity"
    assert (
        g.patch("policies/authorizationPolicy", {"allowInvitesFrom": "adminsAndGuestInviters"}).status_code
        == 204
    )
    assert g.get("policies/authorizationPolicy").json()["allowInvitesFrom"] == "adminsAndGuestInviters"
    assert_error(g.patch("policies/authorizationPolicy", {"id": "x"}), 400, "Request_BadRequest")
    assert_error(g.patch("policies/authorizationPolicy", {"bogus": 1}), 400, "Request_BadRequest")
    r = g.get("policies/authenticationMethodsPolicy")
    assert r.status_code == 200 and r.json()["@odata.context"].endswith(
        "#policies/authenticationMethodsPolicy/$entity"
    )
    assert g.delete("policies/authorizationPolicy").status_code == 405


def test_role_assignment_ids_are_not_guids_and_filter_by_principal(g: Graph) -> None:
    body = {
        "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        "principalId": uid(2),
        "directoryScopeId": "/",
    }
    r = g.post("roleManagement/directory/roleAssignments", body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["@odata.context"] == f"{g.base}/$metadata#roleManagement/directory/roleAssignments/$entity"
    assert created["id"].endswith("-1") and len(created["id"]) == 45
    r = g.get("roleManagement/directory/roleAssignments", {"$filter": f"principalId eq '{uid(2)}'"})
    assert [a["id"] for a in r.json()["value"]] == [created["id"]]
    assert g.get(f"roleManagement/directory/roleAssignments/{created['id']}").json()["principalId"] == uid(2)


def test_get_by_ids_returns_typed_objects(g: Graph) -> None:
    r = g.post("directoryObjects/getByIds", {"ids": [uid(1), gid(1), guid("9", 9)], "types": ["user"]})
    assert r.status_code == 200
    assert [(o["@odata.type"], o["id"]) for o in r.json()["value"]] == [("#microsoft.graph.user", uid(1))]
    r = g.post("directoryObjects/getByIds", {"ids": [uid(1), gid(1)]})
    assert {o["@odata.type"] for o in r.json()["value"]} == {
        "#microsoft.graph.user",
        "#microsoft.graph.group",
    }
    r = g.get(f"directoryObjects/{gid(1)}")
    assert r.json()["@odata.type"] == "#microsoft.graph.group"


def test_sign_in_activity_pages_at_most_500(g: Graph) -> None:
    assert g.get("users", {"$select": "id,signInActivity", "$top": "500"}).status_code == 200
    assert_error(g.get("users", {"$select": "id,signInActivity", "$top": "501"}), 400, "Request_BadRequest")


def test_lambda_filters_with_unquoted_guid_literals(g: Graph) -> None:
    sku = "6fd2c87f-b296-42f0-b197-1e91e994b900"
    g.tenant.coll("users").objs[uid(2)]["assignedLicenses"] = [{"disabledPlans": [], "skuId": sku}]
    r = g.get("users", {"$filter": f"assignedLicenses/any(x:x/skuId eq {sku})", "$select": "id"})
    assert r.json()["value"] == [{"id": uid(2)}]
    r = g.get(
        "users",
        {"$filter": "assignedLicenses/$count ne 0", "$count": "true", "$select": "id"},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert r.json()["value"] == [{"id": uid(2)}] and r.json()["@odata.count"] == 1


def test_role_assignments_expand_principal_and_role_definition(g: Graph) -> None:
    body = {
        "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        "principalId": uid(2),
        "directoryScopeId": "/",
    }
    assert g.post("roleManagement/directory/roleAssignments", body).status_code == 201
    r = g.get(
        "roleManagement/directory/roleAssignments",
        {"$filter": f"principalId eq '{uid(2)}'", "$expand": "principal"},
    )
    principal = r.json()["value"][0]["principal"]
    assert (
        principal["@odata.type"] == "#microsoft.graph.user"
        and principal["userPrincipalName"] == f"user002@{DOMAIN}"
    )
    r = g.get(
        "roleManagement/directory/roleAssignments",
        {"$filter": f"principalId eq '{uid(2)}'", "$expand": "roleDefinition"},
    )
    assert r.json()["value"][0]["roleDefinition"]["displayName"] == "Global Administrator"


def test_advanced_query_nextlinks_need_the_header_resent(graph_factory: Callable[..., Graph]) -> None:
    graph = big(graph_factory, 150)
    eventual = {"ConsistencyLevel": "eventual"}
    params = {"$filter": "displayName ne 'User 001'", "$count": "true", "$select": "id"}
    first = graph.get("users", params, headers=eventual).json()
    assert first["@odata.count"] == 149 and len(first["value"]) == 100
    link = first["@odata.nextLink"]
    assert_error(graph.s.get(link), 400, "Request_UnsupportedQuery")  # the header is not carried by the link
    second = graph.s.get(link, headers=eventual).json()
    assert len(second["value"]) == 49 and "@odata.count" not in second
