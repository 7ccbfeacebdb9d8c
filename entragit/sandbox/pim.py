"""Privileged Identity Management for Microsoft Entra roles, as Graph v1.0 documents it.

- Schedules are read, never written: `roleManagement/directory/roleEligibilitySchedules` and
  `roleAssignmentSchedules` (rbacapplication-list-roleeligibilityschedules.md, -roleassignmentschedules.md)
  are listed by graph_api's generic reader. A schedule whose expiration has passed is no longer one: it leaves
  both listings (and its active assignment leaves `roleAssignments`) the moment it ends (`expire`).
- Writes are requests POSTed to `roleEligibilityScheduleRequests` / `roleAssignmentScheduleRequests`
  (rbacapplication-post-roleeligibilityschedulerequests.md, rbacapplication-post-roleassignmentschedule
  requests.md): `adminAssign` makes a schedule whose id is the request's `targetScheduleId` (the pages'
  examples give both the same id), `adminUpdate` / `adminExtend` / `adminRenew` change its schedule,
  `adminRemove` ends it (201, status `Revoked`). The self-service actions need a signed-in user: an app-only
  token has no "self" and is refused. An active assignment made through a request is also a role assignment
  (unifiedroleassignmentschedule.md: "The active assignment might have been made through PIM assignments and
  activation requests, or directly through the role assignments API"), so `roleAssignments` lists it.
- Refusals: a second `adminAssign` for the same principal, role and scope is 400 `RoleAssignmentExists`,
  "The Role assignment already exists." (field reports: hashicorp/terraform-provider-azuread#1306,
  Microsoft365DSC#5532); a request the role's settings forbid (a permanent schedule where the role requires
  an end, one longer than its maximum, an end already past, no justification where the role asks one) is 400
  `RoleAssignmentRequestPolicyValidationFailed`, "The following policy rules failed: [\"ExpirationRule\"]"
  (MicrosoftDocs/azure-docs#80426); changing or removing a schedule that does not exist is 400
  `RoleAssignmentDoesNotExist` (inferred: the pages name no code).
- Role settings: `policies/roleManagementPolicies` needs `$filter` on scopeId and scopeType
  (policyroot-list-rolemanagementpolicies.md: "This method requires the $filter (eq) query parameter");
  `$expand=rules` returns each policy's rules; a rule is changed by PATCH on `.../rules/{ruleId}` whose body
  names the rule's `@odata.type` (unifiedrolemanagementpolicyrule-update.md), 204. Policies and their
  assignments follow the role definitions: one per role, never created or deleted through the API (`sync`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from entragit.sandbox import permissions, role_settings
from entragit.sandbox.odata import conjuncts, equality_terms
from entragit.sandbox.protocol import Ctx, Response, bad, nested_refusal, not_allowed, not_found
from entragit.sandbox.schema import (
    TYPES,
    TypeDef,
    format_time,
    new_guid,
    new_role_assignment_id,
    parse_time,
    project,
)

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi
    from entragit.sandbox.tenant import Tenant

ELIGIBILITY = "roleManagement/directory/roleEligibilitySchedules"
ASSIGNMENT = "roleManagement/directory/roleAssignmentSchedules"
ROLE_ASSIGNMENTS = "roleManagement/directory/roleAssignments"
POLICIES = "policies/roleManagementPolicies"
POLICY_ASSIGNMENTS = "policies/roleManagementPolicyAssignments"
REQUESTS = {
    "roleeligibilityschedulerequests": (
        "roleManagement/directory/roleEligibilityScheduleRequests",
        ELIGIBILITY,
    ),
    "roleassignmentschedulerequests": ("roleManagement/directory/roleAssignmentScheduleRequests", ASSIGNMENT),
}
ACTIONS = (
    "adminAssign", "adminUpdate", "adminRemove", "selfActivate", "selfDeactivate", "adminExtend",
    "adminRenew", "selfExtend", "selfRenew", "unknownFutureValue",
)  # fmt: skip
_WRITABLE = frozenset(
    {
        "action", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId", "isValidationOnly",
        "justification", "scheduleInfo", "ticketInfo", "customData", "targetScheduleId",
    }
)  # fmt: skip
_EXPIRATION_TYPES = {"notspecified": "notSpecified", "noexpiration": "noExpiration",
                     "afterdatetime": "afterDateTime", "afterduration": "afterDuration"}  # fmt: skip
EXISTS = "The Role assignment already exists."
# unifiedrolemanagementpolicyrule-update.md: the properties each rule type takes.
_RULE_PROPERTIES = {
    "ExpirationRule": {"isExpirationRequired", "maximumDuration"},
    "EnablementRule": {"enabledRules"},
    "ApprovalRule": {"setting"},
    "AuthenticationContextRule": {"isEnabled", "claimValue"},
    "NotificationRule": {
        "isDefaultRecipientsEnabled", "notificationLevel", "notificationRecipients", "notificationType",
        "recipientType",
    },
}  # fmt: skip


def handles(low: list[str]) -> bool:
    """The requests this module answers; graph_api reads the schedule collections itself."""
    if low[:2] == ["rolemanagement", "directory"] and len(low) >= 3 and low[2] in REQUESTS:
        return True
    return low[:2] in (
        ["policies", "rolemanagementpolicies"],
        ["policies", "rolemanagementpolicyassignments"],
    )


def handle(api: GraphApi, ctx: Ctx, method: str, segs: list[str]) -> Response | None:
    """Answer a PIM request; None hands it to graph_api's generic collection handling."""
    low = [s.lower() for s in segs]
    sync(api.tenant)
    if low[0] == "policies":
        return _policies(api, ctx, method, segs[1:])
    key, schedules = REQUESTS[low[2]]
    if len(segs) == 3 and method == "POST":
        return _request(api, ctx, key, schedules)
    return None


# ----------------------------------------------------------------------------------------- schedules


def end_of(schedule: dict[str, Any]) -> dt.datetime | None:
    """When a schedule ends (None: never)."""
    info = schedule.get("scheduleInfo") or {}
    exp = info.get("expiration") or {}
    kind = str(exp.get("type") or "").lower()
    if kind == "afterdatetime" and exp.get("endDateTime"):
        return parse_time(str(exp["endDateTime"]))
    if kind == "afterduration" and exp.get("duration") and info.get("startDateTime"):
        return parse_time(str(info["startDateTime"])) + _duration(str(exp["duration"]))
    return None


def _duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration of days, hours, minutes, seconds (`P365D`, `PT8H`, `P1DT2H30M`)."""
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text)
    if m is None or text in ("P", "PT"):
        bad(f"Invalid duration '{text}'.")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def expire(tenant: Tenant) -> None:
    """Schedules whose end has passed are gone, with the role assignments their activations made."""
    now = tenant.now()
    for key in (ELIGIBILITY, ASSIGNMENT):
        coll = tenant.coll(key)
        for oid, obj in list(coll.objs.items()):
            end = end_of(obj)
            if end is not None and end <= now:
                coll.remove(oid)
                tenant.record(key, oid)
                if key == ASSIGNMENT:
                    _drop_role_assignment(tenant, obj)


def _same_target(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(
        a.get(k) == b.get(k) for k in ("principalId", "roleDefinitionId", "directoryScopeId", "appScopeId")
    )


def _existing(tenant: Tenant, key: str, body: dict[str, Any]) -> dict[str, Any] | None:
    coll = tenant.coll(key)
    for oid in coll.find("principalId", str(body.get("principalId"))):
        if _same_target(coll.objs[oid], body):
            return coll.objs[oid]
    return None


def _drop_role_assignment(tenant: Tenant, schedule: dict[str, Any]) -> None:
    coll = tenant.coll(ROLE_ASSIGNMENTS)
    for oid in sorted(coll.find("principalId", str(schedule.get("principalId")))):
        if _same_target(coll.objs[oid], schedule):
            coll.remove(oid)
            tenant.record(ROLE_ASSIGNMENTS, oid)


def schedule_info(tenant: Tenant, raw: Any, required: bool) -> dict[str, Any] | None:
    """requestSchedule as Graph stores it: a start (now when left out), an expiration whose type is
    normalised to the enum's spelling, no recurrence."""
    if raw is None:
        if required:
            bad("The scheduleInfo of the request is required.", "InvalidScheduleRequest")
        return None
    if not isinstance(raw, dict):
        bad("Invalid value specified for property 'scheduleInfo'.")
    exp = raw.get("expiration") or {"type": "noExpiration"}
    kind = _EXPIRATION_TYPES.get(str(exp.get("type") or "notSpecified").lower())
    if kind is None:
        bad(f"Invalid value '{exp.get('type')}' for expiration type.")
    if kind == "afterDateTime" and not exp.get("endDateTime"):
        bad("The endDateTime of an afterDateTime expiration is required.", "InvalidScheduleRequest")
    if kind == "afterDuration":
        _duration(str(exp.get("duration") or ""))
    start = raw.get("startDateTime") or format_time(tenant.now())
    for stamp in (start, exp.get("endDateTime")):
        if stamp is not None:
            try:
                parse_time(str(stamp))
            except ValueError:
                bad(f"Invalid DateTimeOffset '{stamp}'.")
    return {
        "startDateTime": start,
        "recurrence": None,
        "expiration": {"type": kind, "endDateTime": exp.get("endDateTime"), "duration": exp.get("duration")},
    }


def policy_of(tenant: Tenant, role_id: str, scope: str = "/") -> dict[str, Any] | None:
    """The settings policy of a role (a group's member or owner settings: role `member`/`owner`, scope the
    group's id)."""
    assignments = tenant.coll(POLICY_ASSIGNMENTS).objs.values()
    pid = next(
        (
            a["policyId"]
            for a in assignments
            if a.get("roleDefinitionId") == role_id and a.get("scopeId") == scope
        ),
        None,
    )
    return tenant.coll(POLICIES).objs.get(str(pid)) if pid else None


def _rule(policy: dict[str, Any] | None, rule_id: str) -> dict[str, Any]:
    return next((r for r in (policy or {}).get("rules") or [] if r.get("id") == rule_id), {})


def policy_failures(
    tenant: Tenant, policy: dict[str, Any] | None, level: str, body: dict[str, Any], info: dict[str, Any]
) -> list[str]:
    """The settings (the policy's Admin rules at this level) a schedule request breaks; a role's and a
    group's policies have the same rules (identity-governance-pim-rules-overview.md)."""
    rule = _rule(policy, f"Expiration_Admin_{level}")
    failed: list[str] = []
    start = parse_time(str(info["startDateTime"]))
    end = end_of({"scheduleInfo": info})
    if end is None:
        if rule.get("isExpirationRequired"):
            failed.append("ExpirationRule")
    else:
        maximum = rule.get("maximumDuration")
        too_long = bool(maximum) and end - start > _duration(str(maximum))
        if end <= tenant.now() or end <= start or too_long:
            failed.append("ExpirationRule")
    enabled = _rule(policy, f"Enablement_Admin_{level}").get("enabledRules") or []
    if "Justification" in enabled and not body.get("justification"):
        failed.append("JustificationRule")
    return failed


def refuse_failures(failed: list[str]) -> None:
    """MicrosoftDocs/azure-docs#80426: the refusal naming the rules a request breaks."""
    if failed:
        rules = ",".join(f'"{f}"' for f in failed)
        bad(f"The following policy rules failed: [{rules}]", "RoleAssignmentRequestPolicyValidationFailed")


def checked_schedule(
    tenant: Tenant,
    action: str,
    existing: dict[str, Any] | None,
    body: dict[str, Any],
    level: str,
    policy: Callable[[], dict[str, Any] | None],
) -> dict[str, Any] | None:
    """The schedule a request asks for, refused as both request pages say (a removal of nothing, an
    assignment that exists, an update of nothing, the policy's rules broken); None for a removal."""
    if action == "adminRemove":
        if existing is None:
            bad("The Role assignment does not exist.", "RoleAssignmentDoesNotExist")
        return None
    info = schedule_info(tenant, body.get("scheduleInfo"), required=True)
    assert info is not None
    if action == "adminAssign" and existing is not None:
        bad(EXISTS, "RoleAssignmentExists")
    if action != "adminAssign" and existing is None:
        bad("The Role assignment does not exist.", "RoleAssignmentDoesNotExist")
    refuse_failures(policy_failures(tenant, policy(), level, body, info))
    return info


def answer(
    api: GraphApi,
    ctx: Ctx,
    td: TypeDef,
    body: dict[str, Any],
    action: str,
    target: dict[str, Any],
    info: dict[str, Any] | None,
    schedule_id: str | None,
    rid: str,
    now: str,
) -> Response:
    """The request object a schedule request answers with (201), kept unless it only validates; `target`
    holds what it is about (a role and scope, or a group and access)."""
    validation = bool(body.get("isValidationOnly"))
    request = {
        "id": rid,
        "status": "Revoked" if action == "adminRemove" else "Provisioned",
        "createdDateTime": now,
        "completedDateTime": None if action == "adminRemove" else now,
        "approvalId": None,
        "customData": body.get("customData"),
        "action": action,
        "principalId": body["principalId"],
        **target,
        "isValidationOnly": validation,
        "targetScheduleId": None if action == "adminRemove" else schedule_id,
        "justification": body.get("justification"),
        "createdBy": {
            "application": {"id": ctx.req.app_id, "displayName": None},
            "device": None,
            "user": None,
        },
        "scheduleInfo": info,
        "ticketInfo": body.get("ticketInfo") or {"ticketNumber": None, "ticketSystem": None},
    }
    if not validation:
        api.tenant.insert(td.key, request)
    out: dict[str, Any] = {"@odata.context": ctx.context(f"{td.entity_context}/$entity")}
    out.update(project(td, request))
    return Response(201, out)


def settled(
    api: GraphApi,
    ctx: Ctx,
    key: str,
    action: str,
    existing: dict[str, Any] | None,
    info: dict[str, Any] | None,
    now: str,
    withdraw: Callable[[dict[str, Any]], None] | None,
) -> bool:
    """A request about a schedule that exists carried out: removed (`withdraw` takes back what an active one
    gave) or given its new schedule, and audited. False when there is none: the caller creates it."""
    tenant, td = api.tenant, TYPES[key]
    if action == "adminRemove":
        assert existing is not None
        tenant.coll(key).remove(existing["id"])
        tenant.record(key, existing["id"])
        if withdraw is not None:
            withdraw(existing)
        api.audit.record(
            ctx, f"Remove {td.audit_noun}", td.audit_category, "Delete", [api.audit.target(key, existing)]
        )
        return True
    if existing is None:
        return False
    new = {**existing, "scheduleInfo": info, "modifiedDateTime": now}
    tenant.replace(key, new, ["scheduleInfo"])
    target = [api.audit.target(key, new)]
    api.audit.record(ctx, f"Update {td.audit_noun}", td.audit_category, "Update", target)
    return True


def _request(api: GraphApi, ctx: Ctx, key: str, schedules: str) -> Response:
    tenant = api.tenant
    td = TYPES[key]
    body = api._body(ctx)
    for prop in body:
        if prop not in _WRITABLE and not prop.startswith("@odata."):
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    action = body.get("action")
    if action not in ACTIONS or action == "unknownFutureValue":
        bad(f"Invalid value '{action}' for property 'action'.")
    api.rules.require(td, body, ("principalId", "roleDefinitionId"))
    if action.startswith("self"):
        bad(f"The action {action} needs a signed-in principal; an application acts with admin actions only.")
    scope, app_scope = api.rules.role_target(td, body)
    target = {**body, "directoryScopeId": scope, "appScopeId": app_scope}
    existing = _existing(tenant, schedules, target)
    level = "Eligibility" if schedules == ELIGIBILITY else "Assignment"
    info = checked_schedule(
        tenant, action, existing, body, level, lambda: policy_of(tenant, str(body["roleDefinitionId"]))
    )
    rid = new_guid()
    now = format_time(tenant.now(), fraction=True)
    validation = bool(body.get("isValidationOnly"))
    schedule_id = rid if action == "adminAssign" else (existing or {}).get("id")
    if not validation:
        _carry_out(api, ctx, action, schedules, target, existing, info, rid, now)
    about = {"roleDefinitionId": body["roleDefinitionId"], "directoryScopeId": scope, "appScopeId": app_scope}
    return answer(api, ctx, td, body, action, about, info, schedule_id, rid, now)


def _carry_out(
    api: GraphApi,
    ctx: Ctx,
    action: str,
    key: str,
    target: dict[str, Any],
    existing: dict[str, Any] | None,
    info: dict[str, Any] | None,
    rid: str,
    now: str,
) -> None:
    tenant = api.tenant
    td = TYPES[key]
    withdraw = (lambda s: _drop_role_assignment(tenant, s)) if key == ASSIGNMENT else None
    if settled(api, ctx, key, action, existing, info, now, withdraw):
        return
    schedule: dict[str, Any] = {
        "id": rid,
        "principalId": target["principalId"],
        "roleDefinitionId": target["roleDefinitionId"],
        "directoryScopeId": target["directoryScopeId"],
        "appScopeId": target["appScopeId"],
        "createdUsing": rid,
        "createdDateTime": now,
        "modifiedDateTime": None,
        "status": "Provisioned",
        "scheduleInfo": info,
        "memberType": "Direct",
    }
    if key == ASSIGNMENT:
        schedule["assignmentType"] = "Assigned"
        if _existing(tenant, ROLE_ASSIGNMENTS, target) is None:
            assignment = {
                "id": new_role_assignment_id(),
                **{k: target[k] for k in ("principalId", "roleDefinitionId")},
            }
            assignment["directoryScopeId" if target["directoryScopeId"] is not None else "appScopeId"] = (
                target["directoryScopeId"] or target["appScopeId"]
            )
            tenant.insert(ROLE_ASSIGNMENTS, assignment)
    tenant.insert(key, schedule)
    api.audit.record(ctx, f"Add {td.audit_noun}", td.audit_category, "Add", [api.audit.target(key, schedule)])


# ----------------------------------------------------------------------------------------- role settings


def sync(tenant: Tenant) -> None:
    """One policy (and one policy assignment) per role definition: a new custom role gets the defaults, a
    deleted one takes its policy along."""
    roles = tenant.coll("roleManagement/directory/roleDefinitions").objs
    assignments = tenant.coll(POLICY_ASSIGNMENTS)
    have = {
        str(a.get("roleDefinitionId")): oid
        for oid, a in assignments.objs.items()
        if a.get("scopeType") == "DirectoryRole"
    }
    if have.keys() == roles.keys():
        return
    tid = tenant.tenant_id
    for role_id in sorted(roles.keys() - have.keys()):
        tenant.insert(POLICIES, role_settings.policy(tid, role_id))
        tenant.insert(POLICY_ASSIGNMENTS, role_settings.policy_assignment(tid, role_id))
    for role_id in sorted(have.keys() - roles.keys()):
        gone = assignments.objs[have[role_id]]
        assignments.remove(have[role_id])
        tenant.coll(POLICIES).remove(str(gone.get("policyId")))


def _required_scope(api: GraphApi, ctx: Ctx, key: str) -> Any:
    """policyroot-list-rolemanagementpolicies.md and -rolemanagementpolicyassignments.md: the listing
    requires `$filter` with eq on scopeId and scopeType; the scope type named decides the permission."""
    flt = api._filter(ctx, TYPES[key])
    named: dict[str, list[Any]] = {}
    if flt is not None:
        for term in [flt.ast, *conjuncts(flt.ast)]:
            for prop, values in equality_terms(term) or ():
                named.setdefault(prop, []).extend(values)
    if not {"scopeId", "scopeType"} <= named.keys():
        bad("The filter on scopeId and scopeType is required.", "BadRequest")
    for scope_type in named["scopeType"]:
        _scope_permitted(ctx, str(scope_type), write=False)
    return flt


def _scope_permitted(ctx: Ctx, scope_type: str, *, write: bool) -> None:
    """The pages' permission row for the policy's scope (policyroot-list-rolemanagementpolicies.md: "For PIM
    for Microsoft Entra roles", "For PIM for groups"; unifiedrolemanagementpolicyrule-update.md)."""
    if ctx.req.roles is None:
        return
    group = scope_type.lower() == "group"
    if write:
        wanted = permissions.GROUP_POLICY_WRITE if group else permissions.ROLE_POLICY_WRITE
    else:
        wanted = permissions.GROUP_POLICY_READ if group else permissions.ROLE_POLICY_READ
    if not permissions.satisfied(wanted, permissions.effective(ctx.req.roles)):
        raise permissions.deny()


def _rules_out(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in policy.get("rules") or []]


def _expanded(ctx: Ctx, key: str) -> list[str]:
    """The rule collections `$expand` names on a policy (`rules`, `effectiveRules`, or `*` for both:
    unifiedrolemanagementpolicy-get.md); anything else is refused as Graph refuses an unknown navigation."""
    raw = ctx.q.get("$expand", "").strip()
    if not raw:
        return []
    names = {"rules": "rules", "effectiverules": "effectiveRules"}
    out: list[str] = []
    for part in (p.strip() for p in raw.split(",")):
        if key == POLICIES and part == "*":
            out += [n for n in ("effectiveRules", "rules") if n not in out]
        elif key == POLICIES and part.lower() in names:
            out.append(names[part.lower()])
        else:
            entity = TYPES[key].entity
            bad(f"Could not find a navigation property named '{part}' on type '{entity}'.")
    return out


def _fragment(expand: list[str]) -> str:
    """The context URL's part for expanded rules: `(effectiveRules(),rules())`, as the pages show it."""
    return f"({','.join(f'{name}()' for name in expand)})" if expand else ""


def _with_rules(
    td: TypeDef, policy: dict[str, Any], select: list[str] | None, expand: list[str]
) -> dict[str, Any]:
    out = project(td, policy, select)
    for name in expand:
        out[name] = _rules_out(policy)
    return out


def _policies(api: GraphApi, ctx: Ctx, method: str, rest: list[str]) -> Response | None:
    key = POLICIES if rest[0].lower() == "rolemanagementpolicies" else POLICY_ASSIGNMENTS
    td = TYPES[key]
    coll = api.tenant.coll(key)
    if len(rest) == 1:
        if method != "GET":
            not_allowed()
        flt = _required_scope(api, ctx, key)
        expand = _expanded(ctx, key)
        select = api._select(ctx, td, collection=True)
        fragment = td.context + _fragment(expand)
        objs = [coll.objs[i] for i in coll.order]
        return api._list_objects(
            ctx, td, objs, fragment, flt=flt, select=select, item=lambda o: _with_rules(td, o, select, expand)
        )
    policy = coll.objs.get(rest[1])
    if policy is None:
        not_found(rest[1])
    _scope_permitted(ctx, str(policy.get("scopeType")), write=method != "GET")
    if len(rest) == 2:
        if method != "GET":
            not_allowed()
        expand = _expanded(ctx, key)
        if not expand:
            return None
        # unifiedrolemanagementpolicy-get.md, Example 2: `?$expand=effectiveRules,rules`.
        select = api._select(ctx, td, collection=False)
        context = ctx.context(td.context + _fragment(expand) + "/$entity")
        return Response(200, {"@odata.context": context, **_with_rules(td, policy, select, expand)})
    if key != POLICIES or rest[2].lower() not in ("rules", "effectiverules"):
        bad(f"Resource not found for the segment '{rest[2]}'.", "BadRequest")
    rules = _rules_out(policy)
    if len(rest) == 3:
        if method != "GET":
            not_allowed()
        body = {"@odata.context": ctx.context(f"{td.context}('{policy['id']}')/rules"), "value": rules}
        return Response(200, body)
    rule = next((r for r in rules if r.get("id") == rest[3]), None)
    if rule is None or len(rest) > 4:
        not_found(rest[3])
    if method == "GET":
        return Response(
            200, {"@odata.context": ctx.context(f"{td.context}('{policy['id']}')/rules/$entity"), **rule}
        )
    if method != "PATCH" or rest[2].lower() != "rules":
        not_allowed()
    _patch_rule(api, ctx, policy, rule)
    return Response(204)


def _patch_rule(api: GraphApi, ctx: Ctx, policy: dict[str, Any], rule: dict[str, Any]) -> None:
    body = api._body(ctx)
    kind = body.get("@odata.type")
    if not kind:
        bad("The @odata.type of the rule is required.", "BadRequest")
    if str(kind).lstrip("#").lower() != str(rule["@odata.type"]).lstrip("#").lower():
        bad(f"The @odata.type {kind} does not match rule {rule['id']}.", "BadRequest")
    allowed = _RULE_PROPERTIES[str(rule["@odata.type"]).split("Policy", 1)[1]] | {"target", "id"}
    for prop in body:
        if prop not in allowed and not prop.startswith("@odata."):
            bad(
                nested_refusal(prop, str(rule["@odata.type"]).removeprefix("#microsoft.graph.")), "BadRequest"
            )
    if body.get("id", rule["id"]) != rule["id"]:
        bad("The id of a rule cannot be changed.", "BadRequest")
    changed = {k: v for k, v in body.items() if not k.startswith("@odata.") and k != "id"}
    new_rule = {**rule, **changed}
    now = format_time(api.tenant.now(), fraction=True)
    rules = [new_rule if r.get("id") == rule["id"] else r for r in policy.get("rules") or []]
    who = {"displayName": None, "id": ctx.req.app_id}
    new = {**policy, "rules": rules, "lastModifiedDateTime": now, "lastModifiedBy": who}
    api.tenant.replace(POLICIES, new, ["rules"])
    modified = [
        (f"rules.{rule['id']}.{k}", rule.get(k), v) for k, v in sorted(changed.items()) if rule.get(k) != v
    ]
    api.audit.record(
        ctx,
        "Update role setting in PIM",
        "RoleManagement",
        "Update",
        [api.audit.target(POLICIES, new, modified)],
    )
