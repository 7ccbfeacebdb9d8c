"""The PIM role settings every Entra tenant has: one role management policy per directory role, its rules, and
the assignment that ties the policy to its role.

Admins never create or delete these: Entra keeps one policy per role definition (built-in or custom) at scope
`/`, type `DirectoryRole`, and an admin only changes its rules. The defaults are those of a new tenant as the
v1.0 pages show them: policyroot-list-rolemanagementpolicies.md (Example 2: `Expiration_Admin_Eligibility`
not required, at most P365D; `Expiration_Admin_Assignment` not required, at most P180D;
`Enablement_Admin_Assignment` asks a justification) and identity-governance-pim-rules-overview.md (the 17
rules of a Microsoft Entra role: expiration, enablement, approval, authentication context and notification
rules for each caller and level). Ids follow the pages' examples: `DirectoryRole_{tenantId}_{guid}` for a
policy and `DirectoryRole_{tenantId}_{policy guid}_{roleDefinitionId}` for its assignment.
"""

from __future__ import annotations

import uuid
from typing import Any

_RULE = "#microsoft.graph.unifiedRoleManagementPolicy"


def _target(caller: str, level: str) -> dict[str, Any]:
    return {
        "caller": caller,
        "operations": ["all"],
        "level": level,
        "inheritableSettings": [],
        "enforcedSettings": [],
    }


def _expiration(rule_id: str, caller: str, level: str, required: bool, maximum: str) -> dict[str, Any]:
    return {
        "@odata.type": f"{_RULE}ExpirationRule",
        "id": rule_id,
        "isExpirationRequired": required,
        "maximumDuration": maximum,
        "target": _target(caller, level),
    }


def _enablement(rule_id: str, caller: str, level: str, enabled: list[str]) -> dict[str, Any]:
    return {
        "@odata.type": f"{_RULE}EnablementRule",
        "id": rule_id,
        "enabledRules": enabled,
        "target": _target(caller, level),
    }


def _notifications(caller: str, level: str) -> list[dict[str, Any]]:
    who = "Admin" if caller == "Admin" else "EndUser"
    return [
        {
            "@odata.type": f"{_RULE}NotificationRule",
            "id": f"Notification_{recipient}_{who}_{level}",
            "notificationType": "Email",
            "recipientType": recipient,
            "notificationLevel": "All",
            "isDefaultRecipientsEnabled": True,
            "notificationRecipients": [],
            "target": _target(caller, level),
        }
        for recipient in ("Admin", "Requestor", "Approver")
    ]


def default_rules() -> list[dict[str, Any]]:
    """The 17 rules of a Microsoft Entra role's policy in a new tenant."""
    return [
        _expiration("Expiration_Admin_Eligibility", "Admin", "Eligibility", False, "P365D"),
        _enablement("Enablement_Admin_Eligibility", "Admin", "Eligibility", []),
        *_notifications("Admin", "Eligibility"),
        _expiration("Expiration_Admin_Assignment", "Admin", "Assignment", False, "P180D"),
        _enablement("Enablement_Admin_Assignment", "Admin", "Assignment", ["Justification"]),
        *_notifications("Admin", "Assignment"),
        _expiration("Expiration_EndUser_Assignment", "EndUser", "Assignment", True, "PT8H"),
        _enablement(
            "Enablement_EndUser_Assignment",
            "EndUser",
            "Assignment",
            ["MultiFactorAuthentication", "Justification"],
        ),
        {
            "@odata.type": f"{_RULE}ApprovalRule",
            "id": "Approval_EndUser_Assignment",
            "setting": {
                "isApprovalRequired": False,
                "isApprovalRequiredForExtension": False,
                "isRequestorJustificationRequired": True,
                "approvalMode": "SingleStage",
                "approvalStages": [],
            },
            "target": _target("EndUser", "Assignment"),
        },
        {
            "@odata.type": f"{_RULE}AuthenticationContextRule",
            "id": "AuthenticationContext_EndUser_Assignment",
            "isEnabled": False,
            "claimValue": None,
            "target": _target("EndUser", "Assignment"),
        },
        *_notifications("EndUser", "Assignment"),
    ]


def policy_id(tenant_id: str, role_definition_id: str) -> str:
    """The policy of one role: a stable id per tenant and role, in the pages' `DirectoryRole_` form."""
    try:
        namespace = uuid.UUID(tenant_id)
    except ValueError:
        namespace = uuid.NAMESPACE_URL
    guid = uuid.uuid5(namespace, f"roleManagementPolicy:{role_definition_id}")
    return f"DirectoryRole_{tenant_id}_{guid}"


def policy(tenant_id: str, role_definition_id: str) -> dict[str, Any]:
    """A role's policy as the tenant stores it (rules inline; graph_api returns them with $expand=rules)."""
    return {
        "id": policy_id(tenant_id, role_definition_id),
        "displayName": "DirectoryRole",
        "description": "DirectoryRole",
        "isOrganizationDefault": False,
        "scopeId": "/",
        "scopeType": "DirectoryRole",
        "lastModifiedDateTime": None,
        "lastModifiedBy": {"displayName": None, "id": None},
        "rules": default_rules(),
    }


def policy_assignment(tenant_id: str, role_definition_id: str) -> dict[str, Any]:
    pid = policy_id(tenant_id, role_definition_id)
    return {
        "id": f"{pid}_{role_definition_id}",
        "policyId": pid,
        "roleDefinitionId": role_definition_id,
        "scopeId": "/",
        "scopeType": "DirectoryRole",
    }
