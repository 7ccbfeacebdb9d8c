"""Restore: bring objects back to what a revision of the backup repository says, through Graph.

`make_plan` reads the desired objects (desired.py) and the live ones (sources.py), and decides (plan.py);
`apply` (apply.py) carries a plan out. Nothing is written before the whole plan is known and checked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from entragit import canonical, catalog
from entragit.errors import EntragitError, UsageError
from entragit.graph.client import GraphClient, odata_string
from entragit.restore import desired as desired_mod
from entragit.restore import holders, record
from entragit.restore import idmap as idmap_mod
from entragit.restore.apply import Result, Reveal, apply, unseen
from entragit.restore.desired import Desired, is_deleted
from entragit.restore.idmap import IdMap
from entragit.restore.plan import (
    LINK,
    RECREATE,
    REFUSE,
    SKIP,
    Action,
    Facts,
    Options,
    plan_object,
    plan_removal,
)
from entragit.restore.sources import Backup, Live, Revision, linked_name


@dataclass
class Plan:
    revision: Revision
    actions: list[Action]
    names: dict[str, str]  # id → display name, for showing links
    idmap: IdMap
    sources: frozenset[str]  # shas of the commits the desired objects were read at
    notes: list[str] = field(default_factory=list)  # what the plan could not compare, one line each

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"revision": self.revision.sha, "actions": [a.to_json() for a in self.actions]}
        if self.notes:
            out["notes"] = self.notes
        return out


def record_drift(backup: Backup, plan: Plan, summary: str) -> str | None:
    """Record a whole-tenant plan as the repository's drift check: when, against which backup, whether the
    tenant differs from it, and how many actions would bring it back; why it was not recorded (a read-only
    repository), else None."""
    changes = [a for a in plan.actions if a.action != SKIP]
    return backup.record_drift(
        {
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "against": plan.revision.sha,
            "drifted": bool(changes),
            "changes": len(changes),
            "summary": summary,
        },
    )


def _check_only(only: Sequence[str] | None, types: set[catalog.ObjectType]) -> frozenset[str] | None:
    if not only:
        return None
    names = {n.strip() for n in only if n.strip()}
    known = {p for t in types for p in (*t.select, *(r.name for r in t.relationships))}
    takes = any(t.extension_target for t in types)
    unknown = sorted(n for n in names - known if not (takes and n.startswith(catalog.EXTENSION_PREFIX)))
    if unknown:
        listed = ", ".join(sorted(t.name for t in types)) or "the selected objects"
        raise UsageError(f"--only: {', '.join(unknown)} is no attribute or relationship of {listed}")
    return frozenset(names)


def _upn_holder(client: GraphClient, d: Desired, upn: str) -> tuple[str, str] | None:
    """The active user other than d holding upn now (user-list.md: $filter on userPrincipalName)."""
    params = {"$filter": f"userPrincipalName eq {odata_string(upn)}", "$select": "id,displayName"}
    for u in client.list("users", params):
        if u.get("id") != d.id:
            return str(u.get("id")), str(u.get("displayName") or u.get("id"))
    return None


def _extensions_defined(
    backup: Backup, rev: Revision, pairs: Sequence[tuple[Desired, Live]]
) -> frozenset[str]:
    """The extension names the revision's applications define, when a live object of the plan takes
    extension values (so that a value set since on it is cleared); read from the application files only
    then."""
    if not any(d.type.extension_target and obj is not None for d, obj in pairs):
        return frozenset()
    return backup.extensions_defined(rev.sha)


def _facts(
    client: GraphClient,
    d: Desired,
    live: dict[str, Any] | None,
    new_upn: str | None,
    pending: Collection[str],
    extensions: frozenset[str] = frozenset(),
) -> Facts:
    return replace(_user_facts(client, d, live, new_upn, pending), extensions=extensions)


def _user_facts(
    client: GraphClient,
    d: Desired,
    live: dict[str, Any] | None,
    new_upn: str | None,
    pending: Collection[str],
) -> Facts:
    """Who holds the user's userPrincipalName now, where the plan would give it to the user: an undelete,
    a recreation (Graph refuses a taken UPN either way) or a change of UPN. A user an interrupted restore
    may have created already holds it: the recreation finds it (resume.py), it is no refusal."""
    if d.type.name != "users" or d.deleted or (live is None and d.id in pending):
        return Facts()
    upn = new_upn or d.obj.get("userPrincipalName")
    if not isinstance(upn, str) or (
        live is not None and upn == live.get("userPrincipalName") and not is_deleted(live)
    ):
        return Facts(new_upn=new_upn)
    return Facts(_upn_holder(client, d, upn), new_upn)


def _pending(recreated: Sequence[Action]) -> IdMap | None:
    """Stand-ins for the ids (and appIds) the recreated objects will get, shown in the plan as such."""
    if not recreated:
        return None
    pending = IdMap({a.id: f"(new id of {a.id})" for a in recreated})
    for a in recreated:
        if a.type.name == "applications" and a.desired.get("appId"):
            pending.app_ids[str(a.desired["appId"])] = f"(new appId of {a.desired['appId']})"
    return pending


def _deleted_relatives(
    backup: Backup, at: str | None, wanted: Sequence[Desired], idmap: IdMap, client: GraphClient
) -> list[tuple[Desired, dict[str, Any] | None]]:
    """Linked objects (relationships only) that are soft- or hard-deleted now and have a file to restore
    from; a target without any file is left to the links phase, which reports it as a warning."""
    have = {d.id for d in wanted}
    linked = {
        ref.value
        for d in wanted
        for ref in canonical.find_references(d.type, d.obj)
        if d.type.relationship(ref.path) is not None
    } - have
    relatives: list[Desired] = []
    for oid in sorted(linked):
        try:
            [found] = desired_mod.read(backup, [oid], at)[1]
        except EntragitError:
            continue
        relatives.append(replace(found, id=idmap.new_id(found.id), obj=idmap.rewrite(found.type, found.obj)))
    live = backup.read_live_many([(d.type, d.id) for d in relatives], client)
    return [(d, obj) for d, obj in zip(relatives, live, strict=True) if obj is None or is_deleted(obj)]


def make_plan(
    backup: Backup,
    specs: Sequence[str],
    *,
    at: str | None = None,
    only: Sequence[str] | None = None,
    relationships: bool = True,
    sub_objects: bool = False,
    new_upn: str | None = None,
    types: Sequence[str] = (),
    client: GraphClient,
) -> Plan:
    """What a restore of specs (every object of the revision when empty, of the given types only when
    types are named) would do now; with sub_objects, also of the members, owners and managers they link to
    that are deleted themselves."""
    idmap = idmap_mod.load(backup.root)
    if not specs:  # every object of the revision is in the plan already: no relatives to add
        if new_upn is not None:
            raise UsageError("--new-upn needs exactly one object, a user")
        kinds = {catalog.by_name(name) for name in types} or set(catalog.CATALOG)
        skipped = [t for t in backup.out_of_reach() if t in kinds]
        rev, wanted, live, held = _unlike_live(backup, at, idmap, client, kinds - set(skipped))
        opts = Options(_check_only(only, held), relationships)
        plan = _plan(backup, rev, wanted, opts, idmap, client, live=live, whole=True)
        plan.notes += _not_compared(backup, skipped)
        return plan
    if types:
        raise UsageError("--type narrows a plan of every object: name objects or types, not both")
    rev, wanted = desired_mod.read(backup, specs, at)
    _within_reach(backup, wanted, named=True)
    if new_upn is not None and [d.type.name for d in wanted] != ["users"]:
        raise UsageError("--new-upn needs exactly one object, a user")
    opts = Options(_check_only(only, {d.type for d in wanted}), relationships)

    def relatives(wanted: list[Desired]) -> list[tuple[Desired, dict[str, Any] | None]]:
        return _deleted_relatives(backup, at, wanted, idmap, client) if sub_objects else []

    return _plan(
        backup,
        rev,
        wanted,
        opts,
        idmap,
        client,
        new_upn=new_upn,
        relatives=relatives,
        inbound_refs=True,
        at=at,
    )


def _with_attachments(
    backup: Backup, actions: list[Action], rev: Revision, revisions: dict[str, Revision]
) -> list[Action]:
    """Recreates of a type with attachments (catalog `attachments`: an agreement's PDFs, which Graph never
    returns but a create requires) carry each item's file, read beside the object's file at the revision
    restored to (a backup never removes them: an admin commits them, maybe after the object's last
    change), else where the object's file was read, else at HEAD; one missing everywhere makes the recreate
    a refusal naming the file to commit."""
    out = []
    for a in actions:
        if a.action != RECREATE or a.type.attachments is None:
            out.append(a)
            continue
        prop, key, _ext = a.type.attachments
        places = [rev, revisions.get(a.path) or backup.revision(a.revision or None), backup.revision(None)]
        found: dict[str, bytes] = {}
        missing: list[str] = []
        for item in a.desired.get(prop) or []:
            path = catalog.attachment_path(a.type, a.path, str(item.get(key) or ""))
            data = next(filter(None, (backup.attachment(r, path) for r in places)), None)
            if data is None:
                missing.append(path)
            else:
                found[str(item.get(key))] = data
        if missing:
            why = (
                f"cannot be recreated: Graph never returns the {prop} it needs (its reads give no file "
                f"data), and the repository has no {', '.join(missing)}: commit the file(s) there and "
                "restore again"
            )
            out.append(replace(a, action=REFUSE, reason=why, gone=True))
        else:
            out.append(replace(a, attachments=found))
    return out


def _not_compared(backup: Backup, skipped: Sequence[catalog.ObjectType]) -> list[str]:
    """The note of a whole-tenant plan on types its sign-in cannot reach, where the repository has files of
    them (a repository that never had any is not told on every plan)."""
    return [
        f"{t.name} not compared: {t.delegated_only}"
        for t in skipped
        if (Path(backup.root) / t.folder).is_dir()
    ]


def _within_reach(
    backup: Backup, wanted: list[Desired], named: bool
) -> tuple[list[Desired], list[catalog.ObjectType]]:
    """The objects the restore's sign-in can reach, and the types it cannot (`out_of_reach`) it left out.
    Objects named on the command line are refused instead, naming the first (a usage error)."""
    skipped = set(backup.out_of_reach())
    for d in wanted:
        if named and d.type in skipped:
            raise UsageError(f"{d.path}: {d.type.delegated_only}")
    left = sorted({d.type for d in wanted if d.type in skipped}, key=lambda t: t.name)
    return [d for d in wanted if d.type not in skipped], left


def _unlike_live(
    backup: Backup,
    at: str | None,
    idmap: IdMap,
    client: GraphClient,
    types: set[catalog.ObjectType] | None = None,
) -> tuple[Revision, list[Desired], list[Live], set[catalog.ObjectType]]:
    """A whole revision against the live tenant: the desired objects whose files differ from what a backup
    would write now, with their live objects, and the types the revision holds. Only those files are
    parsed; an equal text plans nothing (both sides are canonical), and at 100k objects parsing every file
    would cost about as much as reading the tenant; nor are the texts held: each file's digest is compared
    with the digest of what a backup would write now. A file naming an id the id map replaced (found by
    `git grep`) is planned in full whatever its digest: its live holder may name the old id as well."""
    rev, digests = desired_mod.revision_digests(backup, at)
    by_key = {
        (t, idmap.new_id(oid)): path
        for path in digests
        if (parsed := catalog.parse_path(path)) is not None
        for t, oid in [parsed]
        if types is None or t in types
    }
    # Files naming an object an earlier restore replaced differ from the tenant whatever their digest says:
    # the live holder may still name the old id too (conditional access keeps ids of deleted objects).
    renamed = set(backup.mentioning(rev.sha, {*idmap.ids, *idmap.app_ids}))
    unlike = backup.read_live_unlike(
        {k: "" if path in renamed else digests[path] for k, path in by_key.items()},
        client,
    )
    paths = [by_key[k] for k in unlike]
    texts = backup.read_files(rev.sha, paths)
    wanted = [
        desired_mod.load(p, text, rev) for p, text in zip(paths, texts, strict=True) if text is not None
    ]
    return rev, wanted, list(unlike.values()), {t for t, _ in by_key}


def make_apply_plan(
    backup: Backup, specs: Sequence[str], *, prune: bool = False, client: GraphClient
) -> Plan:
    """What `apply` would do: the work tree's object files under specs (every one when empty) as the desired
    state, each file checked before anything is read live; with prune, objects whose files were removed
    (at HEAD or the latest backup, not in the work tree) are deleted."""
    rev, wanted = desired_mod.read_worktree(backup, specs)
    wanted, skipped = _within_reach(backup, wanted, named=any(s.endswith(".yaml") for s in specs))
    idmap = idmap_mod.load(backup.root)
    plan = _plan(backup, rev, wanted, Options(), idmap, client)
    plan.notes += _not_compared(backup, skipped)
    if prune:
        removals = _removals(backup, specs, rev, idmap, client)
        plan.actions = _without_links_to({a.id for a in removals}, plan.actions) + removals
    return plan


def _without_links_to(ids: set[str], actions: list[Action]) -> list[Action]:
    """Links to the objects being pruned are left out: the deleted object takes its memberships along, and
    the next backup drops them from the other files."""
    if not ids:
        return actions
    out: list[Action] = []
    for a in actions:
        if a.action == LINK:
            kept = [c for c in a.changes if str(c.new) not in ids]
            if not kept:
                continue
            a = replace(a, changes=kept)
        out.append(a)
    return out


def _removals(
    backup: Backup, specs: Sequence[str], rev: Revision, idmap: IdMap, client: GraphClient
) -> list[Action]:
    """Deletions for the committed object files (under specs) that the work tree no longer has."""
    gone = backup.removed_paths(specs)
    removed: list[Desired] = []
    for path, text in zip(gone, backup.committed_text(gone), strict=True):
        parsed = catalog.parse_path(path)
        if parsed is not None and text is not None:
            t, oid = parsed
            removed.append(Desired(path, t, idmap.new_id(oid), canonical.load(text, source=path), rev))
    live = backup.read_live_many([(d.type, d.id) for d in removed], client)
    return [a for d, obj in zip(removed, live, strict=True) for a in plan_removal(d, obj)]


def _plan(
    backup: Backup,
    rev: Revision,
    wanted: list[Desired],
    opts: Options,
    idmap: IdMap,
    client: GraphClient,
    *,
    new_upn: str | None = None,
    relatives: Callable[[list[Desired]], list[tuple[Desired, Live]]] = lambda _w: [],
    live: list[Live] | None = None,
    inbound_refs: bool = False,
    at: str | None = None,
    whole: bool = False,
) -> Plan:
    """Desired objects against live ones (read here unless given, in the order of wanted) → the plan
    (shared by restore, from a revision, and apply, from the work tree). With inbound_refs, the references
    other objects held to what the plan recreates are put back too (a plan of named objects; a plan of
    every object has those objects in it already)."""
    # Objects recreated by an earlier restore are read (and compared) as their successors.
    wanted = [replace(d, id=idmap.new_id(d.id), obj=idmap.rewrite(d.type, d.obj)) for d in wanted]
    if live is None:
        live = backup.read_live_many([(d.type, d.id) for d in wanted], client)
    for d, obj in relatives(wanted):
        wanted.append(d)
        live.append(obj)
    pairs = sorted(zip(wanted, live, strict=True), key=lambda p: (p[0].type.rank, p[0].path))
    defined = _extensions_defined(backup, rev, pairs)
    facts = [_facts(client, d, obj, new_upn, idmap.pending, defined) for d, obj in pairs]
    planned = [plan_object(d, obj, opts, f) for (d, obj), f in zip(pairs, facts, strict=True)]
    if inbound_refs:  # what Graph deleted with a named object and does not bring back with it
        more = holders.followers(
            backup, at, [d for d, _ in pairs], [a for acts in planned for a in acts], client
        )
        if more:
            pairs = sorted([*pairs, *more], key=lambda p: (p[0].type.rank, p[0].path))
            facts = [_facts(client, d, obj, new_upn, idmap.pending, defined) for d, obj in pairs]
            planned = [plan_object(d, obj, opts, f) for (d, obj), f in zip(pairs, facts, strict=True)]
    pending = _pending([a for acts in planned for a in acts if a.action == RECREATE])
    if pending is not None:  # again, now knowing which objects get a successor
        planned = [
            acts
            if any(a.action == RECREATE for a in acts)
            # a follower of a recreated object is created anew for the successor, not undeleted for the old
            else plan_object(
                d, None if holders.follows(d, pending) else obj, opts, replace(f, pending=pending)
            )
            for (d, obj), f, acts in zip(pairs, facts, planned, strict=True)
        ]
    actions = holders.without_undeleted([a for acts in planned for a in acts])
    if whole and pending is not None:
        actions += holders.equal_holders(backup, rev, wanted, actions, opts, idmap, pending, client)
    if inbound_refs and opts.relationships:
        actions += holders.inbound_actions(
            backup, at, [d for d, _ in pairs], actions, opts, idmap, pending, client
        )
    actions = holders.made_elsewhere(backup, actions, idmap)
    actions = _with_attachments(backup, actions, rev, {d.path: d.revision for d in wanted})
    actions = holders.granted_elsewhere(backup, actions, idmap)
    holders.mark_needs(actions)
    linked = {
        str(v.get("principalId") if isinstance(v, dict) else v)
        for a in actions
        for c in a.changes
        if (rel := a.type.relationship(c.path)) is not None and rel.kind != "contained"
        for v in (c.old, c.new)
        if v is not None
    }
    by_links = {id(a): [str(a.desired[k]) for k in a.type.named_by if a.desired.get(k)] for a in actions}
    linked.update(x for ids in by_links.values() for x in ids)
    linked.update(x for a in actions for c in a.changes for v in (c.old, c.new) for x in _listed(v))
    names = backup.names(rev.sha, linked) if actions else {}
    if linked - names.keys():  # successors an earlier restore created, named as the latest backup has them
        names.update(backup.names(None, linked - names.keys()))
    names.update({a.id: a.name for a in actions if a.action == RECREATE})  # gone from the revision's names
    for a in actions:  # role assignments and grants: `Global Administrator → Megan Bowen`, not an id
        if by_links[id(a)]:
            a.name = linked_name(by_links[id(a)], names)
    notes = backup.unreadable({d.type for d in wanted}, client)
    return Plan(rev, actions, names, idmap, frozenset(d.revision.sha for d in wanted), notes)


def _listed(value: Any) -> list[str]:
    """The strings of the lists in a changed value (a CA policy's excluded users): the plan shows each
    element added or removed, ids by name."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _listed(v)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def run(
    backup: Backup,
    plan: Plan,
    client: GraphClient,
    report: Callable[[Result], None],
    *,
    send_invitations: bool = False,
    reveal: Reveal = unseen,
) -> tuple[list[Result], str | None]:
    """Apply a plan and record it in one commit. The id map is saved after each creation; should the run
    end early (Ctrl-C, a crash), it is still committed: a mapping once made is never lost. Returns the
    results and the commit recording them (None when the repository already matched). A recreated user's
    temporary password goes to `reveal` only (see apply.Reveal)."""
    results: list[Result] | None = None
    saved = False

    def save() -> None:
        nonlocal saved
        idmap_mod.save(backup.root, plan.idmap)
        saved = True

    try:
        results = apply(
            client, plan.actions, report, plan.idmap, save, send_invitations=send_invitations, reveal=reveal
        )
    finally:
        if results is None and saved:
            message = f"restore: id map after recreating objects of {plan.revision.short} (interrupted)"
            backup.commit_file([idmap_mod.FILE], message)
    return results, record.record(backup, results, plan.revision, plan.idmap, client)
