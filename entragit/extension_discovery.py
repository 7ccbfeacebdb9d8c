"""The directory extensions a run selects and the definitions it can take without reading each application.

One call per run, `POST directoryObjects/getAvailableExtensionProperties`
(directoryobject-getavailableextensionproperties.md), returns every definition the directory makes usable,
each with what an application's file keeps of it (name, dataType, isMultiValued, targetObjects;
resources/extensionproperty.md) and its owner's appId inside its name (`extension_{appId without
hyphens}_{name}`, concepts/extensibility-overview.md). Its answer serves twice: the names each type selects,
and the definitions of every application whose service principal is live. The definitions of an application
without one are not in it ("restoring the app ... the extensions stay undiscoverable until its service
principal is restored too", extensibility-overview.md, Considerations), so only those applications are read
one by one (`applications/{id}/extensionProperties`, application-list-extensionproperty.md). v1.0 documents
`$expand` on an application's owners only (resources/application.md), not on extensionProperties.

The call can fail (it needs Directory.Read.All; a transient error outlasts the retries) and, documented as a
known issue on its page, it answers nothing at all in a tenant of more than 1,000 service principals
(`Unanswered`). Neither may read as "the tenant has no extensions": a backup would then drop every value
line. `Unavailable` says which, and the caller falls back (live.Reader): the names of the last run, checked
still selectable (`missing_name`); or, with none known, every application's definitions read first, so that
even a repository's first backup keeps the values. Reading every application's definitions again on each
run is what discovery saves (2,000 requests at 100k users), so a backup then reads a share of them in turn
(`live.in_sweep`): one run in SWEEP_RUNS reads each application, and the others keep what its file holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from entragit import canonical, catalog
from entragit.errors import EntragitError
from entragit.graph.client import GraphClient, GraphError

# directoryobject-getavailableextensionproperties.md (Important): "only processes results for tenants with up
# to 1,000 service principals; otherwise, it returns an empty response".
ANSWERS_UP_TO = 1000


class Unavailable(EntragitError):
    """Discovery failed or cannot be trusted; the message says why, in a few words."""


def discover(client: GraphClient) -> list[dict[str, Any]]:
    """Every definition the discovery call returns (all pages), as Graph returns them; `Unavailable` when it
    fails."""
    perm = " and ".join(catalog.EXTENSION_PERMISSIONS)
    found: list[dict[str, Any]] = []
    try:
        resp = client.send(
            "POST", catalog.EXTENSION_DISCOVERY, json={}, required_permission=perm, idempotent=True
        )
        page: Any = resp.json()
        while True:
            found += (
                [d for d in (page.get("value") or ()) if isinstance(d, dict)]
                if isinstance(page, dict)
                else []
            )
            link = page.get("@odata.nextLink") if isinstance(page, dict) else None
            if not link:
                return found
            page = client.get(link, required_permission=perm)
    except GraphError as exc:
        what = (
            f"{exc.status} {perm}"
            if exc.status == 403
            else " ".join(str(x) for x in (exc.status, exc.code) if x)
        )
        raise Unavailable(f"{catalog.EXTENSION_DISCOVERY} failed ({what or 'error'})") from exc


def service_principals(client: GraphClient) -> tuple[frozenset[str], int]:
    """The appIds of the tenant's live service principals (whose applications' definitions discovery shows)
    and how many there are (agent identities have no appId, and count)."""
    items = list(
        client.list(
            "servicePrincipals",
            {"$select": "appId", "$top": "999"},
            required_permission="Application.Read.All",
        )
    )
    return frozenset(str(sp["appId"]).lower() for sp in items if sp.get("appId")), len(items)


class Unanswered(Unavailable):
    """Discovery answered nothing in a tenant where it cannot answer (more than ANSWERS_UP_TO service
    principals): the definitions exist, only this call does not show them."""


def too_many_to_answer(count: int) -> Unanswered:
    return Unanswered(
        f"{catalog.EXTENSION_DISCOVERY} answered nothing in a tenant of {count:,} service principals "
        f"(it answers only up to {ANSWERS_UP_TO:,}: a known issue its page documents)"
    )


_NOT_A_PROPERTY = re.compile(r"Could not find a property named '(extension_[0-9A-Za-z_]+)'")


def missing_name(exc: GraphError, names: Iterable[str]) -> str | None:
    """The extension name a 400 to a `$select` says does not exist, when it is one of `names`: Graph refuses a
    whole listing that selects a property it does not know ("Could not find a property named ..."), which is
    what a name kept from the last run becomes once its definition is deleted."""
    found = _NOT_A_PROPERTY.search(exc.message or "") if exc.status == 400 else None
    return found.group(1) if found and found.group(1) in set(names) else None


def names_by_target(definitions: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """targetObjects value (`User`) → the extension names it takes, sorted."""
    found: dict[str, set[str]] = {}
    for d in definitions:
        name = d.get("name")
        if isinstance(name, str) and name.startswith(catalog.EXTENSION_PREFIX):
            for target in d.get("targetObjects") or ():
                found.setdefault(str(target), set()).add(name)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def by_owner(definitions: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Owner appId (lower case, hyphenated) → the definitions its name carries."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for d in definitions:
        owner = canonical.extension_owner(str(d.get("name") or ""))
        if owner:
            out.setdefault(owner.lower(), []).append(d)
    return out
