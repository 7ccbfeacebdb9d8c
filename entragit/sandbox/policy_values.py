"""The value rules of policy objects, judged on the merged result of a write (see merge.py).

Sources: resources/conditionalaccessgrantcontrols.md (operator AND/OR, the built-in controls),
resources/conditionalaccessconditionset.md (applications required; users or clientApplications required),
resources/authorizationpolicy.md (allowInvitesFrom), resources/authenticationmethodconfiguration.md (state),
and the field report "1054: Invalid group value: sg_MFA_exclusion." (KelvinTegelaar/CIPP#3614) for a group
condition naming something other than an object id.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from entragit.sandbox.protocol import bad

GRANT_OPERATORS = ("AND", "OR")
BUILT_IN_CONTROLS = frozenset(
    {
        "block", "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication",
        "compliantApplication", "passwordChange", "unknownFutureValue",
    }
)  # fmt: skip
ALLOW_INVITES_FROM = frozenset(
    {"none", "adminsAndGuestInviters", "adminsGuestInvitersAndAllMembers", "everyone", "unknownFutureValue"}
)
METHOD_STATES = frozenset({"enabled", "disabled"})

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# conditionalaccessusers.md: includeUsers/excludeUsers take object ids or these keywords.
_USER_KEYWORDS = frozenset({"All", "None", "GuestsOrExternalUsers"})


# Graph's generic wording: no conditional access specific message for these is documented or reported.
_INVALID_GRANT = "Invalid value specified for property '{}' of resource 'ConditionalAccessGrantControls'."


def _ca_bad(message: str) -> NoReturn:
    bad(message, "BadRequest")


def check_grant_controls(controls: Any) -> None:
    if controls is None:
        return
    if not isinstance(controls, dict) or controls.get("operator") not in GRANT_OPERATORS:
        _ca_bad(_INVALID_GRANT.format("operator"))
    for control in controls.get("builtInControls") or []:
        if control not in BUILT_IN_CONTROLS:
            _ca_bad(_INVALID_GRANT.format("builtInControls"))


def check_user_condition(users: dict[str, Any]) -> None:
    """Groups and roles are named by object id only; users by id or one of the documented keywords."""
    for key in ("includeGroups", "excludeGroups"):
        for ref in users.get(key) or []:
            if not isinstance(ref, str) or not _GUID.match(ref):
                _ca_bad(f"1054: Invalid group value: {ref}.")
    for key in ("includeUsers", "excludeUsers"):
        for ref in users.get(key) or []:
            if not isinstance(ref, str) or not (_GUID.match(ref) or ref in _USER_KEYWORDS):
                _ca_bad(f"1054: Invalid user value: {ref}.")
    for key in ("includeRoles", "excludeRoles"):
        for ref in users.get(key) or []:
            if not isinstance(ref, str) or not _GUID.match(ref):
                _ca_bad(f"1054: Invalid role value: {ref}.")


def check_authorization_policy(policy: dict[str, Any]) -> None:
    value = policy.get("allowInvitesFrom")
    if value is not None and value not in ALLOW_INVITES_FROM:
        bad("Invalid value specified for property 'allowInvitesFrom' of resource 'AuthorizationPolicy'.")


def check_method_configuration(config: dict[str, Any]) -> None:
    if config.get("state") not in METHOD_STATES:
        bad("Invalid value specified for property 'state' of resource 'AuthenticationMethodConfiguration'.")
