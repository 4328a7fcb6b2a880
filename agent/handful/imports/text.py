"""The text of an export: mojibake repaired, titles read, names normalised. Pure."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal


def repair(text: str) -> str:
    """Facebook writes every non-ASCII string as its UTF-8 bytes read as Latin-1 ("CafÃ©"):
    undo that, keeping the text as it is when it is not such a string (already correct)."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def repair_keys(mapping: dict[str, Any]) -> dict[str, Any]:
    return {repair(key): value for key, value in mapping.items()}


def normalise(name: str) -> str:
    """A group's name as compared and hashed: NFKC, case folded, spaces collapsed, no
    spaces or full stop at the ends."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split()).strip(" .")


def name_id(name: str) -> str:
    """The id of a group known only by its name (CONTRACT.md): `n-` and the first 16 hex
    digits of the SHA-256 of its normalised name."""
    return "n-" + hashlib.sha256(normalise(name).encode()).hexdigest()[:16]


Change = Literal["joined", "left"]


@dataclass(frozen=True)
class TitleForm:
    change: Change
    prefix: str
    suffix: str
    language: str
    verified: bool = True  # seen in real exports; False: from other evidence (translations)


# The membership titles, in the account's language. Each was seen in exports shared publicly
# (2018-2025); gendered languages have both forms. A form added from other evidence only (a
# translation, the site's own strings) is marked verified=False, and counted apart.
TITLE_FORMS = (
    TitleForm("joined", "You became a member of ", ".", "en"),
    TitleForm("left", "You stopped being a member of ", ".", "en"),
    TitleForm("joined", "Vous êtes devenu membre de ", "", "fr"),
    TitleForm("joined", "Vous êtes devenue membre de ", "", "fr"),
    TitleForm("joined", "Vous êtes devenu(e) membre de ", "", "fr"),
    TitleForm("left", "Vous avez arrêté d'être membre de ", "", "fr"),
    TitleForm("left", "Vous avez arrêté d’être membre de ", "", "fr"),
    TitleForm("joined", "Du blev medlem af ", ".", "da"),
    TitleForm("left", "Du er stoppet med at være medlem af ", ".", "da"),
)


@dataclass(frozen=True)
class Title:
    change: Change
    name: str
    form: TitleForm


def read_title(title: str) -> Title | None:
    """Join or leave, and the group's name, from a membership entry's title; None when the
    title matches no known form (never guessed)."""
    text = " ".join(title.split())
    for form in TITLE_FORMS:
        if text.startswith(form.prefix):
            name = text[len(form.prefix):]
            if form.suffix and name.endswith(form.suffix):
                name = name[:-len(form.suffix)]
            name = name.strip()
            if name:
                return Title(form.change, name, form)
    return None


# "<you> posted in <group>." and its kin: the only place a group post names its group.
POST_TITLE = re.compile(r"^.+? posted in (?P<group>.+?)\.?$")  # seen in real exports
POST_TITLE_OTHER = (  # from other evidence only: unverified
    re.compile(r"^.+? shared an? (?:post|link|photo|video) (?:in|to) (?P<group>.+?)\.?$"),
    re.compile(r"^.+? a publié dans (?P<group>.+?)\.?$"),  # fr
    re.compile(r"^.+? slog noget op i (?P<group>.+?)\.?$"),  # da
)


def group_of_post_title(title: str) -> str | None:
    text = " ".join(title.split())
    found = POST_TITLE.match(text)
    if found is None:
        for pattern in POST_TITLE_OTHER:
            found = pattern.match(text)
            if found is not None:
                break
    return found.group("group").strip() if found else None


GROUP_LINK = re.compile(r"^https?://(?:[a-z0-9-]+\.)?facebook\.com/groups/(?P<id>[A-Za-z0-9._-]+)")


def group_id_of_link(url: str) -> str | None:
    """The group id (numeric, or its vanity slug) a facebook.com/groups/ link names."""
    found = GROUP_LINK.match(url)
    if found is None:
        return None
    ident = found.group("id")
    return None if ident in ("feed", "discover", "joins", "create", "search") else ident
