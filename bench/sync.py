"""Sync's figures (issue 18), each a JSON line:

- merge: a peer's 100,000 events verified, copied and folded in one pass (target <= 1 s);
- rescan: a full pass over 10 devices' folders with nothing new (target <= 1 s);
- landing: a new piece renamed into a peer's folder, until the running agent of another
  device has folded it (target <= 2 s after it lands);
- idle: the receiving agent's CPU, syncing and idle, averaged over --idle-seconds (600 by
  default: the target is <= 0.1% over 10 minutes).

    python bench/sync.py [--events N] [--idle-seconds S]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, cpu_reference, emit, event_mix

sys.path.insert(0, str(ROOT / "agent"))

from handful import syncing
from handful.client import AgentClient
from handful.ledger import Ledger, init_store
from handful.paths import Paths

PASSPHRASE = "bench passphrase"


def paths_in(root: Path) -> Paths:
    return Paths(root / "data", root / "state", root / "config", root / "run", root)


def new_view(seed: Path, where: Path) -> Path:
    shutil.copytree(seed / "handful", where / "handful",  # the store's files, no log
                    ignore=shutil.ignore_patterns("*.piece", "*.seg"))
    return where


def write_events(paths: Paths, n: int) -> str:
    with Ledger.open(paths, write=True) as ledger:
        events = event_mix(0, n, n, ledger.device)
        for start in range(0, n, 5000):
            ledger.append_many(events[start:start + 5000])
        state = syncing.load_state(ledger)
        syncing.Syncer(ledger, state).run(publish=True)
        return ledger.device


def pass_seconds(paths: Paths, *, publish: bool) -> tuple[float, int]:
    with Ledger.open(paths, write=True) as ledger:
        syncer = syncing.Syncer(ledger, syncing.load_state(ledger))
        start = time.perf_counter()
        done = syncer.run(publish=publish)
        return time.perf_counter() - start, sum(done.merged.values())


def agent_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--idle-seconds", type=float, default=600.0)
    args = parser.parse_args()
    os.environ["HANDFUL_PASSPHRASE"] = PASSPHRASE
    emit(bench="sync", cpu_reference_s=cpu_reference())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seed = root / "seed"
        seed.mkdir()
        peer = paths_in(root / "peer")
        init_store(peer)
        syncing.enable(peer, seed, "peer", lambda: None)

        # merge: the peer's events, all new to a device that just joined
        write_events(peer, args.events)
        receiver = paths_in(root / "receiver")
        view = new_view(seed, root / "receiver-view")
        syncing.enable(receiver, view, "receiver", lambda: None)
        shutil.copytree(seed / "handful" / "devices", view / "handful" / "devices",
                        dirs_exist_ok=True)
        seconds, merged = pass_seconds(receiver, publish=False)
        emit(figure="merge", events=merged, seconds=round(seconds, 3), target_s=1.0)

        # rescan: ten devices' folders, nothing new
        for n in range(8):
            other = paths_in(root / f"device{n}")
            syncing.enable(other, new_view(seed, root / f"view{n}"), f"device{n}",
                           lambda: None)
            write_events(other, 1000)
            shutil.copytree(root / f"view{n}" / "handful" / "devices",
                            view / "handful" / "devices", dirs_exist_ok=True)
        pass_seconds(receiver, publish=True)  # merges them (and publishes its own)
        samples = sorted(pass_seconds(receiver, publish=True)[0] for _ in range(5))
        folders = len(list((view / "handful" / "devices").iterdir()))
        emit(figure="rescan", devices=folders, seconds_median=round(samples[2], 3),
             seconds_best=round(samples[0], 3), target_s=1.0)

        # landing: the receiver's agent running; a piece renamed into the peer's folder
        env = {**os.environ, "HANDFUL_HOME": str(root / "receiver"),
               "PYTHONPATH": str(ROOT / "agent")}
        subprocess.run([sys.executable, "-m", "handful", "start"], env=env, check=True,
                       capture_output=True)
        try:
            client = AgentClient(receiver.runtime, timeout=30)
            latencies = []
            for round_ in range(5):
                with Ledger.open(peer, write=True) as ledger:
                    ledger.append(ledger.new("engagement", group={
                        "platform": "linkedin", "id": "777", "name": None, "url": None},
                        kind="comment", note=f"landing {round_}"))
                    state = syncing.load_state(ledger)
                    written = syncing.Syncer(ledger, state).run(publish=True).published
                    device = ledger.device
                [name] = [w for w in written if w.endswith(".piece")]
                before = _events_of(client, device)
                source = seed / "handful" / "devices" / device / name
                target = view / "handful" / "devices" / device / name
                temp = target.with_name(f".syncthing.{name}.tmp")
                shutil.copy(source, temp)
                landed = time.perf_counter()
                temp.rename(target)  # the moment the file lands, as Syncthing does it
                while _events_of(client, device) == before:
                    time.sleep(0.02)
                latencies.append(time.perf_counter() - landed)
            latencies.sort()
            emit(figure="landing", seconds_median=round(latencies[2], 3),
                 seconds_worst=round(latencies[-1], 3), target_s=2.0)

            pid = int((receiver.runtime / "agent.pid").read_text())
            cpu0, wall0 = agent_cpu(pid), time.monotonic()
            time.sleep(args.idle_seconds)
            cpu1, wall1 = agent_cpu(pid), time.monotonic()
            emit(figure="idle", seconds=round(wall1 - wall0, 1),
                 cpu_percent=round(100 * (cpu1 - cpu0) / (wall1 - wall0), 4),
                 target_percent=0.1)
            client.close()
        finally:
            subprocess.run([sys.executable, "-m", "handful", "stop"], env=env, check=False,
                           capture_output=True)


def _events_of(client: AgentClient, device: str) -> int:
    reply = client.send({"id": 1, "type": "sync_status"})
    for found in reply["result"]["devices"]:
        if found["device"] == device:
            return int(found["events"])
    return 0


if __name__ == "__main__":
    main()
