"""The local API's HTTP face (run/agent.sock) against a real store, served on a real Unix
socket in this process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from handful.api.app import build_server
from handful.api.service import AgentService
from handful.ledger import Ledger
from tests.conftest import Home

GROUP = {"platform": "linkedin", "id": "12345", "name": "Data Folk",
         "url": "https://www.linkedin.com/groups/12345/"}


class Api:
    def __init__(self, client: aiohttp.ClientSession, path: str, ledger: Ledger) -> None:
        self.client, self.path, self.ledger = client, path, ledger
        self.host = "handful"

    async def raw(self, body: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
        merged = {"Host": self.host, **headers}
        response = await self.client.post("/v1/message", data=body, headers=merged)
        return response.status, await response.json()

    async def send(self, message: dict[str, Any], **headers: str) -> dict[str, Any]:
        status, reply = await self.raw(json.dumps(message).encode(), **headers)
        assert status == 200
        assert reply["id"] == message.get("id")
        return reply


@pytest.fixture
async def api(store: Home, in_process: Home) -> AsyncIterator[Api]:
    ledger = Ledger.open(write=True)
    service = AgentService(ledger)
    runner = web.ServerRunner(build_server(service, hosts={"handful"}))
    await runner.setup()
    folder = tempfile.mkdtemp(prefix="hf-api-")  # short: a socket path has 108 bytes
    path = os.path.join(folder, "agent.sock")
    await web.UnixSite(runner, path).start()
    client = aiohttp.ClientSession("http://handful",
                                   connector=aiohttp.UnixConnector(path=path))
    yield Api(client, path, ledger)
    await client.close()
    await runner.cleanup()
    await service.close()
    ledger.close()
    shutil.rmtree(folder, ignore_errors=True)


async def test_status(api: Api) -> None:
    reply = await api.send({"id": 1, "type": "status"})
    assert reply["ok"] is True
    result = reply["result"]
    assert result["agent"]["running"] is True and result["cap"] == 5 and result["members"] == 0


@pytest.mark.parametrize("kind", ["group_seen", "join_intercepted", "join_declined",
                                  "join_deferred", "join_requested", "joined", "left"])
async def test_every_group_event_type(api: Api, kind: str) -> None:
    event = {"id": f"evt-{kind}", "group": GROUP}
    reply = await api.send({"id": kind, "type": kind, "event": event})
    assert reply["ok"] is True, reply
    assert reply["result"]["stored"] is True
    stored = reply["result"]["event"]
    assert stored["type"] == kind and stored["device"] == api.ledger.device
    assert [e["id"] for e in api.ledger.events()] == [f"evt-{kind}"]


async def test_justified_engagement_review_and_retries(api: Api) -> None:
    justified = {"id": "j1", "group": GROUP, "reasons": ["peers"], "give": "talks",
                 "get": "leads", "involvement": ["speak"], "ts": "2026-03-01T10:00:00Z"}
    assert (await api.send({"id": "a", "type": "join_justified", "event": justified}))["ok"]
    again = await api.send({"id": "b", "type": "join_justified", "event": justified})
    assert again["ok"] and again["result"]["stored"] is False  # a retry, stored once
    await api.send({"id": "c", "type": "joined", "event": {"id": "j2", "group": GROUP}})
    await api.send({"id": "d", "type": "engagement",
                    "event": {"id": "e1", "group": GROUP, "kind": "post"}})
    await api.send({"id": "e", "type": "review_decision",
                    "event": {"id": "r1", "group": GROUP, "decision": "deepen"}})
    group = (await api.send({"id": "f", "type": "group", "group": GROUP}))["result"]
    assert group["count"] == 1
    assert group["group"]["commitment"]["give"] == "talks"
    assert group["group"]["figures"]["30"]["posts"] == 1
    assert group["group"]["last_review"] == "deepen"
    listed = (await api.send({"id": "g", "type": "groups"}))["result"]
    assert [g["key"] for g in listed["groups"]] == ["linkedin:12345"]
    assert len(list(api.ledger.events())) == 4


async def test_memberships_imported_from_a_list_page(api: Api) -> None:
    groups = [{"platform": "facebook", "id": f"g{n}", "name": f"Group {n}"} for n in range(40)]
    message = {"id": 9, "type": "memberships_imported", "batch": "page-1", "groups": groups,
               "source": "facebook_list"}
    first = await api.send(message)
    assert first["result"] == {"stored": 40, "duplicates": 0}
    again = await api.send(message)
    assert again["result"] == {"stored": 0, "duplicates": 40}
    status = (await api.send({"id": 10, "type": "status"}))["result"]
    assert status["members"] == 40 and status["over_cap"] is True


async def test_settings_get_and_set(api: Api) -> None:
    reply = await api.send({"id": 1, "type": "settings_get"})
    assert reply["result"]["settings"] == {"cap": 5, "guard.delay_seconds": 5,
                                           "review.interval_days": 30,
        "review.snooze_days": 7, "review.dormant_days": 60, "review.involvement_90": 3,
        "guard.paused_until": 0, "fast.started_at": 0, "guard.pause_everywhere": 1}
    reply = await api.send({"id": 2, "type": "settings_set", "key": "cap", "value": 3,
                            "event_id": "s1"})
    assert reply["result"] == {"stored": True, "settings": {"cap": 3}}
    bad = await api.send({"id": 3, "type": "settings_set", "key": "cap", "value": 0,
                          "event_id": "s2"})
    assert bad["ok"] is False and "between 1 and 100" in bad["error"]["message"]


async def test_concurrent_writes_are_each_durable_once(api: Api) -> None:
    messages = [{"id": n, "type": "engagement",
                 "event": {"id": f"c{n % 150}", "group": GROUP, "kind": "reaction"}}
                for n in range(300)]
    replies = await asyncio.gather(*(api.send(m) for m in messages))
    assert all(r["ok"] for r in replies)
    assert sum(r["result"]["stored"] for r in replies) == 150
    assert len(list(api.ledger.events())) == 150


@pytest.mark.parametrize(("body", "code"), [
    (b"not json", "bad_json"),
    (b"[1, 2]", "invalid"),
    (b'{"id": 5}', "invalid"),
    (b'{"id": 5, "type": "launch_missiles"}', "unknown_type"),
    (b'{"id": 5, "type": "status", "extra": 1}', "invalid"),
    (b'{"id": 5, "type": "joined", "event": {"group": {}}}', "invalid"),
    (b'{"id": 5, "type": "joined", "event": {"id": "x", "group": {"platform": "myspace", '
     b'"id": "1"}}}', "invalid"),
    (b'{"id": 5, "type": "joined", "event": {"id": "x", "device": "me", "group": {}}}',
     "invalid"),
    (b'{"id": 5, "type": "engagement", "event": {"id": "x", "kind": "visit", "minutes": '
     b'"lots", "group": {"platform": "linkedin", "id": "1"}}}', "invalid"),
    (b'{"id": 5, "type": "joined", "event": {"a": ' + b"[" * 50000 + b"]" * 50000 + b"}}",
     "invalid"),
    (b'{"id": {"nested": true}, "type": "status"}', "invalid"),
])
async def test_bad_messages_get_a_clear_error(api: Api, body: bytes, code: str) -> None:
    status, reply = await api.raw(body)
    assert status == 200
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert reply["error"]["message"]
    assert list(api.ledger.events()) == []
    assert (await api.send({"id": "still", "type": "status"}))["ok"]  # the agent lives on


async def test_a_message_over_the_size_limit(api: Api) -> None:
    body = json.dumps({"id": 1, "type": "status", "pad": "x" * (2 << 20)}).encode()
    status, _ = await api.raw(body)
    assert status in (200, 413)
    assert (await api.send({"id": 2, "type": "status"}))["ok"]


@pytest.mark.parametrize("headers", [
    {"Origin": "https://www.linkedin.com"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Host": "evil.example:80"},
    {"Host": "localhost"},
])
async def test_callers_that_are_not_ours_are_refused(api: Api, headers: dict[str, str]
                                                     ) -> None:
    status, reply = await api.raw(
        b'{"id": 1, "type": "joined", "event": {"id": "x", "group": '
        b'{"platform": "linkedin", "id": "1"}}}', **headers)
    assert status == 403 and reply["error"]["code"] == "forbidden"
    assert list(api.ledger.events()) == []


async def test_the_agent_answers_one_endpoint_and_one_method(api: Api) -> None:
    headers = {"Host": api.host}
    body = b'{"id": 1, "type": "status"}'
    other = await api.client.post("/v1/other", data=body, headers=headers)
    assert other.status == 404 and (await other.json())["error"]["code"] == "not_found"
    get = await api.client.get("/v1/message", headers=headers)
    assert get.status == 405 and (await get.json())["error"]["code"] == "method"
    for refused in (other, get):
        assert refused.headers["Content-Type"] == "application/json"


async def test_headers_that_are_not_utf8_are_refused_cleanly(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Raw bytes in the Host or any other header: an answer, never a 500 or a traceback."""
    body = b'{"id": 1, "type": "status"}'

    def exchange(head: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(api.path)
            sock.sendall(b"POST /v1/message HTTP/1.1\r\n" + head + b"Content-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            return data

    loop = asyncio.get_running_loop()
    for head, status in ((b"Host: handful\xff\xfe\r\n", b"403"),
                         (b"Host: handful\r\nAuthorization: Bearer \xff\xfe\r\n", b"200"),
                         (b"Host: handful\r\nX-Note: caf\xe9\r\n", b"200")):
        answer = await loop.run_in_executor(None, exchange, head)
        assert answer.split(b"\r\n")[0] == b"HTTP/1.1 " + status + (
            b" Forbidden" if status == b"403" else b" OK"), answer[:200]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert list(api.ledger.events()) == []


def documented_result(kind: str) -> set[str]:
    """The top-level fields docs/protocol.md's table of reads gives for `kind`'s result."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
    [row] = [line for line in doc.splitlines() if line.startswith(f"| `{kind}` |")]
    cell = row.split(" | ")[-1]
    outer = cell[cell.index("{") + 1:]
    depth, top = 0, []
    for ch in outer:  # keep only what is at the outer object's own level
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            top.append(ch)
    return set(re.findall(r'"([a-z_]+)"', "".join(top)))


async def test_docs_protocol_md_gives_each_reads_fields_as_the_agent_answers(api: Api) -> None:
    await api.send({"id": 1, "type": "joined", "event": {
        "id": "d1", "group": {"platform": "linkedin", "id": "12345", "name": "Docs"}}})
    asked = {"status": {}, "group": {"group": {"platform": "linkedin", "id": "12345"}},
             "groups": {"all": True},
             "review": {}, "settings_get": {}, "ping": {}}
    for kind, fields in asked.items():
        reply = await api.send({"id": kind, "type": kind, **fields})
        assert reply["ok"], reply
        assert set(reply["result"]) == documented_result(kind), kind
