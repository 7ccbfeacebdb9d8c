"""Setting up a backup repository: `entragit init`.

An existing repository keeps its type and attribute selections; one that holds backups of another tenant is
never silently pointed at a new one (its history would mix two directories).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from entragit import canonical, catalog, config
from entragit.config import Config
from entragit.errors import EntragitError
from entragit.repo.writer import Store


def init_repository(
    directory: str | Path,
    cfg: Config,
    *,
    force: bool = False,
    extra: Callable[[Path], list[str]] | None = None,
) -> tuple[Store, list[str]]:
    """Create or adopt the repository at directory with these settings, committed as entragit.yaml with
    the files `extra` writes into its root (CI pipelines); returns the store and those files."""
    store = Store.init(directory)
    existing = (store.root / config.CONFIG_FILE).exists()
    if existing:
        old = config.load(store.root)
        backed_up = None if force else _backed_up_tenant(store, old)
        if backed_up is not None and cfg.tenant_id.lower() not in backed_up[1]:
            raise EntragitError(
                f"{store.root} holds backups of tenant {backed_up[0]}, not {cfg.tenant_id}: back up another"
                " tenant into a repository of its own (--force points this one at it anyway)"
            )
        cfg.include_types, cfg.exclude_types = old.include_types, old.exclude_types
        cfg.exclude_attributes = old.exclude_attributes
    written = extra(store.root) if extra is not None else []
    config.save(store.root, cfg)
    store.commit_paths(
        [config.CONFIG_FILE, *written], "entragit init" if not existing else "entragit init: update settings"
    )
    return store, written


def _backed_up_tenant(store: Store, cfg: Config) -> tuple[str, set[str]] | None:
    """The tenant this repository holds backups of, as (its id, every name it goes by), or None before the
    first backup. The backed-up organization object knows the tenant id and its verified domains, so
    `--tenant-id contoso.com` for the tenant already backed up by id is no conflict."""
    for path in store.tracked_files([catalog.by_name("organization").folder]):
        org = canonical.load(store.read_text(path) or "{}", source=path)
        domains = [d.get("name") for d in org.get("verifiedDomains") or [] if isinstance(d, dict)]
        tenant = str(org.get("id") or cfg.tenant_id)
        return tenant, {tenant.lower(), cfg.tenant_id.lower(), *(str(d).lower() for d in domains if d)}
    if store.load_state().get("types"):  # backups, but of a selection without the organization
        return cfg.tenant_id, {cfg.tenant_id.lower()}
    return None
