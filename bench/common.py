"""Shared pieces of the benchmarks: a store in a temp folder, a realistic event mix, and a
CPU reference figure (this machine's speed varies from minute to minute; the reference lets
two runs be compared)."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "agent"))

from handful.domain import events as ev  # noqa: E402
from handful.ledger import init_store  # noqa: E402
from handful.paths import Paths  # noqa: E402

PASSPHRASE = "bench passphrase"


def emit(**figures: Any) -> None:
    print(json.dumps(figures), flush=True)


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop (best of 3): how fast this core is right now."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def summary(samples: list[float]) -> dict[str, float]:
    return {"best": round(min(samples), 3), "median": round(statistics.median(samples), 3)}


def make_store(root: Path) -> Paths:
    os.environ["HANDFUL_HOME"] = str(root)
    os.environ["HANDFUL_PASSPHRASE"] = PASSPHRASE
    paths = Paths.from_env()
    init_store(paths)
    return paths


def event_mix(first: int, n: int, total: int, device: str) -> list[ev.Event]:
    """Events first..first+n of `total`, spread over three years of a busy user: mostly
    visits, some posts and comments, joins and results, in sixty groups."""
    groups_rng = random.Random(0)
    groups = [{"platform": groups_rng.choice(["linkedin", "facebook"]), "id": str(100000 + g),
               "name": f"Group number {g}"} for g in range(60)]
    rng = random.Random(first)
    span = 3 * 365 * 24 * 3600  # the three years up to yesterday (events may not be ahead)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=1, seconds=span)
    kinds = ["visit"] * 14 + ["post", "comment", "reaction", "reaction", "referral_given",
                              "meeting"]
    out: list[ev.Event] = []
    for i in range(first, first + n):
        ts = (start + timedelta(seconds=span * i // total)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        base = {"id": f"b{i:09d}-{device[:8]}", "ts": ts, "device": device,
                "group": rng.choice(groups)}
        roll = rng.random()
        if roll < 0.9:
            kind = rng.choice(kinds)
            doc: dict[str, Any] = {**base, "type": "engagement", "kind": kind}
            if kind == "visit":
                doc["minutes"] = rng.choice([0.5, 1.0, 2.5, 4.0])
        elif roll < 0.95:
            doc = {**base, "type": "group_seen", "page": "group"}
        elif roll < 0.97:
            doc = {**base, "type": "join_intercepted", "source": "search"}
        elif roll < 0.985:
            doc = {**base, "type": "join_declined", "reasons": ["invited"]}
        elif roll < 0.99:
            doc = {**base, "type": "joined"}
        else:
            doc = {**base, "type": "join_justified", "reasons": ["peers"],
                   "give": "answers about data engineering", "get": "a few good clients",
                   "involvement": ["comment", "post"]}
        out.append(ev.parse_event(doc))
    return out
