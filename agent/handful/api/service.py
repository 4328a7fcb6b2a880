"""What the agent does for each message: the one writer's operations on the log.

Every write is acknowledged only once durable (group-committed: `Ledger.append_async`);
every event carries the client's own id, so a retry after a lost reply is stored once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import msgspec

from handful import clock
from handful.api.exports import Exports
from handful.api.import_jobs import ImportJobs
from handful.api.protocol import (
    LOCAL_ONLY,
    MEMBERS_LISTED,
    PAGE_BYTES,
    Export,
    GroupQuery,
    Groups,
    Import,
    ImportMemberships,
    ImportStatus,
    Ping,
    ProtocolError,
    RecordEvent,
    Request,
    Review,
    Sealed,
    SettingsGet,
    SettingsSet,
    Status,
    SyncDisable,
    SyncEnable,
    SyncNow,
    SyncStatus,
    Verify,
    parse,
)
from handful.api.sync_jobs import SyncJobs
from handful.domain import events as ev
from handful.domain.review import plan_review
from handful.domain.settings import SETTINGS, check_setting
from handful.domain.views import group_view, listed_groups, status_view
from handful.errors import IntegrityError, InvalidEvent
from handful.imports.plan import name_only_alias
from handful.ledger import Ledger

READS = (Groups, Review, GroupQuery, SettingsGet, Ping, Status)
LIST_GAP = timedelta(hours=1)  # between two reads of a list that both lack a membership


def _seconds(earlier: str, later: str) -> float:
    return (clock.parse_instant(later) - clock.parse_instant(earlier)).total_seconds()
_encode = msgspec.json.Encoder().encode
T = TypeVar("T")


def _page(items: list[T], key: Callable[[T], str], view: Callable[[T], dict[str, Any]],
          after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a list: the items after the one keyed `after`, at most `limit` of them
    and PAGE_BYTES of their views (at least one); and the key to ask the next page after
    (None at the end). A list that changed between pages may repeat or skip an item; an
    `after` no longer in it is an error (start again)."""
    start = 0
    if after is not None:
        found = next((i for i, item in enumerate(items) if key(item) == after), None)
        if found is None:
            raise ProtocolError("invalid", f"`after`: {after!r} is no longer in this list; "
                                           "ask again from the first page")
        start = found + 1
    page: list[dict[str, Any]] = []
    size = 0
    for item in items[start:start + limit]:
        shown = view(item)
        size += len(_encode(shown)) + 1
        if page and size > PAGE_BYTES:
            break
        page.append(shown)
    end = start + len(page)
    return page, key(items[end - 1]) if page and end < len(items) else None



class AgentService:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.started = clock.now_iso()
        self._planned: tuple[Any, dict[str, Any]] | None = None
        self._sealing: dict[str, str] | None = None
        self.exports = Exports(ledger.events)
        self.imports = ImportJobs(ledger)
        self.sync = SyncJobs(ledger)

    async def close(self) -> None:
        await self.sync.close()
        await self.imports.close()
        await self.ledger.close_async()

    @staticmethod
    def is_read(request: Request) -> bool:
        """A message answered from the folded state alone, at once (nothing to wait for)."""
        return isinstance(request.body, READS)

    def read(self, request: Request) -> Any:
        body = request.body
        if isinstance(body, Groups):
            now = clock.now()
            with self.ledger.reading() as state:
                listed = listed_groups(state, everything=body.all)
                page, after = _page(listed, lambda g: g.key, lambda g: group_view(
                    g, now, state.aliases_of(g.key), state.device_names), body.after, body.limit)
                return {"cap": state.setting("cap"), "count": len(state.members()),
                        "groups": page, "next": after}
        if isinstance(body, Review):
            plan = self._plan(first=body.after is None)
            page, after = _page(plan["groups"], lambda g: str(g["key"]), lambda g: g,
                                body.after, body.limit)
            return {**plan, "groups": page, "next": after}
        if isinstance(body, GroupQuery):
            return self._group(body.group)
        if isinstance(body, SettingsGet):
            return self._settings(body.key)
        if isinstance(body, Ping):
            return {"pong": True}
        if isinstance(body, Status):
            return self.status()
        raise ProtocolError("unknown_type", f"unknown message type {request.type!r}; see "
                                            "docs/protocol.md")

    async def handle(self, request: Request) -> Any:
        body = request.body
        if isinstance(body, RecordEvent):
            return await self._record(request.type, body.event)
        if isinstance(body, ImportMemberships):
            return await self._import(body)
        if isinstance(body, Sealed):
            inner = parse(self._unseal(body))
            if isinstance(inner.body, Sealed):
                raise ProtocolError("invalid", "a sealed message holds a plain one")
            if inner.type in LOCAL_ONLY:
                raise ProtocolError("forbidden", f"`{inner.type}` comes only from the command "
                                                 "line, never from the browser")
            return await self.handle(inner)
        if isinstance(body, Export):
            return await self.exports.page(body.after, body.limit)
        if isinstance(body, Verify):
            return await asyncio.to_thread(self._verify)
        if isinstance(body, Import):
            return self.imports.start(body.platform, body.paths, dry_run=body.dry_run,
                                      matches=body.matches)
        if isinstance(body, ImportStatus):
            return self.imports.status(body.job)
        if isinstance(body, SyncEnable):
            return await self.sync.enable(body.folder, body.name)
        if isinstance(body, SyncDisable):
            return await self.sync.disable()
        if isinstance(body, SyncNow):
            return await self.sync.now()
        if isinstance(body, SyncStatus):
            return self.sync.view()
        if isinstance(body, SettingsSet):
            value = check_setting(body.key, body.value)
            event = self._event("settings_changed", {"id": body.event_id, "key": body.key,
                                                     "value": value})
            stored = await self._append(event)
            return {"stored": stored, **self._settings(body.key)}
        return self.read(request)

    def _verify(self) -> dict[str, Any]:
        """`handful verify` through the agent: the disk read again, not the state trusted."""
        try:
            devices, warnings = self.ledger.verify_disk()
        except IntegrityError as error:
            return {"ok": False, "error": str(error), "path": error.path, "record": error.seq,
                    "offset": error.offset}
        return {"ok": True, "devices": devices, "warnings": warnings}

    def _plan(self, *, first: bool) -> dict[str, Any]:
        """The review's plan; the pages after the first reuse the first's while nothing was
        written since and the minute is the same (a plan of 5,000 groups takes 0.2 s)."""
        now = clock.now()
        with self.ledger.reading() as state:
            key = (state.events, state.beyond, now.replace(second=0, microsecond=0))
            if first or self._planned is None or self._planned[0] != key:
                self._planned = (key, plan_review(state, now))
        return self._planned[1]

    def status(self) -> dict[str, Any]:
        with self.ledger.reading() as state:
            view = status_view(state, clock.now(), self.ledger.device)
        return {"agent": {"running": True, "since": self.started, "device": self.ledger.device,
                          "queue_key": self.queue_key()}, **view, "sync": self.sync.summary()}

    def queue_key(self) -> dict[str, str] | None:
        """The public key the extension seals its queue to (made once, kept in state/)."""
        keys = self.ledger.queue_keys
        if keys is None:
            return None
        if self._sealing is None:
            kid, spki = keys.current()
            self._sealing = {"kid": kid, "spki": base64.b64encode(spki).decode()}
        return self._sealing

    def _unseal(self, sealed: Sealed) -> bytes:
        keys = self.ledger.queue_keys
        if keys is None:
            raise ProtocolError("sealed", "this agent opens no sealed messages")
        try:
            return keys.unseal(sealed.kid, base64.b64decode(sealed.k),
                               base64.b64decode(sealed.iv), base64.b64decode(sealed.c))
        except (ValueError, binascii.Error) as error:
            raise ProtocolError("sealed", str(error)) from None

    def _settings(self, key: str | None) -> dict[str, Any]:
        keys = list(SETTINGS) if key is None else [key]
        for name in keys:
            if name not in SETTINGS:
                check_setting(name, 0)  # the clear "unknown setting" error
        with self.ledger.reading() as state:
            return {"settings": {name: state.setting(name) for name in keys}}

    def _group(self, group: ev.Group) -> dict[str, Any]:
        with self.ledger.reading() as state:
            found = state.find(group.key)
            view = group_view(found, clock.now(), state.aliases_of(found.key),
                              state.device_names) if found else None
            # the dialog's choice of a group to drop: the least recently seen first, a few
            members = sorted(state.members(), key=lambda g: (g.last_seen, g.key))
            listed = [{"platform": g.platform, "id": g.ident, "name": g.group.name}
                      for g in members[:MEMBERS_LISTED]]
            return {"group": view, "count": len(members), "cap": state.setting("cap"),
                    "delay": state.setting("guard.delay_seconds"), "members": listed,
                    "device": self.ledger.device}

    def _event(self, type_name: str, fields: dict[str, Any]) -> ev.Event:
        if "type" in fields and fields["type"] != type_name:
            raise ProtocolError("invalid", "the event's `type` differs from the message's")
        if "device" in fields:
            raise ProtocolError("invalid", "`device` is the agent's to set")
        if "origin" in fields or "batch" in fields:
            raise ProtocolError("invalid", "`origin` and `batch` are an import's to set "
                                           "(`handful import`)")
        raw = {"ts": clock.now_iso(), **fields, "type": type_name, "device": self.ledger.device}
        return ev.parse_event(raw)

    async def _append(self, event: ev.Event) -> bool:
        return await self.ledger.append_async(event)

    async def _record(self, type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        if "id" not in fields:
            raise ProtocolError("invalid", "an event needs its own `id` (so a retry is "
                                           "stored once)")
        event = self._event(type_name, fields)
        stored = await self._append(event)
        reply: dict[str, Any] = {"stored": stored, "event": ev.to_dict(event)}
        if isinstance(event, ev.GroupSeen | ev.Joined | ev.JoinRequested | ev.JoinIntercepted):
            await self._tie_name_only(event)
        if isinstance(event, ev.ListRead):
            left = [await self._append(gone) for gone in self._gone(event)]
            reply["left"] = sum(left)
        return reply

    async def _tie_name_only(self, event: ev.Event) -> None:
        """A page showed a group Handful knew only by its name, from an export: tie the
        name-only id to the page's (docs/import.md, "Groups")."""
        with self.ledger.reading() as state:
            alias = name_only_alias(event.group, state)  # type: ignore[union-attr]
        if alias is not None:
            await self._append(self._event("group_alias", {**alias, "ts": event.ts}))

    def _gone(self, read: ev.ListRead) -> list[ev.Event]:
        """The memberships a complete list read did not list, which an earlier complete read
        at least LIST_GAP before it, after the group was joined, did not list either: left
        (in the app, removed, or the group deleted). One read alone, two close together, a
        read that came before the join: nothing. The event's id comes from the group and the
        two reads, so two devices that decide the same thing store it once."""
        if not read.absent or read.listed < read.total:
            return []
        gap = LIST_GAP.total_seconds()
        decided = []
        with self.ledger.reading() as state:
            reads = state.list_reads.get(read.platform, [])
            for ref in read.absent:
                group = state.find(ref.key)
                if group is None or group.status != "member" or group.membership is None:
                    continue
                since = group.membership[0][0]
                keys = {group.key, *state.aliases_of(group.key)}
                earlier = [(ts, ident) for ts, ident, absent in reads
                           if ident != read.id and ts > since and keys & absent
                           and _seconds(ts, read.ts) >= gap]
                if earlier:
                    first = earlier[-1][1]
                    digest = hashlib.sha256(f"{group.key}|{first}|{read.id}".encode())
                    decided.append(self._event("left", {
                        "id": f"left-{digest.hexdigest()[:24]}", "ts": read.ts,
                        "source": "list_page", "group": msgspec.to_builtins(group.group)}))
        return decided

    async def _import(self, body: ImportMemberships) -> dict[str, Any]:
        now = clock.now_iso()
        events = []
        for index, group in enumerate(body.groups):
            try:
                events.append(self._event("membership_imported", {
                    "id": f"{body.batch}-{index}", "ts": now, "source": body.source,
                    "group": {"platform": group.platform, "id": group.id, "name": group.name,
                              "url": group.url}}))
            except InvalidEvent as error:
                raise ProtocolError("invalid", f"groups[{index}]: {error}") from None
        stored = await asyncio.gather(*(self._append(event) for event in events))
        return {"stored": sum(stored), "duplicates": len(stored) - sum(stored)}
