"""The vocabulary as one JSON Schema document: every event (docs/format.md, "Events") and
every native message (docs/protocol.md), generated from the domain's and the protocol's own
types, so the docs, the extension and the agent cannot drift apart. Written to
docs/schema.json and extension/schema.json; tests/test_vocabulary.py checks both are current
and that the extension's own lists (reasons, involvement, results, decisions, event types)
match it.

Regenerate: `python -m handful.api.schema --write`.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from handful.api import protocol
from handful.domain import events as ev
from handful.domain.settings import SETTINGS

# Bumped when a stored event's meaning changes (a new optional field or type does not: older
# readers ignore a field they do not know, and keep an event of a type they do not know).
SCHEMA_VERSION = 1
TARGETS = ("docs/schema.json", "extension/schema.json")


def _cleaned(node: Any) -> Any:
    """Descriptions (the types' docstrings) with their indentation removed, whichever msgspec
    wrote them (0.23 stopped doing it), so the document is the same on every install."""
    if isinstance(node, dict):
        return {key: inspect.cleandoc(value) if key == "description" and isinstance(value, str)
                else _cleaned(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_cleaned(item) for item in node]
    return node


def document() -> dict[str, Any]:
    events = _cleaned(msgspec.json.schema(ev.Event))
    messages = {name: _cleaned(msgspec.json.schema(cls))
                for name, cls in sorted(protocol.TYPES.items())
                if cls is not protocol.RecordEvent}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Handful's events and native messages",
        "version": SCHEMA_VERSION,
        "event_types": sorted(ev.EVENT_TYPES),
        "event_messages": sorted(protocol.EVENT_MESSAGES),
        "settings": {key: {"min": low, "max": high, "default": default}
                     for key, (low, high, default) in SETTINGS.items()},
        "events": events,
        "messages": messages,
    }


def text() -> str:
    return json.dumps(document(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[3]
    if args == ["--write"]:
        for target in TARGETS:
            (root / target).write_text(text())
        return 0
    sys.stdout.write(text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
