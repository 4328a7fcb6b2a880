"""The local API over HTTP (aiohttp's low-level server) on `run/agent.sock`, for scripts:
one endpoint for the message envelope. (Handful's own clients speak frames: frames.py.)

Who may call: the socket is 0600 in a 0700 folder and, on Linux, the peer's uid is checked
on every request; it is never served over TCP. A browser `Origin` or an unexpected `Host`
is refused with 403 before any handler runs: defence in depth, should a browser ever reach
the socket through a proxy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from aiohttp import web

from handful.api import protocol
from handful.api.answer import answer
from handful.api.peers import same_user
from handful.api.service import AgentService

PATH = "/v1/message"


def build_server(service: AgentService, *, hosts: set[str]) -> web.Server:
    """The agent's HTTP server: one endpoint, the caller checked before anything is read.
    `hosts`: the Host values a genuine client sends.

    aiohttp's low-level server, not an Application: with one endpoint a router and a
    middleware chain only cost time (about 40 us of a 160 us round trip)."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.path != PATH:
            return _json(protocol.error(None, "not_found", f"the agent answers {PATH} only"),
                         status=404)
        if request.method != "POST":
            return _json(protocol.error(None, "method", "POST a message"), status=405)
        refused = _gatekeeper(request, hosts)
        if refused is not None:
            return refused
        return await message(request, service)

    def request_factory(message: Any, payload: Any, handler: Any, writer: Any,
                        task: asyncio.Task[None]) -> web.BaseRequest:
        return web.BaseRequest(message, payload, handler, writer, task, task.get_loop(),
                               client_max_size=protocol.MAX_MESSAGE)

    # (lingering: an unread body is drained for at most a second before the close)
    return web.Server(handle, request_factory=request_factory, access_log=None,
                      lingering_time=1.0)


def _gatekeeper(request: web.BaseRequest, hosts: set[str]) -> web.Response | None:
    if "Origin" in request.headers or "Sec-Fetch-Site" in request.headers:
        return _refuse("requests from web pages are refused")
    if request.headers.get("Host", "") not in hosts:
        return _refuse("unexpected Host")
    transport = request.transport
    if not same_user(transport.get_extra_info("socket") if transport else None):
        return _refuse("another user's process")
    return None


_encode = msgspec.json.Encoder().encode  # a fifth of the stdlib's time for a status reply


def _json(doc: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=_encode(doc), status=status, content_type="application/json")


def _refuse(why: str) -> web.Response:
    return _json({"ok": False, "error": {"code": "forbidden", "message": why}}, status=403)


async def message(request: web.BaseRequest, service: AgentService) -> web.Response:
    too_large = _json(protocol.error(None, "too_large", f"message over {protocol.MAX_MESSAGE} "
                                                        "bytes"), status=413)
    if (request.content_length or 0) > protocol.MAX_MESSAGE:
        too_large.force_close()  # said up front: not waited for, not read
        return too_large
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        too_large.force_close()
        return too_large
    except ConnectionError:  # the caller went away mid-message: nothing to answer
        gone = _json(protocol.error(None, "invalid", "the message was cut short"), status=400)
        gone.force_close()
        return gone
    return _json(await answer(service, raw))
