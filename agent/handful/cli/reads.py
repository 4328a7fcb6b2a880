"""How a CLI command that reads reaches the log: through the agent when it runs (it holds
the key, so no passphrase is asked), else by opening the store itself. The same answers
either way; `export` comes a page at a time, `verify` has the agent read the disk again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

import msgspec

from handful import clock
from handful.client import AgentClient, AgentUnavailable, NotTheAgent
from handful.domain.review import plan_review
from handful.domain.settings import SETTINGS
from handful.domain.views import groups_view, status_view
from handful.errors import HandfulError, IntegrityError
from handful.paths import Paths

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode  # (an export's pages: a third of json's time)
SLOW_SECONDS = 600.0  # how long the CLI waits for a page of an export or a verify


class LogReader(Protocol):
    """Where the CLI reads: the running agent, or the store opened read-only."""

    via_agent: bool
    notes: list[str]  # what opening the store repaired or warned about, for the user

    def status(self) -> dict[str, Any]: ...

    def groups(self, *, everything: bool) -> dict[str, Any]: ...

    def review(self) -> dict[str, Any]: ...

    def settings(self) -> dict[str, Any]: ...

    def events(self) -> Iterator[dict[str, Any]]: ...

    def verification(self) -> tuple[list[dict[str, Any]], list[str]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> LogReader: ...

    def __exit__(self, *exc: object) -> None: ...


class DirectReader:
    via_agent = False

    def __init__(self, paths: Paths) -> None:
        from handful.ledger import Ledger

        self.ledger = Ledger.open(paths, write=False)
        self.notes = self.ledger.notes

    def _now(self) -> datetime:
        return clock.now()

    def status(self) -> dict[str, Any]:
        view = status_view(self.ledger.state, self._now(), self.ledger.device
                           if self.ledger.ident else None)
        from handful import syncing

        state = syncing.load_state(self.ledger) if self.ledger.ident else None
        return {**view, "sync": syncing.summary(self.ledger, state, None)}

    def groups(self, *, everything: bool) -> dict[str, Any]:
        return groups_view(self.ledger.state, self._now(), everything=everything)

    def review(self) -> dict[str, Any]:
        return plan_review(self.ledger.state, self._now())

    def settings(self) -> dict[str, Any]:
        return {key: self.ledger.state.setting(key) for key in SETTINGS}

    def events(self) -> Iterator[dict[str, Any]]:
        return self.ledger.events()

    def verification(self) -> tuple[list[dict[str, Any]], list[str]]:
        return self.ledger.verification()

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> DirectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AgentReader:
    via_agent = True

    def __init__(self, paths: Paths) -> None:
        self.client = AgentClient(paths.runtime, timeout=SLOW_SECONDS)
        self.notes: list[str] = []

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        reply = _decode(self.client.send_raw(_encode({"id": 1, **message})))
        if not reply.get("ok"):
            error = reply.get("error", {})
            text = str(error.get("message", "the agent refused the request"))
            if error.get("code") == "integrity":
                raise IntegrityError(text)
            raise HandfulError(f"the agent: {text}")
        result: dict[str, Any] = reply["result"]
        return result

    def _pages(self, message: dict[str, Any], field: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            page = self._ask({**message, **({"after": after} if after else {})})
            yield page
            after = page.get("next")
            if not after:
                return
            if not page.get(field):
                raise HandfulError("the agent sent an empty page before the end")

    def status(self) -> dict[str, Any]:
        doc = self._ask({"type": "status"})
        doc.pop("agent", None)
        return doc

    def groups(self, *, everything: bool) -> dict[str, Any]:
        pages = list(self._pages({"type": "groups", "all": everything, "limit": 1000},
                                 "groups"))
        return {"cap": pages[-1]["cap"], "count": pages[-1]["count"],
                "groups": [g for page in pages for g in page["groups"]]}

    def review(self) -> dict[str, Any]:
        pages = list(self._pages({"type": "review", "limit": 1000}, "groups"))
        plan = {k: v for k, v in pages[0].items() if k != "next"}
        plan["groups"] = [g for page in pages for g in page["groups"]]
        return plan

    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self._ask({"type": "settings_get"})["settings"]
        return settings

    def events(self) -> Iterator[dict[str, Any]]:
        for page in self._pages({"type": "export"}, "events"):
            yield from page["events"]

    def verification(self) -> tuple[list[dict[str, Any]], list[str]]:
        result = self._ask({"type": "verify"})
        if not result.get("ok"):
            raise IntegrityError(str(result.get("error")), path=result.get("path"),
                                 seq=result.get("record"), offset=result.get("offset"))
        return list(result["devices"]), list(result["warnings"])

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> AgentReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_reader(paths: Paths) -> LogReader:
    """The agent when it answers (an impostor is an error: nothing is asked of it), else
    the store itself (which needs the key: the keyring or the passphrase)."""
    probe = AgentClient(paths.runtime, timeout=5)
    try:
        running = probe.ping()
    except NotTheAgent:
        raise
    except AgentUnavailable:
        running = False
    finally:
        probe.close()
    return AgentReader(paths) if running else DirectReader(paths)
