"""The tenant-wide security settings a report calls out: a change to one of them is one line in words
("security defaults turned off"), because a flipped switch is what a compromised admin account leaves behind
and a reader of the recent changes must not find it among a list of attribute names.

Each entry names a catalog type and the switches of its file worth a sentence; the phrases are said for the
change from one version of the file to the next.
"""

from __future__ import annotations

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
    "authorizationPolicy": (
        _listed("defaultUserRolePermissions.permissionGrantPoliciesAssigned", "user consent policies"),
        _switch("allowUserConsentForRiskyApps", "user consent for risky apps"),
    ),
}


def security_changes(type_name: str, old: Obj | None, new: Obj | None) -> list[str]:
    """The security settings a change of one file flips, in words; empty for other types and changes."""
    return [phrase for said in SETTINGS.get(type_name, ()) for phrase in said(old, new)]
