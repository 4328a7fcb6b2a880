"""The CLI's reads with the agent running (through it, no passphrase) and without (the store
opened by the command itself): wall time and the command's peak memory, each in a fresh
process, on a log of N events. `export -o` is streamed either way: its peak memory must not
grow with the log. The agent's own memory is read before and after the exports.

Prints one JSON line per command and path.
Usage: python bench/cli_reads.py [--runs K] [SIZE ...]   (default: 20000 200000, K=3)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PASSPHRASE, ROOT, cpu_reference, emit, event_mix, make_store, summary
from handful.domain import events as ev
from handful.ledger import Ledger

MEASURE = r"""
import io, json, sys, time
t0 = time.perf_counter()
from handful.cli.main import main
sys.stdout = io.TextIOWrapper(open("/dev/null", "wb"))
code = main(sys.argv[1:])
sys.stdout.flush()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
sys.__stdout__.write(json.dumps({"code": code, "wall_s": time.perf_counter() - t0, "rss_kb": hwm}))
"""


def run(root: Path, args: list[str], *, passphrase: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDFUL_")}
    env.update({"HANDFUL_HOME": str(root), "PYTHONPATH": str(ROOT / "agent"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    if passphrase:
        env["HANDFUL_PASSPHRASE"] = PASSPHRASE
    out = subprocess.run([sys.executable, "-c", MEASURE, *args], env=env, capture_output=True,
                         text=True, check=True).stdout
    result: dict[str, float] = json.loads(out)
    assert result["code"] == 0, result
    return result


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def generate(root: Path, size: int) -> None:
    make_store(root)
    with Ledger.open(write=True) as ledger:
        for first in range(0, size, 20_000):
            events = event_mix(first, min(20_000, size - first), size, ledger.device)
            ledger.log.append_many([(e.id, ev.encode(e)) for e in events])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("sizes", type=int, nargs="*", default=[20_000, 200_000])
    args = parser.parse_args()
    commands = {"status": ["status", "--json"], "groups": ["groups", "--all", "--json"],
                "export": ["export", "-o", "OUT"], "verify": ["verify", "--json"]}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            generate(root, size)
            out = str(root / "export.json")
            figures: dict[str, dict[str, list[dict[str, float]]]] = {}
            for path in ("direct", "agent"):
                agent_pid = None
                if path == "agent":
                    env = {**os.environ, "HANDFUL_HOME": str(root),
                           "HANDFUL_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT / "agent")}
                    subprocess.run([sys.executable, "-m", "handful", "start"], env=env,
                                   check=True, capture_output=True)
                    agent_pid = int((root / "run" / "agent.pid").read_text())
                    time.sleep(1)  # (the agent's first checkpoint and tray start settle)
                    before = rss_mb(agent_pid)
                try:
                    for name, command in commands.items():
                        argv = [out if a == "OUT" else a for a in command]
                        figures.setdefault(name, {})[path] = [
                            run(root, argv, passphrase=path == "direct")
                            for _ in range(args.runs)]
                    if agent_pid is not None:
                        after = rss_mb(agent_pid)
                finally:
                    if agent_pid is not None:
                        subprocess.run([sys.executable, "-m", "handful", "stop"], env=env,
                                       check=True, capture_output=True)
            export_mb = round(Path(out).stat().st_size / 2**20, 1)
            for name, paths in figures.items():
                for path, runs in paths.items():
                    emit(bench="cli_reads", command=name, path=path, events=size,
                         wall_s=summary([r["wall_s"] for r in runs]),
                         peak_rss_mb=round(max(r["rss_kb"] for r in runs) / 1024, 1),
                         **({"export_mb": export_mb} if name == "export" else {}),
                         **({"agent_rss_mb_before": before, "agent_rss_mb_after": after}
                            if path == "agent" else {}),
                         cpu_reference_s=cpu_reference())


if __name__ == "__main__":
    main()
