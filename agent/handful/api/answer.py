"""One message in, one reply out: the same for every transport (HTTP, frames).

A reply always carries the request's id when it can be read at all; what went wrong is a
code and one sentence; a bug costs one reply, never the agent.
"""

from __future__ import annotations

import logging
from typing import Any

from handful.api import protocol
from handful.api.service import AgentService
from handful.errors import HandfulError, IntegrityError, StorageFailure

log = logging.getLogger("handful.api")
Reply = dict[str, Any]


def failure(raw: bytes, error: Exception) -> Reply:
    """The reply for a message that failed with `error`."""
    request_id = protocol.request_id(raw)
    if isinstance(error, protocol.ProtocolError):
        return protocol.error(request_id, error.code, str(error))
    if isinstance(error, StorageFailure):
        return protocol.error(request_id, "storage", str(error))
    if isinstance(error, IntegrityError):
        return protocol.error(request_id, "integrity", str(error))
    if isinstance(error, HandfulError):
        return protocol.error(request_id, "invalid", str(error))
    log.error("message failed", exc_info=error)
    return protocol.error(request_id, "internal",
                          f"the agent could not handle this message ({type(error).__name__})")


def parse(raw: bytes) -> protocol.Request | Reply:
    """The request, or the reply that refuses it."""
    try:
        return protocol.parse(raw)
    except Exception as error:
        return failure(raw, error)


def answer_read(service: AgentService, request: protocol.Request, raw: bytes) -> Reply:
    """A read, answered at once (`service.is_read(request)`)."""
    try:
        return protocol.ok(request.id, service.read(request))
    except Exception as error:
        return failure(raw, error)


async def answer(service: AgentService, raw: bytes,
                 request: protocol.Request | None = None) -> Reply:
    """Any message: a write returns once it is durable."""
    parsed = parse(raw) if request is None else request
    if not isinstance(parsed, protocol.Request):
        return parsed
    try:
        return protocol.ok(parsed.id, await service.handle(parsed))
    except Exception as error:
        return failure(raw, error)
