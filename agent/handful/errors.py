"""Errors a user can meet, each with the exit status the CLI gives it."""

from __future__ import annotations


class HandfulError(Exception):
    """A problem worth one clear sentence to the user; never a traceback."""

    exit_code = 1


class UsageError(HandfulError):
    exit_code = 2


class NotInitialised(HandfulError):
    exit_code = 1


class InvalidEvent(HandfulError):
    exit_code = 1


class IntegrityError(HandfulError):
    """A record or segment failed verification: tamper, corruption or rollback."""

    exit_code = 3

    def __init__(self, message: str, *, path: str | None = None, seq: int | None = None,
                 offset: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.seq = seq
        self.offset = offset


class KeyUnavailable(HandfulError):
    """The data key cannot be unwrapped: no keyring, wrong passphrase, missing entry."""

    exit_code = 4


class StoreBusy(HandfulError):
    """Another process holds the writer lock."""

    exit_code = 5


class StorageFailure(HandfulError):
    """The disk refused a write or a flush; nothing was acknowledged."""

    exit_code = 6
