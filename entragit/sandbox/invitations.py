"""POST /invitations (invitation-post.md): invite an external user, which creates a guest user object.

invitedUserEmailAddress and inviteRedirectUrl are required; the answer is 201 with the invitation (its own
id, inviteRedeemUrl, status PendingAcceptance, invitedUser.id). "When the user is invited, a user entity (of
userType Guest) is created": its userPrincipalName is the address with '@' replaced by '_' plus '#EXT#@' and
the tenant's initial domain, its mail the invited address, creationType Invitation and externalUserState
PendingAcceptance (resources/user.md). Restore uses this to bring back a hard-deleted guest as a guest,
never as a member created with POST /users. The sandbox sends no mail; sendInvitationMessage is echoed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

from entragit.sandbox.protocol import Ctx, Response, bad, conflict
from entragit.sandbox.schema import new_guid, security_identifier

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

_KNOWN = frozenset(
    {
        "invitedUserEmailAddress", "inviteRedirectUrl", "invitedUserDisplayName", "invitedUserType",
        "sendInvitationMessage", "invitedUserMessageInfo", "resetRedemption", "invitedUser",
    }
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _invalid(prop: str) -> NoReturn:
    bad(f"Invalid value specified for property '{prop}' of resource 'Invitation'.")


def guest_upn(email: str, domain: str) -> str:
    return f"{email.replace('@', '_')}#EXT#@{domain}"


def _create_guest(api: GraphApi, ctx: Ctx, email: str, upn: str, kind: str, name: Any) -> str:
    tenant = api.tenant
    proxies = [f"SMTP:{email}"]
    clash = tenant.proxy_conflicts(proxies)
    if clash:
        conflict("proxyAddresses", clash)
    oid = new_guid()
    now = tenant.stamp()
    user: dict[str, Any] = {
        "id": oid,
        "deletedDateTime": None,
        "accountEnabled": True,
        "businessPhones": [],
        "createdDateTime": now,
        "creationType": "Invitation",
        "displayName": name or email.split("@")[0],
        "externalUserState": "PendingAcceptance",
        "externalUserStateChangeDateTime": now,
        "givenName": None,
        "identities": [{"signInType": "userPrincipalName", "issuer": tenant.domain, "issuerAssignedId": upn}],
        "jobTitle": None,
        "mail": email,
        "mailNickname": f"{email.replace('@', '_')}#EXT#",
        "mobilePhone": None,
        "officeLocation": None,
        "otherMails": [email],
        "preferredLanguage": None,
        "proxyAddresses": proxies,
        "securityIdentifier": security_identifier(oid),
        "surname": None,
        "userPrincipalName": upn,
        "userType": kind,
        "assignedLicenses": [],
    }
    tenant.insert("users", user)
    api.audit.record(
        ctx,
        "Invite external user",
        "UserManagement",
        "Add",
        [api.audit.target("users", user, [("UserType", None, kind), ("Mail", None, email)])],
    )
    return oid


def create_invitation(api: GraphApi, ctx: Ctx) -> Response:
    body = ctx.req.body
    if not isinstance(body, dict) or not body:
        bad("Empty Payload. JSON content expected.", "BadRequest")
    for prop in body:
        if prop not in _KNOWN and not prop.startswith("@odata."):
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    email = body.get("invitedUserEmailAddress")
    if not isinstance(email, str) or not _EMAIL.match(email):
        _invalid("invitedUserEmailAddress")
    redirect = body.get("inviteRedirectUrl")
    if not isinstance(redirect, str) or not redirect:
        _invalid("inviteRedirectUrl")
    kind = body.get("invitedUserType", "Guest")
    if kind not in ("Guest", "Member"):
        _invalid("invitedUserType")
    send = body.get("sendInvitationMessage", False)
    if not isinstance(send, bool):
        _invalid("sendInvitationMessage")
    tenant = api.tenant
    upn = guest_upn(email, tenant.domain)
    existing = sorted(tenant.coll("users").find("userPrincipalName", upn))
    if existing:  # inviting an existing guest again sends a new invitation to the same user
        oid = existing[0]
    else:
        oid = _create_guest(api, ctx, email, upn, kind, body.get("invitedUserDisplayName"))
    iid = new_guid()
    redeem = "https://login.microsoftonline.com/redeem?rd=" + quote(
        f"https://invitations.microsoft.com/redeem/?tenant={tenant.tenant_id}&user={iid}", safe=""
    )
    info = body.get("invitedUserMessageInfo") or {}
    invitation = {
        "@odata.context": ctx.context("invitations/$entity"),
        "id": iid,
        "inviteRedeemUrl": redeem,
        "invitedUserDisplayName": body.get("invitedUserDisplayName"),
        "invitedUserType": kind,
        "invitedUserEmailAddress": email,
        "sendInvitationMessage": send,
        "resetRedemption": bool(body.get("resetRedemption", False)),
        "inviteRedirectUrl": redirect,
        "status": "PendingAcceptance",
        "invitedUserMessageInfo": {
            "messageLanguage": info.get("messageLanguage"),
            "customizedMessageBody": info.get("customizedMessageBody"),
            "ccRecipients": info.get("ccRecipients") or [],
        },
        "invitedUser": {"id": oid},
    }
    return Response(201, invitation)
