"""A user with many groups: how long the extension waits for every page of `groups` and
`review` through the real native host and agent, and the largest frame it gets.

Prints one JSON line per size. Usage: python bench/many_groups.py [SIZE ...] (default 600
5000: where a single reply outgrew the browser's 1 MiB, and the issue's figure)
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any

from common import PASSPHRASE, ROOT, cpu_reference, emit

FRAME = struct.Struct("=I")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [600, 5000]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "HANDFUL_HOME": tmp, "HANDFUL_PASSPHRASE": PASSPHRASE,
                   "HANDFUL_EXTENSION_IDS": "x", "PYTHONPATH": str(ROOT / "agent")}
            subprocess.run([sys.executable, "-m", "handful", "init"], env=env, check=True,
                           capture_output=True)
            host = subprocess.Popen(
                [sys.executable, "-m", "handful.host", "chrome-extension://x/"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            frames: list[int] = []

            def ask(message: dict[str, Any], host: subprocess.Popen[bytes] = host,
                    frames: list[int] = frames
                    ) -> dict[str, Any]:
                assert host.stdin is not None and host.stdout is not None
                body = json.dumps(message).encode()
                host.stdin.write(FRAME.pack(len(body)) + body)
                host.stdin.flush()
                (length,) = FRAME.unpack(host.stdout.read(4))
                frames.append(length)
                reply: dict[str, Any] = json.loads(host.stdout.read(length))
                return reply

            try:
                groups = [{"platform": "linkedin", "id": str(10_000 + n),
                           "name": f"Group number {n}"} for n in range(size)]
                assert ask({"id": 0, "type": "memberships_imported", "batch": "b",
                            "groups": groups})["ok"]
                figures: dict[str, Any] = {}
                for kind, fields in (("groups", {"all": True}), ("review", {})):
                    start, after, pages, seen = time.perf_counter(), None, 0, 0
                    while True:
                        reply = ask({"id": pages, "type": kind, **fields,
                                     **({"after": after} if after else {})})
                        assert reply["ok"], reply
                        seen += len(reply["result"]["groups"])
                        pages += 1
                        after = reply["result"]["next"]
                        if after is None:
                            break
                    assert seen == size
                    figures[f"{kind}_ms"] = round((time.perf_counter() - start) * 1000, 1)
                    figures[f"{kind}_pages"] = pages
                emit(bench="many_groups", groups=size, largest_frame_kb=round(max(frames) / 1024),
                     **figures, cpu_reference_s=cpu_reference())
            finally:
                assert host.stdin is not None
                host.stdin.close()
                host.wait()
                subprocess.run([sys.executable, "-m", "handful", "stop"], env=env,
                               capture_output=True, check=False)


if __name__ == "__main__":
    main()
