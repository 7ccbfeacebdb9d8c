"""auditLogs/directoryAudits: one record per change made through the API, readable newest first."""

from __future__ import annotations

import json
from typing import Any

from entragit.sandbox.seed import SANDBOX_CLIENT_ID

from .api_helpers import DOMAIN, Graph, gid, uid


def newest(graph: Graph, **params: str) -> list[dict[str, Any]]:
    r = graph.get("auditLogs/directoryAudits", params or None)
    assert r.status_code == 200, r.text
    return list(r.json()["value"])


def test_an_update_is_recorded_with_modified_properties_and_the_app_that_made_it(g: Graph) -> None:
    before = len(g.all_pages("auditLogs/directoryAudits"))
    assert g.patch(f"users/{uid(1)}", {"jobTitle": "CTO"}).status_code == 204
    records = newest(g, **{"$top": "1"})
    rec = records[0]
    assert rec["activityDisplayName"] == "Update user" and rec["category"] == "UserManagement"
    assert rec["result"] == "success" and rec["activityDateTime"].endswith("Z")
    target = rec["targetResources"][0]
    assert target["id"] == uid(1) and target["type"] == "User"
    assert target["userPrincipalName"] == f"user001@{DOMAIN}"
    assert target["modifiedProperties"] == [
        {"displayName": "jobTitle", "oldValue": json.dumps("Engineer"), "newValue": json.dumps("CTO")}
    ]
    app = rec["initiatedBy"]["app"]
    assert (
        app["appId"] == SANDBOX_CLIENT_ID and app["servicePrincipalId"] and rec["initiatedBy"]["user"] is None
    )
    assert len(g.all_pages("auditLogs/directoryAudits")) == before + 1


def test_actor_header_records_a_user_as_initiator(g: Graph) -> None:
    r = g.patch(
        f"groups/{gid(1)}", {"description": "portal edit"}, headers={"X-Sandbox-Actor": f"user002@{DOMAIN}"}
    )
    assert r.status_code == 204
    rec = newest(g)[0]
    assert rec["activityDisplayName"] == "Update group"
    assert rec["initiatedBy"]["user"]["userPrincipalName"] == f"user002@{DOMAIN}"
    assert rec["initiatedBy"]["user"]["id"] == uid(2) and rec["initiatedBy"]["app"] is None


def test_link_create_and_delete_activities(g: Graph) -> None:
    g.post(f"groups/{gid(1)}/members/$ref", g.ref(uid(9)))
    rec = newest(g)[0]
    assert rec["activityDisplayName"] == "Add member to group"
    assert [t["id"] for t in rec["targetResources"]] == [uid(9), gid(1)]
    g.delete(f"groups/{gid(1)}/members/{uid(9)}/$ref")
    assert newest(g)[0]["activityDisplayName"] == "Remove member from group"
    created = g.post(
        "identity/conditionalAccess/policies",
        {
            "displayName": "Block legacy auth",
            "state": "disabled",
            "conditions": {
                "applications": {"includeApplications": ["All"]},
                "users": {"includeUsers": ["All"]},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["block"]},
        },
    ).json()
    assert newest(g)[0]["activityDisplayName"] == "Add Conditional Access policy"
    g.delete(f"identity/conditionalAccess/policies/{created['id']}")
    rec = newest(g)[0]
    assert rec["activityDisplayName"] == "Delete Conditional Access policy" and rec["category"] == "Policy"
    assert rec["targetResources"][0]["displayName"] == "Block legacy auth"
    g.delete(f"users/{uid(4)}")
    assert newest(g)[0]["activityDisplayName"] == "Delete user"
    g.post(f"directory/deletedItems/{uid(4)}/restore")
    assert newest(g)[0]["activityDisplayName"] == "Restore user"


def test_reads_do_not_write_audit_records(g: Graph) -> None:
    before = len(g.all_pages("auditLogs/directoryAudits"))
    g.get("users")
    g.get(f"groups/{gid(1)}/members")
    assert len(g.all_pages("auditLogs/directoryAudits")) == before


def test_filters_top_and_paging(g: Graph) -> None:
    for i in range(1, 6):
        g.patch(f"users/{uid(i)}", {"jobTitle": f"T{i}"})
    mine = newest(g, **{"$filter": f"targetResources/any(t: t/id eq '{uid(3)}')"})
    assert len(mine) == 1 and mine[0]["targetResources"][0]["modifiedProperties"][0]["newValue"] == '"T3"'
    recent = newest(g, **{"$top": "5"})
    assert [r["targetResources"][0]["id"] for r in recent] == [uid(i) for i in (5, 4, 3, 2, 1)]
    stamp = recent[2]["activityDateTime"]
    since = newest(g, **{"$filter": f"activityDateTime ge {stamp}"})
    assert {r["id"] for r in recent[:3]} <= {r["id"] for r in since}
    until = newest(g, **{"$filter": f"activityDateTime le {recent[4]['activityDateTime']}"})
    assert recent[4]["id"] in {r["id"] for r in until} and recent[0]["id"] not in {r["id"] for r in until}
    all_records = g.all_pages("auditLogs/directoryAudits", {"$top": "2"})
    assert len(all_records) == len({r["id"] for r in all_records}) >= 5


def test_activity_names_follow_the_audit_activity_reference(g: Graph) -> None:
    """entra-docs reference-audit-activities.md ("Core Directory", "Conditional Access", "Authentication
    Methods"): the exact activity names, categories and services restore's writes are logged under."""
    role = {
        "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        "principalId": uid(6),
        "directoryScopeId": "/",
    }
    assignment = g.post("roleManagement/directory/roleAssignments", role).json()
    rec = newest(g)[0]
    assert (rec["activityDisplayName"], rec["category"]) == ("Add member to role", "RoleManagement")
    g.delete(f"roleManagement/directory/roleAssignments/{assignment['id']}")
    assert newest(g)[0]["activityDisplayName"] == "Remove member from role"
    assert g.delete(f"users/{uid(5)}").status_code == 204
    assert g.delete(f"directory/deletedItems/{uid(5)}").status_code == 204
    rec = newest(g)[0]
    assert (rec["activityDisplayName"], rec["category"]) == ("Hard Delete user", "UserManagement")
    methods = {"registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"state": "default"}}}
    assert g.patch("policies/authenticationMethodsPolicy", methods).status_code == 204
    rec = newest(g)[0]
    assert rec["activityDisplayName"] == "Authentication Methods Policy Update"
    assert (rec["category"], rec["loggedByService"]) == ("ApplicationManagement", "Authentication Methods")
    location = {
        "@odata.type": "#microsoft.graph.countryNamedLocation",
        "displayName": "Home",
        "countriesAndRegions": ["US"],
        "includeUnknownCountriesAndRegions": False,
    }
    assert g.post("identity/conditionalAccess/namedLocations", location).status_code == 201
    rec = newest(g)[0]
    assert (rec["activityDisplayName"], rec["loggedByService"]) == (
        "Add named location",
        "Conditional Access",
    )
    sp = "f" * 8 + "-0000-4000-8000-000000000001"
    assert g.delete(f"servicePrincipals/{sp}").status_code == 204
    assert newest(g)[0]["activityDisplayName"] == "Remove service principal"


def test_a_refused_write_is_recorded_with_result_failure(g: Graph) -> None:
    """directoryAudit (resources/directoryaudit.md): `result` is success or failure and `resultReason` says
    why; a write Graph refuses is logged as the failed activity, and nothing changes."""
    r = g.post(f"groups/{gid(1)}/members/$ref", g.ref(uid(1)))  # already a member: 400
    assert r.status_code == 400
    rec = newest(g)[0]
    assert rec["activityDisplayName"] == "Add member to group" and rec["result"] == "failure"
    assert rec["resultReason"] == r.json()["error"]["message"]
    assert rec["targetResources"][0]["id"] == gid(1)
    r = g.patch(f"users/{uid(2)}", {"noSuchProperty": 1})
    assert r.status_code == 400
    rec = newest(g)[0]
    assert (rec["activityDisplayName"], rec["result"]) == ("Update user", "failure")
    before = len(g.all_pages("auditLogs/directoryAudits"))
    assert g.post("directoryObjects/getByIds", {"ids": []}).status_code == 400  # a read action: not a write
    assert len(g.all_pages("auditLogs/directoryAudits")) == before
