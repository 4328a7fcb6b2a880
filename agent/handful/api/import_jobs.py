"""`import` through the agent: the agent reads the export itself (a 1 MiB message could
never carry one), in a thread beside its event loop, and reports progress to whoever asks.

One import at a time (`busy` otherwise). `import` answers at once with a job id;
`import_status` says the phase, how far it got, and at the end the summary or the error.
A finished job is kept JOB_KEPT seconds for its client to collect.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handful.api.protocol import ProtocolError
from handful.errors import HandfulError
from handful.imports.run import parse_matches, run_import
from handful.ledger import Ledger

JOB_KEPT = 600.0


@dataclass
class _Job:
    token: str
    phase: str = "start"
    done: int = 0
    total: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    finished: float | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def view(self) -> dict[str, Any]:
        view: dict[str, Any] = {"job": self.token, "phase": self.phase, "done": self.done,
                                "total": self.total, "finished": self.finished is not None}
        if self.result is not None:
            view["summary"] = self.result
        if self.error is not None:
            view["error"] = self.error
        return view


class ImportJobs:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.jobs: dict[str, _Job] = {}

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, j in self.jobs.items()
                      if j.finished is not None and now - j.finished > JOB_KEPT]:
            del self.jobs[token]

    def start(self, platform: str, paths: list[str], *, dry_run: bool,
              matches: dict[str, str]) -> dict[str, Any]:
        self._expire()
        if any(job.finished is None for job in self.jobs.values()):
            raise ProtocolError("busy", "an import is already running; wait for it to end")
        where = [Path(p) for p in paths]
        if not where or any(not p.is_absolute() for p in where):
            raise ProtocolError("invalid", "`paths`: one or more absolute paths")
        try:
            chosen = {name: key for raw in [f"{n}={k}" for n, k in matches.items()]
                      for name, key in parse_matches([raw]).items()}
        except HandfulError as error:
            raise ProtocolError("invalid", str(error)) from None
        job = _Job(secrets.token_urlsafe(12))
        self.jobs[job.token] = job
        loop = asyncio.get_running_loop()

        def progress(phase: str, done: int, total: int, _detail: str) -> None:
            def note() -> None:
                job.phase, job.done, job.total = phase, done, total
            loop.call_soon_threadsafe(note)

        async def work() -> None:
            try:
                job.result = await asyncio.to_thread(
                    run_import, self.ledger, platform, where, dry_run=dry_run, matches=chosen,
                    progress=progress)
                job.phase = "done"
            except HandfulError as error:
                job.error = {"code": error.reason, "message": str(error)}
            except Exception as error:
                job.error = {"code": "failed", "message": f"the import failed: {error}"}
            finally:
                job.finished = time.monotonic()

        job.task = asyncio.ensure_future(work())
        return job.view()

    def status(self, token: str) -> dict[str, Any]:
        self._expire()
        job = self.jobs.get(token)
        if job is None:
            raise ProtocolError("invalid", "no such import (finished more than ten minutes "
                                           "ago, or the agent restarted)")
        return job.view()

    async def close(self) -> None:
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                await asyncio.wait([job.task], timeout=30)
