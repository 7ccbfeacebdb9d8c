"""Commands of this family (filled in by its owner)."""

import click

COMMANDS: list[click.Command] = []
