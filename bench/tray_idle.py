"""The agent with its tray icon, idle: how long until the icon is docked in a system tray,
and what the agent costs while nobody uses it (CPU, wake-ups, memory).

Runs on a virtual screen (Xvfb) with trayer as the system tray; needs Xvfb, trayer and
xwininfo (tests/run.sh installs them). Prints JSON lines.
Target (issue 6, "the agent idles at near-zero CPU"): < 0.1% CPU idle with the tray.
Usage: python bench/tray_idle.py [--idle-seconds S]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PASSPHRASE, ROOT, cpu_reference, emit
from host_roundtrip import proc_stat, wakeups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-seconds", type=float, default=65.0,
                        help="idle stretch (over a minute: one tray refresh falls inside)")
    args = parser.parse_args()
    display = next(f":{n}" for n in range(150, 250)
                   if not Path(f"/tmp/.X11-unix/X{n}").exists())
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HANDFUL_HOME": tmp, "HANDFUL_PASSPHRASE": PASSPHRASE,
               "PYTHONPATH": str(ROOT / "agent"), "DISPLAY": display,
               "PYSTRAY_BACKEND": "xorg"}
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "800x600x24"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tray = agent = None
        try:
            while subprocess.run(["xwininfo", "-root"], env=env, capture_output=True,
                                 check=False).returncode:
                time.sleep(0.05)
            tray = subprocess.Popen(["trayer", "--edge", "top"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            handful = [sys.executable, "-m", "handful"]
            subprocess.run([*handful, "init"], env=env, check=True, capture_output=True)
            start = time.perf_counter()
            agent = subprocess.Popen([*handful, "agent"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            while '"Handful"' not in subprocess.run(
                    ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True,
                    check=False).stdout:
                time.sleep(0.02)
            emit(bench="tray_docked", ms=round((time.perf_counter() - start) * 1000),
                 cpu_reference_s=cpu_reference())
            time.sleep(2)  # the first refresh and the first notice check are over
            cpu0, _ = proc_stat(agent.pid)
            woke0 = wakeups(agent.pid)
            time.sleep(args.idle_seconds)
            cpu1, rss = proc_stat(agent.pid)
            emit(bench="agent_idle_with_tray", seconds=args.idle_seconds,
                 rss_mb=round(rss / 1024, 1), cpu_s=round(cpu1 - cpu0, 3),
                 wakeups=wakeups(agent.pid) - woke0,
                 cpu_percent=round(100 * (cpu1 - cpu0) / args.idle_seconds, 3))
        finally:
            for proc in (agent, tray, xvfb):
                if proc is not None:
                    proc.terminate()
                    proc.wait(30)


if __name__ == "__main__":
    main()
