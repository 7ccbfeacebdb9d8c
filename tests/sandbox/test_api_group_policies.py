"""Tenant-wide group settings and the Microsoft 365 group expiration policy, by raw HTTP against the
documented behaviour (resources/groupsetting.md, groupsettingtemplate.md, grouplifecyclepolicy.md)."""

from __future__ import annotations

from collections.abc import Callable

from .api_helpers import Graph, assert_error, gid

UNIFIED = "62375ab9-6b52-47ed-826b-58e47e0e304b"  # Group.Unified
GUEST = "08d542b9-071f-4e16-94b0-74abb372e3d9"  # Group.Unified.Guest
PASSWORDS = "5cf42378-d67d-4f36-ba46-e8b86229381d"  # Password Rule Settings
POLICIES = "groupLifecyclePolicies"


def _values(setting: dict) -> dict[str, str]:
    return {v["name"]: v["value"] for v in setting["values"]}


def test_setting_templates_are_listed_with_their_settings(g: Graph) -> None:
    """groupsettingtemplate-list.md: each template with its id, displayName and values (name, type,
    defaultValue, description); Group.Unified.Guest has the one setting AllowToAddGuests."""
    body = g.get("groupSettingTemplates").json()
    assert body["@odata.context"] == f"{g.base}/$metadata#groupSettingTemplates"
    by_name = {t["displayName"]: t for t in body["value"]}
    assert by_name["Group.Unified.Guest"]["id"] == GUEST
    assert by_name["Group.Unified.Guest"]["values"] == [
        {
            "name": "AllowToAddGuests",
            "type": "System.Boolean",
            "defaultValue": "true",
            "description": by_name["Group.Unified.Guest"]["values"][0]["description"],
        }
    ]
    assert by_name["Group.Unified"]["id"] == UNIFIED
    assert g.post("groupSettingTemplates", {"displayName": "x"}).status_code == 405


def test_setting_created_from_a_template_takes_its_defaults_then_patch_replaces_values(g: Graph) -> None:
    """group-post-settings.md: 201 with the setting; the displayName and the values the body leaves out come
    from the template. groupsetting-update.md: 204; the values are replaced as a whole ("You must include the
    entire collection set"), so one left out is back at its default. groupsetting-delete.md: 204, then 404."""
    r = g.post(
        "groupSettings",
        {"templateId": UNIFIED, "values": [{"name": "EnableGroupCreation", "value": "false"}]},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["@odata.context"] == f"{g.base}/$metadata#groupSettings/$entity"
    assert created["displayName"] == "Group.Unified" and created["templateId"] == UNIFIED
    values = _values(created)
    assert values["EnableGroupCreation"] == "false" and values["AllowToAddGuests"] == "true"
    assert len(values) == 15
    oid = created["id"]
    assert [s["id"] for s in g.get("groupSettings").json()["value"]] == [oid]
    r = g.patch(f"groupSettings/{oid}", {"values": [{"name": "AllowToAddGuests", "value": "false"}]})
    assert r.status_code == 204, r.text
    values = _values(g.get(f"groupSettings/{oid}").json())
    assert values["AllowToAddGuests"] == "false" and values["EnableGroupCreation"] == "true"
    assert g.delete(f"groupSettings/{oid}").status_code == 204
    assert_error(g.get(f"groupSettings/{oid}"), 404, "Request_ResourceNotFound")


def test_setting_validation(g: Graph) -> None:
    """group-post-settings.md: templateId and values are required, the template must exist, only
    Group.Unified.Guest is refused at the tenant level (it "can be applied to specific Microsoft 365 groups");
    a tenant has one setting per template; each value names a setting of the template and is a string of its
    type (groupsettingtemplate-list.md: System.Boolean, System.Int32...). groupsetting-update.md: only
    values can change (templateId is read-only)."""
    ok = [{"name": "LockoutThreshold", "value": "5"}]
    assert_error(g.post("groupSettings", {"values": ok}), 400, "Request_BadRequest")
    assert_error(g.post("groupSettings", {"templateId": PASSWORDS}), 400, "Request_BadRequest")
    unknown = "00000000-0000-0000-0000-00000000abcd"
    assert_error(g.post("groupSettings", {"templateId": unknown, "values": []}), 400, "Request_BadRequest")
    guest = {"templateId": GUEST, "values": [{"name": "AllowToAddGuests", "value": "false"}]}
    assert_error(g.post("groupSettings", guest), 400, "Request_BadRequest")
    for bad_values in (
        [{"name": "NoSuchSetting", "value": "1"}],
        [{"name": "LockoutThreshold", "value": "ten"}],
        [{"name": "EnableBannedPasswordCheck", "value": "yes"}],
        [{"name": "LockoutThreshold", "value": "5"}, {"name": "LockoutThreshold", "value": "6"}],
    ):
        r = g.post("groupSettings", {"templateId": PASSWORDS, "values": bad_values})
        assert_error(r, 400, "Request_BadRequest")
    # A value that is no string is refused by OData itself (Edm.String expected).
    number = {"templateId": PASSWORDS, "values": [{"name": "LockoutThreshold", "value": 5}]}
    assert_error(g.post("groupSettings", number), 400, "BadRequest")
    r = g.post("groupSettings", {"templateId": PASSWORDS, "values": ok})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert_error(g.post("groupSettings", {"templateId": PASSWORDS, "values": ok}), 400, "Request_BadRequest")
    assert_error(g.patch(f"groupSettings/{oid}", {"templateId": UNIFIED}), 400, "Request_BadRequest")
    bad_patch = {"values": [{"name": "EnableBannedPasswordCheck", "value": "maybe"}]}
    assert_error(g.patch(f"groupSettings/{oid}", bad_patch), 400, "Request_BadRequest")


def test_group_settings_need_their_documented_permissions(graph_factory: Callable[..., Graph]) -> None:
    """group-list-settings.md: GroupSettings.Read.All reads (as do Directory.Read.All and Group.Read.All);
    group-post-settings.md, groupsetting-update.md: GroupSettings.ReadWrite.All writes."""
    reader = graph_factory(permissions=["GroupSettings.Read.All"])
    assert reader.get("groupSettings").status_code == 200
    assert reader.get("groupSettingTemplates").status_code == 200
    body = {"templateId": PASSWORDS, "values": [{"name": "LockoutThreshold", "value": "5"}]}
    assert reader.post("groupSettings", body).status_code == 403
    writer = graph_factory(permissions=["GroupSettings.ReadWrite.All"])
    r = writer.post("groupSettings", body)
    assert r.status_code == 201, r.text


def test_lifecycle_policy_create_update_delete_one_per_tenant(g: Graph) -> None:
    """grouplifecyclepolicy-post-grouplifecyclepolicies.md (201 with the policy), -list.md, -update.md (200
    with the updated policy), -delete.md (204, gone for good); groups-lifecycle (Entra docs): one expiration
    policy per tenant; managedGroupTypes is All, Selected or None (resources/grouplifecyclepolicy.md)."""
    body = {"groupLifetimeInDays": 100, "managedGroupTypes": "Selected", "alternateNotificationEmails": "a@b"}
    r = g.post(POLICIES, body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert {k: created[k] for k in body} == body
    oid = created["id"]
    assert [p["id"] for p in g.get(POLICIES).json()["value"]] == [oid]
    assert_error(g.post(POLICIES, body), 400, "Request_BadRequest")
    assert_error(g.patch(f"{POLICIES}/{oid}", {"managedGroupTypes": "Some"}), 400, "Request_BadRequest")
    assert_error(g.patch(f"{POLICIES}/{oid}", {"groupLifetimeInDays": "180"}), 400, "BadRequest")
    r = g.patch(f"{POLICIES}/{oid}", {"groupLifetimeInDays": 180})
    assert r.status_code == 200 and r.json()["groupLifetimeInDays"] == 180
    assert g.get(f"{POLICIES}/{oid}").json()["groupLifetimeInDays"] == 180
    assert g.delete(f"{POLICIES}/{oid}").status_code == 204
    assert_error(g.get(f"{POLICIES}/{oid}"), 404, "Request_ResourceNotFound")


def test_lifecycle_policy_groups_added_removed_and_read_per_group(g: Graph) -> None:
    """grouplifecyclepolicy-addgroup.md / -removegroup.md: POST `{"groupId"}`, 200 with `{"value": true}`;
    group-list-grouplifecyclepolicies.md: the policies that apply to a group. A Selected policy applies to the
    groups added to it, an All policy to every Microsoft 365 group; a security group cannot be added."""
    oid = g.post(POLICIES, {"groupLifetimeInDays": 180, "managedGroupTypes": "Selected"}).json()["id"]
    m365, security = gid(2), gid(1)
    assert g.get(f"groups/{m365}/groupLifecyclePolicies").json()["value"] == []
    r = g.post(f"{POLICIES}/{oid}/addGroup", {"groupId": m365})
    assert r.status_code == 200 and r.json()["value"] is True
    listed = g.get(f"groups/{m365}/groupLifecyclePolicies").json()
    assert listed["@odata.context"] == f"{g.base}/$metadata#groups('{m365}')/groupLifecyclePolicies"
    assert [p["id"] for p in listed["value"]] == [oid]
    assert_error(g.post(f"{POLICIES}/{oid}/addGroup", {"groupId": security}), 400, "Request_BadRequest")
    assert_error(g.post(f"{POLICIES}/{oid}/addGroup", {}), 400, "Request_BadRequest")
    r = g.post(f"{POLICIES}/{oid}/removeGroup", {"groupId": m365})
    assert r.status_code == 200 and r.json()["value"] is True
    assert g.get(f"groups/{m365}/groupLifecyclePolicies").json()["value"] == []
    assert g.patch(f"{POLICIES}/{oid}", {"managedGroupTypes": "All"}).status_code == 200
    assert [p["id"] for p in g.get(f"groups/{m365}/groupLifecyclePolicies").json()["value"]] == [oid]
    assert g.get(f"groups/{security}/groupLifecyclePolicies").json()["value"] == []


def test_lifecycle_policies_need_their_documented_permissions(graph_factory: Callable[..., Graph]) -> None:
    """grouplifecyclepolicy-list.md: Directory.Read.All reads; the create, update, delete, addGroup and
    removeGroup pages need Directory.ReadWrite.All; group-list-grouplifecyclepolicies.md: Directory.Read.All
    reads a group's policies."""
    reader = graph_factory(permissions=["Directory.Read.All"])
    assert reader.get(POLICIES).status_code == 200
    assert reader.get(f"groups/{gid(2)}/groupLifecyclePolicies").status_code == 200
    body = {"groupLifetimeInDays": 180, "managedGroupTypes": "All"}
    assert reader.post(POLICIES, body).status_code == 403
    other = graph_factory(permissions=["Group.ReadWrite.All"])
    assert other.get(POLICIES).status_code == 403
    writer = graph_factory(permissions=["Directory.ReadWrite.All"])
    assert writer.post(POLICIES, body).status_code == 201
