"""An import, end to end: the export read, the plan made, the batch written, then its
commit marker. Until the marker is durable nothing of the batch counts (the fold holds an
uncommitted batch apart), so an import killed in the middle shows nothing; run again, it
writes what is missing and the marker, and counts each event once.
"""

from __future__ import annotations

import gc
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from handful import clock
from handful.domain import events as ev
from handful.domain.state import State
from handful.errors import ArchiveRefused, InvalidEvent
from handful.imports import facebook, linkedin
from handful.imports.archive import open_export
from handful.imports.plan import ORIGIN, Plan, plan
from handful.ledger import Ledger

WRITE_CHUNK = 2000  # events per durable write (each one flush)
MAX_EVENTS = 2_000_000  # events in one import
Progress = Callable[[str, int, int, str], None]
_MATCH = re.compile(r"^(?P<name>.+)=(?P<key>facebook:[A-Za-z0-9][A-Za-z0-9._-]*)$", re.S)


def parse_matches(raw: list[str]) -> dict[str, str]:
    """`--match NAME=facebook:ID`, each; a clear error for one that is not."""
    found: dict[str, str] = {}
    for item in raw:
        matched = _MATCH.match(item.strip())
        if matched is None:
            raise ArchiveRefused(f"--match {item!r}: give NAME=facebook:ID (the group's name "
                                 "as the export spells it, then the group Handful knows)")
        found[matched.group("name").strip()] = matched.group("key")
    return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an import makes its objects: an export of 100,000
    entries makes that many events and states, none in a cycle, and the collector walked
    them all again and again (a third of the import's time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_import(ledger: Ledger, platform: str, paths: list[Path], *, dry_run: bool = False,
               matches: dict[str, str] | None = None, progress: Progress | None = None
               ) -> dict[str, Any]:
    """Import the export at `paths` into the ledger (opened for writing); the summary."""
    with _collector_paused():
        return _run_import(ledger, platform, paths, dry_run=dry_run, matches=matches,
                           progress=progress)


def _run_import(ledger: Ledger, platform: str, paths: list[Path], *, dry_run: bool,
                matches: dict[str, str] | None, progress: Progress | None
                ) -> dict[str, Any]:
    if platform == "linkedin":
        return linkedin.summary(paths)
    if platform != "facebook":
        raise ArchiveRefused(f"no import for {platform!r}: facebook or linkedin")
    with open_export(paths, facebook.interesting) as export:
        reading = facebook.read(export, progress)
        files_read, bytes_read = export.files_read, export.read_bytes
    if len(reading.facts) > MAX_EVENTS:
        raise ArchiveRefused(f"{len(reading.facts)} entries: more than the {MAX_EVENTS} one "
                             "import takes; nothing imported")
    with ledger.reading() as state:
        made = plan(reading, state, matches, progress)
        ours_pending = made.batch in state.pending
        adopts = _adopted(made, state)
    known = ledger.log.known
    fresh = array("l", (p for p, ident in enumerate(made.ids) if not known(ident)))
    summary = _summary(made, reading, files_read, bytes_read, fresh, dry_run)
    if dry_run or not (fresh or ours_pending or adopts):
        summary["committed"] = False
        return summary
    device = ledger.device
    for start in range(0, len(fresh), WRITE_CHUNK):
        if progress is not None:
            progress("write", start, len(fresh), "")
        chunk: list[ev.Event] = []
        for position in fresh[start:start + WRITE_CHUNK]:
            try:
                chunk.append(ev.parse_event({**made.event(position), "device": device}))
            except InvalidEvent as error:
                # (the plan keeps only entries that make valid events: this is a bug, and
                # what was written of the batch stays uncommitted, so it never counts)
                raise ArchiveRefused(f"an entry of the export could not be imported "
                                     f"({error}); nothing imported") from None
        ledger.append_many(chunk)
    if progress is not None:
        progress("write", len(fresh), len(fresh), "")
    marker = ev.parse_event({
        "id": f"commit-{made.batch}", "type": "import_committed", "ts": clock.now_iso(),
        "device": device, "origin": ORIGIN, "committed": made.batch, "events": len(made.ids),
        "adopts": sorted(adopts)})
    ledger.append(marker)
    if progress is not None:
        progress("commit", 1, 1, "")
    summary["committed"] = True
    return summary


def _adopted(made: Plan, state: State) -> set[str]:
    """The interrupted imports this one finishes: batches not committed whose every entry is
    in this one (an import of the same archive, or of a later one, killed in the middle);
    ArchiveRefused when one holds entries this archive has not."""
    waiting = {ident: name for name, held in state.pending.items() for ident in held.ids
               if name != made.batch}
    if not waiting:
        return set()
    adopts = {name for ident in made.ids if (name := waiting.get(ident)) is not None}
    every = set(made.ids)
    for name in sorted(adopts):
        missing = state.pending[name].ids - every
        if missing:
            raise ArchiveRefused(
                f"an import of another archive was interrupted ({len(missing)} of its "
                "entries are not in this one): import that archive again to finish it, "
                "then this one; nothing imported")
    return adopts


def _summary(made: Plan, reading: facebook.Reading, files_read: int, bytes_read: int,
             fresh: array[int], dry_run: bool) -> dict[str, Any]:
    added: Counter[str] = Counter()
    for position in fresh:
        added[made.count_key(position)] += 1
    if made.aliases:
        made.counts["group_alias"] = len(made.aliases)
    return {
        "platform": "facebook", "dry_run": dry_run, "batch": made.batch,
        "files": dict(sorted(reading.files.items())), "files_read": files_read,
        "bytes_read": bytes_read,
        "events": dict(sorted(made.counts.items())), "new": dict(sorted(added.items())),
        "already": len(made.ids) - len(fresh),
        "groups": {"new": len(made.groups_new), "matched": len(made.groups_matched),
                   "ambiguous": [a.as_dict() for a in made.ambiguous]},
        "skipped_ambiguous": made.skipped_ambiguous,
        "skipped_times": made.skipped_times,
        "titles_not_understood": [{"title": title, "count": n} for title, n in sorted(
            reading.titles_not_understood.items(), key=lambda item: (-item[1], item[0]))][:50],
        "titles_not_understood_total": sum(reading.titles_not_understood.values()),
        "unverified_titles": reading.unverified_titles,
        "without_group": dict(sorted(reading.without_group.items())),
    }
