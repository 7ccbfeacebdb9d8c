"""A first look at YAML text that refuses what would exhaust the reader building it.

Files in a backup repository and its `entragit.yaml` come from pull requests, so `validate` and `apply`
in CI read text anyone can write. Two things in such text make YAML readers fail badly, not cleanly:

- aliases: a few lines of anchors and aliases (`*a`) stand for billions of nodes (the "billion laughs"),
  and whatever walks the result walks them all;
- deep nesting: the composers recurse once per level, ruamel's pure one until RecursionError and its C one
  until the process crashes (a hundred thousand `[` do it).

Neither occurs in what entragit writes. The parser's events come from a state machine with its own stack,
so reading them first is safe, and the look stops at the first offence.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # nesting levels a file may have: Graph's objects need fewer than ten


def _parser(text: str) -> Any:
    try:
        from ruamel.yaml.cyaml import CParser

        return CParser(text)
    except ImportError:  # no C extension on this platform
        from ruamel.yaml.loader import SafeLoader

        return SafeLoader(text)


def problem(text: str) -> str | None:
    """What makes `text` unsafe to build (one line, with its line number), or None. Syntax errors are left
    to the reader that builds the document, which reports them as it always does."""
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    parser = _parser(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return f"{_line(event)}nested more than {MAX_DEPTH} levels deep"
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif isinstance(event, AliasEvent):
                return f"{_line(event)}an alias (*{event.anchor}); entragit's files have none"
    except YAMLError:
        return None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    return None


def _line(event: Any) -> str:
    line = getattr(getattr(event, "start_mark", None), "line", None)
    return f"line {line + 1}: " if isinstance(line, int) else ""
