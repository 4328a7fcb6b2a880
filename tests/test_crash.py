"""Crash: a writer killed with SIGKILL at random moments loses nothing it acknowledged."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time

from tests.conftest import SUPPORT, Home


def test_sigkill_in_the_middle_of_appends_loses_no_acknowledged_event(store: Home) -> None:
    rng = random.Random(20261123)
    acked: list[str] = []
    kills = 0
    while kills < 60:
        proc = subprocess.Popen([sys.executable, str(SUPPORT / "crash_writer.py"), f"w{kills}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=store.env)
        lines: list[str] = []
        opened = threading.Event()

        def read(stream=proc.stdout, lines=lines, opened=opened) -> None:  # type: ignore[no-untyped-def]
            for line in stream:
                if line == "open\n":
                    opened.set()
                lines.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert opened.wait(30), proc.stderr.read() if proc.poll() is not None else "no open"
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(10)
        kills += 1
        acked += [line.split()[1] for line in lines if line.startswith("ack ")]
        assert proc.stderr.read() == ""

    assert len(acked) > 200, "the writer should have acknowledged plenty before the kills"
    verify = store.run("verify", "--json")
    assert verify.code == 0, verify.err
    events = json.loads(store.ok("export"))["events"]
    stored = [e["id"] for e in events]
    assert len(stored) == len(set(stored)), "an event was stored twice"
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost"
