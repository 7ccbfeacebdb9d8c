"""The tenant's domains and their federation configuration: /domains, /domains/{name}/federationConfiguration.

Pages followed (api-reference/v1.0/): resources/domain.md, api/domain-list.md, domain-get.md, domain-update.md
(PATCH, 204; "Only verified domains can be updated"; supportedServices: "The values which you can add/remove
using Graph API include: Email, OfficeCommunicationsOnline, Yammer"), domain-delete.md (204; "Deleted domains
are not recoverable"; "Attempts to delete will fail if there are any resources or objects still dependent on
the domain"); resources/internaldomainfederation.md, api/domain-list-federationconfiguration.md ("returns only
one object in the collection"; "If there isn't an internalDomainFederation object ... 404 Not Found"),
domain-post-federationconfiguration.md (201), internaldomainfederation-get.md, -update.md (200 with the
object) and -delete.md (204).

What the pages leave to field reports (docs/graph.md, Domains): creating a federation configuration makes the
domain Federated and deleting it makes it Managed again (microsoftgraph/microsoft-graph-docs#21881); a PATCH
of authenticationType to Managed defederates the domain, one to Federated is refused ("Changing
authenticationType from Managed to Federated is currently not supported.", microsoft-graph-docs#5401); a
configuration made without a signing certificate is refused (microsoft-graph-docs-contrib#1389). The
sandbox's own choices where Graph's wording is unknown: the default and the initial domain cannot be deleted,
the default cannot be unset (another domain is made default instead), a domain holds one configuration.

State: `tenant.singletons["domains"]`, domain name (lower case) → domain, each holding its configurations
under `federationConfiguration` (a navigation property, never returned inline). The organization's
verifiedDomains are this store's verified domains (`sync_organization`), and user UPNs are checked against
them (rules.validate_upn).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from entragit import value_rules
from entragit.sandbox import documented
from entragit.sandbox.protocol import (
    ApiError,
    Ctx,
    Response,
    bad,
    not_allowed,
    not_found,
    read_only,
    segment_not_found,
)

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi
    from entragit.sandbox.tenant import Tenant

KEY = "domains"
SEED_KEYS = (KEY,)
FED = "federationConfiguration"
FED_TYPE = "#microsoft.graph.internalDomainFederation"

_WRITABLE = frozenset(
    {"isDefault", "passwordNotificationWindowInDays", "passwordValidityPeriodInDays", "supportedServices"}
)
_READ_ONLY = frozenset({"id", "isAdminManaged", "isInitial", "isRoot", "isVerified", "availabilityStatus"})
# resources/domain.md: the services Graph adds and removes; the others are Microsoft's to set.
_SETTABLE_SERVICES = frozenset({"Email", "OfficeCommunicationsOnline", "Yammer"})
# domain-post-federationconfiguration.md and internaldomainfederation-update.md: the request body tables.
_FED_WRITABLE = frozenset(
    {
        "activeSignInUri",
        "displayName",
        "federatedIdpMfaBehavior",
        "isSignedAuthenticationRequestRequired",
        "issuerUri",
        "metadataExchangeUri",
        "nextSigningCertificate",
        "passiveSignInUri",
        "passwordResetUri",
        "preferredAuthenticationProtocol",
        "promptLoginBehavior",
        "signingCertificate",
        "signingCertificateUpdateStatus",
        "signOutUri",
    }
)


def domain(name: str, **props: Any) -> dict[str, Any]:
    """A verified, managed root domain as the list page shows one; `props` override (resources/domain.md:
    the password policy defaults are 14 and 90 days)."""
    return {
        "id": name,
        "authenticationType": "Managed",
        "availabilityStatus": None,
        "isAdminManaged": True,
        "isDefault": False,
        "isInitial": False,
        "isRoot": True,
        "isVerified": True,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 90,
        "state": None,
        "supportedServices": [],
        **props,
    }


def federation(**props: Any) -> dict[str, Any]:
    """A configuration as the create page's response shows one: every property not given is null."""
    return {"@odata.type": FED_TYPE, **{p: None for p in sorted(_FED_WRITABLE)}, **props}


def demo_domains(initial: str) -> list[dict[str, Any]]:
    """A tenant's domains as a small company has them: the initial one, its own name verified for mail and
    Teams, and an acquired company's domain still federated with that company's AD FS."""
    stem = initial.split(".")[0]
    acquired = f"{stem}-acquired.com"
    sts = f"https://sts.{acquired}/adfs"

    def certificate(which: str) -> str:  # the public part of the AD FS token signing key, base64 DER
        seed = hashlib.sha256(f"{acquired}:{which}".encode()).digest()
        return "MIIC" + base64.b64encode(seed * 4).decode()

    return [
        domain(
            initial, isInitial=True, isDefault=True, supportedServices=["Email", "OfficeCommunicationsOnline"]
        ),
        domain(
            f"{stem}.com",
            supportedServices=["Email", "OfficeCommunicationsOnline", "Intune"],
            passwordValidityPeriodInDays=365,
            passwordNotificationWindowInDays=30,
        ),
        domain(
            acquired,
            supportedServices=["Email"],
            **{
                FED: [
                    federation(
                        displayName=f"{stem.capitalize()} Acquired AD FS",
                        issuerUri=f"http://{acquired}/adfs/services/trust",
                        metadataExchangeUri=f"{sts}/services/trust/mex",
                        passiveSignInUri=f"{sts}/ls",
                        activeSignInUri=f"{sts}/services/trust/2005/usernamemixed",
                        signOutUri=f"{sts}/ls",
                        signingCertificate=certificate("signing"),
                        nextSigningCertificate=certificate("next"),
                        preferredAuthenticationProtocol="wsFed",
                        promptLoginBehavior="nativeSupport",
                        isSignedAuthenticationRequestRequired=False,
                        federatedIdpMfaBehavior="acceptIfMfaDoneByFederatedIdp",
                    )
                ]
            },
        ),
    ]


def _from_organization(tenant: Tenant) -> list[dict[str, Any]]:
    """Domains from the organization's verifiedDomains (a seed that names no domains of its own)."""
    out = []
    for org in tenant.coll("organization").objs.values():
        for entry in org.get("verifiedDomains") or []:
            services = [c.strip() for c in str(entry.get("capabilities") or "").split(",") if c.strip()]
            out.append(
                domain(
                    str(entry.get("name")),
                    authenticationType=entry.get("type") or "Managed",
                    isDefault=bool(entry.get("isDefault")),
                    isInitial=bool(entry.get("isInitial")),
                    supportedServices=services,
                )
            )
    return out


def load(tenant: Tenant, seed: dict[str, Any]) -> None:
    """Put the seed's domains in the tenant (else the organization's), each configuration with an id."""
    store: dict[str, dict[str, Any]] = {}
    for raw in seed.get(KEY) or _from_organization(tenant):
        obj = domain(str(raw["id"]), **copy.deepcopy({k: v for k, v in raw.items() if k != FED}))
        configs = [federation(**c) for c in copy.deepcopy(raw.get(FED) or [])]
        for c in configs:
            c["id"] = c.get("id") or str(uuid.uuid5(uuid.NAMESPACE_DNS, f"federation:{obj['id']}"))
        if configs:
            obj["authenticationType"] = "Federated"
        store[obj["id"].lower()] = {**obj, FED: configs}
    tenant.singletons[KEY] = store
    sync_organization(tenant)


def verified(tenant: Tenant) -> list[dict[str, Any]]:
    return [d for d in (tenant.singletons.get(KEY) or {}).values() if d.get("isVerified")]


def sync_organization(tenant: Tenant) -> None:
    """The organization's verifiedDomains as the domains now are (resources/verifieddomain.md: capabilities
    a comma-separated list, type Managed or Federated)."""
    entries = [
        {
            "capabilities": ", ".join(sorted(d.get("supportedServices") or [])),
            "isDefault": bool(d.get("isDefault")),
            "isInitial": bool(d.get("isInitial")),
            "name": d["id"],
            "type": d.get("authenticationType"),
        }
        for d in sorted(verified(tenant), key=lambda d: str(d["id"]))
    ]
    for org in tenant.coll("organization").objs.values():
        org["verifiedDomains"] = entries


# -------------------------------------------------------------------------------------------------- requests


def _shown(d: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """A domain as Graph returns it (no navigation property), cut to `$select` when one is given."""
    out = {k: v for k, v in d.items() if k != FED}
    wanted = [s.strip() for s in ctx.q.get("$select", "").split(",") if s.strip()]
    if wanted:
        out = {k: out.get(k) for k in ["id", *wanted] if k in out}
    return out


def handle(api: GraphApi, ctx: Ctx, method: str, rest: list[str]) -> Response:
    """Every request below /domains (`rest`: the segments after it)."""
    store: dict[str, dict[str, Any]] = api.tenant.singletons.setdefault(KEY, {})
    if not rest:
        if method != "GET":
            not_allowed()  # adding a domain (domain-post-domains.md) is not emulated
        items = [_shown(d, ctx) for _, d in sorted(store.items())]
        return Response(200, {"@odata.context": ctx.context(KEY), "value": items})
    found = store.get(rest[0].lower())
    if found is None:
        not_found(rest[0])
    if len(rest) == 1:
        return _domain(api, ctx, method, store, found)
    if rest[1].lower() != FED.lower():
        segment_not_found(rest[1])
    if len(rest) == 2:
        return _configurations(api, ctx, method, found)
    if len(rest) == 3:
        return _configuration(api, ctx, method, found, rest[2])
    segment_not_found(rest[3])


def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.req.body
    if not isinstance(body, dict) or not body:
        bad("Empty Payload. JSON content expected.", "BadRequest")
    return {k: v for k, v in body.items() if not k.startswith("@odata.")}


def _audit(api: GraphApi, ctx: Ctx, activity: str, operation: str, name: str) -> None:
    target = {"id": name, "displayName": name, "type": "Other", "modifiedProperties": []}
    api.audit.record(ctx, activity, "DirectoryManagement", operation, [target])


def _domain(
    api: GraphApi, ctx: Ctx, method: str, store: dict[str, dict[str, Any]], found: dict[str, Any]
) -> Response:
    name = str(found["id"])
    if method == "GET":
        return Response(200, {"@odata.context": ctx.context(f"{KEY}/$entity"), **_shown(found, ctx)})
    if method == "DELETE":
        _refuse_delete(api.tenant, found)
        del store[name.lower()]
        sync_organization(api.tenant)
        _audit(api, ctx, "Remove verified domain", "Delete", name)
        return Response(204)
    if method != "PATCH":
        not_allowed()
    changes = _body(ctx)
    if not found.get("isVerified"):
        bad("Only verified domains can be updated.")
    for prop in changes:
        if prop in _READ_ONLY:
            read_only(prop)
        if prop not in _WRITABLE and prop != "authenticationType":
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    merged = {**found, **changes}
    problems = value_rules.check(KEY, merged, only=frozenset(changes))
    if problems:
        documented.refuse(KEY, "Domain", problems[0], merged)
    if "supportedServices" in changes:
        before, after = set(found.get("supportedServices") or []), set(changes["supportedServices"] or [])
        fixed = sorted((before ^ after) - _SETTABLE_SERVICES)
        if fixed:
            bad(f"The service(s) {', '.join(fixed)} cannot be added or removed through this API.")
    if changes.get("isDefault") is False and found.get("isDefault"):
        bad("The default domain cannot be unset: make another verified domain the default.")
    kind = changes.pop("authenticationType", None)
    if kind is not None and kind != found.get("authenticationType"):
        if kind != "Managed":
            bad("Changing authenticationType from Managed to Federated is currently not supported.")
        merged[FED] = []  # defederated (the migration to cloud authentication)
    merged["authenticationType"] = "Federated" if merged[FED] else "Managed"
    if changes.get("isDefault") is True:
        for other in store.values():
            other["isDefault"] = False
    store[name.lower()] = merged
    sync_organization(api.tenant)
    _audit(api, ctx, "Update domain", "Update", name)
    return Response(204)


def _refuse_delete(tenant: Tenant, found: dict[str, Any]) -> None:
    """domain-delete.md: a domain objects still depend on (a user's UPN or mail, a group's mail, an
    application's identifier URI, domain-list-domainnamereferences.md) is not deleted; nor the default or
    the initial domain, which every tenant keeps."""
    name = str(found["id"]).lower()
    if found.get("isInitial"):
        bad(f"The initial domain {found['id']} cannot be deleted.")
    if found.get("isDefault"):
        bad(f"The default domain {found['id']} cannot be deleted: make another domain the default first.")
    suffix = "@" + name
    for key, props in (("users", ("userPrincipalName", "mail")), ("groups", ("mail",))):
        for obj in tenant.coll(key).objs.values():
            if any(str(obj.get(p) or "").lower().endswith(suffix) for p in props):
                bad(
                    f"Unable to delete domain {found['id']}: objects still reference it "
                    f"(GET /domains/{found['id']}/domainNameReferences lists them)."
                )
    for app in tenant.coll("applications").objs.values():
        if any(name in str(uri).lower() for uri in app.get("identifierUris") or []):
            bad(
                f"Unable to delete domain {found['id']}: objects still reference it "
                f"(GET /domains/{found['id']}/domainNameReferences lists them)."
            )


def _configurations(api: GraphApi, ctx: Ctx, method: str, found: dict[str, Any]) -> Response:
    configs: list[dict[str, Any]] = found[FED]
    if method == "GET":
        if not configs:
            not_found(FED)
        context = ctx.context(f"{KEY}('{found['id']}')/{FED}")
        return Response(200, {"@odata.context": context, "value": [dict(c) for c in configs]})
    if method != "POST":
        not_allowed()
    body = _body(ctx)
    _judge_configuration(body)
    if not found.get("isVerified"):
        bad("Federation can be configured for a verified domain only.")
    if found.get("isInitial"):
        bad(f"The initial domain {found['id']} cannot be federated.")
    if configs:
        raise ApiError(
            409, "Request_BadRequest", f"The domain {found['id']} already has a federation configuration."
        )
    if not body.get("signingCertificate"):
        bad("Required property 'signingCertificate' is missing.")
    created = federation(**body, id=str(uuid.uuid4()))
    created["signingCertificateUpdateStatus"] = {
        "certificateUpdateResult": "Success",
        "lastRunDateTime": api.tenant.stamp(fraction=True),
    }
    found[FED] = [created]
    found["authenticationType"] = "Federated"
    sync_organization(api.tenant)
    _audit(api, ctx, "Set domain authentication", "Update", str(found["id"]))
    context = ctx.context(f"{KEY}('{found['id']}')/{FED}/$entity")
    return Response(201, {"@odata.context": context, **created})


def _configuration(api: GraphApi, ctx: Ctx, method: str, found: dict[str, Any], cid: str) -> Response:
    configs: list[dict[str, Any]] = found[FED]
    item = next((c for c in configs if str(c.get("id")).lower() == cid.lower()), None)
    if item is None:
        not_found(cid)
    context = ctx.context(f"{KEY}('{found['id']}')/{FED}/$entity")
    if method == "GET":
        return Response(200, {"@odata.context": context, **item})
    if method == "DELETE":
        found[FED] = []
        found["authenticationType"] = "Managed"
        sync_organization(api.tenant)
        _audit(api, ctx, "Set domain authentication", "Update", str(found["id"]))
        return Response(204)
    if method != "PATCH":
        not_allowed()
    body = _body(ctx)
    _judge_configuration(body)
    item.update(body)
    _audit(api, ctx, "Set federation settings on domain", "Update", str(found["id"]))
    return Response(200, {"@odata.context": context, **item})


def _judge_configuration(body: dict[str, Any]) -> None:
    """Refuse what the create and update pages do not take, then what breaks a documented value rule."""
    for prop in body:
        if prop == "id":
            read_only(prop)
        if prop not in _FED_WRITABLE:
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    nested = {FED: [body]}
    problems = value_rules.check(KEY, nested, only=frozenset({FED}))
    if problems:
        documented.refuse(KEY, "InternalDomainFederation", problems[0], nested)
