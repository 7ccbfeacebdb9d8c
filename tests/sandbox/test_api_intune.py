"""Intune device compliance policies over raw HTTP, as Microsoft documents them (api-reference/v1.0):

- resources/intune-deviceconfig-devicecompliancepolicy.md: abstract, every policy one of the platform types
  its `@odata.type` names; `assignments` and `scheduledActionsForRule` are navigation properties, returned
  only when expanded;
- api/intune-deviceconfig-devicecompliancepolicy-list.md, -get.md, -delete.md; api/intune-deviceconfig-
  windows10compliancepolicy-create.md (201), -update.md (200 and the updated policy);
- resources/intune-deviceconfig-devicecompliancescheduledactionforrule.md: "Compliance policy must have one
  and only one block scheduled action";
- api/intune-deviceconfig-devicecompliancepolicy-assign.md (200 and the assignments),
  -scheduleactionsforrules.md (204, the scheduled actions as `deviceComplianceScheduledActionForRules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .api_helpers import Graph, assert_error, base_seed, gid, guid

PATH = "deviceManagement/deviceCompliancePolicies"
EXPAND = "assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)"
WINDOWS = "#microsoft.graph.windows10CompliancePolicy"


def pid(n: int) -> str:
    return guid("c", n)


def _actions(*kinds: str) -> list[dict[str, Any]]:
    return [
        {
            "ruleName": "PasswordRequired",
            "scheduledActionConfigurations": [
                {"actionType": k, "gracePeriodHours": 24 * i} for i, k in enumerate(kinds)
            ],
        }
    ]


def policy(n: int, **extra: Any) -> dict[str, Any]:
    obj = {
        "@odata.type": WINDOWS,
        "id": pid(n),
        "displayName": f"Windows {n}",
        "description": None,
        "createdDateTime": "2026-01-01T00:00:00.0000000Z",
        "lastModifiedDateTime": "2026-01-01T00:00:00.0000000Z",
        "version": 1,
        "bitLockerEnabled": True,
        "passwordMinimumLength": 8,
        "assignments": [
            {
                "id": guid("d", n),
                "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid(1)},
            }
        ],
        "scheduledActionsForRule": [
            {
                "id": guid("e", n),
                "ruleName": "PasswordRequired",
                "scheduledActionConfigurations": [
                    {"id": guid("f", n), "actionType": "block", "gracePeriodHours": 0},
                    {"id": guid("f", 100 + n), "actionType": "retire", "gracePeriodHours": 720},
                ],
            }
        ],
    }
    obj.update(extra)
    return obj


@pytest.fixture
def ig(graph_factory: Callable[..., Graph]) -> Graph:
    return graph_factory({**base_seed(), PATH: [policy(1), policy(2, displayName="Second")]})


def test_list_expands_assignments_and_scheduled_actions_only_when_asked(ig: Graph) -> None:
    """-list.md: the platform type in @odata.type, every property of that type (unset booleans false);
    navigation properties only when expanded, the scheduled actions' configurations only one level down."""
    plain = ig.get(PATH).json()
    assert plain["@odata.context"].endswith(f"$metadata#{PATH}")
    first = next(p for p in plain["value"] if p["id"] == pid(1))
    assert first["@odata.type"] == WINDOWS and first["bitLockerEnabled"] is True
    assert first["secureBootEnabled"] is False and first["passwordRequiredType"] == "deviceDefault"
    assert "assignments" not in first and "scheduledActionsForRule" not in first
    assert "passcodeRequired" not in first  # an iOS setting, not a Windows one
    full = next(p for p in ig.get(PATH, {"$expand": EXPAND}).json()["value"] if p["id"] == pid(1))
    assert full["assignments"][0]["target"] == {
        "@odata.type": "#microsoft.graph.groupAssignmentTarget",
        "groupId": gid(1),
    }
    kinds = [c["actionType"] for c in full["scheduledActionsForRule"][0]["scheduledActionConfigurations"]]
    assert kinds == ["block", "retire"]
    shallow = ig.get(f"{PATH}/{pid(1)}", {"$expand": "scheduledActionsForRule"}).json()
    assert "scheduledActionConfigurations" not in shallow["scheduledActionsForRule"][0]


def test_unknown_expansion_is_refused(ig: Graph) -> None:
    assert_error(ig.get(PATH, {"$expand": "members"}), 400, "BadRequest")


def test_list_pages_with_next_link(ig: Graph) -> None:
    first = ig.get(PATH, {"$top": "1"}).json()
    assert len(first["value"]) == 1 and "@odata.nextLink" in first
    assert len(ig.all_pages(PATH, {"$top": "1"})) == 2


def test_create_needs_the_platform_type_and_exactly_one_block_action(ig: Graph) -> None:
    """windows10compliancepolicy-create.md takes the platform type; the scheduled-action resource page: one
    and only one block action."""
    body = {"@odata.type": WINDOWS, "displayName": "New", "scheduledActionsForRule": _actions("block")}
    assert_error(ig.post(PATH, {k: v for k, v in body.items() if k != "@odata.type"}), 400, "BadRequest")
    for actions in ([], _actions("notification"), _actions("block", "block")):
        r = ig.post(PATH, {**body, "scheduledActionsForRule": actions})
        assert r.status_code == 400, (actions, r.text)
    assert ig.post(PATH, {k: v for k, v in body.items() if k != "scheduledActionsForRule"}).status_code == 400
    unknown = ig.post(PATH, {**body, "passcodeRequired": True})  # an iOS setting on a Windows policy
    assert_error(unknown, 400, "BadRequest")
    assert "passcodeRequired" in unknown.json()["error"]["message"]
    assert ig.post(PATH, {**body, "passwordRequiredType": "sometimes"}).status_code == 400
    created = ig.post(PATH, {**body, "passwordRequired": True})
    assert created.status_code == 201, created.text
    new = created.json()
    assert created.headers["Location"].endswith(f"{PATH}/{new['id']}")
    assert new["@odata.type"] == WINDOWS and new["passwordRequired"] is True and new["version"] == 1
    assert "scheduledActionsForRule" not in new
    read = ig.get(f"{PATH}/{new['id']}", {"$expand": EXPAND}).json()
    assert read["assignments"] == []
    assert [c["actionType"] for c in read["scheduledActionsForRule"][0]["scheduledActionConfigurations"]] == [
        "block"
    ]


def test_create_does_not_take_assignments(ig: Graph) -> None:
    """Assignments are written by the assign action."""
    body = {
        "@odata.type": WINDOWS,
        "displayName": "New",
        "scheduledActionsForRule": _actions("block"),
        "assignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid(1)}}
        ],
    }
    assert_error(ig.post(PATH, body), 400, "BadRequest")


def test_update_returns_the_policy_and_keeps_its_type(ig: Graph) -> None:
    """windows10compliancepolicy-update.md: 200 and the updated policy; Graph counts the version."""
    r = ig.patch(f"{PATH}/{pid(1)}", {"@odata.type": WINDOWS, "passwordMinimumLength": 14})
    assert r.status_code == 200, r.text
    assert r.json()["passwordMinimumLength"] == 14 and r.json()["version"] == 2
    other = ig.patch(f"{PATH}/{pid(1)}", {"@odata.type": "#microsoft.graph.iosCompliancePolicy"})
    assert_error(other, 400, "BadRequest")
    assert_error(ig.patch(f"{PATH}/{pid(1)}", {"assignments": []}), 400, "BadRequest")
    assert_error(ig.patch(f"{PATH}/{pid(1)}", {"bitLockerEnabled": "yes"}), 400, "BadRequest")


def test_assign_replaces_the_assignments(ig: Graph) -> None:
    """devicecompliancepolicy-assign.md: 200 and the assignments written, which are now the policy's."""
    target = {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": gid(2)}
    r = ig.post(f"{PATH}/{pid(1)}/assign", {"assignments": [{"target": target}]})
    assert r.status_code == 200, r.text
    assert [a["target"] for a in r.json()["value"]] == [target]
    read = ig.get(f"{PATH}/{pid(1)}", {"$expand": "assignments"}).json()
    assert [a["target"] for a in read["assignments"]] == [target]
    assert read["assignments"][0]["id"] != guid("d", 1)
    no_group = {"@odata.type": "#microsoft.graph.groupAssignmentTarget"}
    assert_error(
        ig.post(f"{PATH}/{pid(1)}/assign", {"assignments": [{"target": no_group}]}), 400, "BadRequest"
    )
    assert_error(ig.post(f"{PATH}/{pid(1)}/assign", {}), 400, "BadRequest")


def test_schedule_actions_for_rules_replaces_them_and_keeps_one_block(ig: Graph) -> None:
    """devicecompliancepolicy-scheduleactionsforrules.md: 204; the one-block rule holds here too."""
    url = f"{PATH}/{pid(1)}/scheduleActionsForRules"
    r = ig.post(url, {"deviceComplianceScheduledActionForRules": _actions("block", "notification", "wipe")})
    assert r.status_code == 204, r.text
    read = ig.get(f"{PATH}/{pid(1)}", {"$expand": EXPAND}).json()
    configs = read["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    assert [c["actionType"] for c in configs] == ["block", "notification", "wipe"]
    assert ig.post(url, {"deviceComplianceScheduledActionForRules": _actions("wipe")}).status_code == 400
    assert ig.post(url, {"scheduledActionsForRule": _actions("block")}).status_code == 400


def test_delete_is_for_good(ig: Graph) -> None:
    """devicecompliancepolicy-delete.md: 204, and the policy is gone (Intune has no recycle bin for it)."""
    assert ig.delete(f"{PATH}/{pid(2)}").status_code == 204
    assert ig.get(f"{PATH}/{pid(2)}").status_code == 404


def test_permissions_follow_the_pages(graph_factory: Callable[..., Graph]) -> None:
    """-list.md: DeviceManagementConfiguration.Read.All reads; -update.md and the actions need
    DeviceManagementConfiguration.ReadWrite.All."""
    seed = {**base_seed(), PATH: [policy(1)]}
    reader = graph_factory(seed, permissions=["DeviceManagementConfiguration.Read.All"])
    assert reader.get(PATH, {"$expand": EXPAND}).status_code == 200
    assert reader.patch(f"{PATH}/{pid(1)}", {"displayName": "x"}).status_code == 403
    assert reader.post(f"{PATH}/{pid(1)}/assign", {"assignments": []}).status_code == 403
    other = graph_factory(seed, permissions=["Policy.Read.All"])
    assert other.get(PATH).status_code == 403
