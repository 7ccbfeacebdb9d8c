"""Helpers for the sandbox Graph-semantics tests: small seeds and a raw-HTTP Graph caller.

Every test talks HTTP to a real in-process sandbox with an msal token (conftest's sandbox_factory), and checks
the responses against documented Graph behaviour (docs/graph.md and the pages it cites), never our own client.
"""

from __future__ import annotations

from typing import Any

import requests

from entragit.sandbox.server import Sandbox

DOMAIN = "contoso.onmicrosoft.com"
PASSWORD = "Xq7!correct-horse"


def guid(prefix: str, n: int) -> str:
    """Readable, valid GUIDs: guid('a', 1) → 'aaaaaaaa-0000-4000-8000-000000000001'."""
    return f"{prefix * 8}-0000-4000-8000-{n:012d}"


def uid(n: int) -> str:
    return guid("a", n)


def gid(n: int) -> str:
    return guid("b", n)


def user(n: int, **extra: Any) -> dict[str, Any]:
    obj = {
        "id": uid(n),
        "accountEnabled": True,
        "displayName": f"User {n:03d}",
        "givenName": "User",
        "surname": f"{n:03d}",
        "userPrincipalName": f"user{n:03d}@{DOMAIN}",
        "mailNickname": f"user{n:03d}",
        "mail": f"user{n:03d}@{DOMAIN}",
        "proxyAddresses": [f"SMTP:user{n:03d}@{DOMAIN}"],
        "businessPhones": [],
        "jobTitle": "Engineer",
        "department": "R&D",
        "usageLocation": "US",
        "createdDateTime": "2024-01-01T00:00:00Z",
        "userType": "Member",
    }
    obj.update(extra)
    return obj


def security_group(n: int, members: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    obj = {
        "id": gid(n),
        "displayName": f"Security {n:03d}",
        "mailNickname": f"sec{n:03d}",
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": [],
        "mail": None,
        "proxyAddresses": [],
        "members": members or [],
        "owners": [],
    }
    obj.update(extra)
    return obj


def m365_group(n: int, members: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    obj = security_group(
        n,
        members,
        displayName=f"Team {n:03d}",
        mailNickname=f"team{n:03d}",
        mailEnabled=True,
        securityEnabled=False,
        groupTypes=["Unified"],
        mail=f"team{n:03d}@{DOMAIN}",
        proxyAddresses=[f"SMTP:team{n:03d}@{DOMAIN}"],
        visibility="Public",
    )
    obj.update(extra)
    return obj


def payroll_reader_role() -> dict[str, Any]:
    """The Payroll app's one role; its service principal publishes the same role, as in Entra."""
    return {
        "id": guid("e", 1),
        "allowedMemberTypes": ["User"],
        "displayName": "Reader",
        "value": "Payroll.Read",
        "isEnabled": True,
        "description": "Read payroll",
    }


def base_seed(users: int = 12) -> dict[str, Any]:
    """A small tenant: users, a security group, an M365 group, a mail-enabled security group, a distribution
    list, a dynamic group, an on-premises-synced user, an app with its SP."""
    people = [user(i) for i in range(1, users + 1)]
    people.append(
        user(900, displayName="Synced User", onPremisesSyncEnabled=True, onPremisesImmutableId="abc==")
    )
    return {
        "users": people,
        "groups": [
            security_group(1, [uid(1), uid(2), uid(3)], owners=[uid(1)]),
            m365_group(2, [uid(1), uid(4)], owners=[uid(4)]),
            security_group(
                3,
                [uid(5)],
                displayName="Mail Security",
                mailNickname="mailsec",
                mailEnabled=True,
                mail=f"mailsec@{DOMAIN}",
                proxyAddresses=[f"SMTP:mailsec@{DOMAIN}"],
            ),
            security_group(
                4,
                [uid(6)],
                displayName="Distribution",
                mailNickname="dl",
                mailEnabled=True,
                securityEnabled=False,
                mail=f"dl@{DOMAIN}",
                proxyAddresses=[f"SMTP:dl@{DOMAIN}"],
            ),
            security_group(
                5,
                [uid(7)],
                displayName="Dynamic Engineers",
                mailNickname="dyn",
                groupTypes=["DynamicMembership"],
                membershipRule='user.jobTitle -eq "Engineer"',
                membershipRuleProcessingState="On",
            ),
        ],
        "applications": [
            {
                "id": guid("c", 1),
                "appId": guid("d", 1),
                "displayName": "Payroll",
                "signInAudience": "AzureADMyOrg",
                "identifierUris": ["api://payroll"],
                "appRoles": [payroll_reader_role()],
                "owners": [uid(1)],
            }
        ],
        "servicePrincipals": [
            {
                "id": guid("f", 1),
                "appId": guid("d", 1),
                "displayName": "Payroll",
                "appDisplayName": "Payroll",
                "servicePrincipalType": "Application",
                "accountEnabled": True,
                "appRoles": [payroll_reader_role()],
                "appRoleAssignedTo": [{"principalId": uid(1), "appRoleId": guid("e", 1)}],
            }
        ],
    }


class Graph:
    """Raw HTTP against the sandbox's /v1.0 with a real msal bearer token."""

    def __init__(self, box: Sandbox, session: requests.Session) -> None:
        self.box = box
        self.s = session
        self.base = f"{box.graph_url}/v1.0"

    @property
    def tenant(self) -> Any:
        return self.box.tenant

    def url(self, path: str) -> str:
        return path if path.startswith("https://") else f"{self.base}/{path.lstrip('/')}"

    def get(self, path: str, params: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        return self.s.get(self.url(path), params=params, timeout=30, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.s.post(self.url(path), json=body, timeout=30, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.s.patch(self.url(path), json=body, timeout=30, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.s.put(self.url(path), json=body, timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.s.delete(self.url(path), timeout=30, **kw)

    def ref(self, oid: str) -> dict[str, str]:
        return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{oid}"}

    def all_pages(self, path: str, params: dict[str, str] | None = None, **kw: Any) -> list[dict[str, Any]]:
        """Follow @odata.nextLink verbatim, like the docs tell a client to."""
        r = self.get(path, params, **kw)
        items: list[dict[str, Any]] = []
        while True:
            assert r.status_code == 200, r.text
            body = r.json()
            items += body["value"]
            link = body.get("@odata.nextLink")
            if not link:
                return items
            r = self.s.get(link, timeout=30, **kw)

    def delta_round(self, link: str, **kw: Any) -> tuple[list[dict[str, Any]], str, int]:
        """(items, deltaLink, pages) of one complete round starting at a delta URL."""
        items: list[dict[str, Any]] = []
        pages = 0
        r = self.s.get(self.url(link), timeout=30, **kw)
        while True:
            assert r.status_code == 200, r.text
            pages += 1
            body = r.json()
            items += body["value"]
            if "@odata.deltaLink" in body:
                assert "@odata.nextLink" not in body
                return items, body["@odata.deltaLink"], pages
            r = self.s.get(body["@odata.nextLink"], timeout=30, **kw)


def error_of(r: requests.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "innerError"} <= set(err), err
    return dict(err)


def assert_error(r: requests.Response, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    err = error_of(r)
    assert err["code"] == code, err
    if message is not None:
        assert err["message"] == message, err["message"]
    return err


def not_found_message(oid: str) -> str:
    return (
        f"Resource '{oid}' does not exist or one of its queried reference-property objects are not present."
    )
