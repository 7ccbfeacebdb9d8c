"""What Graph accepts when objects are created or changed, and what the service fills in itself.

One `Rules` per tenant: create builders return the new object (plus `@odata.bind` links to add) after the
checks Graph makes — required properties (NOTES §2), read-only and create-only properties (§3.1), the
group-type matrix (§2.1), synced objects, uniqueness with the ObjectConflict shape (§1.3). Raising is via
protocol's helpers, so graph_api.py only routes, links and audits.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any, NoReturn
from urllib.parse import urlsplit

from entragit import value_rules
from entragit.sandbox import documented, user_values
from entragit.sandbox.protocol import (
    DYNAMIC_REFUSAL,
    MAIL_GROUP_CREATE,
    MAIL_GROUP_WRITE,
    REF_EXISTS,
    ROLE_CONFLICT,
    SP_NAME_TAKEN,
    SYNC_REFUSAL,
    ApiError,
    bad,
    conflict,
    invalid_value,
    nested_refusal,
    not_found,
    read_only,
)
from entragit.sandbox.schema import (
    CIDR_TYPES,
    GROUP_EXCHANGE,
    NAMED_LOCATION_TYPES,
    ORGANIZATION_WRITABLE,
    TYPES,
    USER_CLOUD_WRITABLE_WHEN_SYNCED,
    TypeDef,
    group_record,
    new_b64_id,
    new_guid,
    new_role_assignment_id,
    security_identifier,
    undeclared_member,
)
from entragit.sandbox.tenant import Tenant


def unsupported_bind(key: str) -> NoReturn:
    """An `x@odata.bind` the operation does not document is refused, never dropped: a silent 204 would tell
    restore that a link (e.g. `manager`, whose only documented write is PUT manager/$ref in
    user-post-manager.md) was made when it was not. The wording is the sandbox's; Graph documents none."""
    bad(
        f"The navigation property '{key[: -len('@odata.bind')]}' cannot be bound with @odata.bind in this "
        "request; use its documented $ref operation."
    )


# What Graph returns for the verifiedPublisher of an application or service principal nobody verified
# (application.md, serviceprincipal.md: verifiedPublisher; a GET of a new one answers the three as null).
UNVERIFIED = {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


class Rules:
    """Validation and server-side defaults for writes to one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def check_known(self, td: TypeDef, body: dict[str, Any], known: Iterable[str] | None = None) -> None:
        allowed = set(known) if known is not None else td.known
        if allowed is None:
            return
        for prop in body:
            if prop.endswith("@odata.bind"):
                unsupported_bind(prop)
            if (
                prop in allowed
                or prop.startswith("@odata.")
                or prop.startswith("extension_")
                or "@odata." in prop
            ):
                continue
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
        nested = undeclared_member(td.key, body)
        if nested is not None:
            bad(nested_refusal(*nested))

    def binds(self, body: dict[str, Any], allowed: Iterable[str]) -> dict[str, list[str]]:
        """`members@odata.bind`/`owners@odata.bind` → ids; more than 20 in total is refused."""
        out: dict[str, list[str]] = {}
        for key in list(body):
            if key.endswith("@odata.bind"):
                rel = key[: -len("@odata.bind")]
                if rel not in allowed:
                    unsupported_bind(key)
                urls = body[key]
                if not isinstance(urls, list):
                    bad(f"Invalid value for '{key}': an array of URLs is expected.")
                out[rel] = [self.id_from_url(str(u)) for u in urls]
        if sum(len(v) for v in out.values()) > 20:
            bad("A maximum of 20 relationships can be added in the same request.")
        return out

    def require(self, td: TypeDef, body: dict[str, Any], props: Iterable[str]) -> None:
        for prop in props:
            value = body.get(prop)
            if value is None or value == "" or value == []:
                invalid_value(td, prop)

    def reject_read_only(self, td: TypeDef, body: dict[str, Any], allow: Iterable[str] = ()) -> None:
        skip = set(allow)
        for prop in body:
            if prop in td.read_only and prop not in skip:
                read_only(prop)

    def validate_upn(self, upn: Any, exclude: str | None = None) -> str:
        td = TYPES["users"]
        if not isinstance(upn, str) or upn.count("@") != 1:
            invalid_value(td, "userPrincipalName")
        domain = upn.split("@")[1]
        if not value_rules.RULES["upn"].test(upn):
            invalid_value(td, "userPrincipalName")
        if domain.lower() not in {d.lower() for d in self.tenant.domains()} and self.tenant.domains():
            bad(
                "The domain portion of the userPrincipalName property is invalid. You must use one of the "
                "verified domain names in your organization."
            )
        for other in self.tenant.coll("users").find("userPrincipalName", upn):
            if other != exclude:
                conflict("userPrincipalName")
        return upn

    def create_user(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        documented.check(td, body, kinds_only=True)
        self.reject_read_only(td, body)
        self.require(td, body, td.required)
        if not isinstance(body["accountEnabled"], bool):
            invalid_value(td, "accountEnabled")
        profile = body["passwordProfile"]
        if not isinstance(profile, dict) or not profile.get("password"):
            invalid_value(td, "passwordProfile")
        user_values.check_password(profile, body.get("passwordPolicies"))
        documented.check(td, body, only=frozenset(body))
        upn = self.validate_upn(body["userPrincipalName"])
        oid = new_guid()
        obj: dict[str, Any] = {
            "id": oid,
            "deletedDateTime": None,
            "accountEnabled": body["accountEnabled"],
            "businessPhones": [],
            "createdDateTime": self.tenant.stamp(),
            "creationType": None,
            "displayName": body["displayName"],
            "givenName": None,
            "jobTitle": None,
            "mail": None,
            "mailNickname": body["mailNickname"],
            "mobilePhone": None,
            "officeLocation": None,
            "onPremisesSyncEnabled": None,
            "preferredLanguage": None,
            "proxyAddresses": [],
            "securityIdentifier": security_identifier(oid),
            "surname": None,
            "userPrincipalName": upn,
            "userType": "Member",
            "assignedLicenses": [],
            "identities": [
                {"signInType": "userPrincipalName", "issuer": upn.split("@")[1], "issuerAssignedId": upn}
            ],
            "lastPasswordChangeDateTime": self.tenant.stamp(),
        }
        for key, value in body.items():
            if key != "passwordProfile" and not key.startswith("@odata."):
                obj[key] = value
        self.apply_mail(obj, None)
        return obj, {}

    def apply_mail(self, obj: dict[str, Any], old_mail: Any) -> None:
        """A user's proxyAddresses follow `mail` (NOTES §3.1); addresses are unique tenant-wide."""
        mail = obj.get("mail")
        if mail == old_mail:
            return
        addresses = [
            a for a in obj.get("proxyAddresses") or [] if not str(a).lower().endswith(f":{old_mail}".lower())
        ]
        addresses = [("smtp:" + a.split(":", 1)[1]) if a.startswith("SMTP:") else a for a in addresses]
        if mail:
            clash = self.tenant.proxy_conflicts([f"smtp:{mail}"], exclude=obj["id"])
            if clash:
                conflict("proxyAddresses", clash)
            addresses = [a for a in addresses if a.lower() != f"smtp:{mail}".lower()]
            addresses.insert(0, f"SMTP:{mail}")
        obj["proxyAddresses"] = addresses

    def group_kind_ok(self, td: TypeDef, groups: dict[str, Any], creating: bool) -> None:
        """The documented values and kind matrix (value_rules), judged on the group as it would be stored
        as if created: an update may not turn a group into one Graph could not have created."""
        types = groups.get("groupTypes") or []
        if isinstance(types, list) and "Unified" not in types and groups.get("mailEnabled"):
            bad(MAIL_GROUP_CREATE if creating else MAIL_GROUP_WRITE)
        documented.check(td, groups, creating=True)

    def check_nickname(self, td: TypeDef, nick: Any) -> None:
        if not isinstance(nick, str) or not nick:
            invalid_value(td, "mailNickname")
        documented.check(td, {"mailNickname": nick}, only=frozenset({"mailNickname"}))

    def unified_conflicts(self, nick: str, exclude: str | None = None) -> None:
        coll = self.tenant.coll("groups")
        for other in coll.find("mailNickname", nick):
            if other != exclude and "Unified" in (coll.objs[other].get("groupTypes") or []):
                conflict("mailNickname")

    def create_group(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        binds = self.binds(body, ("members", "owners"))
        props = {k: v for k, v in body.items() if not k.endswith("@odata.bind")}
        self.check_known(td, props)
        self.reject_read_only(td, props)
        for prop in props:
            if prop in GROUP_EXCHANGE:
                bad(f"Property '{prop}' cannot be set when creating a group; update the group afterwards.")
        self.require(td, props, ("displayName", "mailNickname"))
        for prop in ("mailEnabled", "securityEnabled"):
            if not isinstance(props.get(prop), bool):
                invalid_value(td, prop)
        self.check_nickname(td, props["mailNickname"])
        self.group_kind_ok(td, props, creating=True)
        types = props.get("groupTypes") or []
        unified = "Unified" in types
        if props.get("isAssignableToRole") and (
            not props.get("securityEnabled") or "DynamicMembership" in types
        ):
            invalid_value(td, "isAssignableToRole")
        visibility = props.get("visibility")
        if visibility == "HiddenMembership" and not unified:
            invalid_value(td, "visibility")
        if unified:
            self.unified_conflicts(props["mailNickname"])
        oid = new_guid()
        now = self.tenant.stamp()
        mail = f"{props['mailNickname']}@{self.tenant.domain}" if unified else None
        proxies = [f"SMTP:{mail}"] if mail else []
        if proxies:
            clash = self.tenant.proxy_conflicts(proxies)
            if clash:
                conflict("proxyAddresses", clash)
        if props.get("isAssignableToRole"):
            visibility = "Private"
        elif visibility is None:
            visibility = "Public" if unified else "Private"
        obj = group_record(
            id=oid,
            createdDateTime=now,
            groupTypes=list(types),
            mail=mail,
            proxyAddresses=proxies,
            renewedDateTime=now,
            securityIdentifier=security_identifier(oid),
        )
        obj.update({k: v for k, v in props.items() if not k.startswith("@odata.")})
        obj["visibility"] = visibility
        for rel_name, ids in binds.items():
            rel = td.relationship(rel_name)
            assert rel is not None
            for target in ids:
                found = self.tenant.directory_object(target)
                if found is None:
                    not_found(target)
                if found[0] not in rel.targets:
                    bad(
                        f"An object of type '{TYPES[found[0]].resource}' cannot be added to the '{rel_name}'."
                    )
            if len(set(ids)) != len(ids):
                bad(REF_EXISTS.format(rel_name))
        if binds.get("members") and "DynamicMembership" in types:
            bad(DYNAMIC_REFUSAL)
        if props.get("isAssignableToRole") and any(
            self.tenant.where.get(m) == "groups" for m in binds.get("members", [])
        ):
            bad("Nesting groups is not supported for groups that can be assigned to a role.")
        return obj, binds

    def create_application(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        binds = self.binds(body, ("owners",))
        props = {k: v for k, v in body.items() if not k.endswith("@odata.bind")}
        self.check_known(td, props)
        self.reject_read_only(td, props)
        self.require(td, props, ("displayName",))
        self.check_identifier_uris(props.get("identifierUris"), None)
        for target in binds.get("owners", []):
            found = self.tenant.directory_object(target)
            if found is None:
                not_found(target)
        documented.check(td, props, creating=True)
        obj: dict[str, Any] = {
            "id": new_guid(),
            "deletedDateTime": None,
            "isFallbackPublicClient": None,
            "appId": new_guid(),
            "applicationTemplateId": None,
            "identifierUris": [],
            "createdDateTime": self.tenant.stamp(),
            "displayName": None,
            "isDeviceOnlyAuthSupported": None,
            "groupMembershipClaims": None,
            "optionalClaims": None,
            "addIns": [],
            "publisherDomain": self.tenant.domain,
            "verifiedPublisher": dict(UNVERIFIED),
            "signInAudience": props.get("signInAudience") or "AzureADMyOrg",
            "tags": [],
            "tokenEncryptionKeyId": None,
            "api": {
                "requestedAccessTokenVersion": None,
                "acceptMappedClaims": None,
                "knownClientApplications": [],
                "oauth2PermissionScopes": [],
                "preAuthorizedApplications": [],
            },
            "appRoles": [],
            "publicClient": {"redirectUris": []},
            "info": {
                "termsOfServiceUrl": None,
                "supportUrl": None,
                "privacyStatementUrl": None,
                "marketingUrl": None,
                "logoUrl": None,
            },
            "keyCredentials": [],
            "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
            "passwordCredentials": [],
            "requiredResourceAccess": [],
            "web": {
                "redirectUris": [],
                "homePageUrl": None,
                "logoutUrl": None,
                "implicitGrantSettings": {"enableIdTokenIssuance": False, "enableAccessTokenIssuance": False},
            },
        }
        obj.update({k: v for k, v in props.items() if not k.startswith("@odata.")})
        return obj, binds

    def check_identifier_uris(self, uris: Any, exclude: str | None) -> None:
        if not uris:
            return
        if not isinstance(uris, list):
            invalid_value(TYPES["applications"], "identifierUris")
        wanted = {str(u).lower() for u in uris}
        for app in self.tenant.coll("applications").objs.values():
            if app["id"] != exclude and wanted & {str(u).lower() for u in app.get("identifierUris") or []}:
                conflict("identifierUris")

    def create_service_principal(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        binds = self.binds(body, ("owners",))
        props = {k: v for k, v in body.items() if not k.endswith("@odata.bind")}
        self.check_known(td, props)
        self.reject_read_only(td, props, allow=("appId",))
        self.require(td, props, ("appId",))
        app_id = str(props["appId"])
        if self.tenant.sp_by_app_id(app_id) is not None:
            raise ApiError(
                409,
                "Request_MultipleObjectsWithSameKeyValue",
                SP_NAME_TAKEN.format(app_id),
            )
        apps = self.tenant.coll("applications")
        found = apps.find("appId", app_id)
        if not found:
            bad(
                f"The appId '{app_id}' of the service principal does not reference a valid application "
                "object."
            )
        app = apps.objs[next(iter(found))]
        api = app.get("api") or {}
        obj: dict[str, Any] = {
            "id": new_guid(),
            "deletedDateTime": None,
            "accountEnabled": True,
            "appDisplayName": app.get("displayName"),
            "appId": app_id,
            "applicationTemplateId": app.get("applicationTemplateId"),
            "appOwnerOrganizationId": self.tenant.tenant_id,
            "appRoleAssignmentRequired": False,
            "displayName": app.get("displayName"),
            "homepage": (app.get("web") or {}).get("homePageUrl"),
            "logoutUrl": (app.get("web") or {}).get("logoutUrl"),
            "notificationEmailAddresses": [],
            "preferredSingleSignOnMode": None,
            "replyUrls": list((app.get("web") or {}).get("redirectUris") or []),
            "servicePrincipalNames": [app_id, *list(app.get("identifierUris") or [])],
            "servicePrincipalType": "Application",
            "signInAudience": app.get("signInAudience"),
            "tags": [],
            "addIns": [],
            "appRoles": list(app.get("appRoles") or []),
            "info": app.get("info"),
            "keyCredentials": [],
            "oauth2PermissionScopes": list(api.get("oauth2PermissionScopes") or []),
            "passwordCredentials": [],
            "verifiedPublisher": dict(UNVERIFIED),
        }
        obj.update({k: v for k, v in props.items() if not k.startswith("@odata.")})
        for target in binds.get("owners", []):
            if self.tenant.directory_object(target) is None:
                not_found(target)
        return obj, binds

    def check_ca(self, td: TypeDef, policy: dict[str, Any]) -> None:
        if policy.get("state") is None:  # a state the rules refuse is 1001 below; none at all is too
            documented.refuse(
                td.key, td.resource, value_rules.Problem("state", "state", "member", ""), policy
            )
        conditions = policy.get("conditions")
        if not isinstance(conditions, dict):
            bad("1002: The policy conditions are missing or invalid.", "BadRequest")
        documented.check(td, policy)
        # Neither control: refused (microsoft-graph-docs-contrib#2031, manicminer/hamilton#250).
        if not policy.get("grantControls") and not policy.get("sessionControls"):
            bad("1004: A policy must contain at least one grant control or session control.", "BadRequest")
        controls = policy.get("grantControls")
        if isinstance(controls, dict) and controls.get("operator") is None:  # the rules judge one that is set
            documented.check_one(td.key, td.resource, "grantControls.operator", None, policy)
        locations = conditions.get("locations") or {}
        if not isinstance(locations, dict):
            bad("1005: The policy location condition is invalid.", "BadRequest")
        # A reference to a named location that does not exist is refused (KelvinTegelaar/CIPP#1618).
        names = self.tenant.coll("identity/conditionalAccess/namedLocations").objs
        for key in ("includeLocations", "excludeLocations"):
            for ref in locations.get(key) or []:
                if (
                    ref not in ("All", "AllTrusted", "00000000-0000-0000-0000-000000000000")
                    and ref not in names
                ):
                    bad(
                        f"1005: The named location '{ref}' referenced by the policy does not exist.",
                        "BadRequest",
                    )

    def create_ca_policy(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        self.reject_read_only(td, body)
        if not body.get("displayName"):
            bad("1000: The policy displayName is required.", "BadRequest")
        self.check_ca(td, body)
        obj: dict[str, Any] = {
            "id": new_guid(),
            "templateId": None,
            "displayName": body["displayName"],
            "createdDateTime": self.tenant.stamp(fraction=True),
            "modifiedDateTime": None,
            "state": body["state"],
            "sessionControls": None,
            "conditions": body["conditions"],
            "grantControls": None,
        }
        obj.update({k: v for k, v in body.items() if not k.startswith("@odata.")})
        return obj, {}

    def check_named_location(self, td: TypeDef, kind: str, loc: dict[str, Any]) -> None:
        if kind == "#microsoft.graph.ipNamedLocation":
            ranges = loc.get("ipRanges")
            if not isinstance(ranges, list) or not ranges:
                invalid_value(td, "ipRanges")
            for entry in ranges:
                if not isinstance(entry, dict) or entry.get("@odata.type") not in CIDR_TYPES:
                    bad("Each entry of 'ipRanges' needs an @odata.type of #microsoft.graph.iPv4CidrRange or "
                        "#microsoft.graph.iPv6CidrRange.")  # fmt: skip
                try:
                    net = ipaddress.ip_network(str(entry.get("cidrAddress")), strict=False)
                except ValueError:
                    invalid_value(td, "cidrAddress")
                if (net.version == 4) != (entry["@odata.type"] == CIDR_TYPES[0]):
                    invalid_value(td, "cidrAddress")
            for prop in ("countriesAndRegions", "includeUnknownCountriesAndRegions"):
                if prop in loc:
                    bad(f"Property '{prop}' does not exist as a declared property or extension property.")
        else:
            countries = loc.get("countriesAndRegions")
            if not isinstance(countries, list) or not countries:
                invalid_value(td, "countriesAndRegions")
            documented.check(td, loc, only=frozenset({"countriesAndRegions"}))
            for prop in ("ipRanges", "isTrusted"):
                if prop in loc:
                    bad(f"Property '{prop}' does not exist as a declared property or extension property.")

    def create_named_location(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        kind = body.get("@odata.type")
        if kind not in NAMED_LOCATION_TYPES:
            bad(
                "The @odata.type of a named location is required: #microsoft.graph.ipNamedLocation or "
                "#microsoft.graph.countryNamedLocation."
            )
        self.check_known(td, body)
        self.reject_read_only(td, body)
        self.require(td, body, ("displayName",))
        self.check_named_location(td, kind, body)
        now = self.tenant.stamp(fraction=True)
        obj: dict[str, Any] = {
            "@odata.type": kind,
            "id": new_guid(),
            "displayName": body["displayName"],
            "modifiedDateTime": now,
            "createdDateTime": now,
        }
        if kind == NAMED_LOCATION_TYPES[0]:
            obj["isTrusted"] = bool(body.get("isTrusted", False))
            obj["ipRanges"] = body["ipRanges"]
        else:
            obj["countriesAndRegions"] = body["countriesAndRegions"]
            obj["includeUnknownCountriesAndRegions"] = bool(
                body.get("includeUnknownCountriesAndRegions", False)
            )
            obj["countryLookupMethod"] = body.get("countryLookupMethod", "clientIpAddress")
        return obj, {}

    def create_auth_strength(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        for prop in body:
            if prop in td.read_only and prop != "allowedCombinations":
                read_only(prop)
        self.require(td, body, td.required)
        combos = body["allowedCombinations"]
        if not isinstance(combos, list) or not all(isinstance(c, str) and c for c in combos):
            invalid_value(td, "allowedCombinations")
        for other in self.tenant.coll(td.key).objs.values():
            if str(other.get("displayName")).lower() == str(body["displayName"]).lower():
                conflict("displayName")
        now = self.tenant.stamp(fraction=True)
        obj = {
            "id": new_guid(),
            "createdDateTime": now,
            "modifiedDateTime": now,
            "displayName": body["displayName"],
            "description": body.get("description"),
            "policyType": "custom",
            "requirementsSatisfied": "mfa",
            "allowedCombinations": combos,
        }
        return obj, {}

    def create_auth_context(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        oid = body.get("id")
        if not isinstance(oid, str) or not re.fullmatch(r"c([1-9]|[1-9][0-9])", oid):
            invalid_value(td, "id")
        if oid in self.tenant.coll(td.key).objs:
            conflict("id")
        self.require(td, body, ("displayName",))
        obj = {
            "id": oid,
            "displayName": body["displayName"],
            "description": body.get("description"),
            "isAvailable": bool(body.get("isAvailable", False)),
        }
        return obj, {}

    def create_au(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        self.reject_read_only(td, body)
        self.require(td, body, ("displayName",))
        self.check_au(td, body)
        obj: dict[str, Any] = {
            "id": new_guid(),
            "deletedDateTime": None,
            "displayName": body["displayName"],
            "description": body.get("description"),
            "visibility": body.get("visibility"),
        }
        obj.update({k: v for k, v in body.items() if not k.startswith("@odata.")})
        return obj, {}

    def check_au(self, td: TypeDef, au: dict[str, Any]) -> None:
        documented.check(td, au)
        if au.get("membershipType") == "Dynamic":
            if not au.get("membershipRule"):
                invalid_value(td, "membershipRule")
            if au.get("membershipRuleProcessingState") not in ("On", "Paused"):
                invalid_value(td, "membershipRuleProcessingState")

    def create_role_definition(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        self.reject_read_only(td, body)
        self.require(td, body, ("displayName", "rolePermissions"))
        if not isinstance(body.get("isEnabled"), bool):
            invalid_value(td, "isEnabled")
        perms = body["rolePermissions"]
        if not isinstance(perms, list) or not all(
            isinstance(p, dict) and isinstance(p.get("allowedResourceActions"), list) for p in perms
        ):
            invalid_value(td, "rolePermissions")
        for other in self.tenant.coll(td.key).find("displayName", str(body["displayName"])):
            conflict("displayName", [other])
        oid = new_guid()
        obj: dict[str, Any] = {
            "id": oid,
            "description": body.get("description"),
            "displayName": body["displayName"],
            "isBuiltIn": False,
            "isEnabled": body["isEnabled"],
            "resourceScopes": body.get("resourceScopes", ["/"]),
            "templateId": oid,
            "version": body.get("version"),
            "rolePermissions": perms,
            "inheritsPermissionsFrom": [],
            "deletedDateTime": None,  # resources/unifiedroledefinition.md: null while active
        }
        obj.update({k: v for k, v in body.items() if not k.startswith("@odata.")})
        return obj, {}

    def role_definition(self, ref: str) -> dict[str, Any] | None:
        coll = self.tenant.coll("roleManagement/directory/roleDefinitions")
        if ref in coll.objs:
            return coll.objs[ref]
        for oid in coll.find("templateId", ref):
            return coll.objs[oid]
        return None

    def role_target(self, td: TypeDef, body: dict[str, Any]) -> tuple[str | None, str | None]:
        """Check what a role assignment (or a PIM schedule request) names: the role definition, a principal
        that can hold a role, exactly one scope and that the scope exists; returns (directoryScopeId,
        appScopeId). rbacapplication-post-roleassignments.md, rbacapplication-post-roleeligibilityschedule
        requests.md ("Either directoryScopeId or appScopeId is required")."""
        if self.role_definition(str(body["roleDefinitionId"])) is None:
            not_found(str(body["roleDefinitionId"]))
        principal = self.tenant.directory_object(str(body["principalId"]))
        if principal is None:
            not_found(str(body["principalId"]))
        if principal[0] not in ("users", "groups", "servicePrincipals"):
            invalid_value(td, "principalId")
        if principal[0] == "groups" and not principal[1].get("isAssignableToRole"):
            bad("Only groups with isAssignableToRole set to true can be assigned to a directory role.")
        scope = body.get("directoryScopeId")
        app_scope = body.get("appScopeId")
        if (scope is None) == (app_scope is None):
            bad("Exactly one of directoryScopeId and appScopeId must be specified.")
        if scope is not None:
            scope = str(scope)
            if scope.lower().startswith("/administrativeunits/"):
                if scope.split("/")[-1] not in self.tenant.coll("directory/administrativeUnits").objs:
                    not_found(scope.split("/")[-1])
            elif scope != "/" and scope.strip("/") not in self.tenant.where:
                not_found(scope.strip("/"))
        return scope, None if app_scope is None else str(app_scope)

    def create_role_assignment(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        self.reject_read_only(td, body)
        self.require(td, body, ("roleDefinitionId", "principalId"))
        scope, app_scope = self.role_target(td, body)
        coll = self.tenant.coll(td.key)
        for other in coll.find("principalId", str(body["principalId"])):
            existing = coll.objs[other]
            if (
                existing.get("roleDefinitionId") == body["roleDefinitionId"]
                and existing.get("directoryScopeId") == scope
                and existing.get("appScopeId") == app_scope
            ):
                bad(ROLE_CONFLICT)
        obj: dict[str, Any] = {
            "id": new_role_assignment_id(),
            "roleDefinitionId": body["roleDefinitionId"],
            "principalId": body["principalId"],
        }
        if scope is not None:
            obj["directoryScopeId"] = scope
        else:
            obj["appScopeId"] = app_scope
        if body.get("condition") is not None:
            obj["condition"] = body["condition"]
        return obj, {}

    def create_sts_policy(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        """An stsPolicy (activity-based timeout, claims mapping, token issuance, token lifetime, home realm
        discovery: activitybasedtimeoutpolicy-post-activitybasedtimeoutpolicies.md,
        claimsmappingpolicy-post-claimsmappingpolicies.md, tokenlifetimepolicy-post-tokenlifetimepolicies.md
        ...); displayName and definition are required (each resource page), the definition's rules are the
        value rules'."""
        self.check_known(td, body)
        self.reject_read_only(td, body)
        documented.check(td, body, creating=True)
        obj: dict[str, Any] = {
            "id": new_guid(),
            "deletedDateTime": None,
            "definition": list(body["definition"]),
            "description": body.get("description"),
            "displayName": body["displayName"],
            "isOrganizationDefault": bool(body.get("isOrganizationDefault", False)),
        }
        return obj, {}

    def create_app_management_policy(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        """appmanagementpolicy-post.md: displayName, description, isEnabled and restrictions; the value
        rules say which are required and what each holds."""
        self.check_known(td, body)
        self.reject_read_only(td, body)
        documented.check(td, body, creating=True)
        obj: dict[str, Any] = {
            "id": new_guid(),
            "deletedDateTime": None,
            "description": body.get("description"),
            "displayName": body["displayName"],
            "isEnabled": bool(body.get("isEnabled", True)),
            "restrictions": body.get("restrictions"),
        }
        return obj, {}

    def create_grant(self, td: TypeDef, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        self.check_known(td, body)
        self.require(td, body, ("clientId", "consentType", "resourceId"))
        sps = self.tenant.coll("servicePrincipals").objs
        for prop in ("clientId", "resourceId"):
            if str(body[prop]) not in sps:
                not_found(str(body[prop]))
        consent = body["consentType"]
        documented.check(td, body, only=frozenset({"consentType"}))
        principal = body.get("principalId")
        if consent == "Principal":
            if not principal:
                invalid_value(td, "principalId")
            if str(principal) not in self.tenant.coll("users").objs:
                not_found(str(principal))
        elif principal:
            invalid_value(td, "principalId")
        coll = self.tenant.coll(td.key)
        for other in coll.find("clientId", str(body["clientId"])):
            existing = coll.objs[other]
            if existing.get("resourceId") == body["resourceId"] and existing.get("principalId") == principal:
                raise ApiError(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Permission entry already exists.",
                )
        obj = {
            "clientId": body["clientId"],
            "consentType": consent,
            "id": new_b64_id(),
            "principalId": principal,
            "resourceId": body["resourceId"],
            "scope": body.get("scope", ""),
        }
        return obj, {}

    def validate_update(
        self, td: TypeDef, old: dict[str, Any], new: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        if td.key == "users":
            if old.get("onPremisesSyncEnabled") and any(
                k not in USER_CLOUD_WRITABLE_WHEN_SYNCED for k in changes
            ):
                bad(SYNC_REFUSAL)
            if "userPrincipalName" in changes:
                self.validate_upn(changes["userPrincipalName"], exclude=old["id"])
            documented.check(td, changes, kinds_only=True)
            for prop in ("displayName", "mailNickname"):
                if prop in changes and not changes[prop]:
                    invalid_value(td, prop)
            documented.check(td, new, only=frozenset(changes))
            if "passwordProfile" in changes:
                user_values.check_password(changes["passwordProfile"], new.get("passwordPolicies"))
            if "mail" in changes:
                self.apply_mail(new, old.get("mail"))
        elif td.key == "groups":
            if old.get("onPremisesSyncEnabled"):
                bad(SYNC_REFUSAL)
            if "Unified" not in (old.get("groupTypes") or []) and old.get("mailEnabled"):
                bad(MAIL_GROUP_WRITE)
            self.group_kind_ok(td, new, creating=False)
            if "mailNickname" in changes:
                self.check_nickname(td, changes["mailNickname"])
                if "Unified" in (new.get("groupTypes") or []):
                    self.unified_conflicts(changes["mailNickname"], exclude=old["id"])
            if "displayName" in changes and not changes["displayName"]:
                invalid_value(td, "displayName")
            if (
                "visibility" in changes
                and "HiddenMembership" in (changes["visibility"], old.get("visibility"))
                and changes["visibility"] != old.get("visibility")
            ):
                read_only("visibility")
            if old.get("isAssignableToRole") and "DynamicMembership" in (new.get("groupTypes") or []):
                invalid_value(td, "groupTypes")
        elif td.key == "applications":
            if "displayName" in changes and not changes["displayName"]:
                invalid_value(td, "displayName")
            self.check_identifier_uris(changes.get("identifierUris"), old["id"])
        elif td.key == "identity/conditionalAccess/policies":
            if "displayName" in changes and not changes["displayName"]:
                bad("1000: The policy displayName is required.", "BadRequest")
            self.check_ca(td, new)
        elif td.key == "identity/conditionalAccess/namedLocations":
            if "displayName" in changes and not changes["displayName"]:
                invalid_value(td, "displayName")
            self.check_named_location(td, str(old.get("@odata.type")), new)
        elif td.key == "directory/administrativeUnits":
            self.check_au(td, new)
        elif td.key == "roleManagement/directory/roleDefinitions":
            if old.get("isBuiltIn"):
                bad("Built-in role definitions cannot be updated.")
        elif td.key == "identity/conditionalAccess/authenticationStrength/policies":
            if old.get("policyType") == "builtIn":
                bad("Built-in authentication strength policies cannot be changed.")
        elif td.key == "oauth2PermissionGrants":
            for prop in changes:
                if prop != "scope":
                    read_only(prop)
        elif td.key == "organization":
            for prop in changes:
                if prop not in ORGANIZATION_WRITABLE:
                    read_only(prop)
        documented.check(td, new, only=frozenset(changes))  # every type's documented values

    @staticmethod
    def id_from_url(url: str) -> str:
        path = urlsplit(url).path if "://" in url else url
        parts = [p for p in path.split("/") if p]
        if not parts:
            bad(f"Invalid object identifier '{url}'.")
        last = parts[-1]
        if last.lower().startswith("microsoft.") and len(parts) > 1:
            last = parts[-2]
        m = re.fullmatch(r"\w+\('([^']+)'\)", last)
        return m.group(1) if m else last
