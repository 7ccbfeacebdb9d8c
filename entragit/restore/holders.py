"""The objects that refer to what a restore brings back, and what waits for what.

A plan of named objects that recreates one also plans, on other objects, the references they held to it
(`inbound_actions`, deciding through inbound.py) and the objects Graph deleted with it and does not restore
with it (`followers`: an application's service principal). A whole-tenant plan, which leaves out files equal
to the tenant, still plans those that name an object it recreates (`equal_holders`). Finally each action
learns which objects its writes need back (`mark_needs`), what an undelete brings back itself is left out
(`without_undeleted`), and what another object makes is restored through it (`made_elsewhere`,
`granted_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Collection, Container
from dataclasses import replace
from typing import Any

from entragit import canonical, catalog
from entragit.graph.client import GraphClient
from entragit.restore import desired as desired_mod
from entragit.restore import inbound
from entragit.restore.desired import Desired, is_deleted
from entragit.restore.idmap import IdMap
from entragit.restore.plan import LINK, RECREATE, REFUSE, SKIP, UNDELETE, Action, Facts, Options, plan_object
from entragit.restore.sources import Backup, Live, Revision


def _files_naming(backup: Backup, rev: Revision, ids: Collection[str], skip: Container[str]) -> list[Desired]:
    """The object files at rev that name any of ids (one `git grep`, one read of the few it finds), but
    those in skip and those of objects soft-deleted at rev."""
    paths = [p for p in backup.mentioning(rev.sha, ids) if p not in skip]
    return [
        d
        for path, text in zip(paths, backup.read_files(rev.sha, paths), strict=True)
        if text is not None
        for d in [desired_mod.load(path, text, rev)]
        if not d.deleted
    ]


def without_undeleted(actions: list[Action]) -> list[Action]:
    """What an undelete in the same plan brings back itself is left out (directory-deleteditems-restore.md:
    the object comes back with its memberships and role assignments): refusals that ask only for links to
    it (mail-enabled groups included, so nothing is left undone there), and recreations of the objects that
    are nothing but a reference to it (its role assignments, grants), which would conflict with the
    originals coming back."""
    undeleted = {a.id for a in actions if a.action == UNDELETE}
    if not undeleted:
        return actions

    def brought_back(a: Action) -> bool:
        if a.action == RECREATE and inbound.is_link_object(a.type):
            return bool({r.value for r in canonical.find_references(a.type, a.desired)} & undeleted)
        return (
            a.action == REFUSE
            and bool(a.changes)
            and all(
                a.type.relationship(c.path) is not None and c.old is None and c.new in undeleted
                for c in a.changes
            )
        )

    return [a for a in actions if not brought_back(a)]


def made_elsewhere(backup: Backup, actions: list[Action], idmap: IdMap) -> list[Action]:
    """Recreations of objects another object makes (catalog `made_by`: the role assignment of a time-bound
    or activated PIM assignment) become skips when the revision they were read at holds that maker: the
    maker's own restore brings them back as they were (or, for an activation or an expired schedule,
    rightly does not), where a recreation on their own would make the role permanent."""
    makers: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}

    def files(sha: str, name: str) -> list[tuple[str, dict[str, Any]]]:
        if (sha, name) not in makers:
            t = catalog.by_name(name)
            paths = [p for p in backup.object_paths(sha) if catalog.type_for_path(p) is t]
            makers[sha, name] = [
                (path, idmap.rewrite(t, canonical.load(text, source=path)))
                for path, text in zip(paths, backup.read_files(sha, paths), strict=True)
                if text is not None
            ]
        return makers[sha, name]

    out: list[Action] = []
    for a in actions:
        if a.action == RECREATE and a.type.made_by and a.revision:
            keys = a.type.unique
            maker = next(
                (
                    path
                    for path, obj in files(a.revision, a.type.made_by)
                    if all(obj.get(k) == a.desired.get(k) for k in keys)
                ),
                None,
            )
            if maker is not None:
                a = replace(a, action=SKIP, changes=[], patch=[], reason=f"restored through {maker}")
        out.append(a)
    return out


def granted_elsewhere(backup: Backup, actions: list[Action], idmap: IdMap) -> list[Action]:
    """Links an object of another type grants while it lasts (catalog `grants`: the membership an active PIM
    for Groups schedule gives) are left out of the links a restore adds, when the revision they were read at
    holds that schedule: its own restore brings the membership back for its time (an activation, or one
    that ended, rightly not), where adding the member would make the membership permanent."""
    granting = [(t, g) for t in catalog.CATALOG for g in t.grants]
    cache: dict[tuple[str, str], set[tuple[str, str, str]]] = {}

    def granted(sha: str, name: str) -> set[tuple[str, str, str]]:
        if (sha, name) not in cache:
            cache[sha, name] = set()
            for t, g in granting:
                if g.type != name:
                    continue
                paths = [p for p in backup.object_paths(sha) if catalog.type_for_path(p) is t]
                for path, text in zip(paths, backup.read_files(sha, paths), strict=True):
                    obj = idmap.rewrite(t, canonical.load(text, source=path)) if text is not None else {}
                    if obj and obj.get(g.when[0]) == g.when[1]:
                        cache[sha, name].add((g.relationship, str(obj.get(g.holder)), str(obj.get(g.item))))
        return cache[sha, name]

    names = {g.type for _, g in granting}
    out: list[Action] = []
    for a in actions:
        if a.action == LINK and a.relationship is not None and a.type.name in names and a.revision:
            held = granted(a.revision, a.type.name)
            owners = {a.id, idmap.new_id(a.id)}
            kept = [
                c for c in a.changes if not any((a.relationship.name, o, str(c.new)) in held for o in owners)
            ]
            if not kept:
                continue
            if len(kept) < len(a.changes):
                dropped = {str(c.new) for c in a.changes if c not in kept}
                patch = [op for op in a.patch if str(op.get("value")) not in dropped]
                a = replace(a, changes=kept, patch=patch)
        out.append(a)
    return out


def follows(d: Desired, pending: IdMap) -> bool:
    """Whether d follows (catalog `Reference.follows`) an object this plan recreates."""
    return any(
        r.value in (pending.app_ids if r.key == "appId" else pending.ids)
        for r in canonical.find_references(d.type, d.obj)
        if any(ref.follows and ref.path == r.path for ref in d.type.references)
    )


def followers(
    backup: Backup, at: str | None, wanted: list[Desired], actions: list[Action], client: GraphClient
) -> list[tuple[Desired, Live]]:
    """The objects that follow (catalog `Reference.follows`) one this plan undeletes or recreates and are
    gone or deleted with it (an application's service principal), read where that object was last alive."""
    kinds = {
        t.name: [r for r in t.references if r.follows]
        for t in catalog.CATALOG
        if any(r.follows for r in t.references)
    }
    have = {d.path for d in wanted}
    found: dict[str, Desired] = {}
    for a in actions:
        if a.action not in (UNDELETE, RECREATE):
            continue
        for name, refs in kinds.items():
            values = {str(a.desired.get(r.key) or "") for r in refs if a.type.name in r.types} - {""}
            if not values:
                continue
            alive = desired_mod.alive_until(backup, a.path) if at is None else backup.revision(at)
            if alive is None:
                continue
            for d in _files_naming(backup, alive, values, have | found.keys()):
                if d.type.name == name and any(str(d.obj.get(r.path)) in values for r in refs):
                    found[d.path] = d
    followers = list(found.values())
    live = backup.read_live_many([(d.type, d.id) for d in followers], client)
    return [(d, obj) for d, obj in zip(followers, live, strict=True) if obj is None or is_deleted(obj)]


def equal_holders(
    backup: Backup,
    rev: Revision,
    wanted: list[Desired],
    actions: list[Action],
    opts: Options,
    idmap: IdMap,
    pending: IdMap,
    client: GraphClient,
) -> list[Action]:
    """A whole-tenant plan leaves out the files equal to the tenant; but a file naming an object this plan
    recreates can equal a live holder that still names the old id (conditional access keeps ids of deleted
    objects), and must move to the successor: those files (found by `git grep`) are planned too."""
    recreated = [a for a in actions if a.action == RECREATE]
    ids = {a.id for a in recreated} | {
        str(a.desired["appId"]) for a in recreated if a.type.name == "applications" and a.desired.get("appId")
    }
    extra = [
        replace(d, id=idmap.new_id(d.id), obj=idmap.rewrite(d.type, d.obj))
        for d in _files_naming(backup, rev, ids, {d.path for d in wanted})
    ]
    live = backup.read_live_many([(d.type, d.id) for d in extra], client)
    return [
        a
        for d, obj in zip(extra, live, strict=True)
        for a in plan_object(d, obj, opts, Facts(pending=pending))
    ]


def mark_needs(actions: list[Action]) -> None:
    """Each action learns which of the objects this plan brings back (or refuses to) its writes name, so
    that it is not attempted when one of them is not back (apply.py)."""
    coming = {a.id for a in actions if a.action in (RECREATE, UNDELETE) or (a.action == REFUSE and a.gone)}
    if not coming:
        return
    for a in actions:
        # only what its writes carry: an update of a unit's name does not wait for one of its members
        written = {c.path for c in a.changes}
        named = {
            r.value
            for r in canonical.find_references(a.type, a.desired)
            if r.path.split(".", 1)[0].split("[", 1)[0] in written
        }
        named |= {str(c.new) for c in a.changes if isinstance(c.new, str)}
        named |= {
            str(c.new["principalId"]) for c in a.changes if isinstance(c.new, dict) and "principalId" in c.new
        }
        a.needs = frozenset((named & coming) - {a.id})


def inbound_actions(
    backup: Backup,
    at: str | None,
    wanted: list[Desired],
    actions: list[Action],
    opts: Options,
    idmap: IdMap,
    pending: IdMap | None,
    client: GraphClient,
) -> list[Action]:
    """Actions on other objects that put back the references they held to the objects this plan recreates
    (and to the predecessors of named objects an earlier restore recreated): memberships, ownerships,
    managers, app role assignments, conditional access conditions, role assignments and grants (inbound.py).
    Each holder is read at the revision its referent was taken from, since a backup after the deletion no
    longer has the links Graph dropped."""
    recreated = {a.id for a in actions if a.action == RECREATE}
    successors = {new: old for old, new in idmap.ids.items()}
    old_apps = {new: old for old, new in idmap.app_ids.items()}
    by_sha: dict[str, tuple[set[str], set[str]]] = {}
    for d in wanted:
        if d.id in recreated:
            old, app = d.id, d.obj.get("appId")
        elif d.id in successors:
            old, app = successors[d.id], old_apps.get(str(d.obj.get("appId")))
        else:
            continue
        # The revision asked for, else the last one in which the object was alive: the holders' files there
        # still hold the references Graph dropped when it was deleted.
        alive = (
            d.revision
            if at is not None
            else desired_mod.alive_until(backup, catalog.object_path(d.type, old))
        )
        if alive is None:
            continue
        sha = alive.sha
        ids, apps = by_sha.setdefault(sha, (set(), set()))
        ids.add(old)
        if d.type.name == "applications" and app:
            apps.add(str(app))
    here = {d.path for d in wanted} | {catalog.object_path(d.type, d.id) for d in wanted}
    named = {d.id for d in wanted}
    # A holder may name objects last alive at different revisions (an application and its service principal,
    # deleted in two commits of one backup): its version at each of them puts back the references of its own.
    holders: dict[str, list[tuple[Desired, set[str], set[str]]]] = {}
    for sha, (ids, apps) in sorted(by_sha.items()):
        for d in _files_naming(backup, backup.revision(sha), ids | apps, here):
            if d.type.singleton or idmap.new_id(d.id) not in named:
                holders.setdefault(d.path, []).append((d, ids, apps))
    held = list(holders.values())
    live = backup.read_live_many([(v[0][0].type, idmap.new_id(v[0][0].id)) for v in held], client)
    out: list[Action] = []
    for versions, obj in zip(held, live, strict=True):
        if obj is not None and is_deleted(obj):
            continue  # not this restore's to bring back
        d = versions[0][0]
        want, touched = obj or {}, set()
        for version, ids, apps in versions:
            # Through the id map first: a reference an earlier restore moved to the successor is there.
            want, more = inbound.restored(
                version.type,
                idmap.rewrite(version.type, version.obj),
                want,
                {idmap.new_id(i) for i in ids},
                {idmap.app_ids.get(a, a) for a in apps},
            )
            touched |= more
        keys = frozenset(touched if opts.only is None else touched & opts.only)
        if not keys:
            continue
        if obj is None:  # only objects that are nothing but the reference come back whole
            if inbound.is_link_object(d.type):
                whole = replace(d, id=idmap.new_id(d.id), obj=idmap.rewrite(d.type, d.obj))
                out += plan_object(whole, None, Options(), Facts(pending=pending))
            continue
        holder = replace(d, id=idmap.new_id(d.id), obj=want)
        # (a holder Graph cannot write is a refusal: the reference is not back until someone puts it back
        # where that object is managed, and the exit code says so)
        out += [
            a
            for a in plan_object(holder, obj, Options(keys, True), Facts(pending=pending))
            if a.action != SKIP
        ]
    return out
