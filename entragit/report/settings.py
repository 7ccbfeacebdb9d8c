"""The tenant-wide security settings a report calls out: a change to one of them is one line in words
("security defaults turned off"), because a flipped switch is what a compromised admin account leaves behind
and a reader of the recent changes must not find it among a list of attribute names.

Each entry names a catalog type and the switches of its file worth a sentence; the phrases are said for the
change from one version of the file to the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Obj = Mapping[str, Any]


def _value(obj: Obj | None, dotted: str) -> Any:
    node: Any = obj
    for step in dotted.split("."):
        node = node.get(step) if isinstance(node, Mapping) else None
    return node


def _switch(dotted: str, what: str) -> Callable[[Obj | None, Obj | None], list[str]]:
    """A boolean setting: `<what> turned on/off` when it flips."""

    def said(old: Obj | None, new: Obj | None) -> list[str]:
        a, b = _value(old, dotted), _value(new, dotted)
        if old is None or a == b or not isinstance(b, bool):
            return []
        return [f"{what} turned {'on' if b else 'off'}"]

    return said


def _listed(dotted: str, what: str) -> Callable[[Obj | None, Obj | None], list[str]]:
    """A list setting: `<what> changed (+n −m)`."""

    def said(old: Obj | None, new: Obj | None) -> list[str]:
        a, b = _value(old, dotted) or [], _value(new, dotted) or []
        if old is None or a == b:
            return []
        added = sum(1 for x in b if x not in a)
        removed = sum(1 for x in a if x not in b)
        return [f"{what} changed (+{added} −{removed})"]

    return said


def _named(obj: Obj | None, name: str) -> str | None:
    """The value of one name/value pair of a directory setting's `values` (resources/groupsetting.md)."""
    pairs = (obj or {}).get("values") or []
    found = (v.get("value") for v in pairs if isinstance(v, Mapping) and v.get("name") == name)
    return next((str(v) for v in found), None)


def _words(text: str | None) -> set[str]:
    return {w.strip() for w in re.split(r"[\t,]", text or "") if w.strip()}


def _setting(name: str, what: str, kind: str = "switch") -> Callable[[Obj | None, Obj | None], list[str]]:
    """One setting of a directory setting, said as its kind: a "switch" ("true"/"false": turned on/off), a
    "list" (tab- or comma-separated: changed (+n −m)) or a "value" (old → new)."""

    def said(old: Obj | None, new: Obj | None) -> list[str]:
        a, b = _named(old, name), _named(new, name)
        if old is None or a == b or b is None:
            return []
        if kind == "switch" and b.lower() in ("true", "false"):
            return [f"{what} turned {'on' if b.lower() == 'true' else 'off'}"]
        if kind == "list":
            was, now = _words(a), _words(b)
            return [f"{what} changed (+{len(now - was)} −{len(was - now)})"]
        return [f"{what}: {a or '(none)'} → {b or '(none)'}"]

    return said


# catalog type name → the settings of its file that a report says in words
SETTINGS: dict[str, tuple[Callable[[Obj | None, Obj | None], list[str]], ...]] = {
    "identitySecurityDefaultsEnforcementPolicy": (_switch("isEnabled", "security defaults"),),
    "authenticationFlowsPolicy": (_switch("selfServiceSignUp.isEnabled", "self-service sign-up"),),
    "adminConsentRequestPolicy": (
        _switch("isEnabled", "admin consent requests"),
        _listed("reviewers", "admin consent reviewers"),
    ),
    "permissionGrantPolicies": (
        _listed("includes", "consent conditions included"),
        _listed("excludes", "consent conditions excluded"),
    ),
    # Group.Unified and Password Rule Settings (entra/identity/users/groups-settings-cmdlets,
    # authentication/concept-password-ban-bad-combined-policy): who may create groups, what guests may do,
    # the banned passwords and smart lockout.
    "groupSettings": (
        _setting("EnableGroupCreation", "Microsoft 365 group creation by all users"),
        _setting("GroupCreationAllowedGroupId", "the group allowed to create groups", "value"),
        _setting("AllowGuestsToBeGroupOwner", "guests as group owners"),
        _setting("AllowGuestsToAccessGroups", "guest access to group content"),
        _setting("AllowToAddGuests", "adding guests to groups"),
        _setting("EnableBannedPasswordCheck", "the custom banned password check"),
        _setting("EnableBannedPasswordCheckOnPremises", "the banned password check on premises"),
        _setting("BannedPasswordList", "custom banned passwords", "list"),
        _setting("LockoutThreshold", "smart lockout threshold", "value"),
        _setting("LockoutDurationInSeconds", "smart lockout duration (s)", "value"),
    ),
    "authorizationPolicy": (
        _listed("defaultUserRolePermissions.permissionGrantPoliciesAssigned", "user consent policies"),
        _switch("allowUserConsentForRiskyApps", "user consent for risky apps"),
    ),
}


def security_changes(type_name: str, old: Obj | None, new: Obj | None) -> list[str]:
    """The security settings a change of one file flips, in words; empty for other types and changes."""
    return [phrase for said in SETTINGS.get(type_name, ()) for phrase in said(old, new)]
