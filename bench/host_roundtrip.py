"""Round trips through the real native host, as a browser makes them, and the idle agent.

Prints JSON lines: warm round trips (durable write, status read) through one host
process; cold start (spawn the host, first reply; agent already running); the agent's
resident memory and CPU time over a stretch of idleness.
Targets (issue 3): write p50 <= 1 ms, p99 <= 5 ms; status p50 <= 0.5 ms; cold <= 150 ms;
idle RSS <= 60 MB, no wake-ups while idle.
Targets (issue 13): cold <= 50 ms, status p50 <= 0.3 ms. `--compare DIR` measures another
checkout of the repository first (e.g. a `git worktree` of an older commit), labelled
"before", then this one, labelled "after", in one run.
Usage: python bench/host_roundtrip.py [--idle-seconds S] [--count N] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import PASSPHRASE, ROOT, cpu_reference, emit, summary

EXTENSION = "benchextensionidabcdefghijklmno"
LENGTH = struct.Struct("=I")


class Host:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "handful.host", f"chrome-extension://{EXTENSION}/"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(LENGTH.pack(len(body)) + body)
        self.proc.stdin.flush()
        (length,) = LENGTH.unpack(self.proc.stdout.read(4))
        reply: dict[str, Any] = json.loads(self.proc.stdout.read(length))
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"p50_ms": round(samples[len(samples) // 2], 3),
            "p99_ms": round(samples[int(len(samples) * 0.99)], 3),
            "max_ms": round(samples[-1], 3)}


def proc_stat(pid: int) -> tuple[float, int]:
    """(CPU seconds used, resident KiB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    return cpu, rss


def wakeups(pid: int) -> int:
    """Context switches of all the process's threads so far: each is a wake-up."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        for line in status.read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--compare", type=Path, help="another checkout of the repository")
    args = parser.parse_args()
    builds = [("before", args.compare.resolve())] if args.compare else []
    builds.append(("after" if args.compare else "this", ROOT))
    for label, root in builds:
        measure(label, root, args.count, args.idle_seconds)


def measure(label: str, root: Path, count: int, idle_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HANDFUL_HOME": tmp, "HANDFUL_PASSPHRASE": PASSPHRASE,
               "HANDFUL_EXTENSION_IDS": EXTENSION, "PYTHONPATH": str(root / "agent")}
        handful = [sys.executable, "-m", "handful"]
        subprocess.run([*handful, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*handful, "start"], env=env, check=True, capture_output=True)
        try:
            host = Host(env)
            host.ask({"id": 0, "type": "ping"})
            group = {"platform": "linkedin", "id": "1", "name": "Bench"}
            writes, reads = [], []
            for n in range(count):
                start = time.perf_counter()
                reply = host.ask({"id": n, "type": "engagement", "event": {
                    "id": f"e{n}", "group": group, "kind": "visit", "minutes": 1}})
                writes.append((time.perf_counter() - start) * 1000)
                assert reply["ok"], reply
                start = time.perf_counter()
                assert host.ask({"id": n, "type": "status"})["ok"]
                reads.append((time.perf_counter() - start) * 1000)
            host.close()
            emit(bench="host_roundtrip_write", build=label, count=count, **percentiles(writes),
                 cpu_reference_s=cpu_reference())
            emit(bench="host_roundtrip_status", build=label, count=count, **percentiles(reads))
            cold = []
            for _ in range(20):
                start = time.perf_counter()
                host = Host(env)
                host.ask({"id": 1, "type": "status"})
                cold.append((time.perf_counter() - start) * 1000)
                host.close()
            emit(bench="host_cold_start", build=label, runs=len(cold),
                 **{f"{k}_ms": v for k, v in summary(cold).items()})
            pid = int((Path(tmp) / "run" / "agent.pid").read_text())
            time.sleep(1)  # let the last connection's keep-alive timer run out
            cpu0, _ = proc_stat(pid)
            woke0 = wakeups(pid)
            time.sleep(idle_seconds)
            cpu1, rss = proc_stat(pid)
            emit(bench="agent_idle", build=label, seconds=idle_seconds, rss_mb=round(rss / 1024, 1),
                 cpu_s=round(cpu1 - cpu0, 3), wakeups=wakeups(pid) - woke0,
                 cpu_percent=round(100 * (cpu1 - cpu0) / idle_seconds, 3))
        finally:
            subprocess.run([*handful, "stop"], env=env, check=False, capture_output=True)


if __name__ == "__main__":
    main()
