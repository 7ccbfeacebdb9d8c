"""A conditional access policy in plain words: who, which apps, under which conditions, and what it demands.

People approving a change to a policy read "all users except Break Glass Admin 1; all cloud apps; requires
multifactor authentication", not `includeUsers: [All]`. Ids become names through the `Namer` the caller
builds from the repository; an id the repository cannot name stays an id (it names something gone). The
vocabulary follows Graph's documentation of conditionalAccessUsers, conditionalAccessApplications,
conditionalAccessConditionSet, conditionalAccessGrantControls and conditionalAccessSessionControls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Special values of the users, applications and locations lists (conditionalaccessusers.md,
# conditionalaccessapplications.md, conditionalaccesslocations.md).
SPECIAL = {
    "All": "everyone",
    "None": "no one",
    "GuestsOrExternalUsers": "guests and external users",
}
APPS = {
    "All": "all cloud apps",
    "None": "no app",
    "Office365": "Office 365",
    "MicrosoftAdminPortals": "Microsoft admin portals",
}
LOCATIONS = {"All": "any location", "AllTrusted": "all trusted locations"}
USER_ACTIONS = {
    "urn:user:registersecurityinfo": "registering security information",
    "urn:user:registerdevice": "registering or joining devices",
}
CONTROLS = {
    "block": "block access",
    "mfa": "multifactor authentication",
    "compliantDevice": "a device marked compliant",
    "domainJoinedDevice": "a hybrid Microsoft Entra joined device",
    "approvedApplication": "an approved client app",
    "compliantApplication": "an app protection policy",
    "passwordChange": "a password change",
}
CLIENT_APPS = {
    "browser": "browsers",
    "mobileAppsAndDesktopClients": "mobile apps and desktop clients",
    "exchangeActiveSync": "Exchange ActiveSync (legacy authentication)",
    "easSupported": "Exchange ActiveSync (legacy authentication)",
    "other": "other clients (legacy authentication)",
}
STATES = {
    "enabled": "on",
    "disabled": "off",
    "enabledForReportingButNotEnforced": "report-only (evaluated and logged, not enforced)",
}
# Emergency-access accounts are named so by convention (Microsoft's guidance on emergency access accounts).
BREAK_GLASS = re.compile(r"break[\s_-]*glass|emergency", re.IGNORECASE)


@dataclass(frozen=True)
class Namer:
    """Names for the ids a policy holds, and which excluded principals are emergency-access accounts."""

    name: Callable[[str], str]  # object id (user, group, role template, named location...) → name
    app: Callable[[str], str]  # appId → application name
    break_glass: Callable[[str], bool]  # object id → is an emergency-access account (or group of them)


@dataclass(frozen=True)
class PolicySummary:
    id: str
    name: str
    path: str
    state: str
    report_only: bool
    applies_to: list[str]
    excludes: list[str]
    break_glass_excluded: list[str]
    applications: list[str]
    conditions: list[str]
    requires: str
    session: list[str] = field(default_factory=list)


def _list(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else []


def _principals(users: Mapping[str, Any], side: str, namer: Namer) -> list[str]:
    """The users, groups and roles of one side (`include` or `exclude`) of conditionalAccessUsers."""
    out = [SPECIAL.get(u) or namer.name(u) for u in _list(users.get(f"{side}Users"))]
    out += [f"members of {namer.name(g)}" for g in _list(users.get(f"{side}Groups"))]
    out += [f"holders of {namer.name(r)}" for r in _list(users.get(f"{side}Roles"))]
    guests = users.get(f"{side}GuestsOrExternalUsers")
    if isinstance(guests, Mapping):
        kinds = str(guests.get("guestOrExternalUserTypes") or "guests or external users")
        out.append(f"external users ({kinds.replace(',', ', ')})")
    return out


def _apps(apps: Mapping[str, Any], namer: Namer) -> list[str]:
    out = [APPS.get(a) or namer.app(a) for a in _list(apps.get("includeApplications"))]
    out += [f"except {APPS.get(a) or namer.app(a)}" for a in _list(apps.get("excludeApplications"))]
    out += [USER_ACTIONS.get(a, a) for a in _list(apps.get("includeUserActions"))]
    out += [
        f"authentication context {namer.name(c)}"
        for c in _list(apps.get("includeAuthenticationContextClassReferences"))
    ]
    return out


def _conditions(c: Mapping[str, Any], namer: Namer) -> list[str]:
    out: list[str] = []
    client_apps = _list(c.get("clientAppTypes"))
    if client_apps and client_apps != ["all"]:
        out.append("client apps: " + ", ".join(dict.fromkeys(CLIENT_APPS.get(a, a) for a in client_apps)))
    for key, label in (
        ("signInRiskLevels", "sign-in risk"),
        ("userRiskLevels", "user risk"),
        ("servicePrincipalRiskLevels", "workload identity risk"),
    ):
        if _list(c.get(key)):
            out.append(f"{label}: " + ", ".join(_list(c.get(key))))
    if isinstance(c.get("insiderRiskLevels"), str):
        out.append(f"insider risk: {c['insiderRiskLevels']}")
    for key, values, label in (
        ("platforms", "Platforms", "platforms"),
        ("locations", "Locations", "locations"),
    ):
        part = c.get(key)
        if not isinstance(part, Mapping):
            continue
        words = LOCATIONS if key == "locations" else {"all": "any platform"}
        inc = [words.get(x) or namer.name(x) for x in _list(part.get(f"include{values}"))]
        exc = [words.get(x) or namer.name(x) for x in _list(part.get(f"exclude{values}"))]
        if inc or exc:
            out.append(
                f"{label}: " + ", ".join(inc or ["any"]) + (f" except {', '.join(exc)}" if exc else "")
            )
    devices = c.get("devices")
    if isinstance(devices, Mapping) and isinstance(devices.get("deviceFilter"), Mapping):
        f = devices["deviceFilter"]
        out.append(f"devices {f.get('mode') or 'include'}d by the filter `{f.get('rule')}`")
    clients = c.get("clientApplications")
    if isinstance(clients, Mapping):
        sps = [namer.name(s) for s in _list(clients.get("includeServicePrincipals"))]
        if sps:
            out.append("workload identities: " + ", ".join(sps))
    return out


def _requires(grant: Any, namer: Namer) -> str:
    if not isinstance(grant, Mapping):
        return "grants access (no grant control)"
    controls = _list(grant.get("builtInControls"))
    if "block" in controls:
        return "blocks access"
    wanted = [CONTROLS.get(x, x) for x in controls]
    strength = grant.get("authenticationStrength")
    if isinstance(strength, Mapping):
        wanted.append(
            f"authentication strength {strength.get('displayName') or namer.name(str(strength.get('id')))}"
        )
    terms = _list(grant.get("termsOfUse"))
    if terms:  # the agreements by name, where the repository has them (a backup signed in as a user)
        wanted.append("accepting the terms of use " + ", ".join(f'"{namer.name(str(t))}"' for t in terms))
    wanted += [str(x) for x in _list(grant.get("customAuthenticationFactors"))]
    if not wanted:
        return "grants access (no grant control)"
    if len(wanted) == 1:
        return f"requires {wanted[0]}"
    joined = " and ".join if str(grant.get("operator") or "OR").upper() == "AND" else " or ".join
    return f"requires {joined(wanted)}"


def _session(s: Any) -> list[str]:
    if not isinstance(s, Mapping):
        return []
    out: list[str] = []
    freq = s.get("signInFrequency")
    if isinstance(freq, Mapping) and freq.get("isEnabled"):
        if freq.get("frequencyInterval") == "everyTime":
            out.append("sign in again every time")
        else:
            out.append(f"sign in again every {freq.get('value')} {freq.get('type')}")
    browser = s.get("persistentBrowser")
    if isinstance(browser, Mapping) and browser.get("isEnabled"):
        out.append(f"persistent browser sessions: {browser.get('mode')}")
    mcas = s.get("cloudAppSecurity")
    if isinstance(mcas, Mapping) and mcas.get("isEnabled"):
        out.append(f"Defender for Cloud Apps: {mcas.get('cloudAppSecurityType')}")
    restrictions = s.get("applicationEnforcedRestrictions")
    if isinstance(restrictions, Mapping) and restrictions.get("isEnabled"):
        out.append("app-enforced restrictions")
    if s.get("disableResilienceDefaults"):
        out.append("resilience defaults off")
    return out


def describe(policy: Mapping[str, Any], path: str, namer: Namer) -> PolicySummary:
    """The policy as data a report prints in words."""
    conditions = policy.get("conditions") if isinstance(policy.get("conditions"), Mapping) else {}
    assert isinstance(conditions, Mapping)
    users = conditions.get("users") if isinstance(conditions.get("users"), Mapping) else {}
    apps = conditions.get("applications") if isinstance(conditions.get("applications"), Mapping) else {}
    assert isinstance(users, Mapping) and isinstance(apps, Mapping)
    excluded_ids = _list(users.get("excludeUsers")) + _list(users.get("excludeGroups"))
    state = str(policy.get("state") or "")
    return PolicySummary(
        id=str(policy.get("id")),
        name=str(policy.get("displayName") or policy.get("id")),
        path=path,
        state=STATES.get(state, state),
        report_only=state == "enabledForReportingButNotEnforced",
        applies_to=_principals(users, "include", namer),
        excludes=_principals(users, "exclude", namer),
        break_glass_excluded=[namer.name(i) for i in excluded_ids if namer.break_glass(i)],
        applications=_apps(apps, namer),
        conditions=_conditions(conditions, namer),
        requires=_requires(policy.get("grantControls"), namer),
        session=_session(policy.get("sessionControls")),
    )
