"""Desired (a revision's file) against live (the tenant read as a backup would write it) → restore actions.

Both sides are in canonical form, so equal objects give no action. Attribute differences are the RFC 6902
patch from live to desired (the `jsonpatch` library) over the writable top-level properties; each write is
derived from that patch: the top-level properties it touches are sent, each whole. Relationship differences
become `link`/`unlink` actions, each with the patch that takes the live id list one step towards desired.

This module decides; it neither reads nor writes anything. What it needs to know about the tenant beyond the
object itself (who holds a userPrincipalName now) is handed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch

from entragit.catalog import EXTENSION_PREFIX, ObjectType, Relationship, dotted_values
from entragit.restore import accounts, schedules
from entragit.restore.desired import Desired, is_deleted
from entragit.restore.idmap import IdMap

UPDATE, UNDELETE, RECREATE, DELETE = "update", "undelete", "recreate", "delete"
LINK, UNLINK, SKIP, REFUSE = "link", "unlink", "skip", "refuse"
OBJECT_ACTIONS = (UNDELETE, RECREATE, UPDATE)
WRITES = (*OBJECT_ACTIONS, LINK, UNLINK, DELETE)

MAIL_GROUP = (
    "a mail-enabled security or distribution group: Graph cannot write it (change it in Exchange Online)"
)
ANOTHER_UPN = "restore under another with --new-upn UPN"
SYNCED = "synchronized from on-premises Active Directory: change it there, the next sync overwrites Graph"


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass
class Action:
    action: str
    type: ObjectType
    path: str
    id: str
    name: str
    changes: list[Change] = field(default_factory=list)
    patch: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    relationship: Relationship | None = None  # link / unlink
    desired: dict[str, Any] = field(default_factory=dict, repr=False)  # the revision's object
    new_upn: str | None = None  # undelete under another userPrincipalName
    # Old ids of objects this plan brings back that the action's writes name: not attempted if one failed.
    needs: frozenset[str] = frozenset()
    gone: bool = False  # a refusal of an object the tenant does not have live: what names it cannot be done
    # An update of directory extension values only: written after the definitions they name exist (an owner
    # app undeleted or recreated and its extensionProperties put back by the same run), `apply.order`.
    late: bool = False
    revision: str = ""  # the commit the desired object was read at
    # A recreate's attachments (catalog `attachments`: an agreement's PDFs), item key → the file's bytes,
    # read from the repository beside the object's file: Graph takes them on create and never returns them.
    attachments: dict[str, bytes] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.name,
            "type": self.type.name,
            "path": self.path,
            "action": self.action,
            "changes": [c.to_json() for c in self.changes],
            "patch": self.patch,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Options:
    only: frozenset[str] | None = None  # attribute and relationship names; None: all
    relationships: bool = True


@dataclass(frozen=True)
class Facts:
    """What the tenant says beyond the object: who holds the desired userPrincipalName now (id, name)."""

    upn_holder: tuple[str, str] | None = None
    new_upn: str | None = None
    # Objects this restore recreates, mapped to a stand-in for their new id: a live object that still names
    # the old id (conditional access keeps ids of deleted objects) is updated to the successor.
    pending: IdMap | None = None
    # The directory extensions the revision's application files define, by name (an unset value in a file
    # of this type is then a null to restore).
    extensions: frozenset[str] = frozenset()


def _wanted(name: str, opts: Options) -> bool:
    return opts.only is None or name in opts.only


def attribute_keys(t: ObjectType, desired: Mapping[str, Any], opts: Options) -> list[str]:
    """Top-level properties a restore may write that the revision has (a property the file lacks is unknown,
    not a request to clear it; a null Graph only ever replaces with its default, likewise; a false of a
    `sole_true` property is what another object's true leaves, written by writing that true)."""
    rels = {r.name for r in t.relationships}
    defaulted = {k for k in t.null_is_default if desired.get(k) is None}
    defaulted |= {k for k in t.sole_true if desired.get(k) is not True}
    return [k for k in t.writable if k in desired and k not in rels | defaulted and _wanted(k, opts)]


def extension_keys(
    t: ObjectType,
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    opts: Options,
    defined: Collection[str],
) -> list[str]:
    """The directory extension values a restore writes: those the revision has, and those live has that the
    revision's applications defined for the type without a value in this file (an unset value is no line,
    canonical.canonicalize): a value set since is cleared. A name no application file defines (a multi-tenant
    app's, or one made since) is left as it is live: the file cannot tell."""
    if not t.extension_target:
        return []
    names = [k for k in desired if k.startswith(EXTENSION_PREFIX)]
    names += [k for k in live if k.startswith(EXTENSION_PREFIX) and k not in desired and k in defined]
    return [k for k in names if _wanted(k, opts)]


def _top_keys(ops: Sequence[Mapping[str, Any]]) -> list[str]:
    """Top-level properties an RFC 6902 patch touches (both ends of a move/copy)."""
    keys: dict[str, None] = {}
    for op in ops:
        for pointer in (op.get("path"), op.get("from")):
            if isinstance(pointer, str) and pointer.startswith("/"):
                keys[pointer[1:].split("/", 1)[0].replace("~1", "/").replace("~0", "~")] = None
    return list(keys)


def attribute_patch(
    keys: Collection[str], desired: Mapping[str, Any], live: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[Change]]:
    """The patch from live to desired over keys, and the per-property changes derived from it."""
    src = {k: live.get(k) for k in keys}
    dst = {k: desired.get(k) for k in keys}
    if src == dst:  # the common case of a whole-tenant plan, and a deep compare is cheaper than a diff
        return [], []
    ops: list[dict[str, Any]] = jsonpatch.make_patch(src, dst).patch
    return ops, [Change(k, src.get(k), dst.get(k)) for k in _top_keys(ops)]


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


def _link_actions(d: Desired, live: Mapping[str, Any], opts: Options) -> list[Action]:
    out: list[Action] = []
    if not opts.relationships:
        return out
    for rel in d.type.relationships:
        if rel.name not in d.obj or not _wanted(rel.name, opts) or _computed(d, rel):
            continue
        want, have = d.obj.get(rel.name), live.get(rel.name)
        if rel.kind == "ref-single":
            if want != have:
                kind = LINK if want else UNLINK
                out.append(
                    _link_action(
                        d, rel, kind, {rel.name: have}, {rel.name: want}, [Change(rel.name, have, want)]
                    )
                )
            continue
        if rel.kind == "contained":
            out += _contained_actions(d, rel, list(want or []), list(have or []))
            continue
        want_items, have_items = list(want or []), list(have or [])
        have_keys, want_keys = {_key(i) for i in have_items}, {_key(i) for i in want_items}
        added = [i for i in want_items if _key(i) not in have_keys]
        removed = [i for i in have_items if _key(i) not in want_keys]
        if added:
            step = (
                sorted(have_items + added, key=_key)
                if rel.kind != "ref-collection"
                else sorted(have_items + added)
            )
            changes = [Change(rel.name, None, i) for i in added]
            out.append(_link_action(d, rel, LINK, {rel.name: have_items}, {rel.name: step}, changes))
            have_items = step
        if removed:
            step = [i for i in have_items if _key(i) not in {_key(r) for r in removed}]
            changes = [Change(rel.name, i, None) for i in removed]
            out.append(_link_action(d, rel, UNLINK, {rel.name: have_items}, {rel.name: step}, changes))
    return out


def _contained_actions(
    d: Desired, rel: Relationship, want: list[dict[str, Any]], have: list[dict[str, Any]]
) -> list[Action]:
    """Contained items matched by their key (catalog `Relationship.key`): an `unlink` removes the items the
    revision lacks, then a `link` adds the missing ones (old None) and puts back those that differ
    (old → new). Removals go first (`apply.order`): a credential renamed since takes the issuer and subject
    its old self held, which Graph allows once per application."""
    want_keys = {rel.item_key(i) for i in want}
    kept = [i for i in have if rel.item_key(i) in want_keys]
    gone = [Change(rel.name, i, None) for i in have if rel.item_key(i) not in want_keys]
    by_key = {rel.item_key(i): i for i in kept}
    put = [Change(rel.name, by_key.get(rel.item_key(i)), i) for i in want if by_key.get(rel.item_key(i)) != i]
    out: list[Action] = []
    if gone:
        out.append(_link_action(d, rel, UNLINK, {rel.name: have}, {rel.name: kept}, gone))
    if put:
        out.append(_link_action(d, rel, LINK, {rel.name: kept}, {rel.name: want}, put))
    return out


def _computed(d: Desired, rel: Relationship) -> bool:
    """Members Entra computes from a membership rule follow the rule, never a write (group-post-members.md:
    members cannot be added to a dynamic group)."""
    if rel.name != "members":
        return False
    return "DynamicMembership" in (d.obj.get("groupTypes") or []) or d.obj.get("membershipType") == "Dynamic"


def _link_action(
    d: Desired, rel: Relationship, kind: str, src: dict[str, Any], dst: dict[str, Any], changes: list[Change]
) -> Action:
    return Action(
        kind,
        d.type,
        d.path,
        d.id,
        d.name,
        changes,
        jsonpatch.make_patch(src, dst).patch,
        relationship=rel,
        desired=d.obj,
        revision=d.revision.sha,
    )


def plan_object(
    d: Desired, live: dict[str, Any] | None, opts: Options, facts: Facts = Facts()
) -> list[Action]:
    """The actions that bring one object from live to desired; empty when they already agree."""
    t = d.type
    gone = live is None or is_deleted(live)
    # (under --new-upn the user is desired, and so written, under that userPrincipalName)
    desired = accounts.with_upn(d.obj, facts.new_upn) if facts.new_upn and t.name == "users" else dict(d.obj)

    def action(
        kind: str, changes: Sequence[Change] = (), ops: Sequence[dict[str, Any]] = (), reason: str = ""
    ) -> Action:
        return Action(
            kind,
            t,
            d.path,
            d.id,
            d.name,
            list(changes),
            list(ops),
            reason,
            desired=desired,
            gone=gone,
            revision=d.revision.sha,
        )

    if not t.restorable:
        return [action(SKIP, reason=t.notes or f"{t.name} are not restored")] if _differs(d, live) else []
    alone = left_alone(t, desired)
    if alone:
        return [action(SKIP, reason=alone)] if _differs(d, live) else []
    if d.deleted:
        if live is None or is_deleted(live):
            return []
        return [action(SKIP, reason=f"soft-deleted at {d.revision.short}: restore does not delete objects")]
    keys = attribute_keys(t, desired, opts)
    upn = desired.get("userPrincipalName") if t.name == "users" else None
    holder = facts.upn_holder
    if live is None:
        why = _blocker(t, desired) or _not_recreatable(t, desired)
        if not why and holder and not facts.new_upn:
            why = (
                f"userPrincipalName {upn} is now held by active user {holder[1]} ({holder[0]}): {ANOTHER_UPN}"
            )
        if why:
            return [action(REFUSE, reason=f"cannot be recreated: {why}")]
        every = attribute_keys(t, desired, Options())  # --only cannot leave out what creation needs
        creatable = [k for k in (*every, *t.create_only) if desired.get(k) is not None]
        ops, changes = attribute_patch(list(dict.fromkeys(creatable)), desired, {})
        notes = [*accounts.recreate_notes(t.name, desired), *([t.recreate_note] if t.recreate_note else [])]
        why = "; ".join(["gone from the tenant (hard-deleted)", *notes])
        recreate = action(RECREATE, changes, ops, why)
        values = _extension_update(action, extension_keys(t, desired, {}, Options(), ()), desired, {})
        return [recreate, *values, *_link_actions(d, {}, opts)]
    live = _without_retired(t, desired, live)
    # A property the live read left out (not even null: the app cannot read it, `live.Reader.drop`) is
    # unknown, like one the file lacks: nothing to compare, nothing to write.
    keys = [k for k in keys if k in live]
    compared = facts.pending.rewrite(t, desired) if facts.pending else desired
    if t.name == "users" and accounts.is_guest(live):
        # (a guest's mail is set by its invitation: a file without one asks nothing of it)
        keys = [
            k
            for k in keys
            if k not in accounts.SET_BY_REDEMPTION and not (k == "mail" and not desired.get(k))
        ]
    ops, changes = attribute_patch(keys, compared, live)
    # (not through `pending`: a value of an extension whose owner app this run recreates is written under
    # its old name, which the writer renames once the new appId is known, apply.Writer._update_writes)
    values = _extension_update(
        action, extension_keys(t, desired, live, opts, facts.extensions), desired, live
    )
    links = _link_actions(d, live, opts)
    fixed = [
        Change(k, live.get(k), desired.get(k))
        for k in t.create_only
        if k in desired and desired.get(k) != live.get(k) and _wanted(k, opts)
    ]
    blocker = _blocker(t, live)
    if blocker and (changes or values or links or fixed):
        refused = changes + fixed + [c for a in (*values, *links) for c in a.changes]
        return [action(REFUSE, refused, ops, blocker)]
    out: list[Action] = []
    if fixed:
        names = ", ".join(c.path for c in fixed)
        out.append(action(REFUSE, fixed, reason=f"create-only {names} cannot change on an existing object"))
    if is_deleted(live):
        if holder and not facts.new_upn:
            return [
                *out,
                action(
                    REFUSE,
                    changes,
                    ops,
                    f"userPrincipalName {upn} is now held by active user {holder[1]} ({holder[0]}): "
                    + ANOTHER_UPN,
                ),
            ]
        undelete = action(UNDELETE, changes, ops, "in deleted items")
        undelete.new_upn = facts.new_upn
        return [*out, undelete, *values, *links]
    if holder and any(c.path == "userPrincipalName" for c in changes):
        return [
            *out,
            action(
                REFUSE,
                changes,
                ops,
                f"userPrincipalName {upn} is held by active user {holder[1]} ({holder[0]})",
            ),
            *links,
        ]
    if changes:
        reset = t.reset and desired.get(t.reset[0]) is True
        why = f"back to Graph's default settings: POST {t.reset[1]}" if t.reset and reset else ""
        out.append(action(UPDATE, changes, ops, why))
    return out + values + links


def _extension_update(
    action: Callable[..., Action], keys: Sequence[str], desired: Mapping[str, Any], live: Mapping[str, Any]
) -> list[Action]:
    """The update of an object's directory extension values, on its own (`Action.late`), or nothing."""
    ops, changes = attribute_patch(keys, desired, live)
    if not changes:
        return []
    update: Action = action(UPDATE, changes, ops)
    update.late = True
    return [update]


def _without_retired(t: ObjectType, desired: Mapping[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """live, less the inactive items of its `retired_items` lists that desired does not list: Graph deletes
    none (allowedvalue.md), a restore deactivates one the revision lacks, so an inactive one the file lacks
    is what the revision amounts to, and planning again right after a restore is empty."""
    if not t.retired_items:
        return live
    out = dict(live)
    for prop, flag in t.retired_items:
        items = live.get(prop)
        if not isinstance(items, list):
            continue
        wanted = desired.get(prop)
        listed = {i.get("id") for i in wanted if isinstance(i, dict)} if isinstance(wanted, list) else set()
        out[prop] = [
            i
            for i in items
            if not (isinstance(i, dict) and i.get(flag) is False and i.get("id") not in listed)
        ]
    return out


def plan_removal(d: Desired, live: dict[str, Any] | None) -> list[Action]:
    """`apply --prune`: the object whose file was removed from the work tree is deleted, if it is live."""
    if live is None or is_deleted(live):
        return []

    def action(kind: str, reason: str) -> Action:
        return Action(kind, d.type, d.path, d.id, d.name, reason=reason, desired=d.obj)

    if d.type.singleton or not d.type.restorable or d.type.not_recreatable:
        return [action(SKIP, f"{d.type.name} are not deleted by apply")]
    if not d.type.deletable:
        return [action(REFUSE, f"Graph never deletes {d.type.name}: deactivate it instead")]
    alone = left_alone(d.type, d.obj)
    if alone:
        return [action(SKIP, alone)]
    blocker = _blocker(d.type, live)
    if blocker:
        return [action(REFUSE, blocker)]
    soft = " (to deleted items, restorable for 30 days)" if d.type.recycle_bin else " (for good)"
    return [action(DELETE, f"its file was removed from the work tree; deleted{soft}")]


def _differs(d: Desired, live: Mapping[str, Any] | None) -> bool:
    return live is None or dict(live) != d.obj


def _blocker(t: ObjectType, live: Mapping[str, Any]) -> str:
    """Why Graph cannot write this live object at all, or ''."""
    if t.name == "groups" and live.get("mailEnabled") and "Unified" not in (live.get("groupTypes") or []):
        return MAIL_GROUP
    if live.get("onPremisesSyncEnabled"):
        return SYNCED
    return ""


def left_alone(t: ObjectType, desired: Mapping[str, Any]) -> str:
    """Why a restore writes nothing for this object whatever the tenant holds (catalog `left_alone`, a
    schedule that has ended), or ''."""
    for rule in t.left_alone:
        if rule.value in dotted_values(desired, rule.path):
            return rule.reason
    end = schedules.ended(desired.get(t.schedule)) if t.schedule else None
    if end is not None:
        return f"expired on {end:%Y-%m-%d %H:%M} UTC: nothing is written"
    return ""


def _not_recreatable(t: ObjectType, desired: Mapping[str, Any]) -> str:
    """Why this version cannot create the object anew, or ''."""
    if t.singleton:
        return "a tenant setting that always exists"
    if t.not_recreatable:  # (`{id}` in it names the object: a deleted domain's name)
        return t.not_recreatable.replace("{id}", str(desired.get("id")))
    derived = t.derived_type(desired)
    if derived is not None and derived.not_recreatable:
        return derived.not_recreatable
    if t.name == "users" and accounts.is_guest(desired) and not accounts.guest_address(desired):
        return "a guest without a mail address cannot be re-invited"
    return ""


def is_empty(actions: Sequence[Action]) -> bool:
    """Nothing to do: skips only say why nothing is done."""
    return all(a.action == SKIP for a in actions)
