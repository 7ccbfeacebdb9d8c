"""Graph's answer to a write that breaks a documented value rule.

The rules themselves are `entragit.value_rules`, the one table `validate` and `apply` judge files by: the
sandbox refusing exactly what that table forbids is what keeps the client's checks and the emulated Graph from
drifting apart (the table is checked against Microsoft's published schema in tests/schema). It is the one
module of entragit outside the sandbox the sandbox imports, and it holds data, not client code.

What this module adds is Graph's wording per rule. Sources: OData's conversion errors for a value of the
wrong JSON type (user-update.md examples in the field: "Cannot convert a primitive value to the expected type
'Edm.String'"); conditional access's numbered errors (1001 state, 1003 conditions, 1054 a user condition
naming something other than an object id: KelvinTegelaar/CIPP#3614); "Invalid value specified for property
'x' of resource 'Y'" for every other rule, Graph's generic answer.
"""

from __future__ import annotations

from typing import Any, NoReturn

from entragit import value_rules
from entragit.sandbox.protocol import bad
from entragit.sandbox.schema import TypeDef
from entragit.value_rules import Problem

_EDM = {
    "string": "Edm.String",
    "boolean": "Edm.Boolean",
    "integer": "Edm.Int32",
    "number": "Edm.Double",
    "guid": "Edm.Guid",
    "date": "Edm.Date",
    "datetime": "Edm.DateTimeOffset",
}
_CA = "identity/conditionalAccess/policies"
# Rules on a sub-resource written on its own (an authentication method configuration): Graph names the
# property itself, not the collection holding it.
_NESTED = "authenticationMethodConfigurations"
_CA_GRANT = "Invalid value specified for property '{}' of resource 'ConditionalAccessGrantControls'."


def _ca_bad(message: str) -> NoReturn:
    bad(message, "BadRequest")


def _kind_refusal(problem: Problem, value: Any) -> NoReturn:
    """OData's deserializer: a scalar of the wrong JSON type, or a scalar where an object or array is
    declared (and the reverse)."""
    if problem.kind in ("object", "list"):
        node = "StartObject" if problem.kind == "object" else "StartArray"
        bad(
            "A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents "
            f"of the property '{problem.path.split('.')[-1]}'; however, a '{node}' node was expected.",
            "BadRequest",
        )
    if problem.kind in ("datetime", "date", "guid") and isinstance(value, str):
        bad(
            f"Cannot convert the literal '{value}' to the expected type '{_EDM[problem.kind]}'.", "BadRequest"
        )
    bad(
        f"Cannot convert a primitive value to the expected type '{_EDM.get(problem.kind, 'Edm.String')}'. "
        "See the inner exception for more details.",
        "BadRequest",
    )


def _ca_refusal(problem: Problem, value: Any) -> None:
    """Conditional access answers with its own numbered errors where one is known."""
    if problem.path == "state":
        _ca_bad(
            "1001: The policy state is invalid. Valid values: enabled, disabled, "
            "enabledForReportingButNotEnforced."
        )
    if problem.what == "ca_conditions":
        _ca_bad("1003: A policy must contain an application condition and a user condition.")
    if problem.path.startswith("conditions.users.") and problem.what == "rule":
        noun = next(n for n in ("group", "role", "user") if problem.path.endswith(n.title() + "s"))
        _ca_bad(f"1054: Invalid {noun} value: {value}.")
    if problem.path.startswith("grantControls."):
        _ca_bad(_CA_GRANT.format(problem.path.rsplit(".", 1)[-1]))


def _value_at(obj: Any, where: str) -> Any:
    """The value a problem's `where` names (`a.b[2]`), for the error text."""
    for step in value_rules.steps_of(where):
        name, _, index = step.partition("[")
        obj = obj.get(name) if isinstance(obj, dict) else None
        if index.rstrip("]"):
            i = int(index.rstrip("]"))
            obj = obj[i] if isinstance(obj, list) and i < len(obj) else None
    return obj


def refuse(key: str, resource: str, problem: Problem, obj: dict[str, Any]) -> NoReturn:
    """Graph's error for one broken rule of a write to the collection (or singleton) at `key`, whose
    resource Graph's messages call `resource` (User, AuthorizationPolicy)."""
    value = _value_at(obj, problem.where)
    if problem.what == "kind":
        _kind_refusal(problem, value)
    if key == _CA:
        _ca_refusal(problem, value)
    prop = value_rules.steps_of(problem.path)[-1 if problem.path.startswith(_NESTED) else 0]
    bad(f"Invalid value specified for property '{prop.removesuffix('[]')}' of resource '{resource}'.")


def check(
    td: TypeDef,
    obj: dict[str, Any],
    *,
    creating: bool = False,
    only: frozenset[str] | None = None,
    kinds_only: bool = False,
) -> None:
    """Refuse the write as Graph would when `obj` breaks a rule: kinds first (the deserializer reads the
    body before any rule is judged), then the rules in the table's order. `only`: a PATCH's changed
    properties, judged on the merged object. `kinds_only`: the deserializer's pass alone, before the
    checks of required and read-only properties a handler makes."""
    problems = value_rules.check(td.key, obj, creating=creating, only=only)
    if kinds_only:
        problems = [p for p in problems if p.what == "kind"]
    problems.sort(key=lambda p: p.what != "kind")
    if problems:
        refuse(td.key, td.resource, problems[0], obj)


def check_singleton(key: str, resource: str, obj: dict[str, Any], only: frozenset[str]) -> None:
    """A PATCH of a policy singleton, judged on the merged policy."""
    problems = value_rules.check(key, obj, only=only)
    if problems:
        refuse(key, resource, min(problems, key=lambda p: p.what != "kind"), obj)


def check_one(key: str, resource: str, path: str, value: Any, obj: dict[str, Any]) -> None:
    """One nested value against its rule (a write to a sub-resource, such as an authentication method
    configuration inside the authentication methods policy); null breaks it too: the property is required
    there."""
    rule = value_rules.RESOURCES[key].values[path]
    where = value_rules.steps_of(path)[-1]  # within the written object
    problems = value_rules.check_value(path, rule, value, where) if value is not None else []
    if value is None:
        problems = [Problem(where, path, "required", "required")]
    if problems:
        refuse(key, resource, problems[0], obj)
