"""The user's settings: each one's limits and default, and the check every new value
passes (from the CLI, the tray, the extension or a settings event)."""

from __future__ import annotations

from typing import Literal

from handful.errors import InvalidEvent

SettingKey = Literal["cap", "guard.delay_seconds", "review.interval_days", "review.snooze_days",
                     "review.dormant_days", "review.involvement_90", "guard.paused_until",
                     "fast.started_at", "guard.pause_everywhere"]

# The limits each setting accepts, and its default.
SETTINGS: dict[str, tuple[int, int, int]] = {
    "cap": (1, 100, 5),
    "guard.delay_seconds": (0, 600, 5),
    "review.interval_days": (1, 366, 30),
    "review.snooze_days": (1, 90, 7),        # a snoozed review is due again after this
    "review.dormant_days": (7, 365, 60),     # no real interaction for this long: dormant
    "review.involvement_90": (0, 100, 3),    # posts, comments and events in 90 days that
                                             # count as taking part
    "guard.paused_until": (0, 4_102_444_800, 0),  # Unix seconds; 0: not paused
    "fast.started_at": (0, 4_102_444_800, 0),     # Unix seconds of a 14-day networking fast
    "guard.pause_everywhere": (0, 1, 1),  # 1: a pause holds on every device of yours;
                                          # 0: only on the device it was made on
}
FAST_DAYS = 14


def check_setting(key: str, value: object) -> int:
    if key not in SETTINGS:
        known = ", ".join(SETTINGS)
        raise InvalidEvent(f"unknown setting {key!r} (known: {known})")
    low, high, _ = SETTINGS[key]
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise InvalidEvent(f"{key} must be a whole number, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InvalidEvent(f"{key} must be a whole number, not {value!r}")
    if not low <= int(value) <= high:
        raise InvalidEvent(f"{key} must be between {low} and {high}, not {value}")
    return int(value)
