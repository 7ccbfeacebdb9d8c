"""State of an emulated tenant: objects with their indexes, links, deleted items, change log and audit.

The Tenant holds data and the primitive mutations; graph_api.py and rules.py validate requests. Every
mutation bumps one global change sequence number and appends to the affected collection's change log, so
that delta.py can answer an incremental round in O(changes): the log entries double as tombstones (an id
whose object is gone is reported `deleted`, one sitting in deletedItems `changed`).

Soft delete and links: soft-deleting an object removes its links from the live tenant (memberships,
ownerships, manager pointers, app role assignments, directory role assignments, delegated grants of/for it)
and keeps them with the deleted item; restoring puts back those whose other end still exists. Purging or
hard-deleting drops them for good. For groups this is documented (MC1183299: a restored cloud security group
gets its ownership and membership back; directory-deleteditems-restore.md: "fully restore the item"); for the
rest it is our choice, since Graph documents little here. Role definitions keep no links.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import json
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from entragit.sandbox import cross_tenant, extensions
from entragit.sandbox import domains as domain_store
from entragit.sandbox.contained import CONTAINED
from entragit.sandbox.errors import SandboxError
from entragit.sandbox.permissions import parse_grant
from entragit.sandbox.schema import (
    CASTS,
    ODATA_TYPE_TO_KEY,
    SINGLETONS,
    TYPES,
    TypeDef,
    format_time,
    new_b64_id,
    new_guid,
    new_role_assignment_id,
    parse_time,
)

STATE_VERSION = 1
DIRECTORY_KEYS = tuple(k for k, td in TYPES.items() if td.directory_object)
LINK_RELS = tuple(f"{k}#{rel.name}" for k, td in TYPES.items() for rel in td.relationships)


class StateError(SandboxError):
    """A --state file that cannot be read back."""


class Collection:
    """Objects of one type, kept ordered by id, with case-insensitive equality and prefix indexes.

    Indexes are built on first use and maintained from then on: loading a 100k-user seed should not pay for
    a prefix index nobody queries.
    """

    def __init__(self, td: TypeDef) -> None:
        self.td = td
        self.objs: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.eq: dict[str, dict[str, set[str]]] = {}
        self.pre: dict[str, list[tuple[str, str]]] = {}
        self.log_seq: list[int] = []
        self.log: list[tuple[str, str | None, str | None]] = []  # (object id, relationship, target id)
        self.version = 0  # bumped by every put, remove and load: what a cache of the collection keys on

    def load(self, objs: Iterable[dict[str, Any]]) -> None:
        """Bulk insert (seed/state load): one sort instead of one insort per object."""
        for obj in objs:
            self.objs[obj["id"]] = obj
        self.version += 1
        self.order = sorted(self.objs)
        self.eq = {}
        self.pre = {}

    def _eq_index(self, prop: str) -> dict[str, set[str]]:
        index = self.eq.get(prop)
        if index is None:
            index = {}
            for oid, obj in self.objs.items():
                value = obj.get(prop)
                if isinstance(value, str):
                    index.setdefault(value.lower(), set()).add(oid)
            self.eq[prop] = index
        return index

    def _pre_index(self, prop: str) -> list[tuple[str, str]]:
        index = self.pre.get(prop)
        if index is None:
            index = sorted(
                (str(obj[prop]).lower(), oid)
                for oid, obj in self.objs.items()
                if isinstance(obj.get(prop), str)
            )
            self.pre[prop] = index
        return index

    def _index(self, oid: str, obj: dict[str, Any], add: bool) -> None:
        for prop, index in self.eq.items():
            value = obj.get(prop)
            if isinstance(value, str):
                bucket = index.setdefault(value.lower(), set())
                if add:
                    bucket.add(oid)
                else:
                    bucket.discard(oid)
                    if not bucket:
                        del index[value.lower()]
        for prop, lst in self.pre.items():
            value = obj.get(prop)
            if isinstance(value, str):
                entry = (value.lower(), oid)
                if add:
                    bisect.insort(lst, entry)
                else:
                    i = bisect.bisect_left(lst, entry)
                    if i < len(lst) and lst[i] == entry:
                        del lst[i]

    def put(self, obj: dict[str, Any]) -> None:
        oid = obj["id"]
        self.version += 1
        old = self.objs.get(oid)
        if old is not None:
            self._index(oid, old, add=False)
        else:
            bisect.insort(self.order, oid)
        self.objs[oid] = obj
        self._index(oid, obj, add=True)

    def remove(self, oid: str) -> dict[str, Any] | None:
        obj = self.objs.pop(oid, None)
        if obj is None:
            return None
        self.version += 1
        self._index(oid, obj, add=False)
        i = bisect.bisect_left(self.order, oid)
        if i < len(self.order) and self.order[i] == oid:
            del self.order[i]
        return obj

    def find(self, prop: str, value: str) -> set[str]:
        if prop not in self.td.indexed:
            low = value.lower()
            return {oid for oid, obj in self.objs.items() if str(obj.get(prop, "")).lower() == low}
        return set(self._eq_index(prop).get(value.lower(), ()))

    def prefix(self, prop: str, start: str) -> list[str]:
        lst = self._pre_index(prop)
        low = start.lower()
        i = bisect.bisect_left(lst, (low, ""))
        out = []
        while i < len(lst) and lst[i][0].startswith(low):
            out.append(lst[i][1])
            i += 1
        return out


class Tenant:
    """One emulated Entra tenant. All access goes through `lock` (GraphApi takes it per request)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.collections: dict[str, Collection] = {k: Collection(td) for k, td in TYPES.items()}
        self.singletons: dict[str, dict[str, Any]] = {}
        self.where: dict[str, str] = {}  # live directory object id → collection key
        self.deleted: dict[str, dict[str, Any]] = {}  # id → {"key", "obj", "links"}
        self.links: dict[str, dict[str, dict[str, None]]] = {rel: {} for rel in LINK_RELS}
        self.backrefs: dict[str, set[tuple[str, str]]] = {}  # target id → {(rel, container id)}
        self.manager: dict[str, str] = {}
        self.proxies: dict[str, str] = {}  # lower-cased proxy address → owning live object id
        self.reports: dict[str, set[str]] = {}
        self.seq = 0
        self.change_times: list[float] = []  # tenant-clock time of change n at index n-1
        self.clock_offset = 0.0
        # Knobs tests and `sandbox serve` may set.
        self.delta_lag_seconds = 0.0
        self.delta_epoch = 0
        self.delta_token_days = 7.0
        self.delta_replay_seconds = 0.0
        self.retention_days = 30.0
        # The application permissions of the sandbox's own client (None: every permission it knows).
        self.permissions: list[str] | None = None
        # Apps' certificates and federated identity credentials as the seed gives them (assertions.py).
        self.credentials: dict[str, Any] = {}
        # Entities contained in an owner (contained.py): "<owner key>#<navigation>" → owner id → items.
        self.contained: dict[str, dict[str, list[dict[str, Any]]]] = {}

    # ----------------------------------------------------------------------------------------- clock

    def now_ts(self) -> float:
        return time.time() + self.clock_offset

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now_ts(), dt.timezone.utc)

    def advance(self, seconds: float) -> None:
        """Move the tenant clock forward (tests: token expiry, retention, delta lag)."""
        self.clock_offset += seconds

    def stamp(self, fraction: bool = False) -> str:
        return format_time(self.now(), fraction)

    # ------------------------------------------------------------------------------------ properties

    @property
    def tenant_id(self) -> str:
        orgs = list(self.collections["organization"].objs.values())
        return str(orgs[0]["id"]) if orgs else "00000000-0000-0000-0000-000000000000"

    @property
    def domain(self) -> str:
        for domain in self.domains(initial_only=True):
            return domain
        return "contoso.onmicrosoft.com"

    def domains(self, initial_only: bool = False) -> list[str]:
        out = []
        for org in self.collections["organization"].objs.values():
            for entry in org.get("verifiedDomains") or []:
                if not initial_only or entry.get("isInitial"):
                    out.append(str(entry.get("name")))
        return out

    def user_count(self) -> int:
        return len(self.collections["users"].objs)

    # --------------------------------------------------------------------------------------- lookups

    def coll(self, key: str) -> Collection:
        return self.collections[key]

    def get(self, key: str, oid: str) -> dict[str, Any] | None:
        return self.collections[key].objs.get(oid)

    def directory_object(self, oid: str) -> tuple[str, dict[str, Any]] | None:
        key = self.where.get(oid)
        if key is None:
            return None
        return key, self.collections[key].objs[oid]

    def sp_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        for oid in self.collections["servicePrincipals"].find("appId", app_id):
            return self.collections["servicePrincipals"].objs[oid]
        return None

    def members(self, rel: str, container: str) -> dict[str, None]:
        return self.links[rel].get(container, {})

    def contained_items(self, key: str, owner: str) -> list[dict[str, Any]]:
        return list(self.contained.get(key, {}).get(owner, []))

    def set_contained(self, key: str, owner: str, items: list[dict[str, Any]]) -> None:
        """Replace an owner's contained items; the owner's change log records it."""
        by = self.contained.setdefault(key, {})
        if items:
            by[owner] = items
        else:
            by.pop(owner, None)
        owner_key, _, nav = key.partition("#")
        self.record(owner_key, owner, nav)

    def _drop_contained(self, owner: str) -> None:
        for by in self.contained.values():
            by.pop(owner, None)

    # ------------------------------------------------------------------------------------ change log

    def record(self, key: str, oid: str, rel: str | None = None, target: str | None = None) -> None:
        self.seq += 1
        self.change_times.append(self.now_ts())
        coll = self.collections[key]
        coll.log_seq.append(self.seq)
        coll.log.append((oid, rel, target))

    def visible_seq(self) -> int:
        """Highest change number delta may show now (eventual consistency: `delta_lag_seconds`)."""
        if self.delta_lag_seconds <= 0:
            return self.seq
        return bisect.bisect_right(self.change_times, self.now_ts() - self.delta_lag_seconds)

    def replay_watermark(self, upper: int, floor: int) -> int:
        """Where the next delta round starts: `upper`, or earlier so that changes of the last
        `delta_replay_seconds` are sent again (concepts/delta-query-overview.md, Replays) — never before
        `floor`, the round's own starting point."""
        if self.delta_replay_seconds <= 0:
            return upper
        settled = bisect.bisect_right(self.change_times, self.now_ts() - self.delta_replay_seconds)
        return max(floor, min(upper, settled))

    # ------------------------------------------------------------------------------------- mutations

    def insert(self, key: str, obj: dict[str, Any]) -> None:
        self.collections[key].put(obj)
        if TYPES[key].directory_object:
            self.where[obj["id"]] = key
        self._index_proxies(None, obj)
        self.record(key, obj["id"])

    def replace(self, key: str, obj: dict[str, Any], changed: Iterable[str] | None = None) -> None:
        """Swap in a new version; `changed` names the properties (kept for `Prefer: return=minimal` delta)."""
        old = self.collections[key].objs.get(obj["id"])
        self.collections[key].put(obj)
        self._index_proxies(old, obj)
        self.record(key, obj["id"], None, ",".join(changed) if changed is not None else None)

    def _index_proxies(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        for addr in (old or {}).get("proxyAddresses") or []:
            if isinstance(addr, str) and self.proxies.get(addr.lower()) == old["id"]:  # type: ignore[index]
                del self.proxies[addr.lower()]
        for addr in (new or {}).get("proxyAddresses") or []:
            if isinstance(addr, str):
                self.proxies[addr.lower()] = new["id"]  # type: ignore[index]

    def proxy_conflicts(self, addresses: Iterable[str], exclude: str | None = None) -> list[str]:
        """Ids of live objects already holding any of these proxy addresses."""
        out = []
        for addr in addresses:
            owner = self.proxies.get(str(addr).lower())
            if owner is not None and owner != exclude and owner not in out:
                out.append(owner)
        return out

    def add_link(self, rel: str, container: str, target: str, log: bool = True) -> None:
        self.links[rel].setdefault(container, {})[target] = None
        self.backrefs.setdefault(target, set()).add((rel, container))
        if log:
            self.record(rel.split("#")[0], container, rel.split("#")[1], target)

    def _bulk_links(self, rel: str, container: str, targets: list[str]) -> None:
        """Seed/state loading: link without logging, in one pass."""
        if not targets:
            return
        by = self.links[rel].setdefault(container, {})
        backrefs = self.backrefs
        entry = (rel, container)
        for target in targets:
            by[target] = None
            refs = backrefs.get(target)
            if refs is None:
                backrefs[target] = {entry}
            else:
                refs.add(entry)

    def remove_link(self, rel: str, container: str, target: str, log: bool = True) -> None:
        targets = self.links[rel].get(container)
        if targets is not None:
            targets.pop(target, None)
            if not targets:
                del self.links[rel][container]
        refs = self.backrefs.get(target)
        if refs is not None:
            refs.discard((rel, container))
            if not refs:
                del self.backrefs[target]
        if log:
            self.record(rel.split("#")[0], container, rel.split("#")[1], target)

    def set_manager(self, user: str, manager: str | None, log: bool = True) -> None:
        old = self.manager.pop(user, None)
        if old is not None:
            peers = self.reports.get(old)
            if peers is not None:
                peers.discard(user)
                if not peers:
                    del self.reports[old]
        if manager is not None:
            self.manager[user] = manager
            self.reports.setdefault(manager, set()).add(user)
        if log:
            self.record("users", user, "manager", manager or old)

    def _dependent_keys(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (
            ("appRoleAssignments", ("principalId", "resourceId")),
            ("roleManagement/directory/roleAssignments", ("principalId",)),
            ("roleManagement/directory/roleEligibilitySchedules", ("principalId",)),
            ("roleManagement/directory/roleAssignmentSchedules", ("principalId",)),
            ("identityGovernance/privilegedAccess/group/eligibilitySchedules", ("principalId", "groupId")),
            ("identityGovernance/privilegedAccess/group/assignmentSchedules", ("principalId", "groupId")),
            ("oauth2PermissionGrants", ("clientId", "resourceId", "principalId")),
        )

    def detach(self, oid: str) -> list[list[Any]]:
        """Remove every link of an object (either end); returns records `attach` can replay."""
        saved: list[list[Any]] = []
        for rel in LINK_RELS:
            for target in list(self.links[rel].get(oid, {})):
                saved.append(["link", rel, oid, target])
                self.remove_link(rel, oid, target, log=False)
        for rel, container in sorted(self.backrefs.get(oid, set())):
            saved.append(["link", rel, container, oid])
            self.remove_link(rel, container, oid)
        if oid in self.manager:
            saved.append(["manager", oid, self.manager[oid]])
            self.set_manager(oid, None, log=False)
        for report in sorted(self.reports.get(oid, set())):
            saved.append(["manager", report, oid])
            self.set_manager(report, None)
        for key, props in self._dependent_keys():
            coll = self.collections[key]
            ids: set[str] = set()
            for prop in props:
                ids |= coll.find(prop, oid)
            if key == "roleManagement/directory/roleAssignments":
                ids |= coll.find("directoryScopeId", f"/administrativeUnits/{oid}")
                ids |= coll.find("directoryScopeId", f"/{oid}")
            for dep in sorted(ids):
                obj = coll.remove(dep)
                if obj is not None:
                    saved.append(["object", key, obj])
                    self.record(key, dep)
        return saved

    def attach(self, saved: list[list[Any]]) -> None:
        """Replay `detach` records whose other end still exists (restore from deletedItems)."""
        for record in saved:
            if record[0] == "link":
                _, rel, container, target = record
                key = rel.split("#")[0]
                live = container in self.collections[key].objs and target in self.where
                if live and target not in self.links[rel].get(container, {}):
                    self.add_link(rel, container, target)
            elif record[0] == "manager":
                _, user, mgr = record
                users = self.collections["users"].objs
                if user in users and mgr in users and user not in self.manager:
                    self.set_manager(user, mgr)
            elif record[0] == "object":
                _, key, obj = record
                refs = [obj.get(p) for p in ("principalId", "resourceId", "clientId") if obj.get(p)]
                if all(r in self.where for r in refs) and obj["id"] not in self.collections[key].objs:
                    self.insert(key, obj)

    @staticmethod
    def soft_deletes(key: str, obj: dict[str, Any]) -> bool:
        """Which DELETEs go to a recycle bin (docs/graph.md, Deleted items). Groups: Microsoft 365 groups and,
        since MC1183299 (GA February-March 2026; group-delete.md on learn.microsoft.com), cloud security
        groups, assigned or dynamic, role-assignable or not; groups synchronized from on-premises,
        mail-enabled security groups and distribution groups are still deleted at once."""
        if key == "groups" and "Unified" not in (obj.get("groupTypes") or []):
            return not obj.get("onPremisesSyncEnabled") and not obj.get("mailEnabled")
        return TYPES[key].soft_delete

    def delete(self, key: str, oid: str) -> bool:
        """Delete a live object; True when it went to deletedItems."""
        obj = self.collections[key].objs[oid]
        soft = self.soft_deletes(key, obj)
        saved = self.detach(oid)
        self.collections[key].remove(oid)
        self._index_proxies(obj, None)
        self.where.pop(oid, None)
        if soft:
            obj = dict(obj)
            obj["deletedDateTime"] = self.stamp()
            self.deleted[oid] = {"key": key, "obj": obj, "links": saved}
        else:
            self._drop_contained(oid)
        self.record(key, oid)
        if key == "applications" and soft:
            # Deleting an app registration takes its service principal along; restoring the app
            # does not bring the SP back (NOTES §1.1).
            for sp_id in sorted(self.collections["servicePrincipals"].find("appId", str(obj.get("appId")))):
                self.delete("servicePrincipals", sp_id)
        return soft

    def purge_expired(self) -> None:
        """Deleted items older than the retention period are gone for good (30 days)."""
        limit = self.now_ts() - self.retention_days * 86400
        for oid, item in list(self.deleted.items()):
            when = item["obj"].get("deletedDateTime")
            try:
                expired = when is not None and parse_time(str(when)).timestamp() < limit
            except ValueError:
                expired = False
            if expired:
                self.purge(oid)

    def purge(self, oid: str) -> None:
        """Gone for good. A user's licences are freed: user-delete.md, "After 30 days and if not restored,
        the user object is permanently deleted and their assigned resources freed" (a soft-deleted user's
        stay assigned, so that a restore gets them back)."""
        item = self.deleted.pop(oid)
        self._drop_contained(oid)
        if item["key"] == "users":
            freed = {str(lic.get("skuId")).lower() for lic in item["obj"].get("assignedLicenses") or []}
            for sku in list(self.coll("subscribedSkus").objs.values()):
                if str(sku.get("skuId")).lower() in freed:
                    consumed = max(int(sku.get("consumedUnits") or 0) - 1, 0)
                    self.replace("subscribedSkus", {**sku, "consumedUnits": consumed})
        self.record(item["key"], oid)

    def restore(self, oid: str) -> dict[str, Any]:
        item = self.deleted.pop(oid)
        key = item["key"]
        obj = dict(item["obj"])
        obj["deletedDateTime"] = None
        self.insert(key, obj)
        self.attach(item["links"])
        return obj

    def deleted_item(self, oid: str, keys: Iterable[str]) -> dict[str, Any] | None:
        """The recycle-bin entry of `oid` when it is of one of `keys` (directory/deletedItems holds only
        directory objects; a role definition's bin only role definitions)."""
        item = self.deleted.get(oid) or self.deleted.get(oid.lower())
        return item if item is not None and item["key"] in keys else None

    def deleted_of(self, key: str) -> Iterator[dict[str, Any]]:
        for item in self.deleted.values():
            if item["key"] == key:
                yield item["obj"]

    # ----------------------------------------------------------------------------------------- seeds

    @classmethod
    def from_seed(cls, seed: dict[str, Any]) -> Tenant:
        """Build a tenant from a completed seed (docs/repository-format.md, Sandbox seed files); no API
        validation applies."""
        tenant = cls()
        # Objects are copied one level deep: the tenant replaces objects wholesale on every change and never
        # mutates nested values in place, so sharing them with the caller's seed is safe (and a deepcopy of a
        # 100k-user seed would cost half a minute).
        pending_links: list[tuple[str, str, list[Any]]] = []
        pending_manager: list[tuple[str, str]] = []
        pending_assignments: list[tuple[str, list[dict[str, Any]]]] = []
        definitions: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for key, td in TYPES.items():
            if key == "appRoleAssignments":
                continue
            objs = []
            for raw in seed.get(key) or []:
                obj = dict(raw)
                if "id" not in obj:
                    obj["id"] = _new_id(td.id_style)
                oid = str(obj["id"])
                for rel in td.relationships:
                    if rel.name in obj:
                        pending_links.append((f"{key}#{rel.name}", oid, list(obj.pop(rel.name) or [])))
                if key == "users" and "manager" in obj:
                    mgr = obj.pop("manager")
                    if mgr:
                        pending_manager.append((oid, str(mgr)))
                if key == "applications" and "extensionProperties" in obj:
                    definitions.append((obj, obj.pop("extensionProperties") or []))
                if key == "servicePrincipals" and "appRoleAssignedTo" in obj:
                    pending_assignments.append((oid, list(obj.pop("appRoleAssignedTo") or [])))
                for c in CONTAINED:
                    if c.owner == key and c.name in obj:
                        items = [dict(i, id=i.get("id") or new_guid()) for i in obj.pop(c.name) or []]
                        if items:
                            tenant.contained.setdefault(c.key, {})[oid] = items
                obj.pop("passwordProfile", None)
                objs.append(obj)
            tenant.collections[key].load(objs)
            if td.directory_object:
                for obj in objs:
                    tenant.where[obj["id"]] = key
                    tenant._index_proxies(None, obj)
        tenant.permissions = parse_grant(seed.get("permissions"))
        tenant.credentials = copy.deepcopy(seed.get("credentials") or {})
        for path in SINGLETONS:
            if isinstance(seed.get(path), dict):
                tenant.singletons[path] = copy.deepcopy(seed[path])
        cross_tenant.load(tenant, seed)
        domain_store.load(tenant, seed)
        for rel_key, container, targets in pending_links:
            ids = [str(t.get("id") if isinstance(t, dict) else t) for t in targets]
            tenant._bulk_links(rel_key, container, [i for i in ids if i in tenant.where])
        for user, mgr in pending_manager:
            if mgr in tenant.collections["users"].objs:
                tenant.set_manager(user, mgr, log=False)
        assignments = []
        for sp_id, items in pending_assignments:
            for item in items:
                assignments.append(tenant.complete_assignment(dict(item), sp_id))
        tenant.collections["appRoleAssignments"].load(a for a in assignments if a is not None)
        for raw in seed.get("deletedItems") or []:
            obj = dict(raw)
            odata_type = str(obj.pop("@odata.type", "")).lower()
            deleted_key = ODATA_TYPE_TO_KEY.get(odata_type) or CASTS.get(odata_type.lstrip("#"))
            if deleted_key is None:
                continue
            links: list[list[Any]] = []
            for rel in TYPES[deleted_key].relationships:
                for target in obj.pop(rel.name, None) or []:
                    links.append(["link", f"{deleted_key}#{rel.name}", obj["id"], str(target)])
            manager = obj.pop("manager", None)
            if manager:
                links.append(["manager", obj["id"], str(manager)])
            obj.pop("appRoleAssignedTo", None)
            obj.pop("passwordProfile", None)
            if deleted_key == "applications" and "extensionProperties" in obj:
                definitions.append((obj, obj.pop("extensionProperties") or []))
            obj.setdefault("deletedDateTime", tenant.stamp())
            tenant.deleted[str(obj["id"])] = {"key": deleted_key, "obj": obj, "links": links}
        for app, items in definitions:  # (a soft-deleted app's too: they come back with it)
            extensions.seed(tenant, app, items)
        # Links of live objects that point at a soft-deleted one come back when it is restored.
        for rel_key, container, targets in pending_links:
            for target in targets:
                target_id = str(target.get("id") if isinstance(target, dict) else target)
                if target_id in tenant.deleted:
                    tenant.deleted[target_id]["links"].append(["link", rel_key, container, target_id])
        for user, mgr in pending_manager:
            if mgr in tenant.deleted:
                tenant.deleted[mgr]["links"].append(["manager", user, mgr])
        return tenant

    def complete_assignment(self, item: dict[str, Any], resource_id: str) -> dict[str, Any] | None:
        """Fill the server-computed fields of an appRoleAssignment (display names, principalType)."""
        principal = self.directory_object(str(item.get("principalId")))
        resource = self.get("servicePrincipals", resource_id)
        if principal is None or resource is None:
            return None
        pkey, pobj = principal
        item.setdefault("id", new_b64_id())
        item.setdefault("deletedDateTime", None)
        item.setdefault("appRoleId", "00000000-0000-0000-0000-000000000000")
        item.setdefault("createdDateTime", self.stamp(fraction=True))
        item["principalDisplayName"] = pobj.get("displayName")
        item["principalType"] = {"users": "User", "groups": "Group"}.get(pkey, "ServicePrincipal")
        item["resourceDisplayName"] = resource.get("displayName")
        item["resourceId"] = resource_id
        return item

    # ------------------------------------------------------------------------------------ persistence

    def to_state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "collections": {k: list(c.objs.values()) for k, c in self.collections.items()},
            "logs": {k: [list(c.log_seq), list(c.log)] for k, c in self.collections.items() if c.log},
            "singletons": dict(self.singletons),
            "deleted": {k: dict(v) for k, v in self.deleted.items()},
            "links": {rel: {c: list(t) for c, t in by.items()} for rel, by in self.links.items()},
            "manager": dict(self.manager),
            "contained": {k: {o: list(i) for o, i in by.items()} for k, by in self.contained.items()},
            "seq": self.seq,
            "change_times": list(self.change_times),
            "clock_offset": self.clock_offset,
            "settings": {name: getattr(self, name) for name in _SETTINGS},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Tenant:
        if state.get("version") != STATE_VERSION:
            raise StateError(f"unsupported sandbox state version {state.get('version')!r}")
        tenant = cls()
        for key, objs in state["collections"].items():
            if key in tenant.collections:
                tenant.collections[key].load(objs)
                if TYPES[key].directory_object:
                    for obj in objs:
                        tenant.where[obj["id"]] = key
                        tenant._index_proxies(None, obj)
        for key, (seqs, entries) in state.get("logs", {}).items():
            tenant.collections[key].log_seq = list(seqs)
            tenant.collections[key].log = [(e[0], e[1], e[2]) for e in entries]
        tenant.singletons = state.get("singletons", {})
        tenant.deleted = state.get("deleted", {})
        for rel, by in state.get("links", {}).items():
            for container, targets in by.items():
                tenant._bulk_links(rel, container, targets)
        for user, mgr in state.get("manager", {}).items():
            tenant.set_manager(user, mgr, log=False)
        tenant.contained = state.get("contained", {})
        tenant.seq = int(state.get("seq", 0))
        tenant.change_times = list(state.get("change_times", []))
        tenant.clock_offset = float(state.get("clock_offset", 0.0))
        for name, value in state.get("settings", {}).items():
            if name in _SETTINGS:
                setattr(tenant, name, value)
        return tenant

    def save(self, path: str | Path) -> None:
        """Write the whole state as JSON (atomically: a crash never leaves half a file)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        with self.lock:
            # A shallow snapshot is enough: stored objects are replaced, never mutated in place, so the
            # (slow) serialisation can run without blocking requests.
            state = self.to_state()
        text = json.dumps(state, separators=(",", ":"))
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def load(cls, path: str | Path) -> Tenant:
        try:
            state = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise StateError(f"{path}: cannot read sandbox state: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise StateError(f"{path}: not a sandbox state file: {exc.msg} at line {exc.lineno}") from exc
        if not isinstance(state, dict) or "collections" not in state:
            raise StateError(f"{path}: not a sandbox state file")
        try:
            return cls.from_state(state)
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"{path}: damaged sandbox state ({exc})") from exc


_SETTINGS = (
    "delta_lag_seconds",
    "delta_epoch",
    "delta_token_days",
    "delta_replay_seconds",
    "retention_days",
    "permissions",
)


def _new_id(style: str) -> str:
    if style == "role_assignment":
        return new_role_assignment_id()
    if style == "b64":
        return new_b64_id()
    return new_guid()
