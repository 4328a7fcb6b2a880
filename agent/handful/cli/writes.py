"""How a CLI command that writes reaches the log: through the agent when it runs (the one
writer), else by taking the store's writer lock itself. Either way, the same answers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from handful import clock
from handful.client import AgentClient, AgentUnavailable, NotTheAgent
from handful.domain import events as ev
from handful.errors import InvalidEvent, StorageFailure, StoreBusy
from handful.paths import Paths


@dataclass
class Membership:
    status: str | None
    since: str | None
    count: int
    cap: int


class LogWriter(Protocol):
    """Where the CLI writes: through the running agent, or into the store itself."""

    notes: list[str]  # what opening the store repaired or warned about, for the user

    def membership(self, group: ev.Group) -> Membership: ...

    def setting(self, key: str) -> int: ...

    def record(self, type_name: str, fields: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _new(type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": ev.new_id(), "ts": clock.now_iso(),
            **{k: v for k, v in fields.items() if v is not None}}


class DirectWriter:
    def __init__(self, paths: Paths) -> None:
        from handful.ledger import Ledger

        self.ledger = Ledger.open(paths, write=True)
        self.notes = self.ledger.notes

    def membership(self, group: ev.Group) -> Membership:
        state = self.ledger.state
        found = state.find(group.key)
        return Membership(found.status if found else None, found.since if found else None,
                          len(state.members()), state.setting("cap"))

    def setting(self, key: str) -> int:
        return self.ledger.state.setting(key)

    def record(self, type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        event = ev.parse_event({**_new(type_name, fields), "type": type_name,
                                "device": self.ledger.device})
        self.ledger.append(event)
        return ev.to_dict(event)

    def close(self) -> None:
        self.ledger.close()


class AgentWriter:
    def __init__(self, client: AgentClient) -> None:
        self.client = client
        self.notes: list[str] = []

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        reply = self.client.send({"id": 1, **message})
        if not reply.get("ok"):
            error = reply.get("error", {})
            kind = StorageFailure if error.get("code") == "storage" else InvalidEvent
            raise kind(str(error.get("message", "the agent refused the request")))
        result: dict[str, Any] = reply["result"]
        return result

    def membership(self, group: ev.Group) -> Membership:
        result = self._ask({"type": "group", "group": {"platform": group.platform,
                                                      "id": group.id}})
        view = result["group"]
        return Membership(view["status"] if view else None, view["since"] if view else None,
                          int(result["count"]), int(result["cap"]))

    def setting(self, key: str) -> int:
        return int(self._ask({"type": "settings_get", "key": key})["settings"][key])

    def record(self, type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        if type_name == "settings_changed":
            self._ask({"type": "settings_set", "key": fields["key"], "value": fields["value"],
                       "event_id": ev.new_id()})
            return {"type": type_name, **fields}
        event: dict[str, Any] = self._ask({"type": type_name,
                                           "event": _new(type_name, fields)})["event"]
        return event

    def close(self) -> None:
        self.client.close()


def open_writer(paths: Paths, *checks: tuple[str, dict[str, Any]]) -> LogWriter:
    """A writer, once the events to be written are known to be valid (bad input never
    opens the store)."""
    for type_name, fields in checks:
        ev.make(type_name, device="check", ts=clock.now_iso(), **fields)
    client = AgentClient(paths.runtime)
    try:
        if client.ping():
            return AgentWriter(client)
    except NotTheAgent:
        client.close()
        raise  # something answers where the agent should: say so, write nothing
    except AgentUnavailable:
        pass
    try:
        return DirectWriter(paths)
    except StoreBusy:
        # The lock's holder may be an agent still starting up: give it a moment to answer.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if client.ping():
                return AgentWriter(client)
            time.sleep(0.1)
        client.close()
        raise
