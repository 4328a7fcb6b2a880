"""LinkedIn's data export: about forty CSV files, none of them a list of your groups (in no
year found). What an import can do is say so, look for anything that names a group (a
link to linkedin.com/groups/...; expect none: its links point to activities), and point to
the page the extension reads instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from handful.errors import ArchiveRefused
from handful.imports.archive import open_export

GROUPS_PAGE = "https://www.linkedin.com/groups/"
_GROUP_LINK = re.compile(rb"linkedin\.com/groups/(\d{1,20})")
_SIGNS = ("connections.csv", "profile.csv", "positions.csv", "skills.csv", "email addresses.csv",
          "registration.csv", "invitations.csv", "messages.csv", "shares.csv")
MAX_CSV_BYTES = 64 << 20


def _interesting(name: str) -> bool:
    return name.endswith(".csv")


def summary(paths: list[Path]) -> dict[str, Any]:
    with open_export(paths, _interesting) as export:
        csvs = [m for m in export.members if m.name.endswith(".csv")]
        names = {m.name for m in csvs}
        if not names & set(_SIGNS):
            if any(m.name.endswith(".json") for m in export.members):
                raise ArchiveRefused("this is not a LinkedIn export (no Connections.csv, "
                                     "Profile.csv, ...): a Facebook one? run `handful import "
                                     "facebook PATH`; nothing imported")
            raise ArchiveRefused("no LinkedIn export found (Connections.csv, Profile.csv, "
                                 "...); nothing imported")
        links: dict[str, list[str]] = {}
        for member in csvs:
            data = export.read(member, MAX_CSV_BYTES)
            for found in _GROUP_LINK.finditer(data):
                links.setdefault(found.group(1).decode(), []).append(member.path)
        files_read = export.files_read
    return {
        "platform": "linkedin", "dry_run": True, "committed": False, "files_read": files_read,
        "groups_file": False,
        "group_links": [{"group": f"linkedin:{ident}", "files": sorted(set(where))}
                        for ident, where in sorted(links.items())],
        "message": ("LinkedIn's export has no list of your groups, so there is nothing to "
                    "import from it" + (
                        f" (it links to {len(links)} group pages, which say nothing of "
                        "membership)" if links else "") +
                    f". Open {GROUPS_PAGE} with the extension installed: it reads your groups "
                    "from that page and records each membership."),
    }
