"""Driving the real native host as a browser does: a subprocess, frames on its stdio."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from typing import Any

from tests.conftest import Home

EXTENSION = "testextensionidabcdefghijklmnopq"
ORIGIN = f"chrome-extension://{EXTENSION}/"
LENGTH = struct.Struct("=I")


class Host:
    def __init__(self, home: Home | None, *args: str, launcher: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        """The host as `python -m handful.host`, or through `launcher` (the script a host
        manifest points at) with the browser's environment `env`, as the browser starts it."""
        if env is None:
            assert home is not None
            env = {**home.env, "HANDFUL_EXTENSION_IDS": f"{EXTENSION},firefox@test"}
        command = [launcher] if launcher else [sys.executable, "-m", "handful.host"]
        self.proc = subprocess.Popen(
            [*command, *(args or (ORIGIN,))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def frame(self, body: bytes) -> None:
        self.write(LENGTH.pack(len(body)) + body)

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        head = self.proc.stdout.read(4)
        assert len(head) == 4, self.finish()
        (length,) = LENGTH.unpack(head)
        assert length <= 1 << 20
        body = self.proc.stdout.read(length)
        reply: dict[str, Any] = json.loads(body)
        return reply

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        self.frame(json.dumps(message).encode())
        reply = self.read()
        assert reply["id"] == message.get("id"), reply
        return reply

    def finish(self, timeout: float = 30) -> tuple[int, bytes, bytes]:
        """Close stdin (the browser closing the port) and collect what is left."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err
