"""`handful review` as people and scripts use it: --json, --decide, the interactive review
at a real terminal, mistakes, and a scripted 90-day history whose advice, followed, ends at
or under the cap with every worked group kept."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Home
from tests.terminal import Terminal

START = datetime(2026, 8, 1, 9, tzinfo=UTC)


def at(day: float) -> dict[str, str]:
    return {"HANDFUL_NOW": (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def review(home: Home, day: float) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(home.ok("review", "--json", extra=at(day)))
    return doc


def test_review_json_decide_and_mistakes(store: Home) -> None:
    store.ok("groups", "add", "linkedin:1", "--name", "Data Folk", extra=at(0))
    store.ok("groups", "add", "facebook:old", "--name", "Old Group", extra=at(0))
    for day, kind in ((40, "post"), (50, "comment"), (60, "comment"), (70, "referral_given")):
        store.ok("record", kind, "--group", "linkedin:1", extra=at(day))
    plan = review(store, 80)
    assert plan["due"] is True
    assert [(g["key"], g["recommendation"]) for g in plan["groups"]] == [
        ("facebook:old", "leave"), ("linkedin:1", "keep")]
    bad = store.run("review", "--decide", "linkedin:1=maybe", extra=at(80))
    assert bad.code == 2 and "--decide takes PLATFORM:ID=DECISION" in bad.err
    bad = store.run("review", "--decide", "linkedin:999=keep", extra=at(80))
    assert bad.code == 2 and "not one of your groups" in bad.err
    out = store.ok("review", "--decide", "facebook:old=leave", extra=at(80))
    assert out.startswith("Recorded: leave facebook:old.\n  Leave it on its page: "
                          "https://www.facebook.com/groups/old/\n")
    store.ok("review", "--decide", "linkedin:1=deepen", "--note", "Run the March meetup",
             extra=at(80))
    decisions = [e for e in json.loads(store.ok("export"))["events"]
                 if e["type"] == "review_decision"]
    assert [(d["group"]["id"], d["decision"], d.get("note")) for d in decisions] == [
        ("old", "leave", None), ("1", "deepen", "Run the March meetup")]
    after = review(store, 81)
    assert after["due"] is False and after["due_at"].startswith("2026-11-19")
    text = store.ok("review", extra=at(81))  # no terminal: the review as text, no questions
    assert "1. Old Group (facebook:old): LEAVE" in text and "--decide" in text


def test_the_interactive_review_at_a_terminal(store: Home) -> None:
    for ident in ("a", "b", "c"):
        store.ok("groups", "add", f"linkedin:{ident}", "--name", f"Group {ident.upper()}",
                 extra=at(0))
    store.ok("record", "post", "--group", "linkedin:c", extra=at(70))
    term = Terminal([sys.executable, "-m", "handful", "review"], {**store.env, **at(90)},
                    cwd=store.root.parent)
    term.until(b"Enter to skip: ")
    term.type(b"x\n")                      # a wrong key: asked again
    term.until(b"Type k, d, l or s")
    term.type(b"l\n")                      # leave the first
    term.until(b"2. ")
    term.until(b"Enter to skip: ")
    term.type(b"\n")                       # skip the second
    term.until(b"3. ")
    term.until(b"Enter to skip: ")
    term.type(b"d\n")
    term.until(b"What will you do there this month? ")
    term.type(b"Answer two questions a week\n")
    term.until(b"Recorded 2 decisions.")
    assert term.exit_code() == 0
    decisions = [e for e in json.loads(store.ok("export"))["events"]
                 if e["type"] == "review_decision"]
    assert [(d["decision"], d.get("note")) for d in decisions] == [
        ("leave", None), ("deepen", "Answer two questions a week")]
    assert decisions[1]["group"]["id"] == "c"
    assert decisions[0]["group"]["id"] in ("a", "b")


def test_ninety_days_of_following_the_advice(store: Home) -> None:
    """Thirty groups: three worked hard, five only browsed, the rest ignored. Three monthly
    reviews; the user leaves what the review says to leave."""
    store.ok("config", "set", "cap", "5", extra=at(0))
    worked = [f"linkedin:{100 + i}" for i in range(3)]
    browsed = [f"facebook:browse.{i}" for i in range(5)]
    ignored = [f"linkedin:{200 + i}" for i in range(22)]
    for key in worked + browsed + ignored:
        store.ok("groups", "add", key, extra=at(0))
    current = set(worked + browsed + ignored)
    left: list[str] = []
    for month in range(3):
        first = month * 30
        for key in worked:
            for offset, kind in ((3, "post"), (9, "comment"), (15, "comment"),
                                 (21, "referral_received")):
                store.ok("record", kind, "--group", key, extra=at(first + offset))
        for key in browsed:
            if key in current:
                store.ok("record", "visit", "--group", key, "--minutes", "4",
                         extra=at(first + 10))
        plan = review(store, first + 30)
        assert plan["due"], plan["due_at"]
        leave = [g["key"] for g in plan["groups"] if g["recommendation"] == "leave"]
        assert not set(leave) & set(worked)  # never the groups the user works in
        decide = [f"{g['key']}={g['recommendation']}" for g in plan["groups"]]
        store.ok("review", *[a for d in decide for a in ("--decide", d)], extra=at(first + 30))
        for key in leave:  # then leaves them on the site; recorded here by hand
            store.ok("groups", "leave", key, extra=at(first + 30))
            current.discard(key)
            left.append(key)
    status = json.loads(store.ok("status", "--json", extra=at(90)))
    assert status["members"] <= 5
    groups = {g["key"] for g in json.loads(store.ok("groups", "--json", extra=at(90)))["groups"]}
    assert set(worked) <= groups == current
    score = status["scoreboard"]
    assert score["joined"] == 30 and score["left"] == score["pruned"] == len(left) >= 25
    assert status["review"]["due"] is False


def test_deciding_leave_says_where_to_leave_each_group(store: Home) -> None:
    store.ok("groups", "add", "linkedin:42", "--name", "Seen Here", "--url",
             "https://www.linkedin.com/groups/42/", extra=at(70))
    store.ok("groups", "add", "facebook:fans.of.x", "--name", "Fans", extra=at(70))
    store.ok("groups", "add", "facebook:n-0123456789abcdef", "--name", "Named/Only Ça",
             extra=at(70))
    out = store.ok("review", "--decide", "linkedin:42=leave", "--decide",
                   "facebook:fans.of.x=leave", "--decide", "facebook:n-0123456789abcdef=leave")
    assert out.splitlines() == [
        "Recorded: leave linkedin:42.",
        "  Leave it on its page: https://www.linkedin.com/groups/42/",
        "  (Handful records it when the page shows you have left; left it in the app or on "
        "another computer: `handful groups leave linkedin:42`.)",
        "Recorded: leave facebook:fans.of.x.",
        "  Leave it on its page: https://www.facebook.com/groups/fans.of.x/",
        "  (Handful records it when the page shows you have left; left it in the app or on "
        "another computer: `handful groups leave facebook:fans.of.x`.)",
        "Recorded: leave facebook:n-0123456789abcdef.",
        "  Find it on its site and leave it there: "
        "https://www.facebook.com/search/groups/?q=Named%2FOnly%20%C3%87a",
        "  (Handful records it when the page shows you have left; left it in the app or on "
        "another computer: `handful groups leave facebook:n-0123456789abcdef`.)",
    ]
