"""Feature rollout policies (staged rollout of cloud sign-in features to groups), as Microsoft documents them.

- featurerolloutpolicies-post.md: displayName, feature and isEnabled are required (the value rules'
  `required`, with the stagedFeatureName members); 201 with the policy.
- featurerolloutpolicy-update.md: description, displayName, isAppliedToOrganization and isEnabled are what a
  PATCH changes; the feature is fixed at create (schema.py `create_only`).
- resources/featurerolloutpolicy.md, limitations: "Each feature supports a maximum of 10 groups", "The
  appliesTo field only supports groups" (schema.py: the relationship's only target), "Dynamic groups and
  nested groups are not supported" (a dynamic group is refused; a nested group can be added, its members just
  do not get the feature).
- featurerolloutpolicy-post-appliesto.md: `POST .../appliesTo/$ref` answers 201 with the directory object;
  featurerolloutpolicy-delete-appliesto.md: `DELETE .../appliesTo/{id}/$ref` answers 204.
- Every page's Application row is "Not supported.": permissions.py `DELEGATED_ONLY`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entragit.sandbox import documented
from entragit.sandbox.protocol import Response, bad
from entragit.sandbox.schema import TYPES, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

KEY = "policies/featureRolloutPolicies"
MAX_GROUPS = 10  # resources/featurerolloutpolicy.md: "Each feature supports a maximum of 10 groups."


def create(api: GraphApi, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """POST /policies/featureRolloutPolicies (featurerolloutpolicies-post.md)."""
    td = TYPES[KEY]
    api.rules.check_known(td, body)
    api.rules.reject_read_only(td, body)
    documented.check(td, body, creating=True)
    obj = {
        "id": new_guid(),
        "displayName": body["displayName"],
        "description": body.get("description"),
        "feature": body["feature"],
        "isEnabled": body["isEnabled"],
        "isAppliedToOrganization": bool(body.get("isAppliedToOrganization", False)),
    }
    return obj, {}


def check_link(group: dict[str, Any], linked: int) -> None:
    """A group added to a policy's appliesTo, `linked` groups being there already (resources/
    featurerolloutpolicy.md, limitations)."""
    if "DynamicMembership" in (group.get("groupTypes") or []):
        bad("Dynamic groups are not supported for feature rollout.")
    if linked >= MAX_GROUPS:
        bad(f"Each feature supports a maximum of {MAX_GROUPS} groups.")


def added(target: str) -> Response:
    """featurerolloutpolicy-post-appliesto.md: 201 Created with the directory object added."""
    return Response(201, {"directoryObject": {"id": target, "objectType": "group"}})
