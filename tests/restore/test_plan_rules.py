"""The decisions of plan.py and the write bodies of apply.py, on hand-built objects (no tenant needed)."""

from __future__ import annotations

from entragit import catalog
from entragit.restore import accounts
from entragit.restore.apply import patch_body, with_nulls
from entragit.restore.desired import Desired
from entragit.restore.plan import Change, Options, attribute_patch, plan_object
from entragit.restore.sources import Revision

REV = Revision("0" * 40, "00000000", "2026-11-01 02:00")
GROUPS = catalog.by_name("groups")


def group(**props: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "g1",
        "displayName": "G",
        "mailEnabled": False,
        "securityEnabled": True,
        "groupTypes": [],
        "isAssignableToRole": False,
        "members": ["u1", "u2"],
        "owners": [],
    }
    return {**base, **props}


def desired(obj: dict[str, object]) -> Desired:
    return Desired("groups/g1/g1.yaml", GROUPS, "g1", obj, REV)


def test_complex_values_get_explicit_nulls_for_what_only_live_has() -> None:
    """conditionalaccesspolicy-update.md: Graph merges a complex value, so what the revision lacks is
    sent as null; annotations are never nulled."""
    live = {"users": {"includeUsers": ["All"], "excludeRoles": ["r"]}, "@odata.type": "#x", "extra": 1}
    want = {"users": {"includeUsers": ["All"]}}
    assert with_nulls(want, live) == {"users": {"includeUsers": ["All"], "excludeRoles": None}, "extra": None}
    body = patch_body([Change("conditions", live, want)])
    assert body == {"conditions": {"users": {"includeUsers": ["All"], "excludeRoles": None}, "extra": None}}


def test_changes_are_the_top_level_properties_the_patch_touches() -> None:
    ops, changes = attribute_patch(["a/b", "c"], {"a/b": {"x": 2}, "c": 1}, {"a/b": {"x": 1}, "c": 1})
    assert ops == [{"op": "replace", "path": "/a~1b/x", "value": 2}]
    assert changes == [Change("a/b", {"x": 1}, {"x": 2})]


def test_unchanged_object_plans_nothing_and_create_only_difference_is_refused() -> None:
    assert plan_object(desired(group()), group(), Options()) == []
    [refusal] = plan_object(desired(group(isAssignableToRole=True)), group(), Options())
    assert refusal.action == "refuse" and "isAssignableToRole" in refusal.reason


def test_links_of_a_dynamic_group_follow_its_rule() -> None:
    dyn = group(groupTypes=["DynamicMembership"], membershipRule='user.department -eq "X"')
    assert plan_object(desired(dyn), {**dyn, "members": ["u3"]}, Options()) == []


def test_a_null_visibility_is_left_to_graph_and_a_value_is_restored() -> None:
    """Graph creates a security group Private when no visibility is given, and no PATCH sets it back to
    null (group-post-groups.md; the values are Private, Public, HiddenMembership): a file's null plans
    nothing, a file's value is restored."""
    assert plan_object(desired(group(visibility=None)), group(visibility="Private"), Options()) == []
    [action] = plan_object(desired(group(visibility="Public")), group(visibility="Private"), Options())
    assert action.action == "update" and [c.path for c in action.changes] == ["visibility"]


def test_a_guest_is_reinvited_at_its_mail_else_other_mails_else_its_sign_in_else_its_upn() -> None:
    """The re-invitation address comes from the first of these that gives one; only a guest none of them
    names is refused (a guest cannot be created by POST /users: invitation-post.md)."""
    upn = "ana.bowman_fabrikam.com#EXT#@contoso.onmicrosoft.com"
    sign_in = [{"signInType": "emailAddress", "issuer": "x", "issuerAssignedId": "ana@id.example"}]
    federated = [{"signInType": "federated", "issuer": "fabrikam.com", "issuerAssignedId": "ana@fed.example"}]
    guest = {"userType": "Guest", "userPrincipalName": upn, "identities": sign_in}
    assert (
        accounts.guest_address({**guest, "mail": "a@m.example", "otherMails": ["a@o.example"]})
        == "a@m.example"
    )
    assert accounts.guest_address({**guest, "mail": None, "otherMails": ["a@o.example"]}) == "a@o.example"
    assert accounts.guest_address({**guest, "mail": None, "otherMails": []}) == "ana@id.example"
    assert accounts.guest_address({**guest, "identities": federated}) == "ana.bowman@fabrikam.com"
    nameless = {
        "userType": "Guest",
        "userPrincipalName": "ana@contoso.onmicrosoft.com",
        "identities": federated,
    }
    assert accounts.guest_address(nameless) is None
    [refusal] = plan_object(
        Desired("users/46/x.yaml", catalog.by_name("users"), "x", {"id": "x", **nameless}, REV),
        None,
        Options(),
    )
    assert refusal.action == "refuse" and "guest without a mail address" in refusal.reason
