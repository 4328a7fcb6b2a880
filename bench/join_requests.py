"""What watching the sites' own join requests costs: the extension's service worker CPU per
minute of a busy Facebook feed (GraphQL calls at --rate a second, none a join), in a real
Chromium with the real extension, host and agent. Prints JSON lines.

Target (issue 12): the net under the guard costs next to nothing where there is no join:
`sw_cpu_ms_per_min` within a few tens of milliseconds of the build without it.

The service worker runs in the extension's own renderer process (Chromium's
`--extension-process`; the first-run tab, the only extension page, is closed first): its CPU
is that process's user + system time from /proc, before and after. `--compare DIR` measures
another build of the extension first (e.g. a `git worktree` of the commit before the net),
labelled "before", then this repository's, labelled "after", in one run.
Usage: python bench/join_requests.py [--seconds S] [--rate N] [--compare DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from browsing import FixtureSite, Home, bench_site, builds, launch
from common import cpu_reference, emit

TICK = os.sysconf("SC_CLK_TCK")
CLOSE_FIRST_RUN = """async () => {
  const tabs = (await chrome.tabs.query({}))
    .filter((t) => (t.url || t.pendingUrl || "").endsWith("/welcome/welcome.html"));
  await Promise.all(tabs.map((t) => chrome.tabs.remove(t.id)));
  return tabs.length > 0;
}"""



def extension_processes() -> list[int]:
    """Chromium's extension renderer processes (one browser runs at a time here). A renderer
    rewrites its command line as one string: the flag is looked for in the whole of it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"--type=renderer" in cmdline and b"--extension-process" in cmdline:
            found.append(int(entry.name))
    return found


def cpu_ms(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (after the name)
    return total * 1000 / TICK


def measure(label: str, extension: Path, home: Home, site: FixtureSite, profile: Path,
            seconds: float, rate: int) -> None:
    playwright, context = launch(home, profile, site, extension_dir=extension)
    try:
        worker = (context.service_workers[0] if context.service_workers
                  else context.wait_for_event("serviceworker"))
        deadline = time.monotonic() + 20
        while not worker.evaluate(CLOSE_FIRST_RUN):  # its first-run tab, once opened
            assert time.monotonic() < deadline, "no first-run tab"
            time.sleep(0.1)
        feed = context.new_page()
        feed.goto("https://www.facebook.com/bench/busy-feed/?rate=1")
        feed.wait_for_function("window.calls >= 2")  # the worker has met the feed once
        feed.goto(f"https://www.facebook.com/bench/busy-feed/?rate={rate}")
        feed.wait_for_function("window.calls >= 2")
        pids = extension_processes()
        assert pids, "no extension process found"
        start_cpu, start = cpu_ms(pids), time.monotonic()
        feed.wait_for_timeout(seconds * 1000)
        spent, took = cpu_ms(pids) - start_cpu, time.monotonic() - start
        calls: Any = feed.evaluate("window.calls")
    finally:
        context.close()
        playwright.stop()
    emit(bench="join_requests_sw_cpu", build=label, seconds=round(took, 1), rate_per_s=rate,
         graphql_calls=calls, sw_cpu_ms=round(spent, 1),
         sw_cpu_ms_per_min=round(spent * 60 / took, 1), processes=len(pids),
         cpu_reference_s=cpu_reference())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=5, help="GraphQL calls a second")
    parser.add_argument("--compare", type=Path, help="another build's extension folder")
    args = parser.parse_args()

    with bench_site() as (root, home, site):
        for label, extension in builds(args.compare):
            measure(label, extension, home, site, root / f"profile-{label}", args.seconds,
                    args.rate)

if __name__ == "__main__":
    main()
