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


def test_every_command_the_docs_and_pages_name_exists() -> None:
    """What the README, docs/ and the extension's pages tell users to type is a command
    `handful` has (no page may promise one still to come)."""
    from handful.cli.main import build_parser

    parser = build_parser()
    commands = {name for action in parser._subparsers._group_actions  # type: ignore[union-attr]
                for name in getattr(action, "choices", {})}
    texts = [*DOCS, *sorted((ROOT / "extension").rglob("*.html")),
             *sorted((ROOT / "extension").rglob("*.js"))]
    spans = [(path.name, span) for path in texts
             for span in re.findall(r"(?:`|<code>)(handful [^`<]*)", path.read_text())]
    # (a key-derivation label such as `handful head mac v1` is not a command)
    named = {(where, span.split()[1]) for where, span in spans
             if re.match(r"handful [a-z]", span) and not re.search(r" v[0-9]+$", span)}
    assert len(named) > 20
    assert not [(where, name) for where, name in named if name not in commands], commands
