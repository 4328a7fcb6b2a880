"""Shared pieces of the benchmarks: a store in a temp folder and a realistic event mix."""

from __future__ import annotations

import json
import os
import random
import sys
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


def make_store(root: Path) -> Paths:
    os.environ["HANDFUL_HOME"] = str(root)
    os.environ["HANDFUL_PASSPHRASE"] = PASSPHRASE
    paths = Paths.from_env()
    init_store(paths)
    return paths


def event_mix(first: int, n: int, total: int, device: str) -> list[ev.Event]:
    """Events first..first+n of `total` spread over three years of a busy user: mostly
    visits, some posts and comments, joins and results."""
    rng = random.Random(0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = 3 * 365 * 24 * 3600
    groups = [{"platform": rng.choice(["linkedin", "facebook"]), "id": str(100000 + g),
               "name": f"Group number {g}"} for g in range(60)]
    rng.seed(first)
    kinds = ["visit"] * 14 + ["post", "comment", "reaction", "reaction", "referral_given",
                              "meeting"]
    out: list[ev.Event] = []
    for i in range(first, first + n):
        ts = (start + timedelta(seconds=span * i // total)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        group = rng.choice(groups)
        roll = rng.random()
        base = {"id": f"b{i:09d}-{device[:8]}", "ts": ts, "device": device, "group": group}
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
