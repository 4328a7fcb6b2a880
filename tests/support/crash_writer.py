"""A writer for the crash test: appends from several threads, prints each id once durable.

Run as `python crash_writer.py TAG`; the test SIGKILLs it at random moments.
"""

from __future__ import annotations

import sys
import threading
import time

from handful.errors import StoreBusy
from handful.ledger import Ledger


def main() -> None:
    tag = sys.argv[1]
    deadline = time.monotonic() + 10
    while True:
        try:
            ledger = Ledger.open(write=True, lock_timeout=1.0)
            break
        except StoreBusy:
            if time.monotonic() > deadline:
                raise
    print("open", flush=True)
    out = threading.Lock()

    def work(worker: int) -> None:
        n = 0
        while True:
            n += 1
            event = ledger.new("engagement", group={"platform": "linkedin", "id": "42"},
                               kind="comment", note=f"{tag}-{worker}-{n}")
            ledger.append(event)
            with out:
                sys.stdout.write(f"ack {event.id}\n")
                sys.stdout.flush()

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
