"""An import that stops in the middle of writing its batch, to be killed there (kill -9):
`python import_killed.py PATH` prints `wrote N` once part of the batch is durable, then
waits (forever) for the signal. Run with the test's HANDFUL_HOME and passphrase."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from handful.imports import run
from handful.ledger import Ledger


def main() -> None:
    written = {"n": 0}
    run.WRITE_CHUNK = 500

    def progress(phase: str, done: int, total: int, _detail: str) -> None:
        if phase == "write" and done > 0:
            print(f"wrote {done} of {total}", flush=True)
            threading.Event().wait()  # killed here, the batch half written, no marker
        written["n"] = done

    with Ledger.open(write=True) as ledger:
        run.run_import(ledger, "facebook", [Path(sys.argv[1])], progress=progress)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
