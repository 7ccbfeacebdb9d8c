"""The directory audit log as the backup needs it: who did what to which object, and when.

`GET /auditLogs/directoryAudits` (directoryaudit-list.md: `$filter` on activityDateTime with `ge`, `$top`,
needs AuditLog.Read.All) returns one directoryAudit record per change (directoryaudit.md): the activity, its
time, a correlation id, `initiatedBy` (a user with its UPN and IP address, or an app with its appId) and the
`targetResources` it touched, by id. Only successful records are kept: a refused write changed nothing.

The audit log has its own throttle (identity and access reports: 5 requests per 10 s per app and tenant), so
it is read once per run with the largest page the API takes, never per object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from entragit.catalog import AUDIT_PERMISSIONS
from entragit.graph.client import GraphClient

PATH = "auditLogs/directoryAudits"
PERMISSION = AUDIT_PERMISSIONS[0]  # AuditLog.Read.All
PAGE = 999  # records per page: few pages, since each counts against the audit log's 5 requests per 10 s


@dataclass(frozen=True)
class Actor:
    """Who initiated an activity: a user (display name, UPN), an app (display name, appId) or a system
    actor named only by the record."""

    kind: str  # "user", "app" or "system"
    key: str  # what tells two actors apart: the user's id or UPN, the appId, the name
    name: str
    email: str  # the UPN, `<appId>@<app suffix>`, or '' for a system actor


APP_SUFFIX = "app.entra"  # an app's git email is `<appId>@app.entra`: an appId is no mailbox


@dataclass(frozen=True)
class Activity:
    """One successful audited activity."""

    id: str
    name: str
    time: str  # activityDateTime as Graph wrote it (ISO 8601, UTC, up to 7 fraction digits)
    correlation: str
    ip: str | None
    actor: Actor
    targets: tuple[str, ...]  # ids of the target resources

    def detail(self) -> str:
        """`Update user, 2026-12-02T05:00:00Z, correlation 1f…, ip 10.0.0.1`: the facts of a trailer."""
        parts = [self.name, self.time, f"correlation {self.correlation}"]
        if self.ip:
            parts.append(f"ip {self.ip}")
        return ", ".join(parts)


def read(client: GraphClient, since: str) -> list[Activity]:
    """Successful activities at or after `since` (ISO UTC), oldest first; raises GraphError (403 without
    AuditLog.Read.All) for the caller to degrade on."""
    params = {"$filter": f"activityDateTime ge {since}", "$top": str(PAGE)}
    records = client.list(PATH, params, required_permission=PERMISSION)
    found = [a for a in (parse(r) for r in records) if a is not None]
    found.sort(key=lambda a: a.time)
    return found


def parse(record: Mapping[str, Any]) -> Activity | None:
    """An activity from a directoryAudit record; None for a failed one or one without a time."""
    if str(record.get("result") or "").lower() != "success" or not record.get("activityDateTime"):
        return None
    actor, ip = _actor(record.get("initiatedBy") or {})
    targets = tuple(
        str(t["id"]) for t in record.get("targetResources") or [] if isinstance(t, Mapping) and t.get("id")
    )
    return Activity(
        id=str(record.get("id") or ""),
        name=str(record.get("activityDisplayName") or "activity"),
        time=str(record["activityDateTime"]),
        correlation=str(record.get("correlationId") or ""),
        ip=ip,
        actor=actor,
        targets=targets,
    )


def _actor(initiated: Mapping[str, Any]) -> tuple[Actor, str | None]:
    """The actor of `initiatedBy` (user over app, as a user acting through an app is the person) and the
    initiating IP address when the record gives one."""
    user = initiated.get("user") if isinstance(initiated.get("user"), Mapping) else None
    app = initiated.get("app") if isinstance(initiated.get("app"), Mapping) else None
    if user and (user.get("userPrincipalName") or user.get("id")):
        upn = str(user.get("userPrincipalName") or "")
        name = str(user.get("displayName") or upn or user.get("id"))
        return Actor("user", str(user.get("id") or upn).lower(), name, upn), _text(user.get("ipAddress"))
    if app and app.get("appId"):
        app_id = str(app["appId"])
        name = str(app.get("displayName") or app.get("servicePrincipalName") or app_id)
        return Actor("app", app_id.lower(), name, f"{app_id}@{APP_SUFFIX}"), None
    name = next(
        (str(x[k]) for x in (user, app) if x for k in ("displayName", "servicePrincipalName") if x.get(k)),
        "system",
    )
    return Actor("system", name, name, ""), _text((user or {}).get("ipAddress"))


def _text(value: Any) -> str | None:
    return str(value) if value else None


def by_target(activities: Iterable[Activity]) -> dict[str, list[Activity]]:
    """target id (lower case) → its activities, oldest first."""
    found: dict[str, list[Activity]] = {}
    for a in activities:
        for tid in dict.fromkeys(t.lower() for t in a.targets):
            found.setdefault(tid, []).append(a)
    return found
