"""Errors of the history queries: both are one line for the user, never a traceback."""

from __future__ import annotations

from entragit.errors import EntragitError


class HistoryError(EntragitError):
    """The repository cannot answer: not a git repository, no backup yet, a git failure."""


class UnknownRevision(EntragitError):
    """A revision the user gave does not name a commit of the repository."""
