"""Plain-text rendering for people; `--json` output bypasses all of this."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

# Characters a terminal acts on rather than shows: C0 but newline and tab, DEL, C1. A group's
# name comes from a web page; printed raw, an escape sequence in it could retitle the
# terminal, hide text or worse.
_CONTROLS = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_SHOWN = dict.fromkeys(_CONTROLS, "\N{REPLACEMENT CHARACTER}")
_ESCAPED = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}  # in JSON (which escapes C0 itself)


def printable(text: str) -> str:
    return text.translate(_SHOWN)


def json_text(doc: Any, indent: int | None = 2) -> str:
    """JSON as it is, with DEL and C1 written as escapes (the stdlib leaves them raw)."""
    return json.dumps(doc, indent=indent, ensure_ascii=False).translate(_ESCAPED)


def json_bytes_escaped(data: bytes) -> bytes:
    """The same for JSON already encoded as UTF-8 (C1 is 0xC2 0x80-0x9F there, nothing
    else)."""
    if b"\x7f" not in data and b"\xc2" not in data:
        return data
    out = data.replace(b"\x7f", b"\\u007f")
    for c in range(0x80, 0xA0):
        out = out.replace(bytes([0xC2, c]), f"\\u{c:04x}".encode())
    return out


class PrintableStream:
    """A text stream that shows control characters as U+FFFD (`handful`'s stdout and
    stderr for people; JSON is escaped before it gets here)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return int(self._stream.write(printable(text)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def emit_json(doc: Any) -> None:
    sys.stdout.write(json_text(doc) + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in cells:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def import_lines(imports: dict[str, Any]) -> list[str]:
    """What the platforms' exports brought, and the suggestion to import one (`status` and
    `review` say the same)."""
    lines = [f"From your {done['platform'].capitalize()} export (imported {done['at'][:10]}): "
             f"{done['groups']} groups, {done['events']} entries; you are in "
             f"{done['member_of']} of those groups now."
             for done in imports["done"]]
    if imports["suggest"]:
        lines.append("Years of Facebook groups behind you? Import Facebook's own data export "
                     "(JSON): `handful import facebook PATH` (see `handful import --help`).")
    return lines
