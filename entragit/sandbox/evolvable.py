"""Evolvable enumerations: the members after `unknownFutureValue` exist only for a request that asks for them.

best-practices-concept.md (Evolvable enums): Graph returns them only to a request that sends `Prefer:
include-unknown-enum-members`. Microsoft's API guidelines (microsoft/api-guidelines,
graph/patterns/evolvable-enums.md) say how: an answer shows `unknownFutureValue` in place of each (one for all
of a flags value's), and a request that sends one without the header is refused with a 400. A client that
forgot the header would back a CA policy's `linux` up as the sentinel; a sandbox that showed it anyway would
hide that. Which properties hold such members is the value rules' `|` marker.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from entragit import value_rules
from entragit.value_rules import Value

SENTINEL = "unknownFutureValue"
PREFERENCE = "include-unknown-enum-members"

# collection path → the (path steps, rule) of each property holding evolvable members
_RULES = {
    r.path: rules
    for r in value_rules.RESOURCES.values()
    if (rules := [(value_rules.steps_of(p), v) for p, v in r.values.items() if v.evolvable])
}


def asked(headers: Mapping[str, str]) -> bool:
    """Whether the request's preferences (RFC 7240: one comma-separated list) include the opt-in."""
    return any(p.strip().lower() == PREFERENCE for p in (headers.get("Prefer") or "").split(","))


def _rules_for(path: str) -> list[tuple[tuple[str, ...], Value]]:
    key = path.strip("/")
    return next((rules for c, rules in _RULES.items() if key == c or key.startswith(c + "/")), [])


def _rewrite(obj: Any, steps: tuple[str, ...], rule: Value, fn: Callable[[Value, str], str]) -> None:
    """Replace each string a rule's dotted path reaches in obj (each item of a list) by fn(rule, it)."""
    name = steps[0].removesuffix("[]")
    if not isinstance(obj, dict) or obj.get(name) is None:
        return
    value = obj[name]
    if len(steps) > 1:
        for item in value if steps[0].endswith("[]") and isinstance(value, list) else (value,):
            _rewrite(item, steps[1:], rule, fn)
    elif isinstance(value, list):
        obj[name] = [fn(rule, v) if isinstance(v, str) else v for v in value]
    elif isinstance(value, str):
        obj[name] = fn(rule, value)


def _hidden(rule: Value, value: str) -> str:
    parts = [p.strip() for p in value.split(",")] if rule.flags else [value]
    kept = [p for p in parts if p not in rule.evolvable]
    return ",".join(kept + [SENTINEL] * (len(kept) < len(parts)))


def _objects(body: Any) -> Iterator[Any]:
    if isinstance(body, dict) and "error" not in body:
        yield from body["value"] if isinstance(body.get("value"), list) else (body,)


def hide_later_members(path: str, body: Any) -> Any:
    """The answer to a request that did not ask for later members: a copy with each shown as the sentinel."""
    rules = _rules_for(path)
    if not rules or not isinstance(body, dict):
        return body
    body = copy.deepcopy(body)
    for obj in _objects(body):
        for steps, rule in rules:
            _rewrite(obj, steps, rule, _hidden)
    return body


def later_members_sent(path: str, body: Any) -> list[str]:
    """The later members a write's body sends (a request that did not ask for them is refused)."""
    found: list[str] = []

    def note(rule: Value, value: str) -> str:
        found.extend(p.strip() for p in value.split(",") if p.strip() in rule.evolvable)
        return value

    for obj in _objects(copy.deepcopy(body)):
        for steps, rule in _rules_for(path):
            _rewrite(obj, steps, rule, note)
    return found
