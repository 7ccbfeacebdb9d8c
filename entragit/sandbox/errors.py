"""The sandbox's own error base class.

The sandbox is a stand-alone emulator and imports nothing from entragit outside `entragit/sandbox/`; a caller
that wants these errors as one user-facing line (the `entragit sandbox` CLI) translates SandboxError itself.
"""


class SandboxError(Exception):
    """An expected failure (bad seed or state file, bad fault spec, port taken), fit to show as it is."""
