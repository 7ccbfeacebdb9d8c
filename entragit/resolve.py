"""Turn what a user types (a path, an id, a UPN, an appId or a display name) into one object file.

Admins think in names, git thinks in paths. Matching is tiered so that a precise spec never becomes ambiguous
because of a looser one: a path or id wins over a UPN/appId, which wins over an exact display name, which wins
over a case-insensitive one. Several matches in the winning tier are an error that lists them, never a guess:
restoring the wrong "Sales" group is worse than asking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from entragit.errors import EntragitError

if TYPE_CHECKING:
    from entragit.history.entries import Entry
    from entragit.history.repo import BackupRepo


class ObjectNotFound(EntragitError):
    """Nothing in the repository (now or in its history) matches the spec."""


class AmbiguousObject(EntragitError):
    """Several objects match; the message lists them so the user can pick a path or id."""


def looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(".yaml")


def match(entries: Iterable[Entry], spec: str) -> list[Entry]:
    """The entries matching spec in the most precise tier that matches anything."""
    wanted = spec.strip()
    low = wanted.lower()
    items = list(entries)
    tiers: Sequence[Callable[[Entry], bool]] = (
        lambda e: e.path == wanted,
        lambda e: e.id.lower() == low,
        lambda e: any(v.lower() == low for v in e.identities),
        lambda e: e.display_name == wanted,
        lambda e: (e.display_name or "").lower() == low,
    )
    for test in tiers:
        found = [e for e in items if test(e)]
        if found:
            return sorted(found, key=lambda e: e.path)
    return []


def describe(entries: Sequence[Entry], limit: int = 10) -> str:
    """Each candidate's path, type and name, and its UPN/appId/mail nickname when those tell them apart
    (three users named "李芳" differ only there; an app and its service principal share their appId)."""
    distinct = len({e.identity for e in entries}) > 1
    shown = [
        f"{e.path} ({e.type}, {e.display_name or e.id}"
        + (f", {e.identity}" if distinct and e.identity else "")
        + (", deleted" if e.deleted else "")
        + ")"
        for e in entries
    ]
    more = f"; and {len(shown) - limit} more" if len(shown) > limit else ""
    return "; ".join(shown[:limit]) + more


def pick(entries: Iterable[Entry], spec: str, where: str) -> Entry | None:
    """The single match for spec, None when nothing matches, AmbiguousObject when several do."""
    found = match(entries, spec)
    if len(found) > 1:
        types = sorted({e.type for e in found})
        hint = f", or TYPE/NAME such as '{types[0]}/{spec.strip()}'" if len(types) > 1 else ""
        raise AmbiguousObject(
            f"'{spec}' matches {len(found)} objects in {where}: {describe(found)} — "
            f"give a path or an id{hint}"
        )
    return found[0] if found else None


def resolve_object(repo: BackupRepo | str | None, spec: str, rev: str = "HEAD") -> str:
    """The repository path of the object spec names, as of rev (falling back to objects removed earlier)."""
    from entragit.history.repo import BackupRepo

    backup = repo if isinstance(repo, BackupRepo) else BackupRepo(repo)
    return backup.resolve(spec, rev)
