"""Time as Handful sees it: HANDFUL_NOW when set (tests, demos, replays), else the wall clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from handful.errors import UsageError


def now() -> datetime:
    raw = os.environ.get("HANDFUL_NOW")
    if not raw:
        return datetime.now(UTC)
    return parse_instant(raw, what="HANDFUL_NOW")


def parse_instant(raw: str, *, what: str = "time") -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what} is not an ISO-8601 instant: {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """The one timestamp spelling in events: UTC, milliseconds, trailing Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now())
