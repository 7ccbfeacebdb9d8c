"""Seeds: the plain-dict description of a tenant that the sandbox starts from.

A seed maps Graph collection paths (`users`, `groups`, `identity/conditionalAccess/policies`, ...) to lists
of Graph JSON objects, and the two policy singletons to one object each; relationships ride on the objects
(`members`, `owners`, `manager`, `appRoleAssignedTo`) and soft-deleted objects sit in a top-level
`deletedItems` list. Three sources produce one: a file a user wrote (`load_seed_file`), the deterministic
generator (`generate_seed`) and the small demo tenant (`demo_seed`). All of them pass through
`complete_seed`, because a tenant without its organization record, built-in roles or Microsoft Graph
service principal is not one that entragit will ever meet.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from entragit.sandbox import baseline, cross_tenant, domains
from entragit.sandbox.assertions import registrations
from entragit.sandbox.baseline import (
    SANDBOX_CLIENT_ID,
    SANDBOX_DOMAIN,
    SANDBOX_ORG_NAME,
    SANDBOX_TENANT_ID,
    seed_clock,
)
from entragit.sandbox.errors import SandboxError
from entragit.sandbox.names import nickname
from entragit.sandbox.permissions import parse_grant

__all__ = [
    "COLLECTIONS",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_DOMAIN",
    "SANDBOX_ORG_NAME",
    "SANDBOX_TENANT_ID",
    "SINGLETONS",
    "SeedError",
    "complete_seed",
    "demo_seed",
    "generate_seed",
    "load_seed_file",
    "seed_clock",
]

Seed = dict[str, Any]

COLLECTIONS: tuple[str, ...] = (
    "users",
    "groups",
    "applications",
    "servicePrincipals",
    "identity/conditionalAccess/policies",
    "identity/conditionalAccess/namedLocations",
    "identity/conditionalAccess/authenticationStrength/policies",
    "identity/conditionalAccess/authenticationContextClassReferences",
    "directory/administrativeUnits",
    "directory/attributeSets",
    "directory/customSecurityAttributeDefinitions",
    "roleManagement/directory/roleDefinitions",
    "roleManagement/directory/roleAssignments",
    "roleManagement/directory/roleEligibilitySchedules",
    "roleManagement/directory/roleAssignmentSchedules",
    "identityGovernance/privilegedAccess/group/eligibilitySchedules",
    "identityGovernance/privilegedAccess/group/assignmentSchedules",
    "policies/roleManagementPolicies",
    "policies/roleManagementPolicyAssignments",
    "oauth2PermissionGrants",
    "policies/activityBasedTimeoutPolicies",
    "policies/permissionGrantPolicies",
    "groupSettingTemplates",  # always Microsoft's (baseline.complete): a completed seed names them
    "groupSettings",
    "groupLifecyclePolicies",
    "policies/claimsMappingPolicies",
    "policies/tokenIssuancePolicies",
    "policies/tokenLifetimePolicies",
    "policies/homeRealmDiscoveryPolicies",
    "policies/appManagementPolicies",
    "organization",
    "subscribedSkus",
    "security/secureScores",
    "auditLogs/directoryAudits",
    "deviceManagement/deviceCompliancePolicies",
    "identityGovernance/termsOfUse/agreements",
    "policies/featureRolloutPolicies",
    "deletedItems",
)
SINGLETONS: tuple[str, ...] = (
    "policies/authenticationMethodsPolicy",
    "policies/authorizationPolicy",
    "policies/identitySecurityDefaultsEnforcementPolicy",
    "policies/authenticationFlowsPolicy",
    "policies/adminConsentRequestPolicy",
    "policies/defaultAppManagementPolicy",
)

# Soft-deletable types (docs/graph.md, Deleted items) as they appear in a deletedItems entry's @odata.type.
DELETED_TYPES: dict[str, str] = {
    "#microsoft.graph.user": "users",
    "#microsoft.graph.group": "groups",
    "#microsoft.graph.application": "applications",
    "#microsoft.graph.servicePrincipal": "servicePrincipals",
    "#microsoft.graph.administrativeUnit": "directory/administrativeUnits",
}

# Collections whose objects are directory objects that links (members, owners, manager) may point at.
_DIRECTORY_OBJECTS = ("users", "groups", "servicePrincipals", "applications", "directory/administrativeUnits")


class SeedError(SandboxError):
    """A seed file or seed dict that cannot become a tenant; the message names the file and the problem."""


# --- Ids ----------------------------------------------------------------------------------------------------


def _role_assignment_id(seed_id: uuid.UUID) -> str:
    """Role assignment ids are not GUIDs: 43 base64url characters, then `-1` (docs/graph.md, Ids)."""
    raw = seed_id.bytes + uuid.uuid5(seed_id, "assignment").bytes
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") + "-1"


def _fill_ids(seed: Seed, tenant_id: str) -> Seed:
    """Give every object without an id one derived from its position, so a hand-written seed can omit them.

    Objects that already have an id are passed through untouched (no copy).
    """
    out = dict(seed)
    namespace = uuid.UUID(tenant_id) if _is_guid(tenant_id) else uuid.UUID(SANDBOX_TENANT_ID)
    for key in COLLECTIONS:
        items = seed.get(key)
        if not isinstance(items, list) or all(isinstance(o, dict) and o.get("id") for o in items):
            continue
        filled = []
        for index, obj in enumerate(items):
            if isinstance(obj, dict) and not obj.get("id"):
                obj = dict(obj)
                derived = uuid.uuid5(namespace, f"{key}#{index}")
                if key == "roleManagement/directory/roleAssignments":
                    obj["id"] = _role_assignment_id(derived)
                elif key == "organization":
                    obj["id"] = tenant_id
                else:
                    obj["id"] = str(derived)
            filled.append(obj)
        out[key] = filled
    return out


def _fill_defaults(seed: Seed, tenant_id: str) -> Seed:
    """Give hand-written objects the properties Graph always has (accountEnabled, mailNickname, appId, ...).

    A seed author writes `{displayName, userPrincipalName}`; a real tenant never holds a user without
    userType or createdDateTime, and code under test may rely on them. Only missing keys are added, on copies.
    """
    now = seed_clock()
    created = baseline.iso(now - timedelta(days=30))
    namespace = uuid.UUID(tenant_id) if _is_guid(tenant_id) else uuid.UUID(SANDBOX_TENANT_ID)
    domain = baseline.domain_of(seed)
    out = dict(seed)

    def fill(key: str, defaults: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        items = seed.get(key)
        if not isinstance(items, list):
            return
        changed = False
        filled = []
        for obj in items:
            missing = {k: v for k, v in defaults(obj).items() if k not in obj}
            if missing:
                obj = {**obj, **missing}
                changed = True
            filled.append(obj)
        if changed:
            out[key] = filled

    def user(o: dict[str, Any]) -> dict[str, Any]:
        upn = str(o.get("userPrincipalName") or f"{nickname(str(o.get('displayName') or o['id']))}@{domain}")
        guest = "#EXT#" in upn.upper()
        return {
            "userPrincipalName": upn,
            "displayName": upn.split("@", 1)[0],
            "accountEnabled": True,
            "userType": "Guest" if guest else "Member",
            "creationType": "Invitation" if guest else None,
            "mailNickname": upn.split("@", 1)[0],
            "createdDateTime": created,
            "deletedDateTime": None,
            "assignedLicenses": [],
            "businessPhones": [],
        }

    def group(o: dict[str, Any]) -> dict[str, Any]:
        unified = "Unified" in (o.get("groupTypes") or [])
        mail_enabled = bool(o.get("mailEnabled", unified))
        nick = nickname(str(o.get("displayName") or "")) or f"group{o['id'][:8]}"
        nick = str(o.get("mailNickname") or nick)
        return {
            "displayName": nick,
            "groupTypes": [],
            "mailEnabled": mail_enabled,
            "securityEnabled": not unified,
            "mailNickname": nick,
            "mail": f"{nick}@{domain}" if mail_enabled else None,
            "proxyAddresses": [f"SMTP:{nick}@{domain}"] if mail_enabled else [],
            "visibility": "Public" if unified else None,
            "createdDateTime": created,
            "deletedDateTime": None,
            "securityIdentifier": baseline.security_identifier(o["id"]) if _is_guid(o["id"]) else None,
        }

    def application(o: dict[str, Any]) -> dict[str, Any]:
        return {
            "appId": str(uuid.uuid5(namespace, f"appId:{o['id']}")),
            "displayName": "Application",
            "createdDateTime": created,
            "deletedDateTime": None,
            "signInAudience": "AzureADMyOrg",
            "publisherDomain": domain,
        }

    def service_principal(o: dict[str, Any]) -> dict[str, Any]:
        return {
            "appId": str(uuid.uuid5(namespace, f"appId:{o['id']}")),
            "accountEnabled": True,
            "appDisplayName": o.get("displayName"),
            "appOwnerOrganizationId": tenant_id,
            "servicePrincipalType": "Application",
            "deletedDateTime": None,
        }

    def stamped(o: dict[str, Any]) -> dict[str, Any]:
        return {"createdDateTime": baseline.iso7(now - timedelta(days=30)), "modifiedDateTime": None}

    fill("users", user)
    fill("groups", group)
    fill("applications", application)
    fill("servicePrincipals", service_principal)
    fill("identity/conditionalAccess/policies", stamped)
    fill("identity/conditionalAccess/namedLocations", stamped)
    fill("deletedItems", lambda o: {"deletedDateTime": baseline.iso(now - timedelta(days=1))})

    def agreement(o: dict[str, Any]) -> dict[str, Any]:
        """An agreement's settings Graph always returns, and each file's id and stamps (the seed may give
        a file its name, language, flags and data alone)."""
        files = [
            {
                "id": str(uuid.uuid5(namespace, f"agreementFile:{o['id']}:{i}")),
                "displayName": f.get("fileName"),
                "isDefault": i == 0,
                "isMajorVersion": False,
                "createdDateTime": baseline.iso7(now - timedelta(days=30)),
                **f,
            }
            for i, f in enumerate(o.get("files") or [])
            if isinstance(f, dict)
        ]
        return {
            "isPerDeviceAcceptanceRequired": False,
            "isViewingBeforeAcceptanceRequired": False,
            "termsExpiration": None,
            "userReacceptRequiredFrequency": None,
            "files": files,
        }

    fill("identityGovernance/termsOfUse/agreements", agreement)
    agreements = out.get("identityGovernance/termsOfUse/agreements")
    if isinstance(agreements, list):  # (fill keeps a given list whole: the files get theirs here)
        out["identityGovernance/termsOfUse/agreements"] = [
            {**a, "files": agreement(a)["files"]} if isinstance(a, dict) else a for a in agreements
        ]
    return out


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _tenant_id_of(seed: Seed) -> str:
    orgs = seed.get("organization")
    if isinstance(orgs, list) and orgs and isinstance(orgs[0], dict) and orgs[0].get("id"):
        return str(orgs[0]["id"])
    return SANDBOX_TENANT_ID


# --- Completion ---------------------------------------------------------------------------------------------


def complete_seed(seed: Seed) -> Seed:
    """Add what every real tenant has (organization, built-in roles, Graph SP, SKUs...) if the seed lacks it.

    Returns a new dict; the caller's dict and objects are not modified. Objects without an id get one.
    """
    if not isinstance(seed, dict):
        raise SeedError(
            f"seed: the top level must be a mapping of collection paths, not {type(seed).__name__}"
        )
    _check_shape(seed, "seed")
    seed = _fill_ids(seed, _tenant_id_of(seed))
    seed = _fill_defaults(seed, _tenant_id_of(seed))
    return baseline.complete(seed, seed_clock())


# --- Loading files ------------------------------------------------------------------------------------------


def load_seed_file(path: str | Path) -> Seed:
    """Read a JSON or YAML seed file, check it, complete it; any defect is a one-line SeedError naming it."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(f"{name}: no such seed file") from None
    except UnicodeDecodeError as exc:
        raise SeedError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SeedError(f"{name}: cannot read the seed file: {exc.strerror or exc}") from None

    data = _parse(text, name, json_first=path.suffix.lower() == ".json")
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {_type_name(data)}"
        raise SeedError(
            f"{name}: the top level must be a mapping of collection paths to lists, but the file is {kind}"
        )
    _check_shape(data, name)
    data = _fill_ids(data, _tenant_id_of(data))
    data = _fill_defaults(data, _tenant_id_of(data))
    completed = baseline.complete(data, seed_clock())
    _check_references(completed, name)
    return completed


def _parse(text: str, name: str, *, json_first: bool) -> Any:
    if json_first:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SeedError(
                f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=False)
    try:
        return _json_types(yaml.load(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = (exc.problem or exc.context or "syntax error").strip()
        raise SeedError(f"{name}: invalid YAML{where}: {problem}") from None
    except YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise SeedError(f"{name}: invalid YAML: {detail}") from None


def _json_types(value: Any) -> Any:
    """YAML reads unquoted timestamps as datetimes; Graph JSON carries them as strings (`...Z` for UTC)."""
    if isinstance(value, dict):
        return {str(k): _json_types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_types(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
        return text + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _check_shape(data: Seed, name: str) -> None:
    valid = (
        *COLLECTIONS,
        *SINGLETONS,
        *cross_tenant.SEED_KEYS,
        *domains.SEED_KEYS,
        "permissions",
        "credentials",
    )
    for key, value in data.items():
        if key == "permissions":  # the application permissions of the sandbox's client
            try:
                parse_grant(value)
            except ValueError as exc:
                raise SeedError(f"{name}: permissions: {exc}") from None
            continue
        if key == "credentials":  # certificates and federated credentials of apps (assertions.py)
            try:
                registrations(value)
            except ValueError as exc:
                raise SeedError(f"{name}: {exc}") from None
            continue
        if key not in valid:
            raise SeedError(f"{name}: unknown collection {key!r}; valid keys are: {', '.join(valid)}")
        if key in (*SINGLETONS, cross_tenant.POLICY, cross_tenant.DEFAULT):
            if value is not None and not isinstance(value, dict):
                raise SeedError(f"{name}: {key} must be one object (a mapping), not a {_type_name(value)}")
            continue
        if value is None:
            continue
        if not isinstance(value, list):
            raise SeedError(f"{name}: {key} must be a list of objects, not a {_type_name(value)}")
        for index, obj in enumerate(value):
            if not isinstance(obj, dict):
                raise SeedError(
                    f"{name}: {key}[{index}] must be an object (a mapping), not a {_type_name(obj)}"
                )
            if key == cross_tenant.PARTNERS and not obj.get("tenantId"):
                raise SeedError(f"{name}: {key}[{index}] has no tenantId (partners are keyed by it)")
            if key == domains.KEY and not obj.get("id"):
                raise SeedError(f"{name}: {key}[{index}] has no id (a domain is keyed by its name)")
    for index, obj in enumerate(data.get("deletedItems") or []):
        kind = obj.get("@odata.type")
        label = obj.get("displayName") or obj.get("id") or f"#{index}"
        if not kind:
            raise SeedError(
                f"{name}: deletedItems[{index}] ({label}) has no @odata.type; "
                f"use one of {', '.join(DELETED_TYPES)}"
            )
        if kind not in DELETED_TYPES:
            raise SeedError(
                f"{name}: deletedItems[{index}] ({label}) has @odata.type {kind!r}, which is not "
                f"soft-deleted; use one of {', '.join(DELETED_TYPES)}"
            )


def _ids(seed: Seed, keys: Iterable[str]) -> set[str]:
    return {str(o["id"]) for key in keys for o in seed.get(key) or () if o.get("id")}


def _check_references(seed: Seed, name: str) -> None:
    """Every link must point at an object the seed holds (a deleted object may also link to deleted ones)."""
    live = _ids(seed, _DIRECTORY_OBJECTS)
    deleted = {str(o["id"]) for o in seed.get("deletedItems") or () if o.get("id")}

    def check(key: str, obj: dict[str, Any], targets: set[str]) -> None:
        label = obj.get("displayName") or obj.get("userPrincipalName") or obj.get("id")
        for rel in ("members", "owners"):
            refs = obj.get(rel)
            if refs is None:
                continue
            if not isinstance(refs, list):
                raise SeedError(f"{name}: {key} {label}: {rel} must be a list of ids")
            for ref in refs:
                ref_id = ref.get("id") if isinstance(ref, dict) else ref
                if str(ref_id) not in targets:
                    raise SeedError(f"{name}: {key} {label}: {rel} refers to unknown id {ref_id}")
        manager = obj.get("manager")
        if manager is not None:
            manager_id = manager.get("id") if isinstance(manager, dict) else manager
            if str(manager_id) not in targets:
                raise SeedError(f"{name}: {key} {label}: manager refers to unknown id {manager_id}")
        for assignment in obj.get("appRoleAssignedTo") or ():
            principal = assignment.get("principalId") if isinstance(assignment, dict) else None
            if str(principal) not in targets:
                raise SeedError(
                    f"{name}: {key} {label}: appRoleAssignedTo refers to unknown principalId {principal}"
                )

    for key in _DIRECTORY_OBJECTS:
        for obj in seed.get(key) or ():
            check(key, obj, live)
    for obj in seed.get("deletedItems") or ():
        check("deletedItems", obj, live | deleted)
    roles = {
        str(r.get(k))
        for r in seed.get("roleManagement/directory/roleDefinitions") or ()
        for k in ("id", "templateId")
    }
    units = _ids(seed, ("directory/administrativeUnits",))
    for assignment in seed.get("roleManagement/directory/roleAssignments") or ():
        where = f"{name}: roleManagement/directory/roleAssignments {assignment.get('id')}"
        principal = assignment.get("principalId")
        if principal is not None and str(principal) not in live:
            raise SeedError(f"{where}: principalId refers to unknown id {principal}")
        role = assignment.get("roleDefinitionId")
        if role is not None and str(role) not in roles:
            raise SeedError(f"{where}: roleDefinitionId refers to unknown role definition {role}")
        scope = str(assignment.get("directoryScopeId") or "/")
        if scope.startswith("/administrativeUnits/") and scope.split("/")[2] not in units:
            raise SeedError(
                f"{where}: directoryScopeId refers to unknown administrative unit {scope.split('/')[2]}"
            )


# --- Generated tenants --------------------------------------------------------------------------------------


def generate_seed(users: int, *, rng_seed: int = 1) -> Seed:
    """A deterministic, realistic, completed tenant of `users` users (groups ~users/10, apps ~users/50)."""
    from entragit.sandbox.generator import generate

    if users < 0:
        raise SeedError(f"--users must be zero or more, not {users}")
    now = seed_clock()
    return baseline.complete(generate(users, rng_seed=rng_seed, now=now), now)


def demo_seed() -> Seed:
    """The small tenant `entragit demo` and a bare `sandbox serve` start from (~25 users, some of all)."""
    from entragit.sandbox.generator import generate

    now = seed_clock()
    return baseline.complete(generate(25, rng_seed=2024, now=now, demo=True), now)
