"""Temporary passwords for recreated users: random, strong, and always with forceChangePasswordNextSignIn.
Who sees one is the caller's choice (apply.Reveal: the CLI shows it once on a terminal, or writes it to a
--passwords-file outside the repository, or shows it to nobody); no commit, log or error message has it."""

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
