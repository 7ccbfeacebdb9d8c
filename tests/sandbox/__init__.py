"""The sandbox tests form a package so that their conftest.py is imported as `sandbox.conftest`.

Without it, pytest would register this folder's conftest under the bare name `conftest` too and shadow
tests/conftest.py, which test modules import `session_for` and `token_for` from.
"""
