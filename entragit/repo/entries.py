"""What `ls` and name resolution need from an object file, read without a YAML parser where that is exact.

The canonical writer puts identity fields first and quotes every string a YAML 1.1 or 1.2 reader could take
for something else, so top-level scalars can be read from their line. Anything not provably exact (escapes,
block scalars, tokens that might be numbers or booleans) makes `summarize` load the whole file instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from entragit import canonical, catalog
from entragit.repo.git import RepoError


class Entry(NamedTuple):
    """What listing and name resolution need about one object file, without loading the whole YAML.

    A NamedTuple because `ls` builds 100k of them from the cache: tuple construction is several times cheaper
    than a dataclass's __init__, and the cache row is the tuple itself.
    """

    path: str
    type: str
    id: str
    display_name: str | None
    identities: list[str]  # values of the type's identity fields beyond id/displayName (UPN, appId...)
    deleted: bool
    account_enabled: bool | None = None  # users only: what seat counting needs
    user_type: str | None = None
    licensed: bool | None = None
    # Ids the object is named by when its display field is itself a reference (a role assignment's
    # roleDefinitionId → principalId, a grant's clientId → resourceId): the display value first.
    refs: list[str] = []  # noqa: RUF012 (NamedTuple default, never mutated)

    @property
    def identity(self) -> str:
        return self.identities[0] if self.identities else ""

    @property
    def guest(self) -> bool:
        """A guest user (userType compared case-insensitively: Graph writes `Guest`)."""
        return (self.user_type or "").lower() == "guest"

    def to_row(self) -> list[Any]:
        return list(self)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Entry:
        return cls._make(row)


_UNSURE = object()
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_SPECIAL_WORDS = {"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"}
_BOOLS = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False}


def top_field(text: str, key: str) -> tuple[str, str] | None:
    """(value text on the key's line, first char of the next line) for a top-level key, None if absent: a
    substring search, not a YAML parse nor a pass over every line (a group's file can hold thousands)."""
    prefix = key + ":"
    if text.startswith(prefix):
        start = len(prefix)
    else:
        pos = text.find("\n" + prefix)
        if pos < 0:
            return None
        start = pos + 1 + len(prefix)
    if start < len(text) and text[start] not in " \n\r":
        return None  # a longer key that starts with this one
    end = text.find("\n", start)
    if end < 0:
        return text[start:].strip(), ""
    return text[start:end].strip(), text[end + 1 : end + 2]


def _scalar(raw: str) -> Any:
    if raw in ("", "null", "~", "Null", "NULL"):
        return None
    first = raw[0]
    if first == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            return _UNSURE
        return inner.replace("''", "'")
    if first == '"':
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != '"' or '"' in inner or "\\" in inner:
            return _UNSURE
        return inner
    if raw in _BOOLS:
        return _BOOLS[raw]
    if first in "-+.0123456789":
        return raw if GUID.match(raw) else _UNSURE
    if first in "[]{}!&*|>%@`#,?:" or raw.lower() in _SPECIAL_WORDS or " #" in raw or ": " in raw:
        return _UNSURE
    return raw


def _field(text: str, key: str) -> Any:
    """A top-level scalar's exact value, None if absent or null, _UNSURE if only a YAML parser can tell."""
    found = top_field(text, key)
    if found is None:
        return None
    raw, next_first = found
    if raw == "" and next_first in (" ", "-"):
        return _UNSURE  # a block collection
    return _scalar(raw)


def _licensed_from_text(text: str) -> Any:
    found = top_field(text, "assignedLicenses")
    if found is None:
        return False
    raw, next_first = found
    if raw in ("[]", "", "null"):
        return raw == "" and next_first in (" ", "-")
    if raw.startswith("["):
        return True
    return _UNSURE


# Identity fields a user types to name an object (besides id and display name) and `ls` shows.
NAMING_FIELDS = ("userPrincipalName", "appId", "mailNickname")


def _identity_fields(t: catalog.ObjectType) -> tuple[str, ...]:
    """The type's naming identity fields, then `mail` where the type has one: admins type a guest's
    address (`ann@fabrikam.com`), not its UPN (`ann_fabrikam.com#EXT#@contoso.onmicrosoft.com`), and a
    group's address rather than its nickname. The first is the one `ls` shows."""
    fields = tuple(f for f in t.identity if f in NAMING_FIELDS)
    return (*fields, "mail") if "mail" in t.select and "mail" not in fields else fields


def summarize(path: str, t: catalog.ObjectType, text: str) -> Entry:
    """The index entry of one object file; loads the YAML only when the quick line reading cannot be exact."""
    user = t.name == "users"
    naming, ref_keys = _identity_fields(t), t.named_by
    user_keys = ("accountEnabled", "userType") if user else ()
    keys = tuple(dict.fromkeys(("id", t.display, *naming, *ref_keys, "deletedDateTime", *user_keys)))
    values = {k: _field(text, k) for k in keys}
    licensed = _licensed_from_text(text) if user else None
    if licensed is _UNSURE or any(v is _UNSURE for v in values.values()):
        try:
            obj = load_text(text, path)
        except RepoError:
            obj = {}  # a broken file must not hide every other object from `ls`; `show` names the problem
        values = {k: obj.get(k) for k in keys}
        licensed = bool(obj.get("assignedLicenses")) if user else None
    name = values.get(t.display)
    return Entry(
        path=path,
        type=t.name,
        id=str(values.get("id") or stem(path)),
        display_name=name if isinstance(name, str) else None,
        identities=[str(values[k]) for k in naming if isinstance(values.get(k), (str, int))],
        deleted=is_deleted(values),
        account_enabled=values.get("accountEnabled"),
        user_type=values.get("userType"),
        licensed=licensed,
        refs=[str(values[k]) for k in ref_keys if isinstance(values.get(k), str)],
    )


LINK_ARROW = " → "


def linked_name(ids: Sequence[str], names: Mapping[str, str]) -> str:
    """An object named by what it links (`catalog.ObjectType.named_by`): `Global Administrator → Megan
    Bowen`, each id whose name is unknown shown as itself."""
    return LINK_ARROW.join(names.get(x, x) for x in ids)


def stem(path: str) -> str:
    """The object id a file is named by (`users/ab/abcd.yaml` -> `abcd`)."""
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def load_text(text: str, where: str) -> dict[str, Any]:
    try:
        obj = canonical.load(text)
    except Exception as exc:  # a hand-edited or corrupted file: name it, do not crash
        raise RepoError(f"{where}: not a valid object file ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise RepoError(f"{where}: not a valid object file (top level is not a mapping)")
    return obj


def is_deleted(obj: Mapping[str, Any] | None) -> bool:
    return obj is not None and obj.get("deletedDateTime") not in (None, "")
