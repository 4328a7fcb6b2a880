"""Facebook's "Download Your Information" export (JSON), read into facts about groups.

The files are found by basename (docs/import.md lists them and what each becomes); each is
decoded into only the fields an import uses, so a large export costs little memory. Every
string used is repaired (`text.repair`): Facebook writes UTF-8 read as Latin-1.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import msgspec

from handful.errors import ArchiveRefused
from handful.imports import text
from handful.imports.archive import Export, Member

Kind = Literal["membership", "admin", "badges", "posts", "comments", "answers"]
_FILES: dict[str, Kind] = {
    "your_group_membership_activity": "membership",
    "group_membership_activity": "membership",
    "your_groups": "admin",
    "creator_badges": "badges",
    "your_badges": "badges",
    "group_posts_and_comments": "posts",
    "your_posts_in_groups": "posts",
    "your_comments_in_groups": "comments",
    "your_answers_to_membership_questions": "answers",
}
_NUMBERED = re.compile(r"^(?P<stem>[a-z_]+?)(?:_\d+)?\.(?P<ext>json|html)$")


def kind_of(basename: str, ext: str = "json") -> Kind | None:
    """The kind of a file an import reads, by its basename (`_2` parts of a split file too)."""
    found = _NUMBERED.match(basename)
    if found is None or found.group("ext") != ext:
        return None
    return _FILES.get(found.group("stem"))


def interesting(basename: str) -> bool:
    return kind_of(basename) is not None


# -- the shapes read (only the fields used; a newer field is ignored) --------------------

class _Label(msgspec.Struct):
    label: str | None = None
    value: str | None = None
    href: str | None = None
    title: str | None = None
    dict: list[_Label] | None = None
    vec: list[_Label] | None = None


class _Named(msgspec.Struct):
    name: str | None = None


class _Comment(msgspec.Struct):
    group: str | None = None
    timestamp: float | None = None


class _Data(msgspec.Struct):
    name: str | None = None
    comment: _Comment | None = None


class _Context(msgspec.Struct):
    url: str | None = None


class _AttachmentData(msgspec.Struct):
    external_context: _Context | None = None


class _Attachment(msgspec.Struct):
    data: list[_AttachmentData] | None = None


class _Entry(msgspec.Struct):
    timestamp: float | None = None
    title: str | None = None
    name: str | None = None
    group_name: str | None = None
    data: list[_Data] | None = None
    attachments: list[_Attachment] | None = None
    label_values: list[_Label] | None = None


class _MembershipFile(msgspec.Struct):
    groups_joined_v2: list[_Entry] | None = None
    groups_joined: list[_Entry] | None = None


class _AdminFile(msgspec.Struct):
    groups_admined_v2: list[_Entry] | None = None
    groups_admined: list[_Entry] | None = None


class _BadgesFile(msgspec.Struct):
    group_badges_v2: dict[str, list[str]] | None = None
    group_badges: dict[str, list[str]] | None = None


class _PostsFile(msgspec.Struct):
    group_posts_v2: list[_Entry] | None = None
    group_posts: list[_Entry] | None = None


class _CommentsFile(msgspec.Struct):
    group_comments_v2: list[_Entry] | None = None
    group_comments: list[_Entry] | None = None


class _AnswersInner(msgspec.Struct):
    group_answers: list[_Entry] | None = None


class _AnswersFile(msgspec.Struct):
    group_membership_questions_answers_v2: _AnswersInner | list[_Entry] | None = None
    group_membership_questions_answers: _AnswersInner | list[_Entry] | None = None


_SHAPES: dict[Kind, type[Any]] = {
    "membership": _MembershipFile, "admin": _AdminFile, "badges": _BadgesFile,
    "posts": _PostsFile, "comments": _CommentsFile, "answers": _AnswersFile,
}
_DECODERS = {kind: msgspec.json.Decoder(shape) for kind, shape in _SHAPES.items()}


# -- facts ----------------------------------------------------------------------------

FactKind = Literal["joined", "left", "admin", "badges", "post", "comment", "answers"]


_KINDS: tuple[FactKind, ...] = ("joined", "left", "admin", "badges", "post", "comment",
                                "answers")
_KIND_NUMBER = {kind: i for i, kind in enumerate(_KINDS)}


class Fact(NamedTuple):
    """One thing an export says about a group: its kind, the archive's own time (Unix
    seconds; None for badges, which carry none), the group's name and id where it says
    them, and the entry's place among the file's entries of the same kind and time."""

    kind: FactKind
    ts: float | None
    name: str | None
    group_id: str | None = None
    badges: tuple[str, ...] = ()
    nth: int = 0


class Facts:
    """An export's facts, column by column: a kind byte, a time, a name and a group id (as
    numbers in one table of distinct strings), a place each. 100,000 posts and comments
    take a few MB this way (as objects, they took 25, and the freed export files around
    them could not be given back), and a `Fact` is made only when one is asked for."""

    def __init__(self) -> None:
        self._kinds = bytearray()
        self._times = array("d")
        self._names = array("l")
        self._ids = array("l")
        self._nth = array("l")
        self._badges: dict[int, tuple[str, ...]] = {}
        self._strings: list[str] = []
        self._numbers: dict[str, int] = {}

    def _number(self, value: str | None) -> int:
        if value is None:
            return -1
        found = self._numbers.get(value)
        if found is None:
            found = self._numbers[value] = len(self._strings)
            self._strings.append(value)
        return found

    def append(self, fact: Fact) -> None:
        if fact.badges:
            self._badges[len(self._kinds)] = fact.badges
        self._kinds.append(_KIND_NUMBER[fact.kind])
        self._times.append(_NO_TIME if fact.ts is None else fact.ts)
        self._names.append(self._number(fact.name))
        self._ids.append(self._number(fact.group_id))
        self._nth.append(fact.nth)

    def __len__(self) -> int:
        return len(self._kinds)

    def kind_of(self, index: int) -> FactKind:
        return _KINDS[self._kinds[index]]

    def __getitem__(self, index: int) -> Fact:
        ts = self._times[index]
        name, ident = self._names[index], self._ids[index]
        return Fact(_KINDS[self._kinds[index]], None if math.isnan(ts) else ts,
                    None if name < 0 else self._strings[name],
                    None if ident < 0 else self._strings[ident],
                    self._badges.get(index, ()), self._nth[index])

    def __iter__(self) -> Iterator[Fact]:
        for index in range(len(self._kinds)):
            yield self[index]

    def number_from(self, start: int) -> None:
        """Number the entries from `start` (one file's) that share a kind and a time (0, 1,
        ...): with the kind and the time, this tells them apart in an event id that no
        rename changes."""
        seen: dict[tuple[int, float], int] = {}
        badges = _KIND_NUMBER["badges"]
        for i in range(start, len(self._kinds)):
            kind = self._kinds[i]
            if kind == badges:
                continue
            key = (kind, self._times[i])
            n = seen.get(key, 0)
            seen[key] = n + 1
            self._nth[i] = n


_NO_TIME = float("nan")


@dataclass
class Reading:
    facts: Facts = field(default_factory=Facts)
    files: dict[str, int] = field(default_factory=dict)   # kind -> files read
    titles_not_understood: dict[str, int] = field(default_factory=dict)  # title -> count
    unverified_titles: int = 0
    without_group: dict[str, int] = field(default_factory=dict)  # fact kind -> entries


def read(export: Export, progress: Any = None) -> Reading:
    """Every group fact of a Facebook export; ArchiveRefused when it is not one (an HTML
    export, another platform's, no group files), or a file is damaged or too large."""
    found = export.named(kind_of)
    if not found:
        raise ArchiveRefused(_why_nothing(export))
    reading = Reading()
    members = [(kind, m) for kind in _SHAPES for m in found.get(kind, [])]
    for index, (kind, member) in enumerate(members):
        if progress is not None:
            progress("read", index, len(members), member.path)
        data = export.read(member)
        parsed = _decode(kind, member, data)
        del data
        before = len(reading.facts)
        _facts(kind, parsed, reading)
        del parsed
        reading.facts.number_from(before)
        reading.files[kind] = reading.files.get(kind, 0) + 1
    if progress is not None:
        progress("read", len(members), len(members), "")
    return reading


def _decode(kind: Kind, member: Member, data: bytes) -> Any:
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and b"\x00" in data[:4]):
        raise ArchiveRefused(f"{member.where}: not UTF-8 (UTF-16?); Facebook writes UTF-8: "
                             "download the export again; nothing imported")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        raise ArchiveRefused(f"{member.where}: HTML, not JSON; download your information "
                             "again choosing the JSON format; nothing imported")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArchiveRefused(f"{member.where}: not UTF-8 (byte {error.start}); a file of a "
                             "Facebook export is UTF-8: was it re-saved in another encoding? "
                             "nothing imported") from None
    try:
        return _DECODERS[kind].decode(data)
    except msgspec.ValidationError as error:
        raise ArchiveRefused(f"{member.where}: not a Facebook export file as known "
                             f"({_line(error)}); nothing imported") from None
    except msgspec.DecodeError as error:
        raise ArchiveRefused(f"{member.where}: not valid JSON, truncated or damaged "
                             f"({_line(error)}); download the export again; nothing "
                             "imported") from None


def _line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _facts(kind: Kind, parsed: Any, reading: Reading) -> None:
    if kind == "membership":
        for entry in _entries(parsed.groups_joined_v2, parsed.groups_joined):
            _membership(entry, reading)
    elif kind == "admin":
        for entry in _entries(parsed.groups_admined_v2, parsed.groups_admined):
            _simple("admin", entry, _entry_name(entry), reading)
    elif kind == "badges":
        badges = parsed.group_badges_v2 or parsed.group_badges or {}
        for name, given in badges.items():
            group = text.repair(name).strip()
            if group:
                reading.facts.append(Fact("badges", None, group, None, tuple(
                    sorted({text.repair(b).strip() for b in given if b.strip()}))))
    elif kind == "posts":
        for entry in _entries(parsed.group_posts_v2, parsed.group_posts):
            name = _entry_name(entry)
            if name is None and entry.title:
                title = text.repair(entry.title)
                name = text.group_of_post_title(title)
            _simple("post", entry, name, reading)
    elif kind == "comments":
        for entry in _entries(parsed.group_comments_v2, parsed.group_comments):
            name = next((text.repair(d.comment.group) for d in entry.data or ()
                         if d.comment is not None and d.comment.group), None)
            _simple("comment", entry, name or _entry_name(entry), reading)
    else:
        inner = parsed.group_membership_questions_answers_v2 or \
            parsed.group_membership_questions_answers
        listed = inner.group_answers if isinstance(inner, _AnswersInner) else inner
        for entry in listed or ():
            _simple("answers", entry, _entry_name(entry), reading)


def _entries(*lists: list[_Entry] | None) -> Iterator[_Entry]:
    for listed in lists:
        yield from listed or ()


def _membership(entry: _Entry, reading: Reading) -> None:
    title = text.repair(entry.title or "")
    read_title = text.read_title(title) if title else None
    if read_title is None:
        shown = title.strip() or "(no title)"
        reading.titles_not_understood[shown] = reading.titles_not_understood.get(shown, 0) + 1
        return
    if not read_title.form.verified:
        reading.unverified_titles += 1
    name = _entry_name(entry) or read_title.name
    _simple(read_title.change, entry, name, reading)


def _simple(kind: FactKind, entry: _Entry, name: str | None, reading: Reading) -> None:
    ts = entry.timestamp
    if ts is None or ts <= 0:
        reading.without_group[kind] = reading.without_group.get(kind, 0) + 1
        return
    group_id = _linked_id(entry)
    if not name and group_id is None:
        reading.without_group[kind] = reading.without_group.get(kind, 0) + 1
        return
    reading.facts.append(Fact(kind, ts, name.strip() if name else None, group_id))


def _entry_name(entry: _Entry) -> str | None:
    """The group's name where the entry states it: `data[].name`, `name`, `group_name`, or
    (newer files) a `label_values` item labelled as the group or its name."""
    for data in entry.data or ():
        if data.name:
            return text.repair(data.name)
    for value in (entry.name, entry.group_name):
        if value:
            return text.repair(value)
    for label in _labels(entry.label_values):
        if label.value and (label.label or "").lower() in _NAME_LABELS:
            return text.repair(label.value)
    return None


_NAME_LABELS = {"name", "group", "group name", "nom", "groupe", "nom du groupe", "navn",
                "gruppe", "gruppenavn"}


def _labels(items: list[_Label] | None) -> Iterator[_Label]:
    for item in items or ():
        yield item
        yield from _labels(item.dict)
        yield from _labels(item.vec)


def _linked_id(entry: _Entry) -> str | None:
    """A group id where the entry links to the group's page (attachments, label_values)."""
    for attachment in entry.attachments or ():
        for data in attachment.data or ():
            url = data.external_context.url if data.external_context else None
            if url and (found := text.group_id_of_link(url)):
                return found
    for label in _labels(entry.label_values):
        for url in (label.href, label.value):
            if url and (found := text.group_id_of_link(url)):
                return found
    return None


# -- what an archive is when it holds no group file ---------------------------------------

def _why_nothing(export: Export) -> str:
    paths = [m.path.lower() for m in export.members]
    names = {m.name for m in export.members}
    if any(kind_of(name, "html") for name in names) or ((
            "start_here.html" in names or "index.html" in names) and not any(
            name.endswith(".json") for name in names)):
        return ("this is an HTML export: download your information again choosing the JSON "
                "format (Facebook: Settings, Download your information, Format: JSON); "
                "nothing imported")
    if {"connections.csv", "profile.csv"} & names or any(
            name.endswith(".csv") and name.startswith(("rich_media", "invitations"))
            for name in names):
        return ("this is a LinkedIn export: run `handful import linkedin PATH`; nothing "
                "imported")
    if any("your_instagram_activity/" in p or p.startswith("instagram") for p in paths):
        return "this is an Instagram export, not a Facebook one; nothing imported"
    if any(p.startswith(("your_facebook_activity/", "your_activity_across_facebook/",
                         "personal_information/")) or "/your_facebook_activity/" in p
           for p in paths):
        return ("this Facebook export holds no groups files: download it again with Groups "
                "included (or all of your information); nothing imported")
    return ("no Facebook groups file found (your_group_membership_activity.json, "
            "your_groups.json, ...): is this a Facebook export? Nothing imported")
