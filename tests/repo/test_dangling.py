"""Dangling references read from a hand-built history (repo/dangling.py): which references count, and what
each says. The backup, status and report tests against the sandbox are in tests/test_dangling.py."""

from __future__ import annotations

from pathlib import Path

from history_repo import RepoBuilder, guid

from entragit import catalog
from entragit.repo import dangling
from entragit.repo.reader import BackupRepo

GLOBAL_ADMIN_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph: never an object of this backup


def _policy(oid: str, **users: list[str]) -> dict[str, object]:
    return {
        "id": oid,
        "displayName": "Block guests",
        "state": "enabled",
        "conditions": {"users": users, "applications": {"includeApplications": ["All"]}},
    }


def test_only_references_to_objects_the_backup_had_dangle(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    sales, kept, app, sp = guid(1, "aa"), guid(2, "bb"), guid(3, "cc"), guid(4, "dd")
    app_id = guid(5, "ee")
    b.put("groups", {"id": sales, "displayName": "Sales"})
    b.put("groups", {"id": kept, "displayName": "Kept"})
    b.put("applications", {"id": app, "displayName": "Payroll", "appId": app_id})
    b.put("servicePrincipals", {"id": sp, "displayName": "Payroll", "appId": app_id})
    policy = b.put(
        "conditionalAccessPolicies",
        _policy(
            guid(9, "ff"),
            includeUsers=["All"],
            excludeUsers=["GuestsOrExternalUsers"],
            includeGroups=[sales, kept],
            includeRoles=[GLOBAL_ADMIN_TEMPLATE],
        ),
    )
    other = {
        "id": guid(10, "ff"),
        "displayName": "Apps",
        "state": "enabled",
        "conditions": {"applications": {"includeApplications": [app_id, GRAPH_APP_ID]}},
    }
    other_path = b.put("conditionalAccessPolicies", other)
    last = b.commit("backup contoso.com: 0 changed, 6 added, 0 deleted")
    repo = BackupRepo(b.root)
    assert dangling.current(repo) == []

    # The group is deleted for good; the application too, but its service principal (same appId) stays.
    b.remove("groups", sales)
    b.remove("applications", app)
    b.commit("backup contoso.com: 0 changed, 0 added, 2 deleted")
    found = dangling.current(BackupRepo(b.root))
    sales_path = catalog.object_path(catalog.by_name("groups"), sales)
    assert [(d.holder, d.prop, d.value) for d in found] == [(policy, "conditions.users.includeGroups", sales)]
    [d] = found
    assert (d.holder_type, d.holder_name) == ("conditionalAccessPolicies", "Block guests")
    assert (d.target.path, d.target.type, d.target.name, d.target.last) == (
        sales_path,
        "groups",
        "Sales",
        last,
    )
    assert d.command == f"entragit restore {sales_path}"
    assert d.line() == (
        f'conditionalAccessPolicies "Block guests" ({policy}) conditions.users.includeGroups → '
        f'groups "Sales" {sales}, last backed up in {last[:10]} ({sales_path}); '
        f"to bring it back: {d.command}"
    )

    # The service principal goes too: now no object has the appId, which the application had last.
    b.remove("servicePrincipals", sp)
    b.commit("backup contoso.com: 0 changed, 0 added, 1 deleted")
    found = dangling.current(BackupRepo(b.root))
    apps = [d for d in found if d.holder == other_path]
    assert [(d.prop, d.value, d.target.path) for d in apps] == [
        (
            "conditions.applications.includeApplications",
            app_id,
            catalog.object_path(catalog.by_name("applications"), app),
        )
    ]

    # The group back (a restore recreated it and pointed the policy at its new id): nothing dangles there.
    new_sales = guid(11, "ab")
    b.put("groups", {"id": new_sales, "displayName": "Sales"})
    b.put(
        "conditionalAccessPolicies",
        _policy(
            guid(9, "ff"),
            includeUsers=["All"],
            excludeUsers=["GuestsOrExternalUsers"],
            includeGroups=[new_sales, kept],
            includeRoles=[GLOBAL_ADMIN_TEMPLATE],
        ),
    )
    b.commit("restore")
    assert [d.holder for d in dangling.current(BackupRepo(b.root))] == [other_path]
