"""A program on a pseudo-terminal, as a person runs it: wait for what it prints, type."""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the program, on the terminal
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        self.output = b""

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def until(self, marker: bytes, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.output:
            assert time.monotonic() < deadline, self.text
            ready, _, _ = select.select([self.fd], [], [], 1)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.output += chunk
        assert marker in self.output, self.text

    def type(self, line: bytes) -> None:
        os.write(self.fd, line)

    def exit_code(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)
