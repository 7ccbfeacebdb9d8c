"""GET /domains and GET /domains/{name} (domain-list.md, domain-get.md, resources/domain.md).

The domains are the organization's verifiedDomains — the very list a user's UPN is checked against
(rules.validate_upn), so a domain GET /domains shows is one a UPN may use and vice versa. Read-only here:
adding and verifying domains is not something a configuration restore does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entragit.sandbox.protocol import Ctx, Response, not_allowed, not_found

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi


def domain_objects(api: GraphApi) -> list[dict[str, Any]]:
    out = []
    for org in api.tenant.coll("organization").objs.values():
        for entry in org.get("verifiedDomains") or []:
            capabilities = str(entry.get("capabilities") or "")
            out.append(
                {
                    "authenticationType": entry.get("type") or "Managed",
                    "availabilityStatus": None,
                    "id": str(entry.get("name")),
                    "isAdminManaged": True,
                    "isDefault": bool(entry.get("isDefault")),
                    "isInitial": bool(entry.get("isInitial")),
                    "isRoot": True,
                    "isVerified": True,
                    "passwordNotificationWindowInDays": 14,
                    "passwordValidityPeriodInDays": 2147483647,
                    "supportedServices": [c.strip() for c in capabilities.split(",") if c.strip()],
                    "state": None,
                }
            )
    return out


def handle(api: GraphApi, ctx: Ctx, method: str, rest: list[str]) -> Response:
    if method != "GET":
        not_allowed()
    domains = domain_objects(api)
    if not rest:
        return Response(200, {"@odata.context": ctx.context("domains"), "value": domains})
    if len(rest) == 1:
        for domain in domains:
            if domain["id"].lower() == rest[0].lower():
                return Response(200, {"@odata.context": ctx.context("domains/$entity"), **domain})
    not_found(rest[0])
