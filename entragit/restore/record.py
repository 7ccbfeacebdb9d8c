"""A completed restore is recorded as one commit: the restored objects' files as they now are live, the id
map, and a message naming the source revision, what was restored and by which app.

So the repository never lags behind a restore until the next backup, and `versions` shows the restore as the
change it was. The files are read back from Graph exactly as a backup writes them, so the next backup finds
them equal and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entragit import canonical, catalog, config, tenant_reports
from entragit.errors import EntragitError
from entragit.graph.client import GraphClient
from entragit.restore import idmap as idmap_mod
from entragit.restore.apply import OK, Result
from entragit.restore.idmap import IdMap
from entragit.restore.sources import Backup, Revision


def _message(results: Sequence[Result], recorded: set[str], rev: Revision, who: str) -> str:
    done = [r for r in results if r.action.path in recorded]
    objects = sorted({r.action.path for r in done})
    noun = "object" if len(objects) == 1 else "objects"
    head = f"restore: {len(objects)} {noun} to {rev.short} ({rev.when} UTC) by {who}"
    lines = [f"{r.action.action} {r.action.path} ({r.action.name})" for r in done]
    left = sorted({r.action.path for r in results} - recorded)
    parts = [head, "\n".join(lines)]
    if left:
        parts.append("Not recorded, some of their actions failed (restore them again):\n" + "\n".join(left))
    return "\n\n".join(parts)


def complete(results: Sequence[Result]) -> set[str]:
    """Files whose every action succeeded. An object with a failed or skipped action is not recorded: its
    latest backup stays the revision restored to, so that planning it again (by default against that
    backup) shows what is left rather than nothing, and restoring it again finishes the job instead of
    restoring the half-way state."""
    failed = {r.action.path for r in results if r.status != OK}
    return {r.action.path for r in results if r.status == OK} - failed


def record(
    backup: Backup, results: Sequence[Result], rev: Revision, idmap: IdMap, client: GraphClient
) -> str | None:
    """Commit the live files of every object all of whose actions succeeded (plus the id map, when there is
    one); the commit made, None when the repository already said all this."""
    root = Path(backup.root)
    touched: dict[str, tuple[catalog.ObjectType, str]] = {}
    attachments: dict[str, dict[str, bytes]] = {}
    recorded = complete(results)
    for r in results:
        if r.action.path in recorded:
            a = r.action
            touched[a.path] = (a.type, idmap.new_id(a.id))
            if a.attachments:
                attachments[a.path] = a.attachments
    paths: list[str] = []
    users: dict[str, dict[str, Any] | None] = {}  # user files → the user now: the seat counts change
    items = sorted(touched.items())
    objs = backup.read_live_many([key for _path, key in items], client)
    for (old_path, (t, oid)), obj in zip(items, objs, strict=True):
        if t.name == "users":
            users[old_path] = None
            if obj is not None:
                users[catalog.object_path(t, oid)] = obj
        if obj is None:  # deleted for good (apply --prune): the file's removal is what to commit
            head = backup.revision(None).sha
            if not (root / old_path).exists() and backup.read_files(head, [old_path])[0]:
                paths.append(old_path)
            continue
        path = catalog.object_path(t, oid)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(canonical.dump(obj), encoding="utf-8")
        paths.append(path)
        if path != old_path:
            paths += _move_attachments(root, t, old_path, path, attachments.get(old_path) or {})
        if path != old_path and (root / old_path).is_file():  # the predecessor's file, not yet backed up gone
            (root / old_path).unlink()
            paths.append(old_path)
    if (root / idmap_mod.FILE).is_file():
        paths.append(idmap_mod.FILE)
    if users and _refresh_seats(backup, root, users, client):
        paths.append(tenant_reports.SEATS_FILE)
    if not paths:
        return None
    before = backup.revision(None).sha
    who = client.app or config.load(root).client_id  # the app that wrote, the restore app if there is one
    after = backup.commit_file(paths, _message(results, recorded, rev, who))
    return after if after != before else None


def _move_attachments(
    root: Path, t: catalog.ObjectType, old_path: str, path: str, files: dict[str, bytes]
) -> list[str]:
    """A recreated object's attachments (an agreement's PDFs, which its create sent) beside its new file,
    so that a later restore of it finds them; the predecessor's are removed with its file (their history
    stays in git)."""
    changed = []
    for key, data in sorted(files.items()):
        new = root / catalog.attachment_path(t, path, key)
        new.write_bytes(data)
        changed.append(catalog.attachment_path(t, path, key))
        old = root / catalog.attachment_path(t, old_path, key)
        if old.is_file():
            old.unlink()
            changed.append(catalog.attachment_path(t, old_path, key))
    return changed


def _refresh_seats(
    backup: Backup, root: Path, users: dict[str, dict[str, Any] | None], client: GraphClient
) -> bool:
    """Write reports/seats.yaml as a backup would now (the restored users counted), so the first backup
    after the restore has nothing to commit; whether it changed. Best effort: when the SKUs cannot be read
    the restore is still done and recorded, and the next backup brings the report up to date."""
    try:
        text = tenant_reports.seats_now(backup.root, client, users)
    except EntragitError:  # Graph refused or failed (GraphError is one)
        return False
    target = root / tenant_reports.SEATS_FILE
    if text is None or (target.is_file() and target.read_text(encoding="utf-8") == text):
        return False
    target.write_text(text, encoding="utf-8")
    return True
