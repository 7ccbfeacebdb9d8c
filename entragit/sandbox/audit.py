"""auditLogs/directoryAudits records for every change made through the API (issue 2).

Records follow the directoryAudit resource: activityDisplayName as Entra names it ("Update user", "Add member
to group"), targetResources with modifiedProperties whose old/new values are JSON strings, and initiatedBy the
calling app — or the user named by the X-Sandbox-Actor header, to simulate an admin in the portal.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from entragit.sandbox.protocol import Ctx
from entragit.sandbox.schema import TYPES, TypeDef
from entragit.sandbox.tenant import Tenant


class Auditor:
    """Appends directoryAudit records to one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

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
        """Append a directoryAudit record for a change made through the API (issue 2)."""
        req = ctx.req
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
            "category": category,
            "correlationId": str(uuid.uuid4()),
            "result": "success",
            "resultReason": "",
            "activityDisplayName": activity,
            "activityDateTime": self.tenant.stamp(fraction=True),
            "loggedByService": "Core Directory",
            "operationType": operation,
            "initiatedBy": initiated,
            "targetResources": targets,
            "additionalDetails": [],
        }
        self.tenant.coll("auditLogs/directoryAudits").put(record)
