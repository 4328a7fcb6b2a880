"""`handful import facebook`: an export of GROUPS groups and POSTS posts and comments in
groups, imported by the command itself (the store opened here) and through the running
agent (which reads the export): wall time, and the peak memory of the process that did the
import (VmHWM). Then the same export again (adds nothing). Targets (issue 17): 5,000 groups
and 100,000 posts and comments in <= 10 s and <= 200 MB.

Prints one JSON line per run.
Usage: python bench/import.py [--groups N] [--posts N]
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

from cli_reads import MEASURE  # the command in a fresh process: its wall time and VmHWM
from common import PASSPHRASE, ROOT, cpu_reference, emit

sys.path.insert(0, str(ROOT))
from tests.support.exports import FacebookExport, Membership, write_zip

T0 = 1_400_000_000


def export(groups: int, posts: int) -> FacebookExport:
    names = [f"Groupe Économie n°{i}" for i in range(groups)]
    built = FacebookExport(language="fr")
    built.memberships = [Membership(name, T0 + i * 3600, T0 + i * 3600 + 86400 * 400
                                    if i % 3 == 0 else None) for i, name in enumerate(names)]
    built.posts = [(names[i % groups], T0 + 1000 + i * 60) for i in range(posts // 2)]
    built.comments = [(names[(i * 7) % groups], T0 + 2000 + i * 60)
                      for i in range(posts - posts // 2)]
    return built


def env_for(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDFUL_")}
    env.update({"HANDFUL_HOME": str(root), "HANDFUL_PASSPHRASE": PASSPHRASE,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "PYTHONPATH": str(ROOT / "agent")})
    return env


def command(root: Path, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *args], env=env_for(root),
                         capture_output=True, text=True, check=False, timeout=600)
    figures: dict[str, float] = json.loads(out.stdout)
    if figures["code"] != 0:
        raise SystemExit(out.stderr)
    return figures


def handful(root: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "handful", *args], env=env_for(root),
                         capture_output=True, text=True, check=True, timeout=600)
    return out.stdout


def agent_hwm_kb(root: Path) -> int:
    pid = int((root / "run" / "agent.pid").read_text().split()[0])
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    reference = cpu_reference()
    with tempfile.TemporaryDirectory() as tmp:
        zipped = write_zip(Path(tmp) / "facebook.zip", export(args.groups, args.posts).files())
        size = zipped.stat().st_size
        for mode in ("direct", "agent"):
            root = Path(tmp) / mode
            handful(root, "init")
            if mode == "agent":
                handful(root, "start")
                before = agent_hwm_kb(root)
            for attempt in ("first", "again"):
                start = time.perf_counter()
                if mode == "direct":
                    figures = command(root, "import", "facebook", str(zipped), "--json")
                    rss = figures["rss_kb"] / 1024
                else:
                    handful(root, "import", "facebook", str(zipped), "--json")
                    figures = {"wall_s": time.perf_counter() - start}
                    rss = agent_hwm_kb(root) / 1024
                emit(bench="import", mode=mode, run=attempt, groups=args.groups,
                     posts_and_comments=args.posts, zip_mib=round(size / 2**20, 1),
                     wall_s=round(figures["wall_s"], 2), peak_rss_mb=round(rss, 1),
                     **({"agent_rss_before_mb": round(before / 1024, 1)}
                        if mode == "agent" else {}),
                     target_s=10, target_mb=200, cpu_reference_s=reference)
            members = json.loads(handful(root, "status", "--json"))["members"]
            emit(bench="import", mode=mode, check="members", members=members,
                 expected=args.groups - len(range(0, args.groups, 3)))
            if mode == "agent":
                handful(root, "stop")


if __name__ == "__main__":
    main()
