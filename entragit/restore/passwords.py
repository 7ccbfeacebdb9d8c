"""Temporary passwords for recreated users: random, strong, shown once in the restore's result and kept
nowhere (no file, commit, log or error message carries it)."""

from __future__ import annotations

import secrets
import string

LENGTH = 24
_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#%+-.:=?@_")


def new_password(length: int = LENGTH) -> str:
    """Characters of every class Entra's complexity rule counts (it asks for three of four), shuffled."""
    alphabet = "".join(_CLASSES)
    chars = [secrets.choice(c) for c in _CLASSES]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
