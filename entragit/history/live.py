"""The live side of `compare OBJECT live`: one object read from the tenant the way a backup reads it."""

from __future__ import annotations

from typing import Any

from entragit import catalog


def fetch_live(repo_root: str, t: catalog.ObjectType, object_id: str) -> dict[str, Any] | None:
    """The object as the tenant has it now, in canonical form; None when Graph no longer has it.

    Reads exactly as a backup run does (same client from entragit.yaml + environment credentials, same
    $select, relationship reads and canonicalisation: the backup's own reader), so that an unchanged object
    compares equal to its latest file. A soft-deleted object is read from deletedItems and keeps the links of
    its file, as the backup keeps them.
    """
    from entragit import backup, config
    from entragit.graph.client import GraphError
    from entragit.store import Store

    cfg = config.load(repo_root)
    client = backup.build_client(cfg)
    try:
        reader = backup._Run(Store.open(repo_root), client, cfg, full=True, progress=None)
        sel = catalog.select_param(t)
        params = {"$select": reader._trim_select(t, sel)} if sel else None
        perm = reader._perm(t)

        def get(path: str) -> dict[str, Any] | None:
            try:
                return client.get(path, params, required_permission=perm)
            except GraphError as exc:
                if exc.status == 404:
                    return None
                raise

        raw = get(t.item_path(object_id))
        if raw is not None:
            linked = t.relationships and not t.singleton
            links = reader._read_relationships(t, [object_id], t.relationships)[object_id] if linked else {}
            return reader._canonical(t, raw, links)
        deleted = get(f"directory/deletedItems/{object_id}") if t.soft_delete_cast else None
        if deleted is None:
            return None
        return reader._canonical(t, deleted, reader._previous_links(t, catalog.object_path(t, object_id)))
    finally:
        client.close()
