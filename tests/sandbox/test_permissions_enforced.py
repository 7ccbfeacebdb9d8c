"""Application permissions as Graph enforces them: the token's `roles`, the documented table of each endpoint
(api-reference/v1.0/api/<op>.md, "Permissions"), and Graph's 403 for a call they do not cover."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from msal_session import session_for, token_for

from entragit.cli import cli
from entragit.sandbox import permissions
from entragit.sandbox.schema import SINGLETONS, TYPES
from entragit.sandbox.seed import SANDBOX_CLIENT_ID, complete_seed
from entragit.sandbox.serve import human_banner
from entragit.sandbox.server import Sandbox
from entragit.sandbox.tenant import Tenant

from .api_helpers import Graph, base_seed, gid, security_group, uid, user
from .test_api_write import ca_body

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_AUTH_ADMIN = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _denied(r: requests.Response) -> None:
    """Graph's 403 for missing permissions (resources/directoryobject errors, Authorization_RequestDenied)."""
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."


@pytest.fixture
def granted(graph_factory: Callable[..., Graph]) -> Callable[..., Graph]:
    """A raw-HTTP caller whose sandbox client holds exactly the given application permissions."""

    def make(*perms: str, seed: dict[str, Any] | None = None) -> Graph:
        return graph_factory(seed, permissions=list(perms))

    return make


def test_default_client_holds_every_permission_the_sandbox_knows(sandbox: Sandbox) -> None:
    """Without --permissions the demo and backup keep working: the token lists every known permission."""
    roles = _claims(token_for(sandbox))["roles"]
    assert sorted(roles) == sorted(permissions.ALL_PERMISSIONS)
    assert {"User.ReadWrite.All", "Group.ReadWrite.All", "Policy.Read.All"} <= set(roles)


def test_token_lists_exactly_the_granted_permissions_and_reads_work(granted: Callable[..., Graph]) -> None:
    """user-list.md: User.Read.All lists users; group-list.md does not list it, so groups are refused."""
    g = granted("User.Read.All")
    assert "Permissions: User.Read.All\n" in human_banner(g.box)
    assert _claims(g.s.headers["Authorization"].split()[1])["roles"] == ["User.Read.All"]
    assert g.get("users").status_code == 200
    assert g.get(f"users/{uid(1)}").status_code == 200
    _denied(g.get("groups"))
    _denied(g.post("users", {"displayName": "X"}))  # user-post-users.md: User.ReadWrite.All


def test_a_higher_listed_permission_satisfies_and_readwrite_includes_read(
    granted: Callable[..., Graph],
) -> None:
    """user-list.md lists Directory.Read.All as higher privileged; group-list-members.md lists
    GroupMember.Read.All; Group.ReadWrite.All (a ReadWrite permission) reads too."""
    g = granted("Directory.Read.All")
    assert g.get("users").status_code == 200
    assert g.get(f"groups/{gid(1)}/members").status_code == 200
    _denied(g.patch(f"users/{uid(1)}", {"jobTitle": "Boss"}))  # user-update.md needs a ReadWrite permission
    g2 = granted("Group.ReadWrite.All")
    assert g2.get("groups").status_code == 200
    _denied(g2.get("users"))


def test_user_delete_needs_user_readwrite_all_even_with_directory_readwrite_all(
    granted: Callable[..., Graph],
) -> None:
    """user-delete.md: Application — User.ReadWrite.All, higher privileged "Not available."."""
    _denied(granted("Directory.ReadWrite.All").delete(f"users/{uid(2)}"))
    assert granted("User.ReadWrite.All").delete(f"users/{uid(2)}").status_code == 204


def test_invitations_and_licence_assignment_need_their_documented_permissions(
    granted: Callable[..., Graph],
) -> None:
    """invitation-post.md: Application — User.Invite.All (higher: Directory.ReadWrite.All,
    User.ReadWrite.All); user-assignlicense.md: LicenseAssignment.ReadWrite.All (higher:
    Directory.ReadWrite.All, User.ReadWrite.All). Reading users is not enough for either."""
    invite = {
        "invitedUserEmailAddress": "guest@example.com",
        "inviteRedirectUrl": "https://myapps.microsoft.com",
    }
    licence = {"addLicenses": [], "removeLicenses": []}
    reader = granted("User.Read.All")
    _denied(reader.post("invitations", invite))
    _denied(reader.post(f"users/{uid(1)}/assignLicense", licence))
    assert granted("User.Invite.All").post("invitations", invite).status_code == 201
    assert (
        granted("LicenseAssignment.ReadWrite.All").post(f"users/{uid(1)}/assignLicense", licence).status_code
        == 200
    )
    writer = granted("User.ReadWrite.All")
    assert writer.post("invitations", invite).status_code == 201
    assert writer.post(f"users/{uid(1)}/assignLicense", licence).status_code == 200


def test_conditional_access_writes_need_readwrite_and_policy_read_all(granted: Callable[..., Graph]) -> None:
    """conditionalaccessroot-post-policies.md: creating a policy needs Policy.ReadWrite.ConditionalAccess and
    Policy.Read.All; Policy.Read.All alone only reads (conditionalaccessroot-list-policies.md)."""
    reader = granted("Policy.Read.All")
    assert reader.get("identity/conditionalAccess/policies").status_code == 200
    _denied(reader.post("identity/conditionalAccess/policies", ca_body()))
    _denied(
        granted("Policy.ReadWrite.ConditionalAccess").post("identity/conditionalAccess/policies", ca_body())
    )
    writer = granted("Policy.ReadWrite.ConditionalAccess", "Policy.Read.All")
    assert writer.post("identity/conditionalAccess/policies", ca_body()).status_code == 201


def test_adding_members_to_a_role_assignable_group_needs_role_management(
    granted: Callable[..., Graph],
) -> None:
    """group-post-members.md: "To add members to a role-assignable group, the calling user must also be
    assigned the RoleManagement.ReadWrite.Directory permission"; an ordinary group needs only
    GroupMember.ReadWrite.All."""
    seed = base_seed()
    seed["groups"].append(
        security_group(20, [], displayName="Tier 0", mailNickname="tier0", isAssignableToRole=True)
    )
    members_only = granted("GroupMember.ReadWrite.All", seed=seed)
    _denied(members_only.post(f"groups/{gid(20)}/members/$ref", members_only.ref(uid(3))))
    _denied(
        members_only.patch(
            f"groups/{gid(20)}", {"members@odata.bind": [members_only.ref(uid(3))["@odata.id"]]}
        )
    )
    assert members_only.post(f"groups/{gid(1)}/members/$ref", members_only.ref(uid(4))).status_code == 204
    both = granted("GroupMember.ReadWrite.All", "RoleManagement.ReadWrite.Directory", seed=seed)
    assert both.post(f"groups/{gid(20)}/members/$ref", both.ref(uid(3))).status_code == 204


def _seed_with_admin() -> dict[str, Any]:
    seed = base_seed()
    seed["users"].append(user(50, displayName="Tenant Admin"))
    assignments = [{"roleDefinitionId": GLOBAL_ADMIN, "principalId": uid(50), "directoryScopeId": "/"}]
    seed["roleManagement/directory/roleAssignments"] = assignments
    return seed


def test_sensitive_properties_of_an_administrator_need_a_privileged_role(
    granted: Callable[..., Graph],
) -> None:
    """user-update.md: businessPhones, mobilePhone and otherMails of a user holding an administrator role
    cannot be updated with User.ReadWrite.All alone; other properties, and other users, can."""
    g = granted("User.ReadWrite.All", seed=_seed_with_admin())
    _denied(g.patch(f"users/{uid(50)}", {"mobilePhone": "+1 555 0100"}))
    assert g.patch(f"users/{uid(50)}", {"jobTitle": "Chief"}).status_code == 204
    assert g.patch(f"users/{uid(3)}", {"mobilePhone": "+1 555 0101"}).status_code == 204
    # The app's own service principal made Privileged Authentication Administrator may do it.
    sp = g.tenant.sp_by_app_id(SANDBOX_CLIENT_ID)
    g.tenant.insert(
        "roleManagement/directory/roleAssignments",
        {
            "id": "pa-1",
            "roleDefinitionId": PRIVILEGED_AUTH_ADMIN,
            "principalId": sp["id"],
            "directoryScopeId": "/",
        },
    )
    assert g.patch(f"users/{uid(50)}", {"mobilePhone": "+1 555 0100"}).status_code == 204


def test_deleted_items_need_the_permission_of_the_object_type(granted: Callable[..., Graph]) -> None:
    """directory-deleteditems-list.md: listing deleted users needs User.Read.All (or higher); Group.Read.All
    lists deleted groups only; restore needs the type's ReadWrite permission
    (directory-deleteditems-restore.md)."""
    g = granted("User.ReadWrite.All")
    assert g.delete(f"users/{uid(4)}").status_code == 204
    assert g.get("directory/deletedItems/microsoft.graph.user").status_code == 200
    _denied(g.get("directory/deletedItems/microsoft.graph.group"))
    assert g.post(f"directory/deletedItems/{uid(4)}/restore").status_code == 200
    groups_reader = granted("Group.Read.All")
    _denied(groups_reader.get("directory/deletedItems/graph.user"))


def test_batch_items_are_checked_one_by_one(granted: Callable[..., Graph]) -> None:
    """json-batching: each request in a $batch is authorized on its own; one 403 does not fail the others."""
    g = granted("User.Read.All")
    r = g.post(
        "$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users"},
                {"id": "2", "method": "GET", "url": "/groups"},
            ]
        },
    )
    by_id = {item["id"]: item for item in r.json()["responses"]}
    assert by_id["1"]["status"] == 200
    assert by_id["2"]["status"] == 403
    assert by_id["2"]["body"]["error"]["code"] == "Authorization_RequestDenied"


def test_tenant_hook_changes_the_grant_of_the_next_token(sandbox_factory: Callable[..., Sandbox]) -> None:
    """As in Entra, a token keeps the roles it was issued with; a changed grant shows in the next token."""
    box = sandbox_factory(seed=base_seed())
    admin = requests.Session()
    admin.trust_env = False
    admin.verify = box.ca_bundle
    old = session_for(box)
    r = admin.post(f"{box.graph_url}/_sandbox/tenant", json={"permissions": ["Group.Read.All"]})
    assert r.status_code == 200 and r.json()["permissions"] == ["Group.Read.All"]
    assert old.get(f"{box.base_url}/users").status_code == 200
    new = session_for(box)
    _denied(new.get(f"{box.base_url}/users"))
    assert new.get(f"{box.base_url}/groups").status_code == 200
    bad = admin.post(f"{box.graph_url}/_sandbox/tenant", json={"permissions": ["User.Frobnicate.All"]})
    assert bad.status_code == 400 and "User.Frobnicate.All" in bad.json()["error"]["message"]


def test_every_emulated_collection_and_singleton_has_a_documented_read_rule() -> None:
    """No endpoint is left unenforced by omission: each collection's list and each singleton's GET matches a
    rule naming its doc page."""
    for key in [*TYPES, *SINGLETONS]:
        if key in ("appRoleAssignments", "extensionProperties"):  # reached only through their owners
            continue
        rule = permissions.rule_for("GET", "/" + key) or permissions.rule_for(
            "GET",
            "/" + key,
            permissions.DELEGATED_ONLY,  # (Graph admits them for signed-in users only)
        )
        assert rule is not None and rule.page.endswith(".md"), key


def test_seed_file_permissions_and_unknown_names(tmp_path: Path) -> None:
    """A seed's `permissions` is the client's grant; an unknown name is one line naming the file."""
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"permissions": ["User.Read.All", "Nope.Read.All"]}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--json", "--seed", str(seed)])
    assert result.exit_code == 1
    assert "seed.json" in result.output and "Nope.Read.All" in result.output
    assert result.output.strip().count("\n") == 0
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--json", "--permissions", "User.Read.All,Bogus"])
    assert result.exit_code == 1 and "--permissions" in result.output and "Bogus" in result.output


def test_a_second_app_can_hold_its_own_grant(sandbox_factory: Callable[..., Sandbox]) -> None:
    """A read-only backup app beside a restore app: each client's token carries its own application
    permissions (Sandbox.add_client), and the restore app's writes are refused to the backup app."""
    box = sandbox_factory(seed=base_seed())
    backup_app = "5b1c2d3e-0000-4000-8000-00000000b0b0"
    secret = box.add_client(backup_app, permissions=["User.Read.All", "Group.Read.All"])
    info = {**box.info(), "client_id": backup_app, "client_secret": secret}
    assert sorted(_claims(token_for(info))["roles"]) == ["Group.Read.All", "User.Read.All"]
    reader = session_for(info)
    assert reader.get(f"{box.base_url}/groups").status_code == 200
    _denied(reader.patch(f"{box.base_url}/users/{uid(1)}", json={"jobTitle": "x"}))
    assert session_for(box).patch(f"{box.base_url}/users/{uid(1)}", json={"jobTitle": "x"}).status_code == 204


def test_the_grant_survives_a_saved_state(tmp_path: Path) -> None:
    """`sandbox serve --state`: a grant set by the seed or /_sandbox/tenant is part of the saved tenant."""
    tenant = Tenant.from_seed(complete_seed({**base_seed(), "permissions": ["User.Read.All"]}))
    assert tenant.permissions == ["User.Read.All"]
    tenant.save(tmp_path / "state.json")
    assert Tenant.load(tmp_path / "state.json").permissions == ["User.Read.All"]
