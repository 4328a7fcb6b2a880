"""The local API in frames: what the native host (and every client of `client.py`) speaks to
the agent on its Unix socket `run/agent-frames.sock`.

The same framing as native messaging: each message a 4-byte length (native byte order) and
that many bytes of JSON, each reply the same, in the order the messages came. No HTTP: a
round trip costs a third of aiohttp's (bench/host_roundtrip.py), and the browser path (the
dialog, every heartbeat) takes it. Who may connect is what the HTTP socket checks on Unix:
the socket is 0600 in a 0700 folder, and on Linux the peer's uid must be the agent's.

A read is answered at once, in the same pass of the event loop that received it; a write
(and anything after it) waits its turn, so replies keep the order of the messages.

Where there are no Unix sockets the same frames go over loopback TCP, where anyone on the
machine can connect (and, after a crash, bind the port): each side proves it holds the
secret in `run/api.json` (0600) before anything else is said, and the secret never crosses
the wire: the client sends a nonce, the agent answers with its own and an HMAC of both, the
client checks it and answers with its HMAC (`client.agent_proof`, `client.client_proof`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import struct
from collections import deque
from typing import Any

import msgspec

from handful.api import protocol
from handful.api.answer import Reply, answer, answer_read, parse
from handful.api.peers import same_user
from handful.api.service import AgentService
from handful.client import agent_proof, client_proof

FRAME = struct.Struct("=I")
MAX_WAITING = 64  # messages queued behind a write before the agent stops reading the socket
MAX_CONNECTIONS = 64  # at once; one more is told `busy` and closed (a browser's host needs one)
HANDSHAKE_SECONDS = 5.0  # TCP: a connection that has not proved itself by then is closed
MAX_HANDSHAKE = 1024  # bytes of a frame before the proof
_encode = msgspec.json.Encoder().encode


def frame(reply: Reply) -> bytes:
    body = _encode(reply)
    return FRAME.pack(len(body)) + body


class FrameServer:
    """Makes a protocol for each connection and, at shutdown, closes them all once the writes
    under way are durable (their replies are sent if the client is still there). With a
    `secret` (loopback TCP), every connection must prove it holds it first."""

    def __init__(self, service: AgentService, secret: bytes | None = None) -> None:
        self.service = service
        self.secret = secret
        self.connections: set[FrameProtocol] = set()

    def __call__(self) -> FrameProtocol:
        return FrameProtocol(self)

    async def close(self) -> None:
        tasks = [c.task for c in self.connections if c.task is not None]
        for connection in list(self.connections):
            connection.stop_reading()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for connection in list(self.connections):
            connection.close()


class FrameProtocol(asyncio.Protocol):
    """One client's connection."""

    def __init__(self, server: FrameServer) -> None:
        self.server = server
        self.service = server.service
        self.connections = server.connections
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: deque[tuple[bytes, protocol.Request | None]] = deque()
        self.task: asyncio.Task[None] | None = None
        self.paused = False
        self.closing = False
        self.proved = server.secret is None
        self._nonces: tuple[bytes, bytes] | None = None  # (the client's, ours)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        if len(self.connections) >= MAX_CONNECTIONS:
            transport.write(frame(protocol.error(None, "busy", f"{MAX_CONNECTIONS} connections "
                                                               "are open; try again")))
            transport.close()
            return
        if self.server.secret is None and not same_user(transport.get_extra_info("socket")):
            transport.write(frame(protocol.error(None, "forbidden", "another user's process")))
            transport.close()
            return
        self.transport = transport
        self.connections.add(self)
        if not self.proved:
            self._deadline = asyncio.get_running_loop().call_later(
                HANDSHAKE_SECONDS, self._refuse, "no proof in time")

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None  # a write under way still completes; its reply has no one to go to
        if self._deadline is not None:
            self._deadline.cancel()
        if self.task is None:
            self.connections.discard(self)

    def stop_reading(self) -> None:
        self.closing = True
        if self.transport is not None and not self.paused:
            self.transport.pause_reading()
            self.paused = True

    def close(self) -> None:
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()  # (what was written before is still sent)
        self.connections.discard(self)

    def _refuse(self, why: str, request_id: Any = None) -> None:
        self._send(protocol.error(request_id, "forbidden", why))
        self.buffer.clear()
        self.close()

    def _handshake(self, raw: bytes) -> None:
        """hello (the client's nonce) -> our nonce and proof; prove (its proof) -> ok."""
        secret = self.server.secret
        assert secret is not None
        try:
            message = json.loads(raw)
            kind, request_id = message["type"], message.get("id")
            if kind == "hello" and self._nonces is None:
                theirs, ours = bytes.fromhex(message["nonce"]), os.urandom(32)
                if len(theirs) != 32:
                    raise ValueError("a nonce is 32 bytes")
                self._nonces = (theirs, ours)
                self._send(protocol.ok(request_id, {
                    "nonce": ours.hex(), "proof": agent_proof(secret, theirs, ours)}))
                return
            if kind == "prove" and self._nonces is not None and hmac.compare_digest(
                    str(message["proof"]), client_proof(secret, *self._nonces)):
                self.proved = True
                if self._deadline is not None:
                    self._deadline.cancel()
                self._send(protocol.ok(request_id, {"proved": True}))
                return
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        self._refuse("prove you hold the secret in api.json first (docs/protocol.md)")

    def data_received(self, data: bytes) -> None:
        if self.transport is None:
            return
        self.buffer += data
        while len(self.buffer) >= FRAME.size:
            (length,) = FRAME.unpack_from(self.buffer)
            if not self.proved and length > MAX_HANDSHAKE:
                self._refuse("prove you hold the secret in api.json first (docs/protocol.md)")
                return
            if length > protocol.MAX_MESSAGE:
                self._send(protocol.error(None, "too_large", f"message of {length} bytes; the "
                                                             f"limit is {protocol.MAX_MESSAGE}"))
                self.buffer.clear()
                self.close()
                return
            end = FRAME.size + length
            if len(self.buffer) < end:
                return
            raw = bytes(self.buffer[FRAME.size:end])
            del self.buffer[:end]
            if self.proved:
                self._take(raw)
            else:
                self._handshake(raw)
            if self.transport is None:
                return

    def _take(self, raw: bytes) -> None:
        if self.waiting:  # behind a write: in turn
            self.waiting.append((raw, None))
        else:
            request = parse(raw)
            if not isinstance(request, protocol.Request):
                self._send(request)
                return
            if self.service.is_read(request):
                self._send(answer_read(self.service, request, raw))
                return
            self.waiting.append((raw, request))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain())
        if len(self.waiting) >= MAX_WAITING and self.transport is not None and not self.paused:
            self.transport.pause_reading()
            self.paused = True

    async def _drain(self) -> None:
        while self.waiting:
            raw, request = self.waiting[0]
            reply = await answer(self.service, raw, request)
            self.waiting.popleft()
            self._send(reply)
            if (self.paused and not self.closing and len(self.waiting) < MAX_WAITING // 2
                    and self.transport is not None):
                self.transport.resume_reading()
                self.paused = False
        self.task = None
        if self.transport is None:
            self.connections.discard(self)

    def _send(self, reply: Reply) -> None:
        if self.transport is not None:
            self.transport.write(frame(reply))
