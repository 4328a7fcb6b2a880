"""An export's files, found by name wherever the archive puts them, read within limits.

Each PATH is a `.zip` (read in place, never unpacked), a folder (walked without following
links), or a folder holding the several zips a large export is split into. Only the files
an import reads are opened; every byte read counts against stated limits, whatever a zip
declares. A hostile or wrong archive raises ArchiveRefused before anything is written.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from handful.errors import ArchiveRefused

MAX_PATHS = 64                 # PATHs on one command line
MAX_ZIPS = 64                  # zips in all (a split export is a few; 64 is far more)
MAX_MEMBERS = 500_000          # entries in one zip's directory
MAX_FILE_BYTES = 256 << 20     # one file read, uncompressed
MAX_TOTAL_BYTES = 1 << 30      # all files read by one import, uncompressed
MAX_DEPTH = 12                 # folders below a PATH
CHUNK = 1 << 20

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Member:
    """One file of an export: where it is (for messages), its name, and how to read it."""

    where: str
    name: str            # the basename, lower case
    path: str            # its path inside the archive, '/'-separated
    declared: int        # the size its directory claims (a zip's may lie)
    opener: Callable[[], object]


@dataclass
class Export:
    members: list[Member] = field(default_factory=list)
    zips: list[zipfile.ZipFile] = field(default_factory=list)
    read_bytes: int = 0
    files_read: int = 0

    def named(self, wanted: Callable[[str], str | None]) -> dict[str, list[Member]]:
        """The members whose basename `wanted` maps to a kind, by kind, in archive order."""
        found: dict[str, list[Member]] = {}
        for member in self.members:
            kind = wanted(member.name)
            if kind is not None:
                found.setdefault(kind, []).append(member)
        return found

    def read(self, member: Member, limit: int | None = None) -> bytes:
        """The member's bytes: at most `limit`, and within what is left of the import's
        budget, counted as they are read (a zip bomb's claims do not matter)."""
        limit = MAX_FILE_BYTES if limit is None else limit
        budget = min(limit, MAX_TOTAL_BYTES - self.read_bytes)
        if member.declared > limit:
            raise ArchiveRefused(f"{member.where}: {member.declared >> 20} MiB, over the "
                                 f"{limit >> 20} MiB a file of an export may have; nothing "
                                 "imported")
        chunks: list[bytes] = []
        size = 0
        try:
            with member.opener() as stream:  # type: ignore[attr-defined]
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > budget:
                        if budget < limit:
                            raise ArchiveRefused(
                                f"{member.where}: the export's files hold more than "
                                f"{MAX_TOTAL_BYTES >> 20} MiB in all, more than an export's "
                                "group history needs (a zip bomb?); nothing imported")
                        raise ArchiveRefused(
                            f"{member.where}: more than {limit >> 20} MiB once uncompressed "
                            "(a zip bomb?); nothing imported")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            raise ArchiveRefused(f"{member.where}: damaged or forged ({error}: a zip bomb's "
                                 "lying sizes read so); download the export again; nothing "
                                 "imported") from None
        except RuntimeError as error:  # an encrypted member
            raise ArchiveRefused(f"{member.where}: {error}; nothing imported") from None
        except OSError as error:
            raise ArchiveRefused(f"{member.where}: {error.strerror or error}; nothing "
                                 "imported") from None
        self.read_bytes += size
        self.files_read += 1
        return b"".join(chunks)

    def close(self) -> None:
        for archive in self.zips:
            archive.close()
        self.zips = []

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_export(paths: list[Path], interesting: Callable[[str], bool]) -> Export:
    """Every file of the exports at `paths` (zips, folders, folders of zips). `interesting`
    names the basenames an import may read: a link by such a name is refused, not followed."""
    if not paths:
        raise ArchiveRefused("name the export: a .zip, or the folder it was unpacked to")
    if len(paths) > MAX_PATHS:
        raise ArchiveRefused(f"{len(paths)} paths; at most {MAX_PATHS} in one import")
    export = Export()
    try:
        for path in paths:
            if not path.exists():
                raise ArchiveRefused(f"{path}: no such file or folder")
            if path.is_dir():
                _walk(export, path, interesting)
            elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
                _add_zip(export, path)
            else:
                raise ArchiveRefused(f"{path}: neither a folder nor a .zip; give the export "
                                     "as downloaded (a .zip) or the folder it was unpacked to")
    except BaseException:
        export.close()
        raise
    return export


def _walk(export: Export, top: Path, interesting: Callable[[str], bool]) -> None:
    base = len(top.parts)
    for folder, dirs, files in os.walk(top, followlinks=False, onerror=_walk_error):
        here = Path(folder)
        if len(here.parts) - base >= MAX_DEPTH:
            dirs[:] = []
        for name in sorted(dirs):
            if (here / name).is_symlink() and name.lower() in ("groups", "your_facebook_activity",
                                                               "your_activity_across_facebook"):
                raise ArchiveRefused(f"{here / name}: a symbolic link; links in an export "
                                     "folder are not followed; nothing imported")
        dirs.sort()
        for name in sorted(files):
            path = here / name
            lower = name.lower()
            wanted = interesting(lower)
            if not wanted and not lower.endswith(".zip"):
                export.members.append(_file_member(path, top, lower, follow=False))
                continue
            if path.is_symlink():
                raise ArchiveRefused(f"{path}: a symbolic link; links in an export folder are "
                                     "not followed; nothing imported")
            if lower.endswith(".zip"):
                _add_zip(export, path)
            else:
                export.members.append(_file_member(path, top, lower, follow=True))


def _walk_error(error: OSError) -> None:
    raise ArchiveRefused(f"{error.filename}: {error.strerror or error}; nothing imported")


def _file_member(path: Path, top: Path, lower: str, *, follow: bool) -> Member:
    inside = path.relative_to(top).as_posix()
    size = 0
    if follow:
        try:
            info = path.lstat()
        except OSError as error:
            raise ArchiveRefused(f"{path}: {error.strerror or error}") from None
        if not stat.S_ISREG(info.st_mode):
            raise ArchiveRefused(f"{path}: not a regular file; nothing imported")
        size = info.st_size

    def opener() -> object:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    return Member(str(path), lower, inside, size, opener)


def _add_zip(export: Export, path: Path) -> None:
    if len(export.zips) >= MAX_ZIPS:
        raise ArchiveRefused(f"{path}: more than {MAX_ZIPS} zips in one import")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ArchiveRefused(f"{path}: not a zip file, or a damaged one ({error}); download "
                             "the export again; nothing imported") from None
    export.zips.append(archive)
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused(f"{path}: {len(infos)} entries, more than the {MAX_MEMBERS} an "
                             "export may have; nothing imported")
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or _DRIVE.match(name) or ".." in parts:
            raise ArchiveRefused(f"{path}: the entry {info.filename!r} points outside the "
                                 "archive (an absolute path or '..'); not an export to trust, "
                                 "nothing imported")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveRefused(f"{path}: the entry {info.filename!r} is a symbolic link; an "
                                 "export holds none, nothing imported")
        if info.is_dir():
            continue
        base = parts[-1].lower() if parts else ""
        export.members.append(Member(f"{path}:{name}", base, name, info.file_size,
                                     _zip_opener(archive, info)))


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], object]:
    return lambda: archive.open(info)


def paths_like(export: Export, pattern: re.Pattern[str]) -> Iterator[Member]:
    for member in export.members:
        if pattern.search(member.path.lower()):
            yield member
