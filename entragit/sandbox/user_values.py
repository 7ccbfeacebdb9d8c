"""The password rules Graph applies to a user's passwordProfile, which no file holds (it is write-only).

Source: the Entra password policy page (8-256 characters, three of lower/upper/digit/symbol, the allowed
symbols, "Unicode characters" not allowed), and passwordPolicies' DisableStrongPassword (user.md). The rules
of the properties a file does hold are `entragit.value_rules`, shared with validate (sandbox/documented.py).
"""

from __future__ import annotations

from typing import Any

from entragit.sandbox.protocol import bad

PASSWORD_REFUSAL = (
    "The specified password does not comply with password complexity requirements. "
    "Please provide a different password."
)

PASSWORD_SYMBOLS = frozenset("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")


def password_ok(password: Any, policies: Any) -> bool:
    """8-256 allowed characters (no Unicode); three of the four classes unless DisableStrongPassword."""
    if not isinstance(password, str) or not 8 <= len(password) <= 256:
        return False
    if any(not (c.isascii() and (c.isalnum() or c in PASSWORD_SYMBOLS)) for c in password):
        return False
    if "DisableStrongPassword" in [p.strip() for p in str(policies or "").split(",")]:
        return True
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in PASSWORD_SYMBOLS for c in password),
    ]
    return sum(classes) >= 3


def check_password(profile: Any, policies: Any) -> None:
    if not isinstance(profile, dict) or not password_ok(profile.get("password"), policies):
        bad(PASSWORD_REFUSAL)
