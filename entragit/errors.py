"""Errors a user should see as one clear line, never as a traceback.

Every module raises a subclass of EntragitError for expected failures (bad input, Graph refusals, a broken
repository); the CLI catches exactly this base class, prints the message and exits 1. Anything else is a bug
and keeps its traceback.
"""


class EntragitError(Exception):
    """An expected failure whose message is fit to show a user as it is."""

    exit_code = 1


class UsageError(EntragitError):
    """Bad option, argument or object name: exit code 2 like click's own usage errors."""

    exit_code = 2
