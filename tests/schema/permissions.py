"""A reader of Microsoft's Graph permissions file (microsoft-graph-devx-content,
permissions/new/permissions.json).

Test support code, read with the standard library's `json`. The file lists, per permission, `pathSets`: the
permission schemes (`DelegatedWork`, `Application`, ...), HTTP methods and paths it grants. A path's value may
say `least=Application,...` (the least privileged permission for those schemes) and
`AlsoRequires=P1,P2` (one of these is needed as well), separated by `;`.

Paths are written `/groups/{id}/members/{id}`, in any letter case, with every key as a `{...}` placeholder and
without `/$ref` for most reference writes. `normalize` brings both those paths and entragit's path templates
(`groups/{id}/members/{ref}/$ref`) to one form, so that they can be compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

APPLICATION = "Application"
DELEGATED = "DelegatedWork"  # the calls Graph admits for signed-in users only (catalog `delegated_only`)


@dataclass(frozen=True)
class Grant:
    """One permission granting one (method, path) under the Application scheme."""

    permission: str
    least: bool  # marked least privileged for the Application scheme
    also_requires: tuple[str, ...]  # one of these is needed as well


def normalize(path: str) -> str:
    """`groups/{id}/members/{ref}/$ref` -> `/groups/{}/members/{}`: lower case, any key `{}`, no `$ref`."""
    path = "/" + path.strip("/")
    path = re.sub(r"\{[^}]*\}+", "{}", path)
    path = path.removesuffix("/$ref")
    return path.lower()


def _parse_value(value: str, scheme: str) -> tuple[bool, tuple[str, ...]]:
    least, also = False, ()
    for part in value.split(";"):
        key, _, rest = part.partition("=")
        if key == "least":
            least = scheme in rest.split(",")
        elif key == "AlsoRequires":
            also = tuple(rest.split(","))
    return least, also


class Permissions:
    """(method, normalized path) -> the permissions that grant it to an application (`scheme`: or to a
    signed-in user, DELEGATED)."""

    def __init__(self, path: Path, scheme: str = APPLICATION) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.grants: dict[tuple[str, str], dict[str, Grant]] = {}
        self.paths: set[str] = set()
        for name, entry in data["permissions"].items():
            for path_set in entry.get("pathSets", []):
                for raw, value in path_set["paths"].items():
                    self.paths.add(normalize(raw))
                    if scheme not in path_set["schemeKeys"]:
                        continue
                    least, also = _parse_value(value, scheme)
                    for method in path_set["methods"]:
                        key = (method.upper(), normalize(raw))
                        known = self.grants.setdefault(key, {}).get(name)
                        # A permission can appear twice for a path (one pathSet marking it least, or each
                        # naming another partner: Policy.Read.All with Application.ReadWrite.All or .OwnedBy):
                        # keep both.
                        partners = (
                            (*known.also_requires, *also) if known and known.also_requires and also else ()
                        )
                        self.grants[key][name] = Grant(
                            name,
                            least or bool(known and known.least),
                            tuple(dict.fromkeys(partners)) or also or (known.also_requires if known else ()),
                        )

    def knows(self, path: str) -> bool:
        """Whether the file lists `path` at all (for any method or scheme)."""
        return normalize(path) in self.paths

    def granting(self, method: str, path: str) -> dict[str, Grant]:
        """The permissions that let an application make this call (empty when the file lists none)."""
        return self.grants.get((method.upper(), normalize(path)), {})

    def least(self, method: str, path: str) -> list[str]:
        """The permissions the file marks least privileged for an application making this call."""
        return sorted(g.permission for g in self.granting(method, path).values() if g.least)


def load(path: Path, scheme: str = APPLICATION) -> Permissions:
    return Permissions(path, scheme)
