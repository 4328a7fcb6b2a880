"""The events Handful records, validated on the way in.

Every event is immutable and flat: `id`, `type`, `ts` (UTC, milliseconds, `Z`), `device`,
`group` where it concerns a group, and its own fields beside these.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from handful import clock
from handful.domain.settings import SettingKey, check_setting
from handful.errors import InvalidEvent

# The times an event may carry. Before 2000 nothing Handful tracks existed; an event from
# outside may be at most a day ahead of this machine's clock (unless HANDFUL_NOW sets the
# clock: replays, tests); the fold keeps but does not count one at or after CEILING, so
# every device reaches the same state from the same events, whatever its clock says.
EARLIEST = "2000-01-01T00:00:00.000Z"
CEILING = "2100-01-01T00:00:00.000Z"
AHEAD = timedelta(days=1)

Platform = Literal["linkedin", "facebook"]
Reason = Literal["invited", "industry", "peers", "added", "belong"]
Involvement = Literal["post", "comment", "event", "speak", "board", "other"]
EngagementKind = Literal[
    "visit", "post", "comment", "reaction", "event",
    "referral_given", "referral_received", "business", "meeting",
]
Decision = Literal["keep", "deepen", "leave", "snooze"]
# Patterns are checked in Python on the way in (`_check`), not in the annotations: a regex
# per field would make reading a million stored events six times slower.
TS_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
GROUP_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
Timestamp = Annotated[str, Meta(min_length=20, max_length=40)]
Token = Annotated[str, Meta(min_length=1, max_length=64)]
GroupKeyId = Annotated[str, Meta(min_length=1, max_length=200)]
Name = Annotated[str, Meta(max_length=500)]
Url = Annotated[str, Meta(max_length=2048)]
Text = Annotated[str, Meta(max_length=4000)]
Note = Annotated[str, Meta(max_length=4000)]
Minutes = Annotated[float, Meta(ge=0, le=24 * 60)]
Amount = Annotated[float, Meta(ge=0, le=1e12)]
SmallText = Annotated[str, Meta(max_length=100)]


# Stored events are read leniently: a field a newer Handful added is ignored, and the event
# still counts (sync mixes versions). What comes in is checked strictly (`_unknown_field`).
class Group(Struct, frozen=True, gc=False):
    platform: Platform
    id: GroupKeyId
    name: Name | None = None
    url: Url | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"


Origin = Literal["facebook_export", "linkedin_export"]


class _Event(Struct, frozen=True, kw_only=True, gc=False,
             tag_field="type", omit_defaults=True):
    id: Token
    ts: Timestamp
    device: Token
    # An event read from a platform's data export: where from (its `ts` is the archive's own
    # time), and the import's batch: the fold counts it once that batch's `import_committed`
    # is in the log, never before (docs/format.md, "Imports").
    origin: Origin | None = None
    batch: Token | None = None


class _GroupEvent(_Event, frozen=True, kw_only=True):
    group: Group


MAX_BADGES = 20


class GroupSeen(_GroupEvent, frozen=True, kw_only=True, tag="group_seen"):
    page: SmallText | None = None
    badges: Annotated[list[SmallText], Meta(max_length=MAX_BADGES)] = []  # from an export


class JoinIntercepted(_GroupEvent, frozen=True, kw_only=True, tag="join_intercepted"):
    source: SmallText | None = None


class JoinDeclined(_GroupEvent, frozen=True, kw_only=True, tag="join_declined"):
    reasons: Annotated[list[Reason], Meta(max_length=5)] = []
    note: Note | None = None


class JoinDeferred(_GroupEvent, frozen=True, kw_only=True, tag="join_deferred"):
    remind_at: Timestamp | None = None


class JoinJustified(_GroupEvent, frozen=True, kw_only=True, tag="join_justified"):
    reasons: Annotated[list[Reason], Meta(max_length=5)] = []
    give: Text
    get: Text
    involvement: Annotated[list[Involvement], Meta(max_length=6)] = []
    drop: Group | None = None
    note: Note | None = None
    afterwards: bool = False  # given after a join the guard did not see (the "why" asked later)


class JoinRequested(_GroupEvent, frozen=True, kw_only=True, tag="join_requested"):
    source: SmallText | None = None
    # Noticed from the site's own join request, with no decision behind it; `click` is the
    # `join_unguarded` event of the same join when the guard saw its click (counted once).
    unguarded: bool = False
    click: Token | None = None


class Joined(_GroupEvent, frozen=True, kw_only=True, tag="joined"):
    source: SmallText | None = None
    unguarded: bool = False
    click: Token | None = None


class Left(_GroupEvent, frozen=True, kw_only=True, tag="left"):
    note: Note | None = None
    source: SmallText | None = None


# The kinds an amount belongs to: business won (counted as its value) and a referral's value.
AMOUNT_KINDS = frozenset({"business", "referral_given", "referral_received"})


class Engagement(_GroupEvent, frozen=True, kw_only=True, tag="engagement"):
    kind: EngagementKind
    minutes: Minutes | None = None
    amount: Amount | None = None
    note: Note | None = None


class MembershipImported(_GroupEvent, frozen=True, kw_only=True, tag="membership_imported"):
    source: SmallText | None = None
    since: Timestamp | None = None
    role: Literal["member", "admin"] | None = None  # an export's "groups you run": admin


class ReviewDecision(_GroupEvent, frozen=True, kw_only=True, tag="review_decision"):
    decision: Decision
    note: Note | None = None


class JoinUnguarded(_Event, frozen=True, kw_only=True, tag="join_unguarded"):
    """A join control the guard let through because it could not tell which group it joins:
    the site, the kind of page and the control's label (no page content beyond that)."""

    platform: Platform
    source: SmallText | None = None
    label: Annotated[str, Meta(max_length=80)] = ""


class GuardBlind(_Event, frozen=True, kw_only=True, tag="guard_blind"):
    """The guard could not read a page: a group page with neither a join control nor a
    member's or pending state it knows ("unread"; the site's markup may have changed), or
    the extension lost (or got back) its access to the site. No page content is kept."""

    platform: Platform
    reason: Literal["unread", "no_permission", "permission_back"]
    source: SmallText | None = None


class GroupAlias(_GroupEvent, frozen=True, kw_only=True, tag="group_alias"):
    """Two ids of one group on one platform (a vanity slug and the numeric id, or a name-only
    id and the real one): the fold treats them as one group everywhere."""

    alias: Group


MAX_ABSENT = 5000  # groups in one list_read (as many as one import)


class ListRead(_Event, frozen=True, kw_only=True, tag="list_read"):
    """A list of the user's groups read to its end, in a visible tab the user opened: how
    many it announced and showed, and the memberships the log holds that it did not list.
    Evidence, not a decision: the agent records `left` only when two such reads at least an
    hour apart, both after the group was joined, both lack it."""

    platform: Platform
    total: Annotated[int, Meta(ge=0, le=1_000_000)]
    listed: Annotated[int, Meta(ge=0, le=1_000_000)]
    absent: Annotated[list[Group], Meta(max_length=MAX_ABSENT)] = []


MAX_ADOPTED = 16


class ImportCommitted(_Event, frozen=True, kw_only=True, tag="import_committed"):
    """The commit marker of an import: every event of `batch` (and of the unfinished
    batches it `adopts`, an interrupted import of the same archive) counts from now on.
    `events`: how many the batch holds. Written after the batch is durable."""

    committed: Token
    events: Annotated[int, Meta(ge=0, le=10_000_000)]
    adopts: Annotated[list[Token], Meta(max_length=MAX_ADOPTED)] = []


class SettingsChanged(_Event, frozen=True, kw_only=True, tag="settings_changed"):
    key: SettingKey
    value: int | float | bool | str


class DeviceNamed(_Event, frozen=True, kw_only=True, tag="device_named"):
    """What the user calls the device that made this event (`handful sync enable --name`):
    what `sync status`, the popup and the review show for it. The latest wins."""

    name: Annotated[str, Meta(min_length=1, max_length=64)]


Event = (
    GroupSeen | JoinIntercepted | JoinDeclined | JoinDeferred | JoinJustified
    | JoinRequested | Joined | Left | Engagement | MembershipImported | ReviewDecision
    | SettingsChanged | JoinUnguarded | GuardBlind | GroupAlias | ListRead | ImportCommitted
    | DeviceNamed
)
EVENT_TYPES: dict[str, type[Any]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (GroupSeen, JoinIntercepted, JoinDeclined, JoinDeferred, JoinJustified,
                JoinRequested, Joined, Left, Engagement, MembershipImported, ReviewDecision,
                SettingsChanged, JoinUnguarded, GuardBlind, GroupAlias, ListRead,
                ImportCommitted, DeviceNamed)
}


_decoder = msgspec.json.Decoder(Event)
_encoder = msgspec.json.Encoder()


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def canonical_ts(raw: str) -> str:
    """Spell any accepted instant the one way events use, so timestamps sort as text."""
    if _CANONICAL.fullmatch(raw):  # spelt so already (nearly all): only whether it is a date
        try:
            datetime.fromisoformat(raw[:-1])
        except ValueError:
            raise InvalidEvent(f"event refused: {raw!r} is not a valid instant") from None
        return raw
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00")[:32])
    except ValueError:
        raise InvalidEvent(f"event refused: {raw!r} is not a valid instant") from None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


_bound: tuple[float, str] = (-1.0, "")


def _latest() -> str:
    """The latest instant an event may carry: a day ahead of this machine's clock (worked
    out at most once a second: an import checks 100,000 events)."""
    global _bound  # noqa: PLW0603 -- one bound per second for the whole process
    second = time.monotonic() // 1
    if _bound[0] != second:
        _bound = (second, clock.iso(clock.now() + AHEAD))
    return _bound[1]


def _in_range(ts: str, where: str, *, future: bool = False) -> str:
    """A canonical time an event may carry (`future`: a reminder, up to CEILING)."""
    if ts < EARLIEST:
        raise InvalidEvent(f"event refused: {ts} is before 2000 - at `{where}`")
    if ts >= CEILING:
        raise InvalidEvent(f"event refused: {ts} is after 2099 - at `{where}`")
    if not future and not os.environ.get("HANDFUL_NOW") and ts > _latest():
        raise InvalidEvent(f"event refused: {ts} is more than a day ahead of this "
                           f"machine's clock - at `{where}`")
    return ts


def _refuse(value: object, where: str, what: str) -> InvalidEvent:
    return InvalidEvent(f"event refused: {value!r} is not {what} - at `{where}`")


def _check_group(group: Group, where: str) -> None:
    if not GROUP_ID_PATTERN.match(group.id):
        raise _refuse(group.id, f"{where}.id", "a group id (letters, digits, '.', '_', '-')")
    if group.url is not None and not group.url.startswith("https://"):
        raise _refuse(group.url, f"{where}.url", "an https:// address")


def _check(event: Any) -> Event:
    """The rules a type annotation cannot say (or would say too slowly for the read path)."""
    for name in ("id", "device"):
        if not TOKEN_PATTERN.match(getattr(event, name)):
            raise _refuse(getattr(event, name), f"$.{name}", "a token (letters, digits, '_', '-')")
    for name in ("ts", "remind_at", "since"):
        value = getattr(event, name, None)
        if value is not None and not TS_PATTERN.match(value):
            raise _refuse(value, f"$.{name}", "an ISO-8601 instant")
    if isinstance(event, _GroupEvent):
        _check_group(event.group, "$.group")
    if isinstance(event, JoinJustified) and event.drop is not None:
        _check_group(event.drop, "$.drop")
    if isinstance(event, ListRead):
        for index, absent in enumerate(event.absent):
            _check_group(absent, f"$.absent[{index}]")
            if absent.platform != event.platform:
                raise InvalidEvent(f"event refused: a list of one platform's groups - at "
                                   f"`$.absent[{index}].platform`")
        if event.listed > event.total:
            raise InvalidEvent("event refused: more listed than the list announced - at "
                               "`$.listed`")
    if isinstance(event, GroupAlias):
        _check_group(event.alias, "$.alias")
        if event.alias.platform != event.group.platform:
            raise InvalidEvent("event refused: an alias names the same platform's group - at "
                               "`$.alias.platform`")
        if event.alias.id == event.group.id:
            raise InvalidEvent("event refused: an alias is another id of the group - at "
                               "`$.alias.id`")
    if isinstance(event, Joined | JoinRequested) and event.click is not None and (
            not event.unguarded or not TOKEN_PATTERN.match(event.click)):
        raise _refuse(event.click, "$.click", "the id of a `join_unguarded` event of an "
                      "unguarded join")
    if isinstance(event, ImportCommitted) and event.batch is not None:
        raise InvalidEvent("event refused: a commit marker belongs to no batch - at `$.batch`")
    if event.batch is not None and event.origin is None:
        raise InvalidEvent("event refused: only an event read from an export belongs to an "
                           "import's batch - at `$.batch`")
    updates: dict[str, Any] = {}
    ts = _in_range(canonical_ts(event.ts), "$.ts")
    if ts != event.ts:
        updates["ts"] = ts
    if isinstance(event, Engagement) and event.amount is not None and \
            event.kind not in AMOUNT_KINDS:
        raise InvalidEvent(f"event refused: an amount belongs to business won (or a "
                           f"referral's value), not to a {event.kind} - at `$.amount`")
    if isinstance(event, JoinJustified) and (not event.give.strip() or not event.get.strip()):
        raise InvalidEvent("event refused: a justification needs both `give` and `get`")
    if isinstance(event, JoinDeferred) and event.remind_at is not None:
        updates["remind_at"] = _in_range(canonical_ts(event.remind_at), "$.remind_at",
                                         future=True)
    if isinstance(event, MembershipImported) and event.since is not None:
        updates["since"] = _in_range(canonical_ts(event.since), "$.since")
    if isinstance(event, SettingsChanged):
        updates["value"] = check_setting(event.key, event.value)
    if not updates:
        return event  # type: ignore[no-any-return]
    result: Event = msgspec.structs.replace(event, **updates)
    return result


_GROUP_FIELDS = frozenset(Group.__struct_fields__)
_GROUPS_IN = ("group", "drop", "alias")  # the fields that hold a group


def _unknown_field(raw: dict[str, Any]) -> str | None:
    """Where an event from outside has a field its type does not know, or None."""
    cls = EVENT_TYPES.get(raw.get("type"))  # type: ignore[arg-type]
    if cls is None:
        return None  # an unknown type: msgspec says so
    known = frozenset(cls.__struct_fields__) | {"type"}
    for key in raw:
        if key not in known:
            return f"`{key}` - at `$`"
    for name in _GROUPS_IN:
        value = raw.get(name)
        if isinstance(value, dict):
            for key in value:
                if key not in _GROUP_FIELDS:
                    return f"`{key}` - at `$.{name}`"
    listed = raw.get("absent")
    for index, value in enumerate(listed if isinstance(listed, list) else []):
        for key in value if isinstance(value, dict) else ():
            if key not in _GROUP_FIELDS:
                return f"`{key}` - at `$.absent[{index}]`"
    return None


class _One(Struct, frozen=True):
    """One event of any type. msgspec keeps a struct's type information, not a union's: a
    plain convert to `Event` builds the union's anew each call, 40 times slower."""

    e: Event


def _at(error: Exception) -> str:
    """A validation error of `_One`, said of the event itself (`$.e.group` -> `$.group`)."""
    return _first_line(error).replace("`$.e.", "`$.").replace("`$.e`", "`$`")


def parse_event(data: bytes | str | dict[str, Any]) -> Event:
    """Validate an event from outside (CLI, agent, extension), strictly: unknown fields are
    refused here (stored events are read leniently); a clear error if it is wrong."""
    try:
        raw = data if isinstance(data, dict) else msgspec.json.decode(data)
        if isinstance(raw, dict) and (where := _unknown_field(raw)) is not None:
            raise InvalidEvent(f"event refused: Object contains unknown field {where}")
        event = msgspec.convert({"e": raw}, _One).e
    except msgspec.ValidationError as error:
        raise InvalidEvent(f"event refused: {_at(error)}") from None
    except msgspec.DecodeError as error:
        raise InvalidEvent(f"event refused: not valid JSON ({_first_line(error)})") from None
    return _check(event)


def decode_stored(data: bytes) -> Event:
    """Decode an event read back from the log (validated when it was written; a field a
    newer Handful added is ignored; an unknown type raises)."""
    event: Event = _decoder.decode(data)
    return event


_many = msgspec.json.Decoder(list[Event])


def decode_stored_many(records: list[bytes]) -> list[Event]:
    """Decode many stored events in one call (one JSON array): the fast path of a full read."""
    events: list[Event] = _many.decode(b"[" + b",".join(records) + b"]")
    return events


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def to_dict(event: Event) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(event)
    return result


_last_ms = 0
_seq = 0


def new_id() -> str:
    """A time-ordered, random event id (UUIDv7 layout, hex with dashes)."""
    global _last_ms, _seq  # noqa: PLW0603 -- one process-wide monotonic clock for ids
    ms = time.time_ns() // 1_000_000
    if ms <= _last_ms:
        _seq += 1
        ms = _last_ms
    else:
        _seq = 0
    _last_ms = ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (_seq & 0xFFF) << 64 | 0b10 << 62 | (
        rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make(type_name: str, *, device: str, ts: str, **fields: Any) -> Event:
    """Build and validate a new event of the given type."""
    raw = {"id": new_id(), "type": type_name, "ts": ts, "device": device, **fields}
    raw = {k: v for k, v in raw.items() if v is not None}
    return parse_event(raw)


def parse_group_ref(text: str) -> Group:
    """`linkedin:12345` or `facebook:some.slug` -> Group."""
    platform, sep, ident = text.strip().partition(":")
    if not sep or platform.lower() not in ("linkedin", "facebook") or not ident:
        raise InvalidEvent(
            f"group must be PLATFORM:ID with PLATFORM linkedin or facebook, not {text!r}")
    if len(ident) > 200 or not GROUP_ID_PATTERN.match(ident):
        raise InvalidEvent(
            f"group id {ident!r} may hold only letters, digits, '.', '_' and '-'")
    return Group(platform.lower(), ident)  # type: ignore[arg-type]
