"""The endpoints a restore needs besides create/PATCH: assignLicense, invitations, domains."""

from __future__ import annotations

from .api_helpers import DOMAIN, Graph, assert_error, uid
from .test_api_write import new_user

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"  # ENTERPRISEPACK in the sandbox's subscribedSkus
P1 = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4"  # AAD_PREMIUM
EXCHANGE_PLAN = "efb87545-963c-4e0d-99df-69c6916d9eb0"


def consumed(g: Graph, sku_id: str) -> int:
    skus = g.get("subscribedSkus").json()["value"]
    return int(next(s for s in skus if s["skuId"] == sku_id)["consumedUnits"])


def test_assign_license_adds_and_removes_and_answers_200_with_the_user(g: Graph) -> None:
    """user-assignlicense.md: addLicenses (skuId + disabledPlans) and removeLicenses (skuIds); 200 and the
    user. subscribedsku.md: consumedUnits counts the assigned licences."""
    before = consumed(g, E3)
    add = [{"skuId": E3, "disabledPlans": [EXCHANGE_PLAN]}, {"skuId": P1, "disabledPlans": []}]
    r = g.post(f"users/{uid(1)}/assignLicense", {"addLicenses": add, "removeLicenses": []})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#users/$entity" and body["id"] == uid(1)
    got = g.get(f"users/{uid(1)}", {"$select": "assignedLicenses"}).json()["assignedLicenses"]
    assert got == [{"disabledPlans": [EXCHANGE_PLAN], "skuId": E3}, {"disabledPlans": [], "skuId": P1}]
    assert consumed(g, E3) == before + 1
    # user.md, licenseAssignmentState: a direct assignment (assignedByGroup null) is Active
    states = g.get(f"users/{uid(1)}", {"$select": "licenseAssignmentStates"}).json()[
        "licenseAssignmentStates"
    ]
    direct = {s["skuId"]: s for s in states if s["assignedByGroup"] is None}
    assert direct[E3]["state"] == "Active" and direct[E3]["disabledPlans"] == [EXCHANGE_PLAN]
    assert direct[P1]["error"] == "None"
    r = g.post(f"users/{uid(1)}/assignLicense", {"addLicenses": [], "removeLicenses": [E3]})
    assert r.status_code == 200, r.text
    got = g.get(f"users/{uid(1)}", {"$select": "assignedLicenses"}).json()["assignedLicenses"]
    assert got == [{"disabledPlans": [], "skuId": P1}]
    assert consumed(g, E3) == before
    states = g.get(f"users/{uid(1)}", {"$select": "licenseAssignmentStates"}).json()[
        "licenseAssignmentStates"
    ]
    assert E3 not in {s["skuId"] for s in states if s["assignedByGroup"] is None}


def test_a_new_application_and_service_principal_have_an_unverified_publisher(g: Graph) -> None:
    """application.md, serviceprincipal.md: verifiedPublisher is an object; nobody verified a new one, so
    its three members are null (not the whole value)."""
    app = g.post("applications", {"displayName": "fresh"}).json()
    sp = g.post("servicePrincipals", {"appId": app["appId"]}).json()
    for path in (f"applications/{app['id']}", f"servicePrincipals/{sp['id']}"):
        got = g.get(path, {"$select": "verifiedPublisher"}).json()["verifiedPublisher"]
        assert got == {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


def test_a_permanently_deleted_users_licences_are_freed(g: Graph) -> None:
    """user-delete.md: a deleted user keeps its licence assignments in the recycle bin (restored with it);
    once permanently deleted, "their assigned resources freed": consumedUnits goes down."""
    before = consumed(g, E3)
    user = g.post("users", new_user("licensed", usageLocation="US")).json()
    r = g.post(f"users/{user['id']}/assignLicense", {"addLicenses": [{"skuId": E3}], "removeLicenses": []})
    assert r.status_code == 200, r.text
    assert consumed(g, E3) == before + 1
    assert g.delete(f"users/{user['id']}").status_code == 204
    assert consumed(g, E3) == before + 1  # soft-deleted: still assigned
    assert g.delete(f"directory/deletedItems/{user['id']}").status_code == 204
    assert consumed(g, E3) == before


def test_assign_license_errors(g: Graph) -> None:
    """Both parameters are required (user-assignlicense.md); an unknown SKU and a user without usageLocation
    are refused (field report KelvinTegelaar/CIPP#783: "License assignment cannot be done for user with
    invalid usage location.") and nothing changes."""
    path = f"users/{uid(2)}/assignLicense"
    assert_error(g.post(path, {"addLicenses": [{"skuId": E3}]}), 400, "Request_BadRequest")
    unknown = "11111111-2222-4333-8444-555555555555"
    err = assert_error(
        g.post(path, {"addLicenses": [{"skuId": unknown}], "removeLicenses": []}), 400, "Request_BadRequest"
    )
    assert unknown in err["message"]
    bad_plan = {"addLicenses": [{"skuId": E3, "disabledPlans": [unknown]}], "removeLicenses": []}
    assert_error(g.post(path, bad_plan), 400, "Request_BadRequest")
    assert g.patch(f"users/{uid(2)}", {"usageLocation": None}).status_code == 204
    assert_error(
        g.post(path, {"addLicenses": [{"skuId": E3}], "removeLicenses": []}),
        400,
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    )
    assert g.get(f"users/{uid(2)}", {"$select": "assignedLicenses"}).json()["assignedLicenses"] == []
    assert g.get(path).status_code == 405


def test_assigned_licenses_stay_read_only_on_patch(g: Graph) -> None:
    """user.md: assignedLicenses is read-only ("use assignLicense"); a PATCH of it is refused."""
    r = g.patch(f"users/{uid(1)}", {"assignedLicenses": [{"skuId": E3, "disabledPlans": []}]})
    assert_error(r, 400, "Request_BadRequest", "Property 'assignedLicenses' is read-only and cannot be set.")


def test_invitation_creates_a_guest_with_an_ext_upn(g: Graph) -> None:
    """invitation-post.md: invitedUserEmailAddress + inviteRedirectUrl; 201 with the invitation; "a user
    entity (of userType Guest) is created"; its UPN is the address with '@' → '_' plus '#EXT#@' and the
    tenant domain."""
    body = {
        "invitedUserEmailAddress": "admin@fabrikam.com",
        "inviteRedirectUrl": "https://myapp.contoso.com",
        "invitedUserDisplayName": "Fabrikam Admin",
        "sendInvitationMessage": True,
    }
    r = g.post("invitations", body)
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["@odata.context"] == f"{g.base}/$metadata#invitations/$entity"
    assert inv["status"] == "PendingAcceptance" and inv["invitedUserType"] == "Guest"
    assert inv["sendInvitationMessage"] is True and inv["inviteRedeemUrl"].startswith("https://")
    guest_id = inv["invitedUser"]["id"]
    assert inv["id"] != guest_id
    guest = g.get(
        f"users/{guest_id}",
        {"$select": "userPrincipalName,userType,mail,creationType,externalUserState,displayName"},
    ).json()
    assert guest["userPrincipalName"] == f"admin_fabrikam.com#EXT#@{DOMAIN}"
    assert guest["userType"] == "Guest" and guest["mail"] == "admin@fabrikam.com"
    assert guest["creationType"] == "Invitation" and guest["externalUserState"] == "PendingAcceptance"
    assert guest["displayName"] == "Fabrikam Admin"
    again = g.post("invitations", body)
    assert again.status_code == 201 and again.json()["invitedUser"]["id"] == guest_id
    assert_error(
        g.post("invitations", {"invitedUserEmailAddress": "x@fabrikam.com"}), 400, "Request_BadRequest"
    )
    assert_error(
        g.post("invitations", {"invitedUserEmailAddress": "nope", "inviteRedirectUrl": "https://a"}),
        400,
        "Request_BadRequest",
    )


def test_domains_list_agrees_with_the_upn_check(g: Graph) -> None:
    """domain-list.md: GET /domains lists the tenant's domains (isVerified, isDefault, isInitial...); a UPN
    on a domain it does not list is refused by POST /users (user-post-users.md: "verified domain")."""
    r = g.get("domains")
    assert r.status_code == 200
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#domains"
    names = [d["id"] for d in body["value"]]
    assert names == [DOMAIN]
    assert all(d["isVerified"] for d in body["value"]) and body["value"][0]["isInitial"] is True
    one = g.get(f"domains/{DOMAIN}").json()
    assert one["@odata.context"] == f"{g.base}/$metadata#domains/$entity" and one["id"] == DOMAIN
    assert g.get("domains/fabrikam.com").status_code == 404
    assert g.post("users", new_user(userPrincipalName=f"adele@{DOMAIN}")).status_code == 201
    assert_error(
        g.post("users", new_user("bob", userPrincipalName="bob@fabrikam.com")), 400, "Request_BadRequest"
    )
