"""Graph application permissions entragit needs, derived from the catalog.

`entragit permissions` prints these so an admin grants exactly what the tool uses: adding a type to the
catalog adds its permissions here without touching this module.
"""

from __future__ import annotations

from collections.abc import Iterable

from entragit.catalog import AUDIT_PERMISSIONS, CATALOG, EXTENSION_PERMISSIONS, REPORTS, ObjectType


def required_permissions(
    restore: bool = False,
    types: Iterable[ObjectType] | None = None,
    opted_in: frozenset[str] = frozenset(),
) -> list[str]:
    """Sorted unique application permissions for a backup (or, with `restore`, for a restore as well).

    A restore first reads what it compares against, so its list includes the backup permissions. `types`
    narrows the list to some catalog types (reports and audit attribution are always included); `opted_in`
    names the entragit.yaml settings that add properties (`custom_security_attributes`) and their
    permissions, which are listed only then.

    `X.Read.Y` is left out when `X.ReadWrite.Y` is in the list: the write permission includes reading, but
    for the discovery of directory extensions, whose page admits Directory.Read.All alone
    (directoryobject-getavailableextensionproperties.md: not Directory.ReadWrite.All, which a restore of the
    group expiration policy needs).
    Types Graph admits for signed-in users only (`delegated_only`) are left out: an app cannot be granted
    their permissions (`delegated_permissions`)."""
    perms: set[str] = set()
    for t in CATALOG if types is None else types:
        if not t.delegated_only:
            perms |= _type_permissions(t, restore, opted_in)
    for report in REPORTS:
        perms.update(report.permissions)
    perms.update(AUDIT_PERMISSIONS)
    return sorted(p for p in perms if p in EXTENSION_PERMISSIONS or _write_form(p) not in perms)


def restore_additional(
    types: Iterable[ObjectType] | None = None, opted_in: frozenset[str] = frozenset()
) -> list[str]:
    """What a restore needs on top of `required_permissions()` for a backup: the write permissions. Granting
    both lists is what `required_permissions(restore=True)` amounts to (a write permission includes reading,
    so the Read ones it replaces stay harmless)."""
    backup = set(required_permissions(types=types, opted_in=opted_in))
    return [p for p in required_permissions(restore=True, types=types, opted_in=opted_in) if p not in backup]


def delegated_permissions(restore: bool = False) -> list[str]:
    """The delegated permissions of the types Graph admits for signed-in users only (catalog
    `delegated_only`: terms of use agreements), which a sign-in with `--auth device-code` uses."""
    perms = {p for t in CATALOG if t.delegated_only for p in _type_permissions(t, restore)}
    return sorted(p for p in perms if _write_form(p) not in perms)


def _type_permissions(t: ObjectType, restore: bool, opted_in: frozenset[str] = frozenset()) -> set[str]:
    """A restore first reads what it compares against: its permissions include the backup's; a type that
    takes directory extension values also discovers their names (EXTENSION_PERMISSIONS); an opted-in
    setting adds its properties' permissions (catalog `OptIn`)."""
    restoring = restore and t.restorable
    discovery = EXTENSION_PERMISSIONS if t.extension_target else ()
    perms = {*t.permissions_backup, *discovery, *(t.permissions_restore if restoring else ())}
    for o in t.opt_in:
        if o.setting in opted_in:
            perms |= {*o.permissions_backup, *(o.permissions_restore if restoring else ())}
    return perms


def _write_form(permission: str) -> str | None:
    parts = permission.split(".")
    if len(parts) >= 2 and parts[1] == "Read":
        return ".".join([parts[0], "ReadWrite", *parts[2:]])
    return None


def permissions_by_type(
    restore: bool = False, opted_in: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """Per catalog type, the permissions it adds: lets `entragit permissions` explain why each is needed."""
    out: dict[str, list[str]] = {}
    for t in CATALOG:
        out[t.name] = sorted(_type_permissions(t, restore, opted_in))
    for report in REPORTS:
        out[f"reports/{report.name}"] = sorted(report.permissions)
    out["audit attribution"] = sorted(AUDIT_PERMISSIONS)
    return out
