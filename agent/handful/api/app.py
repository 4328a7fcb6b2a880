"""The local API as an aiohttp application: one endpoint for the message envelope.

Who may call: the socket is 0600 in a 0700 folder and, on Linux, the peer's uid is
checked; over loopback TCP a per-install token is required. A browser `Origin` or an
unexpected `Host` is refused with 403 before any handler runs, because a browser will
send a "simple" POST to a local port even when it would hide the answer.
"""

from __future__ import annotations

import hmac
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from handful.api import protocol
from handful.api.service import AgentService
from handful.errors import HandfulError, StorageFailure

log = logging.getLogger("handful.api")
SERVICE_KEY: web.AppKey[AgentService] = web.AppKey("service", AgentService)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(service: AgentService, *, hosts: set[str], token: str | None = None
              ) -> web.Application:
    """`hosts`: the Host values a genuine client sends; `token`: required when over TCP."""

    @web.middleware
    async def gatekeeper(request: web.Request, handler: Handler) -> web.StreamResponse:
        if "Origin" in request.headers or "Sec-Fetch-Site" in request.headers:
            return _refuse("requests from web pages are refused")
        if request.headers.get("Host", "") not in hosts:
            return _refuse("unexpected Host")
        if token is not None:
            offered = request.headers.get("Authorization", "")
            if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
                return _refuse("missing or wrong token")
        if not _same_user(request):
            return _refuse("another user's process")
        return await handler(request)

    app = web.Application(middlewares=[gatekeeper], client_max_size=protocol.MAX_MESSAGE)
    app[SERVICE_KEY] = service
    app.router.add_post("/v1/message", message)

    async def close_service(app: web.Application) -> None:
        await app[SERVICE_KEY].close()

    app.on_cleanup.append(close_service)
    return app


def _refuse(why: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": "forbidden", "message": why}},
                             status=403)


def _same_user(request: web.Request) -> bool:
    sock: Any = request.transport.get_extra_info("socket") if request.transport else None
    if sock is None or sock.family != getattr(socket, "AF_UNIX", None):
        return True  # TCP: the token is the check
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # macOS: the socket's 0600 mode is the check
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


async def message(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return web.json_response(protocol.error(None, "too_large", "message too large"))
    try:
        parsed = protocol.parse(raw)
        reply = protocol.ok(parsed.id, await service.handle(parsed))
    except protocol.ProtocolError as error:
        reply = protocol.error(protocol.request_id(raw), error.code, str(error))
    except StorageFailure as error:
        reply = protocol.error(protocol.request_id(raw), "storage", str(error))
    except HandfulError as error:
        reply = protocol.error(protocol.request_id(raw), "invalid", str(error))
    except Exception as error:  # a bug must cost one reply, never the agent
        log.exception("message failed")
        reply = protocol.error(protocol.request_id(raw), "internal",
                               f"the agent could not handle this message ({type(error).__name__})")
    return web.json_response(reply)
