"""What the agent does for each message: the one writer's operations on the log.

Every write is acknowledged only once durable (group-committed: `Ledger.append_async`);
every event carries the client's own id, so a retry after a lost reply is stored once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from handful import clock
from handful.api.protocol import (
    GroupQuery,
    Groups,
    ImportMemberships,
    Ping,
    ProtocolError,
    RecordEvent,
    Request,
    Review,
    SettingsGet,
    SettingsSet,
    Status,
)
from handful.domain import events as ev
from handful.domain.review import plan_review
from handful.domain.settings import SETTINGS, check_setting
from handful.domain.views import group_view, groups_view, status_view
from handful.errors import InvalidEvent
from handful.ledger import Ledger

READS = (Groups, Review, GroupQuery, SettingsGet, Ping, Status)


class AgentService:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.started = clock.now_iso()

    async def close(self) -> None:
        await self.ledger.close_async()

    @staticmethod
    def is_read(request: Request) -> bool:
        """A message answered from the folded state alone, at once (nothing to wait for)."""
        return isinstance(request.body, READS)

    def read(self, request: Request) -> Any:
        body = request.body
        if isinstance(body, Groups):
            with self.ledger.reading() as state:
                return groups_view(state, clock.now(), everything=body.all)
        if isinstance(body, Review):
            with self.ledger.reading() as state:
                return plan_review(state, clock.now())
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
        if isinstance(body, SettingsSet):
            value = check_setting(body.key, body.value)
            event = self._event("settings_changed", {"id": body.event_id, "key": body.key,
                                                     "value": value})
            stored = await self._append(event)
            return {"stored": stored, **self._settings(body.key)}
        return self.read(request)

    def status(self) -> dict[str, Any]:
        with self.ledger.reading() as state:
            view = status_view(state, clock.now())
        return {"agent": {"running": True, "since": self.started, "device": self.ledger.device},
                **view}

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
            view = group_view(found, clock.now(), state.aliases_of(found.key)) if found else None
            members = [{"platform": g.platform, "id": g.ident, "name": g.group.name}
                       for g in state.members()]
            return {"group": view, "count": len(members), "cap": state.setting("cap"),
                    "delay": state.setting("guard.delay_seconds"), "members": members}

    def _event(self, type_name: str, fields: dict[str, Any]) -> ev.Event:
        if "type" in fields and fields["type"] != type_name:
            raise ProtocolError("invalid", "the event's `type` differs from the message's")
        if "device" in fields:
            raise ProtocolError("invalid", "`device` is the agent's to set")
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
        return {"stored": stored, "event": ev.to_dict(event)}

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
