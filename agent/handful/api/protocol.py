"""Messages: the envelope of CONTRACT.md, and a schema for every message type.

Pure: parses bytes into a validated request, or says exactly what is wrong. Shared by the
agent (which answers) and, for its size limits, by the native host (which relays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from handful.domain import events as ev

MAX_MESSAGE = 1 << 20          # bytes of one request or reply (the browser's limit to us)
MAX_IMPORT = 5000              # groups in one memberships_imported message
# Lists of groups come in pages (`groups`, `review`): at most PAGE (or `limit`, up to
# MAX_PAGE) groups and PAGE_BYTES of them, so a reply always fits the browser's 1 MiB; the
# reply's `next` asks for the page after. `group` lists at most MEMBERS_LISTED members.
PAGE = 250
MAX_PAGE = 1000
PAGE_BYTES = 640 << 10
MEMBERS_LISTED = 200
# `export` sends every event in pages from a cursor the agent keeps open: at most
# EXPORT_PAGE (or `limit`, up to MAX_EXPORT_PAGE) events and PAGE_BYTES of them a page; at
# most EXPORTS_OPEN cursors at once (the least recently used is closed for a new one) and
# each closed after EXPORT_IDLE seconds unasked.
EXPORT_PAGE = 2000
MAX_EXPORT_PAGE = 5000
EXPORTS_OPEN = 4
EXPORT_IDLE = 120.0

RequestId = str | int | None
Token = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

EVENT_MESSAGES = {
    "group_seen", "join_intercepted", "join_declined", "join_deferred", "join_justified",
    "join_requested", "joined", "left", "engagement", "review_decision", "join_unguarded",
    "guard_blind", "group_alias", "list_read",
}


class GroupRef(ev.Group, frozen=True, forbid_unknown_fields=True):
    """A group in a message: checked strictly on the way in (stored groups are read
    leniently)."""


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Head(Struct):
    id: Annotated[str, Meta(max_length=128)] | int | None = None
    type: Annotated[str, Meta(max_length=64)] | None = None


class Status(Struct, forbid_unknown_fields=True):
    id: RequestId = None
    type: str = "status"


class RecordEvent(Struct, forbid_unknown_fields=True):
    event: dict[str, Any]
    id: RequestId = None
    type: str = ""


class ImportMemberships(Struct, forbid_unknown_fields=True):
    batch: Token
    groups: Annotated[list[GroupRef], Meta(max_length=MAX_IMPORT)]
    source: Annotated[str, Meta(max_length=100)] = "list_page"
    id: RequestId = None
    type: str = "memberships_imported"


PageSize = Annotated[int, Meta(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str, Meta(min_length=1, max_length=300)]


class Groups(Struct, forbid_unknown_fields=True):
    all: bool = False
    after: Cursor | None = None   # the `next` of the page before
    limit: PageSize = PAGE
    id: RequestId = None
    type: str = "groups"


class GroupQuery(Struct, forbid_unknown_fields=True):
    group: GroupRef
    id: RequestId = None
    type: str = "group"


class SettingsGet(Struct, forbid_unknown_fields=True):
    key: str | None = None
    id: RequestId = None
    type: str = "settings_get"


class SettingsSet(Struct, forbid_unknown_fields=True):
    key: str
    value: int | float | str
    event_id: Token
    id: RequestId = None
    type: str = "settings_set"


class Review(Struct, forbid_unknown_fields=True):
    after: Cursor | None = None
    limit: PageSize = PAGE
    id: RequestId = None
    type: str = "review"


class Export(Struct, forbid_unknown_fields=True):
    """Every event, decrypted, in the order `handful export` gives: the first page opens a
    cursor, the reply's `next` asks for the page after (docs/protocol.md)."""

    after: Token | None = None
    limit: Annotated[int, Meta(ge=1, le=MAX_EXPORT_PAGE)] = EXPORT_PAGE
    id: RequestId = None
    type: str = "export"


class Verify(Struct, forbid_unknown_fields=True):
    """Read every segment on disk again and check it (not the agent's folded state)."""

    id: RequestId = None
    type: str = "verify"


B64 = r"^[A-Za-z0-9+/]*={0,2}$"


class Sealed(Struct, forbid_unknown_fields=True):
    """A message the extension queued sealed to the agent's key (`status`'s
    `agent.queue_key`): `k` the AES-256 key wrapped with RSA-OAEP-256, `iv` and `c` the
    AES-GCM nonce and ciphertext of the message, all base64."""

    kid: Annotated[str, Meta(pattern=r"^[0-9a-f]{16}$")]
    k: Annotated[str, Meta(max_length=1024, pattern=B64)]
    iv: Annotated[str, Meta(min_length=16, max_length=16, pattern=B64)]
    c: Annotated[str, Meta(max_length=MAX_MESSAGE, pattern=B64)]
    id: RequestId = None
    type: str = "sealed"


MAX_IMPORT_PATHS = 64
# Messages only the command line may send: the native host refuses them (host.LOCAL_ONLY),
# and a sealed message never holds one (the browser never asks the agent to read a file).
LOCAL_ONLY = frozenset({"import", "import_status", "sync_enable", "sync_disable", "sync_now",
                        "sync_status"})


class Import(Struct, forbid_unknown_fields=True):
    """`handful import`: the agent reads the export at `paths` (absolute) itself."""

    platform: Literal["facebook", "linkedin"]
    paths: Annotated[list[Annotated[str, Meta(min_length=1, max_length=4096)]],
                     Meta(min_length=1, max_length=MAX_IMPORT_PATHS)]
    dry_run: bool = False
    matches: Annotated[dict[Annotated[str, Meta(max_length=500)],
                            Annotated[str, Meta(max_length=210)]], Meta(max_length=100)] = {}
    id: RequestId = None
    type: str = "import"


class ImportStatus(Struct, forbid_unknown_fields=True):
    job: Token
    id: RequestId = None
    type: str = "import_status"


class SyncEnable(Struct, forbid_unknown_fields=True):
    """`handful sync enable DIR`: `folder` absolute; the agent checks it as the command
    would (docs/cli.md)."""

    folder: Annotated[str, Meta(min_length=1, max_length=4096)]
    name: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    id: RequestId = None
    type: str = "sync_enable"


class SyncDisable(Struct, forbid_unknown_fields=True):
    id: RequestId = None
    type: str = "sync_disable"


class SyncNow(Struct, forbid_unknown_fields=True):
    id: RequestId = None
    type: str = "sync_now"


class SyncStatus(Struct, forbid_unknown_fields=True):
    id: RequestId = None
    type: str = "sync_status"


class Ping(Struct, forbid_unknown_fields=True):
    id: RequestId = None
    type: str = "ping"


TYPES: dict[str, type[Any]] = {
    "status": Status, "memberships_imported": ImportMemberships, "groups": Groups,
    "group": GroupQuery, "settings_get": SettingsGet, "settings_set": SettingsSet,
    "ping": Ping, "review": Review, "sealed": Sealed, "export": Export, "verify": Verify,
    "import": Import, "import_status": ImportStatus, "sync_enable": SyncEnable,
    "sync_disable": SyncDisable, "sync_now": SyncNow, "sync_status": SyncStatus,
    **dict.fromkeys(EVENT_MESSAGES, RecordEvent),
}
_head = msgspec.json.Decoder(_Head)
_decoders = {name: msgspec.json.Decoder(cls) for name, cls in TYPES.items()}


@dataclass
class Request:
    id: RequestId
    type: str
    body: Any


def request_id(raw: bytes) -> RequestId:
    """The request's id if one can be read at all: every reply must carry it."""
    try:
        return _head.decode(raw).id
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


def parse(raw: bytes) -> Request:
    if len(raw) > MAX_MESSAGE:
        raise ProtocolError("too_large", f"message of {len(raw)} bytes; the limit is "
                                         f"{MAX_MESSAGE}")
    try:
        head = _head.decode(raw)
    except RecursionError:
        raise ProtocolError("invalid", "nested too deeply") from None
    except msgspec.ValidationError as error:  # (a subclass of DecodeError: first)
        raise ProtocolError("invalid", _line(error)) from None
    except msgspec.DecodeError as error:
        raise ProtocolError("bad_json", f"not JSON: {_line(error)}") from None
    if head.type is None:
        raise ProtocolError("invalid", "missing `type`")
    decoder = _decoders.get(head.type)
    if decoder is None:
        raise ProtocolError("unknown_type", f"unknown message type {head.type!r}; see "
                                            "docs/protocol.md")
    try:
        body = decoder.decode(raw)
    except RecursionError:
        raise ProtocolError("invalid", "nested too deeply") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise ProtocolError("invalid", _line(error)) from None
    return Request(head.id, head.type, body)


def ok(request_id: RequestId, result: Any) -> dict[str, Any]:
    return {"id": request_id, "ok": True, "result": result}


def error(request_id: RequestId, code: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": {"code": code, "message": message}}


def _line(error: Exception) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__
