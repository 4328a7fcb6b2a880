"""Errors a user can meet, each with the exit status the CLI gives it."""

from __future__ import annotations


class HandfulError(Exception):
    """A problem worth one clear sentence to the user; never a traceback. `reason`: a word
    for programs (the extension picks its fix by it when the agent cannot start)."""

    exit_code = 1
    reason = "failed"


class UsageError(HandfulError):
    exit_code = 2
    reason = "usage"


class NotInitialised(HandfulError):
    exit_code = 1
    reason = "not_initialised"


class InvalidEvent(HandfulError):
    exit_code = 1


class IntegrityError(HandfulError):
    """A record or segment failed verification: tamper, corruption or rollback."""

    exit_code = 3
    reason = "integrity"

    def __init__(self, message: str, *, path: str | None = None, seq: int | None = None,
                 offset: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.seq = seq
        self.offset = offset


class KeyUnavailable(HandfulError):
    """The data key cannot be unwrapped: no keyring, wrong passphrase, missing entry.
    `reason`: no_passphrase, wrong_passphrase, keyring (it did not answer or lost the
    key), or key_unavailable (anything else: a damaged key file, no key for this machine)."""

    exit_code = 4

    def __init__(self, message: str, *, reason: str = "key_unavailable") -> None:
        super().__init__(message)
        self.reason = reason


class StoreBusy(HandfulError):
    """Another process holds the writer lock."""

    exit_code = 5
    reason = "store_busy"


class StorageFailure(HandfulError):
    """The disk refused a write or a flush; nothing was acknowledged."""

    exit_code = 6
    reason = "storage"


class ArchiveRefused(HandfulError):
    """A data export that cannot be imported as it is (wrong kind, damaged, hostile, over a
    limit): nothing was written."""

    exit_code = 8
    reason = "archive"
