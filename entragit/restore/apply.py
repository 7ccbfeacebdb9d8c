"""Restore actions → Graph writes, in catalog rank order, each reported with its result.

Objects first (undelete before update, by catalog rank, so that what a later object refers to exists), then
the links phase. A link whose owner or target could not be brought back is not attempted: it would fail, or
worse, half-succeed. Every write is derived from the action's changes, which come from its JSON patch.

Graph merges complex values in a PATCH (an omitted nested property keeps its live value,
conditionalaccesspolicy-update.md), so each complex value is sent whole with an explicit null for every
nested property live has and the revision does not.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from entragit import canonical
from entragit.catalog import RANK_EXTENSION_VALUES, Relationship
from entragit.graph.client import GraphClient, GraphError, Write, WriteResult
from entragit.restore import accounts, attributes, resume
from entragit.restore.idmap import IdMap
from entragit.restore.passwords import new_password
from entragit.restore.plan import (
    DELETE,
    LINK,
    OBJECT_ACTIONS,
    RECREATE,
    REFUSE,
    UNDELETE,
    UNLINK,
    UPDATE,
    WRITES,
    Action,
    Change,
)

# The form @odata.id and @odata.bind values take, whatever host the client talks to (group-post-members.md).
GRAPH_ROOT = "https://graph.microsoft.com/v1.0"
BIND_LIMIT = 20  # members added per PATCH through members@odata.bind (group-post-members.md)

OK, FAILED, NOT_ATTEMPTED = "ok", "failed", "not attempted"


@dataclass
class Result:
    action: Action
    status: str
    message: str = ""


def with_nulls(desired: Any, live: Any) -> Any:
    """desired, with null for every nested property live has and desired lacks (annotations excepted)."""
    if not isinstance(desired, dict) or not isinstance(live, dict):
        return desired
    out = {k: with_nulls(v, live.get(k)) for k, v in desired.items()}
    for k in live:
        if k not in out and "@" not in k:
            out[k] = None
    return out


def patch_body(changes: Sequence[Change]) -> dict[str, Any]:
    return {c.path: with_nulls(c.new, c.old) for c in changes}


def order(actions: Sequence[Action]) -> list[Action]:
    """Objects by catalog rank (undelete before update), then links added, then links removed (a group
    keeps an owner while its owners are swapped), then deletions in reverse rank (a policy before the named
    location it names). Contained items are the exception: those removed go before those added
    (`plan._contained_actions`), as are links written on their target (one policy of a kind per holder) and
    links Graph keeps few of (catalog `removals_first`)."""

    def key(a: Action) -> tuple[int, int, int, str]:
        if a.late:  # directory extension values, once their definitions are back (catalog ranks)
            return (1, RANK_EXTENSION_VALUES * 1000 + a.type.rank, 0, a.path)
        if a.action in OBJECT_ACTIONS:
            return (0, a.type.rank, OBJECT_ACTIONS.index(a.action), a.path)
        if a.action == DELETE:
            return (3, -a.type.rank, 0, a.path)
        rel = a.relationship
        rel_rank = rel.rank if rel else 0
        if _contained(a) or (rel is not None and (rel.on_target or rel.removals_first)):
            return (1, rel_rank * 1000 + a.type.rank, -1 if a.action == UNLINK else 0, a.path)
        return (1 if a.action == LINK else 2, rel_rank * 1000 + a.type.rank, 0, a.path)

    return sorted((a for a in actions if a.action in WRITES), key=key)


# What a restore says about a recreated user's temporary password, handed the action and the password (which
# it may show or keep somewhere): the CLI decides who sees it. Without one, nobody does.
Reveal = Callable[[Action, str], str]


def unseen(_a: Action, _secret: str) -> str:
    """The password is set and shown to nobody (no terminal, no --passwords-file): an admin resets it."""
    return "temporary password set but not shown: reset it in the Entra admin center before the user signs in"


class Writer:
    """Sends one action's writes; raises GraphError on the first one Graph refuses."""

    def __init__(
        self,
        client: GraphClient,
        idmap: IdMap,
        mapped: Callable[[], None],
        send_invitations: bool = False,
        reveal: Reveal = unseen,
    ) -> None:
        self.client = client
        self.idmap = idmap
        self.mapped = mapped  # told after each new id, so that the map is saved before anything else
        self.send_invitations = send_invitations
        self.reveal = reveal

    def _desired(self, a: Action) -> dict[str, Any]:
        """The revision's object with references to objects recreated so far (this run too) rewritten."""
        return self.idmap.rewrite(a.type, a.desired)

    def _current(self, a: Action, changes: Sequence[Change]) -> list[Change]:
        desired = self._desired(a)
        return [Change(c.path, c.old, desired.get(c.path, c.new)) for c in changes]

    def _send(self, a: Action, method: str, path: str, body: Any = None) -> dict[str, Any] | None:
        perm = " and ".join(a.type.permissions_restore) or None
        return self.client.request(method, path, body, required_permission=perm)

    def run(self, a: Action) -> str:
        if _contained(a):
            return self.contained(a)
        handler: Callable[[Action], str] = {
            UPDATE: self.update,
            UNDELETE: self.undelete,
            RECREATE: self.recreate,
            UNLINK: self.unlink,
            DELETE: self.delete,
        }.get(a.action, self.unsupported)
        return handler(a)

    def delete(self, a: Action) -> str:
        """`apply --prune` of an object with contained entities: those first, then the object (a partner
        with an identity synchronization policy cannot be deleted before it,
        crosstenantaccesspolicyconfigurationpartner-delete.md)."""
        for prop in a.type.contained:
            try:
                self._send(a, "DELETE", f"{a.type.item_path(a.id)}/{prop}")
            except GraphError as exc:
                if exc.status != 404:
                    raise
        self._send(a, "DELETE", a.type.item_path(a.id))
        return "deleted"

    def unsupported(self, a: Action) -> str:
        raise _NotDone(f"{a.action} is not supported yet")

    def _perm(self, a: Action) -> str | None:
        return " and ".join(a.type.permissions_restore) or None

    def _write(self, a: Action, method: str, path: str, body: Any = None) -> Write:
        return Write(method, path, body, self._perm(a))

    def _update_writes(self, a: Action, changes: Sequence[Change]) -> list[Write]:
        """The PATCH of the changed properties, and the writes of those Graph takes through an action or
        per item (catalog `write_actions`)."""
        t = a.type
        if t.reset and a.desired.get(t.reset[0]) is True:
            return [self._write(a, "POST", t.reset[1])]
        current = self._current(a, changes)
        body = patch_body(current)
        if a.late:  # the object may be recreated, the owner app of a value too (a new appId, a new name)
            body = {canonical.extension_renamed(k, self.idmap.app_ids): v for k, v in body.items()}
            return [self._write(a, "PATCH", t.item_path(self.idmap.new_id(a.id)), body)]
        if t.requests is not None:
            return [self._request(a, t.requests.update, body)]
        for prop in t.sub_collections:  # written item by item after the PATCH (`_sub_collections`)
            body.pop(prop, None)
        for c in current:
            if (
                c.path == attributes.PROPERTY
            ):  # merged by Graph: removals are explicit (restore/attributes.py)
                body[c.path] = attributes.write_value(c.new, c.old)
        actions = dict(t.write_actions)
        out: list[Write] = [
            self._contained_write(a, a.id, prop, body.pop(prop)) for prop in t.contained if prop in body
        ]
        for prop in [p for p in body if p in actions]:
            template, value = actions[prop], body.pop(prop)
            if template.endswith("/assignLicense"):
                old = next(c.old for c in a.changes if c.path == prop)
                change = accounts.licence_change(old, value)
                if change is not None:
                    out.append(self._write(a, "POST", template.format(id=a.id), change))
            elif "{ref}" in template:
                # each item on its own path: PATCHed when live has it (its id is the path), else POSTed to
                # the collection (a definition's new allowed value)
                old = {i.get("id"): i for i in _dicts(next(c.old for c in a.changes if c.path == prop))}
                for item in _dicts(value):
                    before = old.get(item.get("id"))
                    if item == before:
                        continue
                    path = template.format(id=a.id, ref=item["id"])
                    if before is None and not t.singleton:
                        out.append(self._write(a, "POST", path.rsplit("/", 1)[0], item))
                        continue
                    body_item = {k: v for k, v in with_nulls(item, before).items() if k != "id"}
                    out.append(self._write(a, "PATCH", path, body_item))
                flag = dict(t.retired_items).get(prop)
                if flag:  # an item the revision lacks cannot be deleted (allowedvalue.md): deactivated
                    wanted = {i.get("id") for i in _dicts(value)}
                    out += [
                        self._write(a, "PATCH", template.format(id=a.id, ref=ref), {flag: False})
                        for ref, item in old.items()
                        if ref not in wanted and item.get(flag)
                    ]
            else:
                out.append(self._write(a, "POST", template.format(id=a.id), {t.action_param(prop): value}))
        if body and t.update_method == "PUT":  # Graph replaces the object: every writable property
            desired = self._desired(a)
            out.append(self._write(a, "PUT", t.item_path(a.id), {p: desired.get(p) for p in t.writable}))
        elif body:
            if t.keep_odata_type and "@odata.type" in a.desired:
                body = {"@odata.type": a.desired["@odata.type"], **body}
            out.append(self._write(a, "PATCH", t.item_path(a.id), body))
        return out

    def _contained_write(self, a: Action, oid: str, prop: str, value: Any) -> Write:
        """PUT of a contained entity (catalog `contained`) on its own path, DELETE when the file has none;
        its key is the owner's and not part of the body (crosstenantaccesspolicyconfigurationpartner-put-
        identitysynchronization.md names displayName and userSyncInbound)."""
        path = f"{a.type.item_path(oid)}/{prop}"
        if value is None:
            return self._write(a, "DELETE", path)
        return self._write(a, "PUT", path, {k: v for k, v in value.items() if k != a.type.key})

    def _request(self, a: Action, action: str, body: Mapping[str, Any] | None = None) -> Write:
        """A write through the type's request objects (catalog `Requests`): the action, the properties
        naming the object (references rewritten), a justification, and the properties written."""
        requests = a.type.requests
        assert requests is not None
        desired = self._desired(a)
        named = {k: desired.get(k) for k in requests.target}
        request = {"action": action, **named, "justification": requests.justification, **(body or {})}
        return self._write(a, "POST", requests.path, request)

    def update(self, a: Action, changes: Sequence[Change] | None = None) -> str:
        changes = a.changes if changes is None else changes
        for w in self._update_writes(a, changes):
            self._send(a, w.method, w.path, w.body)
        desired = self._desired(a)
        for prop in [c.path for c in changes if c.path in a.type.sub_collections]:
            self._sub_collection(a, self.idmap.new_id(a.id), prop, _dicts(desired.get(prop)))
        return _updated(a)

    def _sub_collection(self, a: Action, oid: str, prop: str, wanted: list[dict[str, Any]]) -> None:
        """Make the items Graph holds under `<object>/<prop>` those of `wanted` (catalog `sub_collections`):
        the live items are read for their ids, those no longer wanted are deleted, the missing ones POSTed.
        Items are compared without their ids (Graph gives a new one to each item created)."""
        base = f"{a.type.item_path(oid)}/{prop}"
        live = [i for i in self.client.list(base) if isinstance(i, dict)]

        def content(item: Mapping[str, Any]) -> dict[str, Any]:
            return canonical.normalize(a.type, {prop: [{k: v for k, v in item.items() if k != "id"}]})[prop][
                0
            ]

        have = [content(i) for i in live]
        want = [content(i) for i in wanted]
        for item, shape in zip(live, have, strict=True):
            if shape not in want:
                self._send(a, "DELETE", f"{base}/{item['id']}")
        for shape in want:
            if shape not in have:
                self._send(a, "POST", base, shape)

    def _create_body(self, a: Action) -> dict[str, Any]:
        """The creatable properties, references to objects recreated so far rewritten (those Graph sets only
        by an update, `update_only`, and those written through an action, `written_after_create`, follow
        the POST; licences follow it through assignLicense: `_licences`)."""
        body = {
            c.path: c.new
            for c in self._current(a, a.changes)
            if c.path not in a.type.update_only and c.path != "assignedLicenses"
        }
        for prop in a.type.written_after_create:
            body.pop(prop, None)
        for prop, inner, key, value in a.type.create_keeps:
            whole = self._desired(a).get(prop)
            if whole is not None:
                body[prop] = [
                    {**item, inner: [i for i in _dicts(item.get(inner)) if i.get(key) == value]}
                    for item in _dicts(whole)
                ]
        if a.type.attachments is not None and a.attachments:
            prop, key, _ext = a.type.attachments
            body[prop] = [
                {**item, "fileData": {"data": base64.b64encode(a.attachments[str(item.get(key))]).decode()}}
                for item in _dicts(body.get(prop))
            ]
        if a.type.keep_odata_type and "@odata.type" in a.desired:
            body = {"@odata.type": a.desired["@odata.type"], **body}
        return body

    @staticmethod
    def _plain_create(a: Action) -> bool:
        """A creation that is one POST and nothing after it but the id map (no password, licences,
        invitation, appId, update-only, action-written or per-item property to carry over), so that many go
        through $batch together."""
        t = a.type
        later = any(a.desired.get(p) is not None for p in t.update_only)
        return (
            t.create_method == "POST"
            and t.name not in ("users", "applications")
            and not later
            and not t.written_after_create
            and not t.contained
            and not t.sub_collections
            and t.attachments is None  # (PDFs of megabytes: one request each, not a $batch of them)
            and not accounts.licences(a.desired)
        )

    def _update_after_create(self, a: Action, new: str, done: str) -> str:
        """PATCH the properties Graph sets only by an update (`update_only`: custom security attribute values,
        concepts/custom-security-attributes-examples.md) on the new object."""
        later = {p: self._desired(a).get(p) for p in a.type.update_only}
        body = {
            p: attributes.write_value(v, None) if p == attributes.PROPERTY else v for p, v in later.items()
        }
        body = {p: v for p, v in body.items() if v}
        if not body:
            return ""
        try:
            self._send(a, "PATCH", a.type.item_path(new), body)
        except GraphError as exc:
            raise _Partly(f"{done}, but {', '.join(body)} not set: {exc}") from None
        return f"; {', '.join(body)} set"

    def _create_write(self, a: Action) -> Write:
        """The POST that creates the object: on its collection, or as a request (catalog `Requests`)."""
        body = self._create_body(a)
        if a.type.requests is not None:
            return self._request(a, a.type.requests.create, body)
        return self._write(a, "POST", a.type.path, body)

    @staticmethod
    def _new_id(a: Action, created: Mapping[str, Any] | None) -> str:
        """The created object's id: the response's `id`, or for a request the object it made."""
        key = a.type.requests.new_id if a.type.requests is not None else a.type.key
        return str((created or {}).get(key) or "")

    def recreate(self, a: Action) -> str:
        """POST the creatable properties (references rewritten); record the new id before anything else."""
        t = a.type
        body = self._create_body(a)
        secret = ""
        if t.name == "users" and accounts.is_guest(a.desired):
            return self._invite(a, body)
        if t.name == "users":
            secret = new_password()
            body["passwordProfile"] = {"password": secret, "forceChangePasswordNextSignIn": True}
        if t.create_method == "PATCH":
            self._send(a, "PATCH", t.item_path(a.id), body)
            return "created"
        # `api://<appId>` names the old appId, which the new application cannot claim: set after creation.
        own = str(a.desired.get("appId") or "") if t.name == "applications" else ""
        uris = [str(u) for u in body.get("identifierUris") or []]
        if own and any(own in u for u in uris):
            body["identifierUris"] = [u for u in uris if own not in u]
        contained = {p: body.pop(p) for p in t.contained if p in body}
        items = {p: _dicts(body.pop(p, None)) for p in t.sub_collections}
        write = self._create_write(a) if t.requests is not None else self._write(a, "POST", t.path, body)
        created, adopted = self._create(a, write, body)
        new = str(created.get(t.key) or "") if adopted else self._new_id(a, created)
        if not new:
            raise _NotDone(f"Graph created {t.name} without returning its {t.key}")
        if own and created.get("appId"):
            self.idmap.app_ids[own] = str(created["appId"])
        self._mapped(a, new)
        if adopted and secret:  # the password sent by the interrupted run was never shown: a new one
            self._send(a, "PATCH", t.item_path(new), {"passwordProfile": body["passwordProfile"]})
        done = f"found as {new}, created by an interrupted run" if adopted else f"created as {new}"
        if own and body.get("identifierUris") != uris:
            try:
                self._send(
                    a, "PATCH", t.item_path(new), {"identifierUris": [self.idmap.app_uri(u) for u in uris]}
                )
            except GraphError as exc:
                raise _Partly(f"{done}, but identifierUris not set: {exc}") from None
        for prop, wanted in items.items():
            if wanted:
                try:
                    self._sub_collection(a, new, prop, wanted)
                except GraphError as exc:
                    raise _Partly(f"{done}, but {prop} not all set: {exc}") from None
        done += self._licences(a, new)
        done += self._after_create(a, new, body)
        for prop, value in contained.items():
            w = self._contained_write(a, new, prop, value)
            try:
                self._send(a, w.method, w.path, w.body)
            except GraphError as exc:
                raise _Partly(f"{done}, but {prop} not written: {exc}") from None
        done += self._update_after_create(a, new, done)
        if secret:
            done += f"; {self.reveal(a, secret)}"
        needed = accounts.credentials_needed(a.desired) if t.name == "applications" else []
        if needed:
            done += "; needs new credentials (never backed up): " + "; ".join(needed)
        return done

    def _create(self, a: Action, write: Write, identity: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """The creating write, unless an interrupted run already made it (resume.py): Graph's answer, or the
        object found (adopted), and which. `identity` holds the properties the object is found by."""
        since = self.idmap.pending.get(a.id)
        if since is not None:
            taken = set(self.idmap.ids.values())
            found = resume.find_created(self.client, a.type, identity, since, taken)
            if found:
                return self._send(a, "GET", a.type.item_path(found)) or {a.type.key: found}, True
        self.idmap.pending[a.id] = since or resume.now()
        self.mapped()  # the mark is on disk before the write
        try:
            return self._send(a, write.method, write.path, write.body) or {}, False
        except GraphError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429):
                self.idmap.pending.pop(a.id, None)  # refused: nothing was created
                self.mapped()
            raise

    def _mapped(self, a: Action, new: str) -> None:
        self.idmap.ids[a.id] = new
        self.idmap.pending.pop(a.id, None)
        self.mapped()

    def _after_create(self, a: Action, new: str, body: Mapping[str, Any]) -> str:
        """The properties a create could not carry whole, each through its write action on the new object
        (a compliance policy's scheduled actions beyond the one block action, and its assignments)."""
        t, desired = a.type, self._desired(a)
        actions = dict(t.write_actions)
        written = []
        for prop in t.written_after_create:
            value = desired.get(prop)
            if value is None or value == [] or value == body.get(prop):
                continue
            try:
                self._send(a, "POST", actions[prop].format(id=new), {t.action_param(prop): value})
            except GraphError as exc:
                raise _Partly(f"created as {new}, but {prop} not written: {exc}") from None
            written.append(prop)
        return f"; {', '.join(written)} written" if written else ""

    def _licences(self, a: Action, new: str) -> str:
        """assignLicense after creation (assignedLicenses is read-only on PATCH: user-assignlicense.md,
        group-assignlicense.md)."""
        body = accounts.licences(a.desired) if a.type.name in accounts.LICENSED else None
        if body is None:
            return ""
        try:
            self._send(a, "POST", f"{a.type.path}/{new}/assignLicense", body)
        except GraphError as exc:
            raise _Partly(f"created as {new}, but licences not assigned: {exc}") from None
        return f"; {len(body['addLicenses'])} licence(s) assigned"

    def _invite(self, a: Action, body: dict[str, Any]) -> str:
        """A guest comes back through POST /invitations (invitation-post.md), so it stays a guest; no mail
        unless --send-invitations. The other properties follow in one PATCH."""
        if not accounts.guest_address(a.desired):
            raise _NotDone("the guest has no mail address to invite")
        invitation = accounts.invitation(a.desired, self.send_invitations)
        invited, adopted = self._create(a, self._write(a, "POST", "invitations", invitation), body)
        new = str(invited.get("id") if adopted else (invited.get("invitedUser") or {}).get("id") or "")
        if not new:
            raise _NotDone("Graph created the invitation without the invited user's id")
        self._mapped(a, new)
        rest = {k: v for k, v in body.items() if k not in accounts.SET_BY_INVITATION}
        done = f"re-invited as {new} ({'invitation mailed' if self.send_invitations else 'no mail sent'})"
        try:
            if rest:
                self._send(a, "PATCH", a.type.item_path(new), rest)
        except GraphError as exc:
            raise _Partly(f"{done}, but not updated: {exc}") from None
        done += self._licences(a, new)
        return done + self._update_after_create(a, new, done)

    def undelete(self, a: Action) -> str:
        body = {"newUserPrincipalName": a.new_upn} if a.new_upn else None
        if a.type.recycle_bin is None:  # the plan undeletes only what a recycle bin returned
            raise _NotDone(f"{a.type.name} have no deleted items to restore from")
        self._send(a, "POST", a.type.recycle_bin.restore_path(a.id), body)
        rest = [c for c in a.changes if not (a.new_upn and c.path == "userPrincipalName")]
        done = f"restored from deleted items{f' as {a.new_upn}' if a.new_upn else ''}"
        if rest:
            try:
                self.update(a, rest)
            except GraphError as exc:
                raise _Partly(f"{done}, but not updated: {exc}") from None
            done += "; updated " + ", ".join(c.path for c in rest)
        return done

    # -- writes that may share a $batch with other actions' ---------------------------------------------

    def writes(self, a: Action) -> list[Planned] | None:
        """The writes of an action, each with the link targets it adds, when they are independent of every
        other action's in its phase (so that many go through $batch together); None when the action runs
        on its own (creations with steps after the POST or an interrupted run to look for, undeletes,
        several dependent writes, a read first)."""
        rel = a.relationship
        if _contained(a):  # a read of the live items first, for their ids
            return None
        if a.action == RECREATE:
            if not self._plain_create(a) or a.id in self.idmap.pending:  # pending: perhaps created already
                return None
            self.idmap.pending[a.id] = resume.now()  # saved by run_many before anything is sent
            return [(self._create_write(a), [])]
        if a.action == UPDATE:
            if any(c.path in a.type.sub_collections for c in a.changes):
                return None  # reads the live items first
            writes = self._update_writes(a, a.changes)
            return [(w, []) for w in writes] if len(writes) == 1 else None
        if a.action == DELETE and a.type.requests is not None:  # a schedule ends through its request
            return [(self._request(a, a.type.requests.remove), [])]
        if a.action == DELETE and not a.type.contained:  # apply --prune (directory objects: to deleted items)
            return [(self._write(a, "DELETE", a.type.item_path(a.id)), [])]
        if a.action == LINK and rel is not None:
            return self._link_writes(a, rel)
        if a.action == UNLINK and rel is not None and not rel.holds_items:
            oid = self.idmap.new_id(a.id)
            if rel.param:  # an action naming the linked object (a lifecycle policy's removeGroup)
                return [
                    (self._write(a, "POST", rel.remove_path(oid, ""), {rel.param: str(c.old)}), [])
                    for c in a.changes
                ]
            if rel.on_target:
                return [
                    (self._write(a, "DELETE", self._on_target(rel, oid, str(c.old))[1]), [])
                    for c in a.changes
                ]
            if rel.kind == "ref-single":
                return [(self._write(a, "DELETE", rel.remove_path(oid, "")), [])]
            return [(self._write(a, "DELETE", rel.remove_path(oid, str(c.old))), []) for c in a.changes]
        return None

    def _link_writes(self, a: Action, rel: Relationship) -> list[Planned]:
        oid, new = self.idmap.new_id(a.id), self.idmap.new_id
        if (
            rel.kind == "extension-property"
        ):  # created under its short name (application-post-extensionproperty.md)
            return [
                (self._write(a, "POST", rel.add_path(oid), _definition(c.new)), [str(c.new.get("name"))])
                for c in a.changes
            ]
        if rel.kind == "app-role-assignment":
            return [
                (
                    self._write(
                        a,
                        "POST",
                        rel.add_path(oid),
                        {
                            "principalId": new(c.new["principalId"]),
                            "resourceId": oid,
                            "appRoleId": c.new["appRoleId"],
                        },
                    ),
                    [new(c.new["principalId"])],
                )
                for c in a.changes
            ]
        added = [new(str(c.new)) for c in a.changes]
        if rel.param:  # an action naming the linked object (a lifecycle policy's addGroup)
            return [(self._write(a, "POST", rel.add_path(oid), {rel.param: ref}), [ref]) for ref in added]
        if rel.on_target:  # the policy is assigned on its holder (catalog/token_policies.py)
            body = {"@odata.id": f"{GRAPH_ROOT}/{a.type.item_path(oid)}"}
            return [(self._write(a, "POST", self._on_target(rel, oid, ref)[0], body), [ref]) for ref in added]
        if rel.kind == "ref-single":
            return [(self._write(a, rel.add_method, rel.add_path(oid), _ref(added[0])), added[:1])]
        if a.type.name == "groups" and rel.name == "members" and len(added) > 1:
            chunks = [added[i : i + BIND_LIMIT] for i in range(0, len(added), BIND_LIMIT)]
            return [
                (
                    self._write(
                        a,
                        "PATCH",
                        a.type.item_path(oid),
                        {"members@odata.bind": [f"{GRAPH_ROOT}/directoryObjects/{r}" for r in chunk]},
                    ),
                    chunk,
                )
                for chunk in chunks
            ]
        return [(self._write(a, "POST", rel.add_path(oid), _ref(ref)), [ref]) for ref in added]

    def _on_target(self, rel: Relationship, oid: str, ref: str) -> tuple[str, str]:
        """(add, remove) paths of a link Graph writes on the linked object. Where it can be of several
        collections (an app management policy's application or service principal), a read of it in the
        first one tells which: 404 there means the other."""
        owner = rel.targets[-1]
        for candidate in rel.targets[:-1]:
            try:
                self.client.request("GET", f"{candidate}/{ref}", params={"$select": "id"})
            except GraphError as exc:
                if exc.status != 404:
                    raise
                continue
            owner = candidate
            break
        return rel.target_paths(oid, ref, owner)

    def settle(self, a: Action, done: Sequence[tuple[Write, list[str], WriteResult]]) -> str:
        """The action's result from its writes' results; raises the first refusal that is a failure. A link
        already there (an undelete brings memberships back, user-delete.md) is done, one whose target is gone
        a warning; a link or an object already gone (404) is removed."""
        if a.action == LINK:
            assert a.relationship is not None
            outcomes = [o for w, refs, r in done for o in self._link_outcomes(a, w, refs, r)]
            return _link_summary(a.relationship.name, outcomes)
        if a.action == RECREATE:
            return self._created(a, done[0][2])
        for _, _, r in done:
            if isinstance(r, GraphError) and not (a.action in (UNLINK, DELETE) and r.status == 404):
                raise r
        if a.action == UNLINK:
            assert a.relationship is not None
            return f"{a.relationship.name}: removed {len(a.changes)}"
        return "deleted" if a.action == DELETE else _updated(a)

    def _created(self, a: Action, r: WriteResult) -> str:
        """The result of a batched creation: the new id mapped, or the pending mark dropped when Graph
        refused it (a 4xx other than 408 and 429 created nothing; anything else may have: the mark stays, and
        a run again looks for the object before creating another)."""
        if isinstance(r, GraphError):
            if r.status is not None and 400 <= r.status < 500 and r.status not in (408, 429):
                self.idmap.pending.pop(a.id, None)
                self.mapped()
            raise r
        new = self._new_id(a, r)
        if not new:
            raise _NotDone(f"Graph created {a.type.name} without returning its id")
        self._mapped(a, new)
        return f"created as {new}"

    def _link_outcomes(self, a: Action, w: Write, refs: list[str], r: WriteResult) -> list[str]:
        if not isinstance(r, GraphError):
            return [ADDED] * len(refs)
        if w.method == "PATCH" and r.status in (400, 404):  # one bad reference fails a whole bind
            assert a.relationship is not None
            path = a.relationship.add_path(self.idmap.new_id(a.id))
            return [self._add(a, "POST", path, _ref(ref)) for ref in refs]
        return [_link_refusal(r)]

    def _add(self, a: Action, method: str, path: str, body: dict[str, Any]) -> str:
        try:
            self._send(a, method, path, body)
            return ADDED
        except GraphError as exc:
            return _link_refusal(exc)

    def unlink(self, a: Action) -> str:
        """App role assignments are removed by their ids, which a read finds; one already gone is done."""
        rel = a.relationship
        assert rel is not None
        oid = self.idmap.new_id(a.id)
        live = list(self.client.list(rel.read_path(oid)))
        same = ("name",) if rel.kind == "extension-property" else ("appRoleId", "principalId")
        paths = [
            rel.remove_path(oid, str(found["id"]))
            for item in (c.old for c in a.changes)
            for found in live
            if all(found.get(f) == item.get(f) for f in same)
        ]
        for path in paths:
            self._gone_ok(a, "DELETE", path)
        return f"{rel.name}: removed {len(a.changes)}"

    def contained(self, a: Action) -> str:
        """Contained items put as the revision has them: the live ones read for their ids (a file keeps
        none), each change one write: DELETE the item removed, PATCH the item changed (or, where Graph has
        no update, DELETE and POST it: `Relationship.updatable`), POST the item missing."""
        rel = a.relationship
        assert rel is not None
        oid = self.idmap.new_id(a.id)
        try:
            live = list(self.client.list(rel.read_path(oid)))
        except GraphError as exc:
            if not (rel.missing_is_404 and exc.status == 404):
                raise
            live = []  # (a managed domain: no federation configuration)
        ids = {rel.item_key(i): str(i.get("id")) for i in live}
        counts = {"added": 0, "changed": 0, "removed": 0}
        for c in a.changes:
            old, new = _dicts([c.old]), _dicts([c.new])
            ref = ids.get(rel.item_key(old[0] if old else new[0]))
            if old and ref and (not new or not rel.updatable):
                self._gone_ok(a, "DELETE", rel.remove_path(oid, ref))
                ref = None
            if new and ref:  # the properties that differ (a credential's name cannot change, and is its key)
                body = {k: v for k, v in with_nulls(new[0], old[0]).items() if v != old[0].get(k)}
                if "@odata.type" in new[0]:  # a polymorphic item says which kind it is
                    body = {"@odata.type": new[0]["@odata.type"], **body}
                self._send(a, "PATCH", rel.remove_path(oid, ref), body)
            elif new:
                self._send(a, "POST", rel.add_path(oid), new[0])
            counts["removed" if not new else "changed" if old else "added"] += 1
        return f"{rel.name}: " + ", ".join(f"{n} {what}" for what, n in counts.items() if n)

    def _gone_ok(self, a: Action, method: str, path: str) -> None:
        """A write whose target may already be gone (404: what it was to remove is not there)."""
        try:
            self._send(a, method, path)
        except GraphError as exc:
            if exc.status != 404:
                raise

    def run_many(self, planned: Sequence[tuple[Action, list[Planned]]]) -> list[Result]:
        """Independent actions' writes together (GraphClient.write_many); each action's result from its
        own writes'."""
        flat = [w for _, writes in planned for w, _ in writes]
        if any(a.action == RECREATE for a, _ in planned):
            self.mapped()  # the pending marks are on disk before the creations go out
        answers = iter(self.client.write_many(flat))
        results: list[Result] = []
        for a, writes in planned:
            done = [(w, refs, next(answers)) for w, refs in writes]
            try:
                results.append(Result(a, OK, self.settle(a, done)))
            except (GraphError, _NotDone) as exc:
                results.append(Result(a, FAILED, str(exc)))
        return results


Planned = tuple[Write, list[str]]  # a write and the link targets it adds


def _ref(target: str) -> dict[str, str]:
    return {"@odata.id": f"{GRAPH_ROOT}/directoryObjects/{target}"}


def _link_refusal(exc: GraphError) -> str:
    if exc.status == 400 and "already exist" in exc.message:
        return PRESENT
    if exc.status == 404:
        return GONE
    raise exc


def _updated(a: Action) -> str:
    return "updated " + ", ".join(c.path for c in a.changes) if a.changes else "nothing to update"


ADDED, PRESENT, GONE = "added", "already there", "target no longer exists (warning)"


def _link_summary(name: str, outcomes: Sequence[str]) -> str:
    counts = {o: outcomes.count(o) for o in (ADDED, PRESENT, GONE) if o in outcomes}
    return f"{name}: " + ", ".join(f"{n} {o}" for o, n in counts.items())


class _NotDone(Exception):
    """An action this version cannot carry out (reported as failed, never raised to the user)."""


class _Partly(Exception):
    """The object is back but a later write of the same action failed: its links can still be restored."""


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [i for i in value or () if isinstance(i, dict)]


def _depends_on(a: Action) -> set[str]:
    """Object ids an action needs to exist: its own, those of the objects recreated in this run that it
    names (`Action.needs`), and for links the ids it adds."""
    ids = {a.id, *a.needs}
    if a.action == LINK and not _contained(a):
        ids |= {_target(c) for c in a.changes}
    return ids


def _contained(a: Action) -> bool:
    """A link action on entities kept inside the object (they name no other object)."""
    return a.action in (LINK, UNLINK) and a.relationship is not None and a.relationship.kind == "contained"


def _target(c: Change) -> str:
    """The object a link change adds: an id, or an app role assignment's principal (a directory extension
    definition names none: its application's own id stands in)."""
    if isinstance(c.new, Mapping):
        return str(c.new.get("principalId") or "")
    return str(c.new)


def apply(
    client: GraphClient,
    actions: Sequence[Action],
    report: Callable[[Result], None],
    idmap: IdMap,
    mapped: Callable[[], None],
    *,
    send_invitations: bool = False,
    reveal: Reveal = unseen,
) -> list[Result]:
    """Carry out the actions in order; each result goes to `report` as soon as it is known, each new id to
    `mapped` (after it is in idmap), each recreated user's temporary password to `reveal`."""
    writer = Writer(client, idmap, mapped, send_invitations, reveal)
    # ids whose undelete (or recreate) failed, or was refused: what names them is not attempted
    missing: set[str] = {a.id for a in actions if a.action == REFUSE and a.gone}
    results: list[Result] = []
    queue = order(actions)
    partial: dict[int, tuple[Action, str]] = {}  # a link action cut short → the whole one, what waits
    i = 0
    while i < len(queue):
        wave: list[tuple[Action, list[Planned]]] = []
        while i < len(queue) and (not wave or _phase(queue[i]) == _phase(wave[0][0])):
            whole = queue[i]
            queue[i], waiting = _without_missing(whole, missing)
            if waiting:  # the links to objects that are not back wait; the others go ahead
                partial[id(queue[i])] = (whole, waiting)
            planned = writer.writes(queue[i]) if not _depends_on(queue[i]) & missing else None
            if planned is None:
                break
            wave.append((queue[i], planned))
            i += 1
        if wave:
            done = writer.run_many(wave)
            missing |= {r.action.id for r in done if r.status == FAILED and r.action.action != UPDATE}
        else:
            done = [_run_one(writer, queue[i], missing)]
            i += 1
        for result in done:
            if id(result.action) in partial:  # one result for the action as planned
                whole, waiting = partial.pop(id(result.action))
                status = NOT_ATTEMPTED if result.status == OK else result.status
                result = Result(whole, status, f"{result.message}; {waiting}")
            results.append(result)
            report(result)
    return results


def _without_missing(a: Action, missing: set[str]) -> tuple[Action, str]:
    """A link action adding several targets, some of which are not back (their restore failed or was
    refused): the others are still added; the action is then reported not attempted for the rest, so that
    it is not recorded as done and planning again shows what waits."""
    if a.action != LINK or a.id in missing or _contained(a):
        return a, ""
    waiting = [c for c in a.changes if _target(c) in missing]
    if not waiting or len(waiting) == len(a.changes):
        return a, ""
    names = sorted({_target(c) for c in waiting})
    kept = replace(a, changes=[c for c in a.changes if c not in waiting], needs=a.needs - set(names))
    return kept, f"not attempted for {', '.join(names)}, which was not restored"


def _phase(a: Action) -> str:
    """Actions of one phase and kind are independent once the objects before them exist; creations only
    within one rank (a policy's body names the new id of a location created just before it)."""
    if a.late:
        return "extension values"
    return f"{a.action}:{a.type.rank}" if a.action == RECREATE else a.action


def _definition(item: Any) -> dict[str, Any]:
    """The body that creates a directory extension definition again: its short name (the part after
    `extension_{appId}_`, which Graph prefixes with the app's appId), dataType, isMultiValued, targets."""
    name = str(item.get("name") or "")
    short = name.split("_", 2)[2] if canonical.extension_owner(name) else name
    return {
        "name": short,
        "dataType": item.get("dataType"),
        "isMultiValued": bool(item.get("isMultiValued")),
        "targetObjects": list(item.get("targetObjects") or []),
    }


def _run_one(writer: Writer, a: Action, missing: set[str]) -> Result:
    own = {a.id} if a.action in OBJECT_ACTIONS else set()
    blocked = (_depends_on(a) - own) & missing
    if blocked:
        if a.action in (RECREATE, UNDELETE):  # what depends on this object is not attempted either
            missing.add(a.id)
        return Result(a, NOT_ATTEMPTED, f"needs {', '.join(sorted(blocked))}, which was not restored")
    try:
        return Result(a, OK, writer.run(a))
    except _Partly as exc:  # the object is back: its links can still be restored
        return Result(a, FAILED, str(exc))
    except (GraphError, _NotDone) as exc:
        if a.action != UPDATE:
            missing.add(a.id)
        return Result(a, FAILED, str(exc))
