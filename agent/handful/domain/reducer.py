"""The fold as the store drives it: plaintext records in, the state out, in whatever runs
the store splits an open into (worker processes fold segments apart; their states merge).
Module-level, so worker processes can use it."""

from __future__ import annotations

import msgspec

from handful.domain import events as ev
from handful.domain import snapshot
from handful.domain.state import State


class _Id(msgspec.Struct):
    id: str


_ids = msgspec.json.Decoder(list[_Id])


class EventReducer:
    """Folds plaintext records into State."""

    def new(self) -> State:
        return State()

    def add(self, state: State, plaintext: bytes) -> str | None:
        try:
            event = ev.decode_stored(plaintext)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None  # written by a newer Handful: kept, exported, not folded
        state.apply(event)
        return event.id

    def add_many(self, state: State, plaintexts: list[bytes]) -> tuple[list[str], int]:
        try:
            events = ev.decode_stored_many(plaintexts)
        except (msgspec.ValidationError, msgspec.DecodeError):
            ids = [self.add(state, plaintext) for plaintext in plaintexts]
            known = [ident for ident in ids if ident is not None]
            return known, len(ids) - len(known)
        apply = state.apply
        for event in events:
            apply(event)
        return [event.id for event in events], 0

    def add_new(self, state: State, plaintexts: list[bytes], known: set[str]) -> tuple[int, int]:
        """Fold in the records whose id is not in `known` (each once; `known` gains them):
        how many were folded, and how many this version cannot read. One decoding of each."""
        try:
            events = ev.decode_stored_many(plaintexts)
        except (msgspec.ValidationError, msgspec.DecodeError):
            folded = unreadable = 0
            for plaintext in plaintexts:
                found = self.ids_of([plaintext])
                if found and found[0] in known:
                    continue
                known.update(found)
                if self.add(state, plaintext) is None:
                    unreadable += 1
                else:
                    folded += 1
            return folded, unreadable
        apply = state.apply
        folded = 0
        for event in events:
            if event.id in known:
                continue
            known.add(event.id)
            apply(event)
            folded += 1
        return folded, 0

    def ids_of(self, plaintexts: list[bytes]) -> list[str]:
        try:
            return [record.id for record in _ids.decode(b"[" + b",".join(plaintexts) + b"]")]
        except (msgspec.ValidationError, msgspec.DecodeError):
            return []  # only dedup hints: a record without a readable id cannot be retried

    def merge(self, into: State, other: State) -> State:
        into.merge(other)
        return into

    def dump(self, state: State) -> bytes:
        return snapshot.dump(state)

    def load(self, data: bytes) -> State:
        return snapshot.load(data)
