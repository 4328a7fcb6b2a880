"""When the agent cannot start, the native host says why, in words for the user and a
`reason` the extension picks its fix by (docs/protocol.md, "Envelope"): the agent's own
reason as it stopped, kept in `run/agent-failure.json` (0600) until an agent starts."""

from __future__ import annotations

import json
import stat

from handful.filelock import WriterLock
from tests.conftest import Home
from tests.hostkit import Host


def status_through_host(home: Home, env: dict[str, str]) -> dict[str, object]:
    host = Host(None, env={**env, "HANDFUL_EXTENSION_IDS": "testextensionidabcdefghijklmnopq"})
    try:
        reply = host.ask({"id": 1, "type": "status"})
    finally:
        host.finish()
    return reply


def test_a_missing_passphrase_is_told_as_such_then_cleared_once_the_agent_starts(
        store: Home) -> None:
    bare = {k: v for k, v in store.env.items() if k != "HANDFUL_PASSPHRASE"}
    reply = status_through_host(store, bare)
    assert reply["ok"] is False
    error = reply["error"]
    assert isinstance(error, dict)
    assert error["code"] == "agent_unavailable" and error["reason"] == "no_passphrase", error
    assert "HANDFUL_PASSPHRASE" in str(error["message"])
    failure = store.root / "run" / "agent-failure.json"
    assert stat.S_IMODE(failure.stat().st_mode) == 0o600
    assert json.loads(failure.read_text())["reason"] == "no_passphrase"

    wrong = status_through_host(store, {**store.env, "HANDFUL_PASSPHRASE": "not it"})
    assert wrong["error"]["reason"] == "wrong_passphrase", wrong  # type: ignore[index]

    fine = status_through_host(store, store.env)  # given the passphrase, the agent starts
    assert fine["ok"] is True, fine
    assert not failure.exists()
    store.run("stop")


def test_no_store_and_a_locked_store_each_have_their_reason(home: Home) -> None:
    reply = status_through_host(home, home.env)
    assert reply["error"]["reason"] == "not_initialised", reply  # type: ignore[index]
    assert "handful init" in str(reply["error"]["message"])  # type: ignore[index]

    home.ok("init")
    blocker = WriterLock(home.state / "writer.lock")  # another writer holds the store
    blocker.acquire(timeout=1)
    try:
        busy = status_through_host(home, home.env)
    finally:
        blocker.release()
    assert busy["error"]["reason"] == "store_busy", busy  # type: ignore[index]


def test_a_host_not_allowed_to_start_the_agent_says_it_is_not_running(store: Home) -> None:
    reply = status_through_host(store, {**store.env, "HANDFUL_HOST_NO_START": "1"})
    assert reply["error"]["reason"] == "not_running", reply  # type: ignore[index]


def test_the_failure_file_holds_no_secret(store: Home) -> None:
    status_through_host(store, {**store.env, "HANDFUL_PASSPHRASE": "my secret words"})
    text = (store.root / "run" / "agent-failure.json").read_text()
    assert "my secret words" not in text and set(json.loads(text)) == {"reason", "message"}
