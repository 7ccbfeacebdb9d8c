"""Counts in English for messages people read: "1 object", "2 objects", never "1 objects"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun in the number it takes; `plural` for nouns that do not just add an s (policies)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
