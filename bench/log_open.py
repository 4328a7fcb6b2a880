"""Open + verify + fold: time and peak memory for logs of 100k and 1M events.

Prints one JSON line per log size. Each measurement runs in a fresh process, as a CLI
command or the agent's start would. Usage: python bench/log_open.py [SIZES...]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, emit, event_mix, make_store
from handful.domain import events as ev
from handful.ledger import Ledger

MEASURE = r"""
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from handful.ledger import Ledger, unlock
from handful.paths import Paths
from handful.store.layout import DeviceIdentity, StoreMeta
paths = Paths.from_env()
t1 = time.perf_counter()
key = unlock(paths, StoreMeta.load(paths), DeviceIdentity.load(paths))
t2 = time.perf_counter()
ledger = Ledger.open(paths, parallel=None if sys.argv[2] == "auto" else sys.argv[2] == "on")
t3 = time.perf_counter()
state = ledger.state
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"import_s": t1 - t0, "unlock_s": t2 - t1, "open_s": t3 - t2,
                  "events": state.events, "groups": len(state.groups),
                  "peak_rss_mb": round(self_kb / 1024, 1),
                  "peak_worker_rss_mb": round(child_kb / 1024, 1)}))
"""


def measure(root: Path, parallel: str) -> dict[str, object]:
    import json
    import os

    env = {**os.environ, "HANDFUL_HOME": str(root), "HANDFUL_PASSPHRASE": "bench passphrase"}
    out = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT / "agent"), parallel],
                         env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, object] = json.loads(out)
    return result


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [100_000, 1_000_000]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_store(root)
            t0 = time.perf_counter()
            with Ledger.open(write=True) as ledger:
                batch = 20_000
                for start in range(0, size, batch):
                    events = event_mix(start, min(batch, size - start), size, ledger.device)
                    ledger.log.append_many([(e.id, ev.encode(e)) for e in events])
            written_s = time.perf_counter() - t0
            log_bytes = sum(p.stat().st_size for p in (root / "data" / "log").rglob("*.seg"))
            for parallel in ("auto", "off"):
                figures = measure(root, parallel)
                emit(bench="open_verify_fold", size=size, parallel=parallel,
                     log_mb=round(log_bytes / 2**20, 1), generate_s=round(written_s, 2),
                     **{k: round(v, 3) if isinstance(v, float) else v
                        for k, v in figures.items()})


if __name__ == "__main__":
    main()
