"""The docs stand alone: nothing in the README, docs/ or the folders' READMEs points outside
the repository, and every file they name is in it."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "native-messaging" / "README.md",
        *sorted((ROOT / "docs").glob("*.md"))]
# A path the docs name: one of the repository's top-level folders, then more of it.
NAMED = re.compile(r"(?<![\w./~-])((?:agent|bench|docs|extension|installers|native-messaging|"
                   r"tests|types)/[\w./-]*[\w/])")
OUTSIDE = re.compile(r"\.\./|(?:CONTRACT|DESIGN|FIELD-NOTES|TESTING|STYLE)\.md")


def test_the_docs_point_at_nothing_outside_the_repository() -> None:
    for doc in DOCS:
        text = doc.read_text()
        assert not OUTSIDE.search(text), (doc.name, OUTSIDE.search(text))
        for link in re.findall(r"\]\(([^)#\s]+)", text):
            if re.match(r"[a-z]+:", link):
                continue  # an address, not a file
            assert (doc.parent / link).exists(), (doc.name, link)


def test_every_file_the_docs_name_is_in_the_repository() -> None:
    missing = []
    named_all = [named for doc in DOCS for named in NAMED.findall(doc.read_text())]
    assert len(named_all) > 50  # the docs name their sources and tests throughout
    for doc in DOCS:
        for named in NAMED.findall(doc.read_text()):
            path = named.split("::")[0].rstrip(".")
            # a pattern or a placeholder stands for files, not one file
            if any(mark in path for mark in ("*", "<", "NAME")):
                continue
            if not (ROOT / path).exists():
                missing.append((doc.name, path))
    assert not missing, missing
