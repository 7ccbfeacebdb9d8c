"""Guards: plans an admin must confirm by flag, not only by "yes", because a mistake there is expensive.

- `--allow-mass-change`: more than MASS_LINKS links removed from one object (emptying a group by restoring
  the wrong revision locks people out of whatever the group grants), or any object deleted (`apply
  --prune`: a file removed by mistake must not take its object along unasked).
- `--allow-privileged`: a change to a privileged directory role assignment (or PIM eligibility or
  time-bound assignment), to a user or group holding or eligible for a privileged role (at the latest
  backup or the revision restored to), to the members of such a group, or to a privileged role's PIM
  settings (the rules that say how it is activated).
  Role ids are the built-in role template ids Microsoft marks PRIVILEGED (Microsoft Entra built-in roles,
  "Privileged roles and permissions").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from entragit import canonical, catalog
from entragit.errors import UsageError
from entragit.restore.plan import DELETE, SKIP, UNLINK, Action
from entragit.restore.sources import Backup

MASS_LINKS = 10

PRIVILEGED_ROLES = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
        "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
        "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
        "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",  # Conditional Access Administrator
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",  # Authentication Administrator
        "0526716b-113d-4c15-b2c8-68e3c22b9f80",  # Authentication Policy Administrator
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
        "966707d0-3269-4727-9be2-8c3a10f19b9d",  # Password Administrator
        "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
        "3a2c62db-5318-420d-8d74-23affee5d9d5",  # Intune Administrator
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",  # Hybrid Identity Administrator
        "9360feb5-f418-4baa-8175-e2a00bac4301",  # Directory Writers
        "d29b2b05-8046-44ba-8758-1e26182fcf32",  # Directory Synchronization Accounts
        "7698a772-787b-4ac8-901f-60d6b08affd2",  # Cloud Device Administrator
    }
)


def privileged_principals(backup: Backup, revisions: Iterable[str]) -> set[str]:
    """Ids of users, groups and service principals holding (or eligible for) a privileged role at the latest
    backup or at any of the revisions restored to (a deleted admin's assignments are gone from the latest
    one), and of what else a privileged role's files tie to it (its PIM settings policy): whatever an object
    named by a role (`named_by`) names besides the role."""
    held: set[str] = set()
    for rev in {backup.revision(None).sha, *revisions}:
        paths = [p for p in backup.object_paths(rev) if _named_by_role(catalog.type_for_path(p))]
        for path, text in zip(paths, backup.read_files(rev, paths), strict=True):
            obj = canonical.load(text, source=path) if text is not None else {}
            if obj.get("roleDefinitionId") in PRIVILEGED_ROLES:
                t = catalog.type_for_path(path)
                assert t is not None  # (the paths were chosen by their type)
                held.update(str(obj[k]) for k in t.named_by[1:] if obj.get(k))
    return held


def _named_by_role(t: catalog.ObjectType | None) -> bool:
    """Role assignments, PIM schedules and the ties of PIM settings to their role."""
    return t is not None and "roleDefinitionId" in t.named_by[:1]


def _grants_role(t: catalog.ObjectType | None) -> bool:
    """Role assignments and PIM schedules: restorable objects named by the role they give."""
    return t is not None and t.restorable and _named_by_role(t)


def is_privileged(a: Action, holders: set[str]) -> bool:
    if a.action == SKIP:
        return False
    if _grants_role(a.type):
        return a.desired.get("roleDefinitionId") in PRIVILEGED_ROLES
    return a.id in holders or str(a.desired.get("id")) in holders


def check(actions: Sequence[Action], holders: set[str], *, allow_mass: bool, allow_privileged: bool) -> None:
    """UsageError naming the objects when a guard applies and its flag is not given."""
    removed: dict[str, int] = {}
    for a in actions:
        if a.action == UNLINK:
            removed[a.path] = removed.get(a.path, 0) + len(a.changes)
    deleted = sorted(a.path for a in actions if a.action == DELETE)
    if deleted and not allow_mass:
        listed = ", ".join(deleted[:5]) + (f" and {len(deleted) - 5} more" if len(deleted) > 5 else "")
        raise UsageError(
            f"the plan deletes {len(deleted)} object{'s' if len(deleted) != 1 else ''} ({listed}): "
            "pass --allow-mass-change if that is what you want"
        )
    mass = sorted(p for p, n in removed.items() if n > MASS_LINKS)
    if mass and not allow_mass:
        raise UsageError(
            f"the plan removes more than {MASS_LINKS} links from {', '.join(mass)}: "
            "pass --allow-mass-change if that is what you want"
        )
    privileged = sorted({a.path for a in actions if is_privileged(a, holders)})
    if privileged and not allow_privileged:
        raise UsageError(
            f"the plan changes privileged access ({', '.join(privileged)}): "
            "review it and pass --allow-privileged"
        )
