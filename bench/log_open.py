"""Open + verify + fold of a log of N events: time and peak memory, in a fresh process each
time (as a CLI command or the agent's start would see it).

One event per record, as the agent writes them. Prints one JSON line per size and mode:
cold (no checkpoint: every event decoded and folded) and warm (the checkpoint the last
writer left; every record is still decrypted and verified, only newer ones folded).
Usage: python bench/log_open.py [--runs K] [SIZE ...]   (default: 100000 1000000, K=3)
Target (issue 2): 1M events in <= 2 s with <= 300 MB peak RSS.
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
import json, resource, sys, time
t0 = time.perf_counter()
from handful.ledger import Ledger, unlock
from handful.paths import Paths
from handful.store.layout import DeviceIdentity, StoreMeta
paths = Paths.from_env()
t1 = time.perf_counter()
key = unlock(paths, StoreMeta.load(paths), DeviceIdentity.load(paths))
t2 = time.perf_counter()
ledger = Ledger.open(paths, parallel={"auto": None, "on": True, "off": False}[sys.argv[1]],
                     checkpoint=sys.argv[2] == "warm")
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "unlock_s": t2 - t1, "open_s": t3 - t2,
                  "events": ledger.state.events,
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "worker_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def measure(root: Path, mode: str, start: str) -> dict[str, float]:
    env = {**os.environ, "HANDFUL_HOME": str(root), "HANDFUL_PASSPHRASE": PASSPHRASE,
           "PYTHONPATH": str(ROOT / "agent")}
    out = subprocess.run([sys.executable, "-c", MEASURE, mode, start], env=env,
                         capture_output=True,
                         text=True, check=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def generate(root: Path, size: int) -> float:
    make_store(root)
    start = time.perf_counter()
    with Ledger.open(write=True) as ledger:
        batch = 20_000
        for first in range(0, size, batch):
            events = event_mix(first, min(batch, size - first), size, ledger.device)
            ledger.log.append_many([(e.id, ev.encode(e)) for e in events])
    os.sync()  # let the write-back of the new log finish before anything is timed
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            generate(root, size)
            log_bytes = sum(p.stat().st_size for p in (root / "data" / "log").rglob("*.seg"))
            # cold: every event folded (a first open); warm: folded up to the checkpoint the
            # last writer left, every record still verified
            for start, mode in (("cold", "auto"), ("cold", "off"), ("warm", "auto")):
                runs = [measure(root, mode, start) for _ in range(args.runs)]
                assert all(r["events"] == size for r in runs)
                emit(bench="open_verify_fold", events=size, start=start, parallel=mode,
                     log_mb=round(log_bytes / 2**20, 1),
                     open_s=summary([r["open_s"] for r in runs]),
                     unlock_s=summary([r["unlock_s"] for r in runs]),
                     import_s=summary([r["import_s"] for r in runs]),
                     total_s=summary([r["import_s"] + r["unlock_s"] + r["open_s"]
                                      for r in runs]),
                     peak_rss_mb=round(max(r["rss_kb"] for r in runs) / 1024, 1),
                     peak_worker_rss_mb=round(max(r["worker_rss_kb"] for r in runs) / 1024, 1),
                     cpu_reference_s=cpu_reference(), cores=os.cpu_count())


if __name__ == "__main__":
    main()
