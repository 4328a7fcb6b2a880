"""The file layer the log writes through: one place for fsync rules, one seam for faults."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

_FULLFSYNC = getattr(__import__("fcntl"), "F_FULLFSYNC", None) if os.name == "posix" else None


class Files:
    """Real files. Tests subclass this to fail the Nth write or flush."""

    def open_append(self, path: Path) -> int:
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        return os.open(path, flags)

    def write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]

    def sync(self, fd: int) -> None:
        """Make written data durable: F_FULLFSYNC on macOS (fsync there stops at the drive)."""
        if _FULLFSYNC is not None and sys.platform == "darwin":
            import fcntl

            fcntl.fcntl(fd, _FULLFSYNC)
        elif hasattr(os, "fdatasync"):
            os.fdatasync(fd)
        else:
            os.fsync(fd)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def close(self, fd: int) -> None:
        os.close(fd)

    def sync_dir(self, path: Path) -> None:
        if os.name != "posix":
            return  # Windows has no directory handles to flush; NTFS journals the rename
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def replace(self, path: Path, data: bytes) -> None:
        """Atomically replace a small file: temp file, flush, rename, flush the folder."""
        self.replace_with(path, lambda fd: self.write(fd, data))

    def replace_with(self, path: Path, produce: Callable[[int], None]) -> None:
        """Atomically replace a file with what `produce` writes to the descriptor it is given
        (any size, written as it comes): the temp file (mode 0600) is flushed and renamed only
        once `produce` returned; if it raised, the temp file is removed and `path` untouched."""
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        try:
            try:
                produce(fd)
                self.sync(fd)
            finally:
                os.close(fd)
            for attempt in range(10):
                try:
                    os.replace(tmp, path)
                    break
                except PermissionError:
                    # Windows: a virus scanner or indexer can hold the target for a moment.
                    if os.name == "posix" or attempt == 9:
                        raise
                    time.sleep(0.05 * (attempt + 1))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.sync_dir(path.parent)

    def create(self, path: Path, data: bytes) -> None:
        """Create a file that must not exist yet, complete or not at all."""
        if path.exists():
            raise FileExistsError(path)
        self.replace(path, data)


def remove_stale_temps(folder: Path) -> None:
    """Temp files left by a crash in the middle of an atomic replace."""
    if not folder.is_dir():
        return
    for stale in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
