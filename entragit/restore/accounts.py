"""What recreating an account takes beyond POSTing its properties: a guest is re-invited, a member gets its
licences back, and an application's credentials are listed for the admin to issue anew.

- A guest created with POST /users would be a member with a password; POST /invitations creates it as a
  guest again (invitation-post.md), without mail unless asked (`sendInvitationMessage`). The invitation sets
  userPrincipalName, mailNickname, mail and identities (the sign-in the guest redeems with), so those are
  not written afterwards.
- assignedLicenses is read-only on PATCH: licences go back through POST /users/{id}/assignLicense
  (user-assignlicense.md), which needs usageLocation, set by the creation itself; a group's through
  POST /groups/{id}/assignLicense (group-assignlicense.md), which hands them on to its members.
- Secrets and certificates are never backed up (only their metadata: application.md, passwordCredential
  and keyCredential resources), so the recreated application has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The redirect after a guest redeems: Microsoft's My Apps portal (invitation-post.md's inviteRedirectUrl).
REDIRECT = "https://myapps.microsoft.com"
SET_BY_INVITATION = frozenset({"userPrincipalName", "mailNickname", "mail", "identities", "userType"})
# How a guest signs in is decided when it redeems the invitation (federated with its home tenant, a mail
# one-time passcode...): a plan never writes it back (user.md, identities).
SET_BY_REDEMPTION = frozenset({"identities"})


def is_guest(obj: Mapping[str, Any]) -> bool:
    return str(obj.get("userType") or "").lower() == "guest"


def guest_address(obj: Mapping[str, Any]) -> str | None:
    """The address to invite: the guest's mail, else its first other mail, else the address it signed in
    with (an `emailAddress` identity's issuerAssignedId, user.md objectIdentity), else the one its UPN
    encodes (`ana_fabrikam.com#EXT#@contoso.onmicrosoft.com`: the invited address with `@` written as the
    last `_`, user.md userPrincipalName). None only when none of them gives one."""
    identities = [
        i.get("issuerAssignedId")
        for i in obj.get("identities") or ()
        if isinstance(i, Mapping) and i.get("signInType") == "emailAddress"
    ]
    for value in (obj.get("mail"), *(obj.get("otherMails") or []), *identities, _ext_address(obj)):
        if isinstance(value, str) and "@" in value.strip("@"):
            return value
    return None


def with_upn(obj: Mapping[str, Any], upn: str) -> dict[str, Any]:
    """The user under another userPrincipalName: its `userPrincipalName` sign-in identity follows it
    (user.md, objectIdentity: that identity's issuerAssignedId is the UPN), or a creation would claim the
    old one again."""
    identities = [
        {**i, "issuerAssignedId": upn}
        if isinstance(i, Mapping) and i.get("signInType") == "userPrincipalName"
        else i
        for i in obj.get("identities") or ()
    ]
    return {**obj, "userPrincipalName": upn, **({"identities": identities} if "identities" in obj else {})}


def _ext_address(obj: Mapping[str, Any]) -> str | None:
    local, marker, _ = str(obj.get("userPrincipalName") or "").partition("#EXT#@")
    user, sep, domain = local.rpartition("_")
    return f"{user}@{domain}" if marker and sep and user and "." in domain else None


def invitation(obj: Mapping[str, Any], send_mail: bool) -> dict[str, Any]:
    """The body of POST /invitations that brings the guest back as a guest."""
    return {
        "invitedUserEmailAddress": guest_address(obj),
        "invitedUserDisplayName": obj.get("displayName"),
        "invitedUserType": "Guest",
        "inviteRedirectUrl": REDIRECT,
        "sendInvitationMessage": send_mail,
    }


LICENSED = ("users", "groups")  # the types whose assignedLicenses go back through assignLicense


def _held(value: Any) -> list[dict[str, Any]]:
    return [
        {"skuId": lic["skuId"], "disabledPlans": list(lic.get("disabledPlans") or [])}
        for lic in value or []
        if isinstance(lic, Mapping) and lic.get("skuId")
    ]


def licences(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The body of assignLicense giving a recreated user or group its licences back; None when it had none."""
    return licence_change([], obj.get("assignedLicenses"))


def licence_change(live: Any, desired: Any) -> dict[str, Any] | None:
    """The body of assignLicense that takes `live` assignedLicenses to `desired`: the licences to add or
    whose disabledPlans differ (assignLicense replaces an added skuId's plans), and the skuIds to remove;
    None when they agree."""
    have = {str(lic["skuId"]).lower(): lic for lic in _held(live)}
    want = {str(lic["skuId"]).lower(): lic for lic in _held(desired)}
    add = [
        lic
        for key, lic in want.items()
        if key not in have or sorted(have[key]["disabledPlans"]) != sorted(lic["disabledPlans"])
    ]
    remove = [have[key]["skuId"] for key in have if key not in want]
    return {"addLicenses": add, "removeLicenses": remove} if add or remove else None


def _credential(kind: str, c: Mapping[str, Any]) -> str:
    name = c.get("displayName") or c.get("keyId") or "unnamed"
    if kind == "certificate":
        details = ", ".join(str(c[k]) for k in ("type", "usage") if c.get(k))
        kind = f"certificate ({details})" if details else kind
    end = c.get("endDateTime")
    return f"{kind} '{name}'" + (f", the old one expired or expires {end}" if end else "")


def credentials_needed(obj: Mapping[str, Any]) -> list[str]:
    """One line per credential the old application had, for the admin to issue anew."""
    secrets = [_credential("client secret", c) for c in obj.get("passwordCredentials") or [] if c]
    certs = [_credential("certificate", c) for c in obj.get("keyCredentials") or [] if c]
    return secrets + certs


def recreate_notes(type_name: str, obj: Mapping[str, Any]) -> list[str]:
    """What the plan says a recreation does beyond the POST."""
    notes: list[str] = []
    if type_name == "users" and is_guest(obj):
        notes.append(f"re-invited as a guest ({guest_address(obj)})")
    body = licences(obj) if type_name in LICENSED else None
    if body:
        notes.append(f"{len(body['addLicenses'])} licence(s) assigned again")
    if type_name == "applications":
        needed = credentials_needed(obj)
        if needed:
            notes.append(f"{len(needed)} credential(s) to issue anew")
        if obj.get("extensionProperties"):
            notes.append(
                f"its {len(obj['extensionProperties'])} directory extension(s) come back under new names "
                "(extension_<new appId>_…): values are written under them, but rules, claims and apps that "
                "name the old ones must be changed"
            )
    return notes
