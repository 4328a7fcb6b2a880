"""Durable appends: latency of one append at a time, and throughput with group commit.

Every append returns only after its record is on disk (fdatasync). Threads show the
in-process group commit; async clients show the agent's shape (one event loop, many
requests, one flush per batch). Prints JSON lines. Targets (issue 2): a single durable append
p99 <= 5 ms; >= 50k events/s durable with group commit.
Usage: python bench/append.py [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import threading
import time
from pathlib import Path

import msgspec

from common import cpu_reference, emit, event_mix, make_store
from handful.domain import events as ev
from handful.ledger import Ledger
from handful.store.appender import AsyncAppender


def single(ledger: Ledger, count: int) -> None:
    events = event_mix(0, count, count, ledger.device)
    samples = []
    for event in events:
        start = time.perf_counter()
        ledger.append(event)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    emit(bench="append_single", appends=count,
         p50_ms=round(samples[len(samples) // 2], 3),
         p99_ms=round(samples[int(len(samples) * 0.99)], 3),
         max_ms=round(samples[-1], 3), mean_ms=round(statistics.fmean(samples), 3),
         cpu_reference_s=cpu_reference())


def group_commit(ledger: Ledger, threads: int, seconds: float, offset: int) -> None:
    template = event_mix(0, 1, 1, ledger.device)[0]
    ids = itertools.count(offset)
    stop = threading.Event()
    done = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]

    def work(t: int) -> None:
        while not stop.is_set():
            event = msgspec.structs.replace(template, id=f"g{next(ids)}")
            start = time.perf_counter()
            ledger.append(event)
            latencies[t].append((time.perf_counter() - start) * 1000)
            done[t] += 1

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    flat = sorted(x for per in latencies for x in per)
    emit(bench="append_group_commit", threads=threads, events=sum(done),
         events_per_s=round(sum(done) / elapsed), seconds=round(elapsed, 2),
         p50_ms=round(flat[len(flat) // 2], 3), p99_ms=round(flat[int(len(flat) * 0.99)], 3),
         cpu_reference_s=cpu_reference())


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_store(Path(tmp))
        with Ledger.open(write=True) as ledger:
            single(ledger, 2000)
            for n, threads in enumerate((1, 4, 16, 64, 128)):
                group_commit(ledger, threads, args.seconds, offset=(n + 1) * 10**8)
            for n, clients in enumerate((1, 16, 256, 1024)):
                async_group_commit(ledger, clients, args.seconds, offset=(n + 10) * 10**8)





def async_group_commit(ledger: Ledger, clients: int, seconds: float, offset: int) -> None:
    """The agent's shape: many concurrent requests on one event loop, one flush per batch."""
    template = event_mix(0, 1, 1, ledger.device)[0]
    ids = itertools.count(offset)
    appender = AsyncAppender(ledger.log)
    latencies: list[float] = []

    async def client(deadline: float) -> int:
        n = 0
        while time.perf_counter() < deadline:
            event = msgspec.structs.replace(template, id=f"a{next(ids)}")
            start = time.perf_counter()
            await appender.append(event.id, ev.encode(event))
            latencies.append((time.perf_counter() - start) * 1000)
            n += 1
        return n

    async def run() -> tuple[int, float]:
        start = time.perf_counter()
        counts = await asyncio.gather(*(client(start + seconds) for _ in range(clients)))
        elapsed = time.perf_counter() - start
        await appender.close()
        return sum(counts), elapsed

    total, elapsed = asyncio.run(run())
    latencies.sort()
    emit(bench="append_group_commit_async", clients=clients, events=total,
         events_per_s=round(total / elapsed), seconds=round(elapsed, 2),
         p50_ms=round(latencies[len(latencies) // 2], 3),
         p99_ms=round(latencies[int(len(latencies) * 0.99)], 3),
         cpu_reference_s=cpu_reference())


if __name__ == "__main__":
    _main()
