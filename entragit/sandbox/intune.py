"""Intune device compliance policies: /deviceManagement/deviceCompliancePolicies and its two actions.

Sources (microsoft-graph-docs, api-reference/v1.0):
- resources/intune-deviceconfig-devicecompliancepolicy.md: an abstract type; every policy is one of the
  platform types (windows10CompliancePolicy, iosCompliancePolicy, ...) named by `@odata.type`, which a create
  must send; `assignments` and `scheduledActionsForRule` are navigation properties, returned only when
  expanded (`$expand=assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)`: the
  scheduled actions' own configurations are a navigation property of theirs).
- api/intune-deviceconfig-devicecompliancepolicy-list.md, -get.md; api/intune-deviceconfig-*compliancepolicy-
  create.md (201 and the policy), -update.md (200 and the updated policy), -delete.md (204, for good).
- resources/intune-deviceconfig-devicecompliancescheduledactionforrule.md: "Compliance policy must have one
  and only one block scheduled action" — a create without one is refused (the value rules' check).
- api/intune-deviceconfig-devicecompliancepolicy-assign.md: POST `{id}/assign` with `assignments` sets the
  policy's assignments (200 and the assignments); -scheduleactionsforrules.md: POST
  `{id}/scheduleActionsForRules` with `deviceComplianceScheduledActionForRules` sets its scheduled actions
  (204). Both replace the whole set: the ids of what they write are new.
- The create and update pages list id, createdDateTime, lastModifiedDateTime and version among the body's
  properties; Graph sets them itself, so they are taken and ignored here (never stored as sent).
Intune changes are not directory audit events (they go to Intune's own audit log): none is recorded.
Not emulated: the status and summary navigation properties (deviceStatuses, userStatusOverview...), which
expand to nothing here, and reading the scheduled actions' sub-path on its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from entragit import value_rules
from entragit.sandbox import documented
from entragit.sandbox.protocol import Ctx, Response, bad, not_allowed, not_found, segment_not_found
from entragit.sandbox.schema import TYPES, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

KEY = "deviceManagement/deviceCompliancePolicies"
BASE = "microsoft.graph.deviceCompliancePolicy"
NAVIGATION = ("assignments", "scheduledActionsForRule")
_STATUS_NAVIGATION = frozenset(
    {
        "devicesettingstatesummaries",
        "devicestatuses",
        "devicestatusoverview",
        "userstatuses",
        "userstatusoverview",
    }
)
_SET_BY_GRAPH = frozenset({"id", "createdDateTime", "lastModifiedDateTime", "version"})
_BASE_PROPERTIES = ("description", "displayName")
DEFAULT_PAGE = 100


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Android device administrator and work profile policies declare the same settings
# (intune-deviceconfig-androidcompliancepolicy.md, -androidworkprofilecompliancepolicy.md).
_ANDROID = _names(
    """
        deviceThreatProtectionEnabled deviceThreatProtectionRequiredSecurityLevel minAndroidSecurityPatchLevel
        osMaximumVersion osMinimumVersion passwordExpirationDays passwordMinimumLength
        passwordMinutesOfInactivityBeforeLock passwordPreviousPasswordBlockCount passwordRequired
        passwordRequiredType securityBlockJailbrokenDevices securityDisableUsbDebugging
        securityPreventInstallAppsFromUnknownSources securityRequireCompanyPortalAppIntegrity
        securityRequireGooglePlayServices securityRequireSafetyNetAttestationBasicIntegrity
        securityRequireSafetyNetAttestationCertifiedDevice securityRequireUpToDateSecurityProviders
        securityRequireVerifyApps storageRequireEncryption
        """
)

# The properties of each platform type (resources/intune-deviceconfig-<type>.md), beyond the base type's.
PLATFORMS: dict[str, tuple[str, ...]] = {
    "#microsoft.graph.androidCompliancePolicy": _ANDROID,
    "#microsoft.graph.androidWorkProfileCompliancePolicy": _ANDROID,
    "#microsoft.graph.iosCompliancePolicy": _names(
        """
        deviceThreatProtectionEnabled deviceThreatProtectionRequiredSecurityLevel managedEmailProfileRequired
        osMaximumVersion osMinimumVersion passcodeBlockSimple passcodeExpirationDays
        passcodeMinimumCharacterSetCount passcodeMinimumLength passcodeMinutesOfInactivityBeforeLock
        passcodePreviousPasscodeBlockCount passcodeRequired passcodeRequiredType
        securityBlockJailbrokenDevices
        """
    ),
    "#microsoft.graph.macOSCompliancePolicy": _names(
        """
        deviceThreatProtectionEnabled deviceThreatProtectionRequiredSecurityLevel firewallBlockAllIncoming
        firewallEnableStealthMode firewallEnabled osMaximumVersion osMinimumVersion passwordBlockSimple
        passwordExpirationDays passwordMinimumCharacterSetCount passwordMinimumLength
        passwordMinutesOfInactivityBeforeLock passwordPreviousPasswordBlockCount passwordRequired
        passwordRequiredType storageRequireEncryption systemIntegrityProtectionEnabled
        """
    ),
    "#microsoft.graph.windows10CompliancePolicy": _names(
        """
        bitLockerEnabled codeIntegrityEnabled earlyLaunchAntiMalwareDriverEnabled mobileOsMaximumVersion
        mobileOsMinimumVersion osMaximumVersion osMinimumVersion passwordBlockSimple passwordExpirationDays
        passwordMinimumCharacterSetCount passwordMinimumLength passwordMinutesOfInactivityBeforeLock
        passwordPreviousPasswordBlockCount passwordRequired passwordRequiredToUnlockFromIdle
        passwordRequiredType requireHealthyDeviceReport secureBootEnabled storageRequireEncryption
        """
    ),
    "#microsoft.graph.windows10MobileCompliancePolicy": _names(
        """
        bitLockerEnabled codeIntegrityEnabled earlyLaunchAntiMalwareDriverEnabled osMaximumVersion
        osMinimumVersion passwordBlockSimple passwordExpirationDays passwordMinimumCharacterSetCount
        passwordMinimumLength passwordMinutesOfInactivityBeforeLock passwordPreviousPasswordBlockCount
        passwordRequireToUnlockFromIdle passwordRequired passwordRequiredType secureBootEnabled
        storageRequireEncryption
        """
    ),
    "#microsoft.graph.windows81CompliancePolicy": _names(
        """
        osMaximumVersion osMinimumVersion passwordBlockSimple passwordExpirationDays
        passwordMinimumCharacterSetCount passwordMinimumLength passwordMinutesOfInactivityBeforeLock
        passwordPreviousPasswordBlockCount passwordRequired passwordRequiredType storageRequireEncryption
        """
    ),
    "#microsoft.graph.windowsPhone81CompliancePolicy": _names(
        """
        osMaximumVersion osMinimumVersion passwordBlockSimple passwordExpirationDays
        passwordMinimumCharacterSetCount passwordMinimumLength passwordMinutesOfInactivityBeforeLock
        passwordPreviousPasswordBlockCount passwordRequired passwordRequiredType storageRequireEncryption
        """
    ),
}

# Assignment targets (resources/intune-shared-deviceandappmanagementassignmenttarget.md and its derived
# types); the two group kinds carry a groupId.
TARGETS = frozenset(
    {
        "#microsoft.graph.allDevicesAssignmentTarget",
        "#microsoft.graph.allLicensedUsersAssignmentTarget",
        "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
        "#microsoft.graph.exclusionGroupAssignmentTarget",
        "#microsoft.graph.groupAssignmentTarget",
    }
)
GROUP_TARGETS = frozenset(
    {"#microsoft.graph.exclusionGroupAssignmentTarget", "#microsoft.graph.groupAssignmentTarget"}
)


def _default(prop: str) -> Any:
    """What Graph returns for an unset property: its Nullable="false" booleans read false, its enumerations
    their first member (deviceDefault, unavailable), strings and numbers null."""
    rule = value_rules.RESOURCES[KEY].values.get(prop)
    if rule is None:
        return None
    if rule.kind == "boolean":
        return False
    return rule.members[0] if rule.enum and rule.members else None


def view(obj: dict[str, Any], expand: dict[str, bool] | None = None) -> dict[str, Any]:
    """The JSON Graph returns for a policy: every property of its platform type, the navigation properties
    only when expanded (`expand`: name → whether its own configurations are expanded too)."""
    kind = str(obj["@odata.type"])
    out: dict[str, Any] = {"@odata.type": kind, "id": obj["id"]}
    for prop in ("createdDateTime", *_BASE_PROPERTIES, "lastModifiedDateTime", "version"):
        out[prop] = obj.get(prop)
    for prop in PLATFORMS[kind]:
        value = obj.get(prop)
        out[prop] = _default(prop) if value is None else value
    for name, inner in (expand or {}).items():
        if name == "assignments":
            out[name] = [dict(a) for a in obj.get("assignments") or []]
        elif name == "scheduledActionsForRule":
            out[name] = [
                {k: v for k, v in rule.items() if inner or k != "scheduledActionConfigurations"}
                for rule in obj.get("scheduledActionsForRule") or []
            ]
        else:
            out[name] = []
    return out


def _split_top(text: str) -> list[str]:
    """Comma-separated items of an $expand value, commas inside parentheses left alone."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return [i for i in items if i]


def parse_expand(text: str | None) -> dict[str, bool]:
    """`$expand` of a policy read → {navigation property: whether scheduledActionConfigurations is expanded
    inside it}. A name the schema does not have is Graph's 400 for an unknown property."""
    out: dict[str, bool] = {}
    for item in _split_top(text or ""):
        m = re.fullmatch(r"([A-Za-z]+)(?:\((.*)\))?", item)
        name = m.group(1) if m else item
        lowered = name.lower()
        if lowered == "scheduledactionsforrule" and m:
            nested = (m.group(2) or "").strip()
            if nested and nested.lower() != "$expand=scheduledactionconfigurations":
                bad(
                    f"Could not find a property named '{nested}' on type "
                    "'microsoft.graph.deviceComplianceScheduledActionForRule'.",
                    "BadRequest",
                )
            out["scheduledActionsForRule"] = bool(nested)
        elif lowered == "assignments":
            out["assignments"] = False
        elif lowered in _STATUS_NAVIGATION:
            out[name] = False
        else:
            bad(f"Could not find a property named '{name}' on type '{BASE}'.", "BadRequest")
    return out


def _scheduled(rules: Any) -> list[dict[str, Any]]:
    """Scheduled actions as stored: new ids for each rule and configuration (the action replaces them)."""
    out = []
    for rule in rules or []:
        configs = [
            {
                "id": new_guid(),
                "actionType": c.get("actionType"),
                "gracePeriodHours": c.get("gracePeriodHours") or 0,
                "notificationTemplateId": c.get("notificationTemplateId"),
                "notificationMessageCCList": list(c.get("notificationMessageCCList") or []),
            }
            for c in rule.get("scheduledActionConfigurations") or []
            if isinstance(c, dict)
        ]
        out.append(
            {"id": new_guid(), "ruleName": rule.get("ruleName"), "scheduledActionConfigurations": configs}
        )
    return out


def _unknown(kind: str, body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """OData's deserializer: a property the platform type does not have."""
    known = {*_BASE_PROPERTIES, *_SET_BY_GRAPH, *PLATFORMS[kind], *allowed}
    for prop in body:
        if not prop.startswith("@odata.") and prop not in known:
            bad(f"Could not find a property named '{prop}' on type '{kind.lstrip('#')}'.", "BadRequest")


def _navigation_in_body(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for prop in NAVIGATION:
        if prop in body and prop not in allowed:
            bad(
                f"The navigation property '{prop}' cannot be written here; use the "
                f"{'assign' if prop == 'assignments' else 'scheduleActionsForRules'} action.",
                "BadRequest",
            )


def handle(api: GraphApi, ctx: Ctx, method: str, rest: list[str]) -> Response:
    td = TYPES[KEY]
    coll = api.tenant.coll(KEY)
    if not rest:
        if method == "GET":
            return _list(api, ctx)
        if method == "POST":
            return _create(api, ctx)
        not_allowed()
    oid = rest[0]
    obj = coll.objs.get(oid)
    if obj is None:
        not_found(oid)
    if len(rest) == 1:
        if method == "GET":
            body = {
                "@odata.context": ctx.context(f"{KEY}/$entity"),
                **view(obj, parse_expand(ctx.q.get("$expand"))),
            }
            return Response(200, body)
        if method == "PATCH":
            return _update(api, ctx, obj)
        if method == "DELETE":
            api.tenant.delete(td.key, oid)
            return Response(204)
        not_allowed()
    action = rest[1].lower().removeprefix("microsoft.graph.")
    if len(rest) == 2 and action == "assignments" and method == "GET":
        value = [dict(a) for a in obj.get("assignments") or []]
        return Response(200, {"@odata.context": ctx.context(f"{KEY}('{oid}')/assignments"), "value": value})
    if len(rest) == 2 and action == "assign":
        if method != "POST":
            not_allowed()
        return _assign(api, ctx, obj)
    if len(rest) == 2 and action == "scheduleactionsforrules":
        if method != "POST":
            not_allowed()
        return _schedule(api, ctx, obj)
    segment_not_found(rest[1])


def _list(api: GraphApi, ctx: Ctx) -> Response:
    expand = parse_expand(ctx.q.get("$expand"))
    top = DEFAULT_PAGE
    if "$top" in ctx.q:
        raw = ctx.q["$top"]
        if not raw.isdigit() or int(raw) < 1:
            bad(f"Invalid value '{raw}' for $top query option found.", "BadRequest")
        top = min(int(raw), 999)
    state = api._state(ctx)
    coll = api.tenant.coll(KEY)
    ids = sorted(coll.objs)
    after = str(state.get("a", "")) if state else ""
    page = [i for i in ids if i > after][: top + 1]
    body: dict[str, Any] = {"@odata.context": ctx.context(KEY)}
    if len(page) > top:
        page = page[:top]
        body["@odata.nextLink"] = api._next_link(ctx, {"a": page[-1]})
    body["value"] = [view(coll.objs[i], expand) for i in page]
    return Response(200, body)


def _body(api: GraphApi, ctx: Ctx) -> dict[str, Any]:
    return api._body(ctx)


def _create(api: GraphApi, ctx: Ctx) -> Response:
    body = _body(api, ctx)
    kind = body.get("@odata.type")
    if kind not in PLATFORMS:
        if kind is None:
            bad(
                f"Cannot create an instance of the abstract type '{BASE}'; @odata.type is required.",
                "BadRequest",
            )
        bad(f"A type named '{str(kind).lstrip('#')}' could not be resolved by the model.", "BadRequest")
    _navigation_in_body(body, ("scheduledActionsForRule",))
    _unknown(kind, body, ("scheduledActionsForRule",))
    documented.check(TYPES[KEY], body, creating=True)
    now = api.tenant.stamp(fraction=True)
    obj: dict[str, Any] = {
        "@odata.type": kind,
        "id": new_guid(),
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "version": 1,
        **{k: v for k, v in body.items() if k in (*_BASE_PROPERTIES, *PLATFORMS[kind])},
        "assignments": [],
        "scheduledActionsForRule": _scheduled(body.get("scheduledActionsForRule")),
    }
    api.tenant.insert(KEY, obj)
    out = {"@odata.context": ctx.context(f"{KEY}/$entity"), **view(obj)}
    return Response(201, out, {"Location": f"{ctx.base}/{KEY}/{obj['id']}"})


def _update(api: GraphApi, ctx: Ctx, old: dict[str, Any]) -> Response:
    body = _body(api, ctx)
    kind = body.get("@odata.type")
    if kind is not None and kind != old["@odata.type"]:
        bad(f"The @odata.type of a policy cannot be changed (it is {old['@odata.type']}).", "BadRequest")
    _navigation_in_body(body, ())
    _unknown(str(old["@odata.type"]), body, ())
    changes = {k: v for k, v in body.items() if not k.startswith("@odata.") and k not in _SET_BY_GRAPH}
    new = {**old, **changes}
    documented.check(TYPES[KEY], new, only=frozenset(changes))
    if any(old.get(k) != v for k, v in changes.items()):
        new["version"] = int(old.get("version") or 1) + 1
        new["lastModifiedDateTime"] = api.tenant.stamp(fraction=True)
        api.tenant.replace(KEY, new, list(changes))
    return Response(200, {"@odata.context": ctx.context(f"{KEY}/$entity"), **view(new)})


def _assign(api: GraphApi, ctx: Ctx, obj: dict[str, Any]) -> Response:
    body = _body(api, ctx)
    items = body.get("assignments")
    if not isinstance(items, list):
        bad("The parameter 'assignments' is required and must be a collection.", "BadRequest")
    documented.check(TYPES[KEY], {"assignments": items}, only=frozenset({"assignments"}))
    stored = []
    for item in items:
        target = item.get("target") if isinstance(item, dict) else None
        kind = target.get("@odata.type") if isinstance(target, dict) else None
        kind = f"#{kind.lstrip('#')}" if isinstance(kind, str) else kind
        if kind not in TARGETS:
            bad("Each assignment needs a target of a known assignment target type.", "BadRequest")
        assert isinstance(target, dict)
        if kind in GROUP_TARGETS and not target.get("groupId"):
            bad("A group assignment target needs its groupId.", "BadRequest")
        stored.append({"id": new_guid(), "target": {**target, "@odata.type": kind}})
    api.tenant.replace(KEY, {**obj, "assignments": stored}, ["assignments"])
    return Response(
        200,
        {
            "@odata.context": ctx.context("Collection(microsoft.graph.deviceCompliancePolicyAssignment)"),
            "value": stored,
        },
    )


def _schedule(api: GraphApi, ctx: Ctx, obj: dict[str, Any]) -> Response:
    body = _body(api, ctx)
    rules = body.get("deviceComplianceScheduledActionForRules")
    if not isinstance(rules, list):
        bad(
            "The parameter 'deviceComplianceScheduledActionForRules' is required and must be a collection.",
            "BadRequest",
        )
    documented.check(
        TYPES[KEY], {"scheduledActionsForRule": rules}, only=frozenset({"scheduledActionsForRule"})
    )
    api.tenant.replace(
        KEY, {**obj, "scheduledActionsForRule": _scheduled(rules)}, ["scheduledActionsForRule"]
    )
    return Response(204)
