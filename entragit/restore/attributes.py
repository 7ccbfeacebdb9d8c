"""The write form of custom security attribute values (a user's or service principal's
`customSecurityAttributes`), from the backed-up value and the live one.

A backup keeps the values plainly (`{set: {attribute: value}}`, annotations dropped). Graph writes them
differently (concepts/custom-security-attributes-examples.md): each set named is an object typed
`#Microsoft.DirectoryServices.CustomSecurityAttributeValue`, merged into what the object holds attribute by
attribute, so an attribute the backup lacks is removed explicitly (null for a single value, [] for a
collection); integers are annotated `#Int32`, collections `#Collection(String)` or `#Collection(Int32)`.
Only sets that differ are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROPERTY = "customSecurityAttributes"
WRITE_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"


def annotation(value: Any) -> str | None:
    """The `X@odata.type` a value needs in a write, or None (strings and Booleans)."""
    if isinstance(value, list):
        ints = bool(value) and all(type(v) is int for v in value)
        return "#Collection(Int32)" if ints else "#Collection(String)"
    return "#Int32" if type(value) is int else None


def write_value(desired: Any, live: Any) -> dict[str, Any]:
    """The PATCH value that turns `live` into `desired` (either may be null: no values)."""
    want: Mapping[str, Any] = desired if isinstance(desired, Mapping) else {}
    have: Mapping[str, Any] = live if isinstance(live, Mapping) else {}
    out: dict[str, Any] = {}
    for name in sorted(set(want) | set(have)):
        wanted: Mapping[str, Any] = want.get(name) or {}
        held: Mapping[str, Any] = have.get(name) or {}
        if wanted == held:
            continue
        attrs: dict[str, Any] = {"@odata.type": WRITE_TYPE}
        for attr in sorted(set(wanted) | set(held)):
            if attr in wanted and wanted[attr] is not None:
                kind = annotation(wanted[attr])
                if kind:
                    attrs[f"{attr}@odata.type"] = kind
                attrs[attr] = wanted[attr]
            else:
                attrs[attr] = [] if isinstance(held.get(attr), list) else None
        out[name] = attrs
    return out
