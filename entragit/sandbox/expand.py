"""Graph's `$expand` rules for the emulated directory, as documented; graph_api.py fills in the values.

Why a table: Graph expands only the relationships each resource page marks "Supports `$expand`", refuses the
navigation properties its schema marks not expandable, and limits what one request may ask for. A sandbox that
expanded anything would let a client rely on reads Graph refuses. Sources:
- `concepts/query-parameters.md` (expand parameter): "Only one relationship can be expanded in a single
  request"; resources deriving from directoryObject return at most 20 items per expanded relationship and no
  `@odata.nextLink` for them; the error for a navigation property that cannot be expanded is 400
  `ExpandNotSupported`, "Expand is not allowed for property 'Photo' according to the entity schema."
  (section "Error handling for query parameters").
- The refusal of two expansions is worded as Graph answered it (microsoftgraph/microsoft-graph-docs issue #96,
  where a maintainer confirms directory objects keep the single-expansion limit).
- `concepts/includes/known-issues/query-parameters.md`: `$expand` on relationships of directory objects
  returns at most 20 objects, has no nextLink and no more than one level.
- The page size of a listing with `$expand` is at most 100 (microsoftgraph/microsoft-graph-docs pull requests
  #21506 and #21516, "Max page size with $expand is 100", confirmed by the service's developers; a larger
  `$top` still returns pages of 100, field report techcommunity.microsoft.com discussion 3885391).
- Expandable relationships per type: the Relationships tables of `resources/user.md` (manager, sponsors),
  `resources/group.md` (members, owners: "Supports `$expand` including nested `$select`"),
  `resources/application.md` (owners, federatedIdentityCredentials), `resources/serviceprincipal.md` (owners,
  appRoleAssignedTo, delegatedPermissionClassifications),
  `resources/administrativeunit.md` (members), `resources/unifiedroleassignment.md` (principal,
  roleDefinition); not expandable: the properties `resources/group.md` annotates `"expandable": false`.
"""

from __future__ import annotations

from entragit.sandbox.odata import parse_expand
from entragit.sandbox.protocol import bad

MAX_RELATED = 20  # related objects returned per expanded relationship of a directory object
MAX_PAGE = 100  # objects per page of a listing that expands
TOO_MANY = "The result of parsing $expand contained at least {n} items, but the maximum allowed is 1."
NOT_ALLOWED = "Expand is not allowed for property '{name}' according to the entity schema."

# type key → expandable relationships (lower case → the name Graph returns)
EXPANDABLE: dict[str, dict[str, str]] = {
    "users": {"manager": "manager", "sponsors": "sponsors"},
    "groups": {"members": "members", "owners": "owners"},
    "applications": {"owners": "owners", "federatedidentitycredentials": "federatedIdentityCredentials"},
    "servicePrincipals": {
        "owners": "owners",
        "approleassignedto": "appRoleAssignedTo",
        "delegatedpermissionclassifications": "delegatedPermissionClassifications",
    },
    "directory/administrativeUnits": {"members": "members"},
    # resources/customsecurityattributedefinition.md: allowedValues "must be specified in an $expand query"
    "directory/customSecurityAttributeDefinitions": {"allowedvalues": "allowedValues"},
    # featurerolloutpolicies-list.md ($expand), featurerolloutpolicy-get.md (Example 2: $expand=appliesTo)
    "policies/featureRolloutPolicies": {"appliesto": "appliesTo"},
    "roleManagement/directory/roleAssignments": {
        "principal": "principal",
        "roledefinition": "roleDefinition",
    },
}

# type key → navigation properties the schema declares but will not expand
NOT_EXPANDABLE: dict[str, frozenset[str]] = {
    "users": frozenset({"photo"}),
    "groups": frozenset(
        {
            "acceptedsenders",
            "calendar",
            "calendarview",
            "conversations",
            "events",
            "photo",
            "photos",
            "rejectedsenders",
            "threads",
        }
    ),
}


Expansion = tuple[str, dict[str, str]]  # the relationship's Graph name and its nested options


def expansion(type_key: str, entity: str, text: str) -> Expansion:
    """The one relationship a request expands, by its Graph name, with its nested options; Graph's 400 for
    anything else."""
    items = parse_expand(text)
    if len(items) > 1:
        many = len(items)
        bad(
            f"The result of parsing $expand contained at least {many} items, but the maximum allowed is 1.",
            "BadRequest",
        )
    if not items:
        bad(f"Invalid $expand '{text}'.", "BadRequest")
    name, options = items[0]
    key = name.lower()
    if key in NOT_EXPANDABLE.get(type_key, frozenset()):
        shown = name[:1].upper() + name[1:]
        bad(
            f"Expand is not allowed for property '{shown}' according to the entity schema.",
            "ExpandNotSupported",
        )
    known = EXPANDABLE.get(type_key, {})
    if key not in known:
        bad(
            f"Could not find a navigation property named '{name}' on type 'microsoft.graph.{entity}'.",
            "BadRequest",
        )
    unknown = set(options) - {"$select", "$levels"}
    if unknown or ("$levels" in options and key != "manager"):
        bad(f"Query option '{sorted(unknown or options)[0]}' is not supported in $expand of '{name}'.")
    return known[key], options
