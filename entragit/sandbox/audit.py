"""auditLogs/directoryAudits records for every change made through the API, and for each write that failed.

Records follow the directoryAudit resource: activityDisplayName, category and loggedByService as Microsoft's
audit activity reference names them (entra-docs identity/monitoring-health/reference-audit-activities.md:
"Update user", "Add member to group", "Hard Delete user", "Add member to role", "Authentication Methods
Policy Update"...), targetResources with modifiedProperties whose old/new values are JSON strings, and
initiatedBy the calling app — or the user named by the X-Sandbox-Actor header, to simulate an admin in the
portal. A refused write is recorded too, with `result: failure` and Graph's message as `resultReason`, as the
directory audit log does.

The API layer names an activity generically ("<verb> <noun>", from the type's audit noun); `REFERENCE` turns
the generic names the reference spells differently into its spelling, category and logging service.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from entragit.sandbox.protocol import Ctx, Request
from entragit.sandbox.schema import SINGLETONS, TYPES, TypeDef, path_index
from entragit.sandbox.tenant import Tenant

_CA = "Conditional Access"
_METHODS = "Authentication Methods"
# generic name → (reference activity, category or None to keep the type's, logging service or None for
# "Core Directory"); reference-audit-activities.md, sections "Core Directory", "Conditional Access" and
# "Authentication Methods".
REFERENCE: dict[str, tuple[str, str | None, str | None]] = {
    "Hard delete user": ("Hard Delete user", None, None),
    "Hard delete group": ("Hard Delete group", None, None),
    "Hard delete application": ("Hard Delete application", None, None),
    "Hard delete administrative unit": ("Hard Delete administrative unit", None, None),
    "Delete service principal": ("Remove service principal", None, None),
    "Add role assignment": ("Add member to role", None, None),
    "Delete role assignment": ("Remove member from role", None, None),
    "Delete delegated permission grant": ("Remove delegated permission grant", None, None),
    "Add app role assignment to group": ("Add app role assignment to group", "GroupManagement", None),
    "Remove app role assignment from group": (
        "Remove app role assignment from group",
        "GroupManagement",
        None,
    ),
    "Remove app role assignment from user": ("Remove app role assignment from user", "UserManagement", None),
    "Update authorization policy": ("Update authorization policy", "AuthorizationPolicy", None),
    "Add conditional access policy": ("Add Conditional Access policy", None, _CA),
    "Update conditional access policy": ("Update Conditional Access policy", None, _CA),
    "Delete conditional access policy": ("Delete Conditional Access policy", None, _CA),
    "Add named location": ("Add named location", None, _CA),
    "Update named location": ("Update named location", None, _CA),
    "Delete named location": ("Delete named location", None, _CA),
    "Add authentication context": ("Add AuthenticationContextClassReference", None, _CA),
    "Update authentication context": ("Update AuthenticationContextClassReference", None, _CA),
    "Delete authentication context": ("Delete AuthenticationContextClassReference", None, _CA),
    "Add authentication strength policy": (
        "Authentication Strength Policy Create",
        "ApplicationManagement",
        _METHODS,
    ),
    "Update authentication strength policy": (
        "Authentication Strength Policy Update",
        "ApplicationManagement",
        _METHODS,
    ),
    "Delete authentication strength policy": (
        "Authentication Strength Policy Delete",
        "ApplicationManagement",
        _METHODS,
    ),
    "Update authentication methods policy": (
        "Authentication Methods Policy Update",
        "ApplicationManagement",
        _METHODS,
    ),
    "Update authentication method configuration": (
        "Authentication Methods Policy Update",
        "ApplicationManagement",
        _METHODS,
    ),
}
_SINGLETON_NOUNS = {
    "policies/authorizationPolicy": "authorization policy",
    "policies/authenticationMethodsPolicy": "authentication methods policy",
    "policies/identitySecurityDefaultsEnforcementPolicy": "security defaults policy",
    "policies/authenticationFlowsPolicy": "authentication flows policy",
    "policies/adminConsentRequestPolicy": "admin consent request policy",
    "policies/defaultAppManagementPolicy": "default app management policy",
}


class Auditor:
    """Appends directoryAudit records to one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    @staticmethod
    def singleton_noun(path: str) -> str:
        """How the audit log names a policy singleton (`security defaults policy`)."""
        return _SINGLETON_NOUNS[path]

    def target(
        self, key: str, obj: dict[str, Any], modified: Iterable[tuple[str, Any, Any]] = ()
    ) -> dict[str, Any]:
        td = TYPES[key]
        target: dict[str, Any] = {
            "id": obj.get("id"),
            "displayName": obj.get("displayName"),
            "type": td.audit_type,
            "userPrincipalName": obj.get("userPrincipalName") if key == "users" else None,
            "groupType": None,
        }
        return self.with_modified(target, modified)

    @staticmethod
    def with_modified(target: dict[str, Any], modified: Iterable[tuple[str, Any, Any]]) -> dict[str, Any]:
        target["modifiedProperties"] = [
            {"displayName": name, "oldValue": json.dumps(old), "newValue": json.dumps(new)}
            for name, old, new in modified
        ]
        return target

    def link(
        self, ctx: Ctx, td: TypeDef, container: dict[str, Any], rel_name: str, target: str, add: bool
    ) -> None:
        noun = {
            "groups": "group",
            "applications": "application",
            "servicePrincipals": "service principal",
        }.get(td.key, "administrative unit")
        verb = "Add" if add else "Remove"
        what = "member" if rel_name == "members" else "owner"
        found = self.tenant.directory_object(target)
        targets = [self.target(td.key, container)]
        if found is not None:
            prop = f"{TYPES[td.key].resource}.ObjectID"
            targets.insert(
                0,
                self.target(
                    found[0],
                    found[1],
                    [(prop, None if add else container["id"], container["id"] if add else None)],
                ),
            )
        else:
            targets.insert(0, {"id": target, "displayName": None, "type": "Other", "modifiedProperties": []})
        self.record(
            ctx,
            f"{verb} {what} {'to' if add else 'from'} {noun}",
            td.audit_category,
            "Assign" if add else "Unassign",
            targets,
        )

    def record(
        self, ctx: Ctx, activity: str, category: str, operation: str, targets: list[dict[str, Any]]
    ) -> None:
        """Append a directoryAudit record for a change made through the API."""
        self._append(ctx.req, activity, category, operation, targets, "success", "")

    def failed(self, req: Request, reason: str) -> None:
        """Record a refused write (result failure), when the request names an operation the log knows."""
        found = _generic_activity(self.tenant, req.method.upper(), req.path)
        if found is None:
            return
        activity, category, operation, key, oid = found
        target: dict[str, Any] = {
            "id": oid,
            "displayName": None,
            "type": TYPES[key].audit_type if key in TYPES else "Policy",
            "modifiedProperties": [],
        }
        self._append(req, activity, category, operation, [target], "failure", reason)

    def _append(
        self,
        req: Request,
        activity: str,
        category: str,
        operation: str,
        targets: list[dict[str, Any]],
        result: str,
        reason: str,
    ) -> None:
        activity, ref_category, service = REFERENCE.get(activity, (activity, None, None))
        initiated: dict[str, Any]
        if req.actor:
            users = self.tenant.coll("users")
            uid = next(iter(users.find("userPrincipalName", req.actor)), None)
            user = users.objs.get(uid) if uid else None
            initiated = {
                "app": None,
                "user": {
                    "id": uid,
                    "displayName": user.get("displayName") if user else None,
                    "userPrincipalName": req.actor,
                    "ipAddress": None,
                },
            }
        else:
            sp = self.tenant.sp_by_app_id(req.app_id) if req.app_id else None
            initiated = {
                "app": {
                    "appId": req.app_id,
                    "displayName": sp.get("displayName") if sp else None,
                    "servicePrincipalId": sp.get("id") if sp else None,
                    "servicePrincipalName": None,
                },
                "user": None,
            }
        record = {
            "id": f"Directory_{uuid.uuid4()}",
            "category": ref_category or category,
            "correlationId": str(uuid.uuid4()),
            "result": result,
            "resultReason": reason,
            "activityDisplayName": activity,
            "activityDateTime": self.tenant.stamp(fraction=True),
            "loggedByService": service or "Core Directory",
            "operationType": operation,
            "initiatedBy": initiated,
            "targetResources": targets,
            "additionalDetails": [],
        }
        self.tenant.coll("auditLogs/directoryAudits").put(record)


def _generic_activity(tenant: Tenant, method: str, path: str) -> tuple[str, str, str, str, str | None] | None:
    """(generic activity, category, operationType, type key, target id) of a write, or None when the path
    names no operation the audit log records (an unknown segment, a read-only action)."""
    segs = [s for s in path.split("/") if s]
    low = [s.lower() for s in segs]
    if low[:2] == ["directory", "deleteditems"] and len(segs) >= 3:
        item = tenant.deleted.get(segs[-1] if method == "DELETE" else segs[2])
        if item is None:
            return None
        td = TYPES[item["key"]]
        oid = str(item["obj"]["id"])
        if method == "DELETE" and len(segs) == 3:
            return f"Hard delete {td.audit_noun}", td.audit_category, "Delete", td.key, oid
        if method == "POST" and low[3:] in (["restore"], ["microsoft.graph.restore"]):
            return f"Restore {td.audit_noun}", td.audit_category, "Update", td.key, oid
        return None
    for prefix, key in path_index():
        if low[: len(prefix)] != prefix:
            continue
        rest = segs[len(prefix) :]
        if key in SINGLETONS:
            noun = _SINGLETON_NOUNS.get(key)
            return (
                (f"Update {noun}", "Policy", "Update", key, None)
                if noun and method in ("PATCH", "PUT")
                else None
            )
        td = TYPES[key]
        if not rest and method == "POST":
            return f"Add {td.audit_noun}", td.audit_category, "Add", key, None
        if len(rest) == 1 and method in ("PATCH", "DELETE"):
            verb, operation = ("Update", "Update") if method == "PATCH" else ("Delete", "Delete")
            return f"{verb} {td.audit_noun}", td.audit_category, operation, key, rest[0]
        rel = [r.lower() for r in rest[1:]]
        if key == "users" and rel == ["manager", "$ref"] and method == "PUT":
            return "Set user manager", "UserManagement", "Update", key, rest[0]
        if rel[:1] in (["members"], ["owners"]) and rel[-1:] == ["$ref"] and method in ("POST", "DELETE"):
            what = "member" if rel[0] == "members" else "owner"
            verb, prep, operation = (
                ("Add", "to", "Assign") if method == "POST" else ("Remove", "from", "Unassign")
            )
            return f"{verb} {what} {prep} {td.audit_noun}", td.audit_category, operation, key, rest[0]
        return None
    return None
