"""How a PATCH body combines with the stored object: Graph merges complex values, replaces collections.

Graph's documented update examples send only the part of a complex value they change and keep the rest:
conditionalaccesspolicy-update.md sends only `conditions.signInRiskLevels`, authorizationpolicy-update.md
(example 3) only `defaultUserRolePermissions.allowedToCreateApps`, authenticationmethodspolicy-update.md only
`registrationEnforcement.authenticationMethodsRegistrationCampaign`. So: a property omitted inside a complex
value keeps its value, an explicit null clears it, and a collection (a JSON list) is replaced whole — its
items are never merged one by one. Callers validate the merged result, not the body.
"""

from __future__ import annotations

from typing import Any


def merge_value(old: Any, new: Any) -> Any:
    """`new` applied onto `old`: objects merge key by key (recursively); anything else replaces."""
    if isinstance(old, dict) and isinstance(new, dict):
        return merge_patch(old, new)
    return new


def merge_patch(old: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A new dict: `old` with every property of `changes` merged in; `old` itself is left untouched
    (the tenant replaces objects wholesale, so a state save may still be serialising the old one)."""
    out = dict(old)
    for key, value in changes.items():
        out[key] = merge_value(old.get(key), value)
    return out
