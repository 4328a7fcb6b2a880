"""One vocabulary: the JSON Schema generated from the domain and the protocol
(agent/handful/api/schema.py) is the one committed in docs/ and extension/, and the
extension's own lists (reasons, involvement, results, decisions, the events it sends, the
messages it asks the agent) are the schema's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from handful.api import protocol, schema

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "extension"


def enum_of(doc: dict[str, Any], event: str, field: str) -> set[str]:
    prop = doc["events"]["$defs"][event]["properties"][field]
    found = prop.get("items", prop)
    return set(found["enum"])


def js(path: str) -> str:
    return (EXTENSION / path).read_text()


@pytest.mark.parametrize("target", schema.TARGETS)
def test_the_committed_schema_is_the_one_the_code_gives(target: str) -> None:
    assert (ROOT / target).read_text() == schema.text(), (
        f"{target} is out of date: run `python -m handful.api.schema --write`")


def test_the_dialogs_lists_are_the_schemas() -> None:
    doc = json.loads(schema.text())
    dialog = js("dialog/dialog.js")
    block = lambda name: dialog[dialog.index(f"const {name} = ["):]  # noqa: E731
    # const REASONS = ["invited", …].map(…): the values, each shown in the browser's language
    reasons = re.findall(r'"([a-z_]+)"', block("REASONS").split("]")[0])
    involvement = re.findall(r'"([a-z_]+)"', block("INVOLVEMENT").split("]")[0])
    assert set(reasons) == enum_of(doc, "JoinJustified", "reasons") == enum_of(
        doc, "JoinDeclined", "reasons")
    assert set(involvement) == enum_of(doc, "JoinJustified", "involvement")


def test_the_popup_results_and_the_review_decisions_are_the_schemas() -> None:
    doc = json.loads(schema.text())
    results = set(re.findall(r'data-result="([a-z_]+)"', js("popup/popup.html")))
    assert results and results <= enum_of(doc, "Engagement", "kind")
    decisions = re.search(r"\[((?:\"[a-z]+\",?\s*)+)\]\.map\(\(d\)", js("review/review.js"))
    assert decisions is not None
    assert set(re.findall(r'"([a-z]+)"', decisions.group(1))) == enum_of(
        doc, "ReviewDecision", "decision")


def test_every_event_and_message_the_extension_sends_is_known() -> None:
    doc = json.loads(schema.text())
    sources = "\n".join(p.read_text() for p in EXTENSION.rglob("*.js"))
    events = set(re.findall(r'(?:send|queueEvent)\("([a-z_]+)"', sources))
    events |= set(re.findall(r'kind: "event", type: "([a-z_]+)"', sources))
    events |= set(re.findall(r'send\("event", \{ type: "([a-z_]+)"', sources))
    assert {"join_justified", "join_declined", "group_alias", "engagement"} <= events
    assert events <= set(doc["event_messages"]), events - set(doc["event_messages"])
    asked = set(re.findall(r'ask(?:All)?\(\{ type: "([a-z_]+)"', sources))
    asked |= set(re.findall(r'message: \{ type: "([a-z_]+)"', sources))
    assert {"status", "groups", "group", "review"} <= asked
    assert asked <= set(doc["messages"]) | set(doc["event_messages"])
    assert set(doc["messages"]) | set(doc["event_messages"]) == set(protocol.TYPES)
    assert doc["version"] == schema.SCHEMA_VERSION
