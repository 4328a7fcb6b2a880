"""A virtual screen (Xvfb) for tests that need a display: Xvfb picks a free display number
itself (-displayfd), so tests running side by side never take the same one."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def virtual_screen(size: str = "800x600x24") -> Iterator[str]:
    """The display name (":N") of a fresh Xvfb, up and answering, gone afterwards."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", size,
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as chosen:
            number = chosen.readline().strip()  # written once the display is ready
        assert number.isdigit(), "Xvfb did not start"
        display = f":{number}"
        env = {**os.environ, "DISPLAY": display}
        deadline = time.monotonic() + 20
        while subprocess.run(["xwininfo", "-root"], env=env, capture_output=True,
                             check=False).returncode:
            assert time.monotonic() < deadline, "Xvfb does not answer"
            time.sleep(0.1)
        yield display
    finally:
        xvfb.terminate()
        xvfb.wait(10)
