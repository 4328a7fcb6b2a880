"""The `handful` command end to end, in subprocesses, against a temporary HANDFUL_HOME."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from tests.conftest import Home


def snapshot(home: Home) -> dict[str, str]:
    """Every file's hash, but the writer lock's (it names the last process that opened the
    store to write, which a refusal that had to look at the log may be)."""
    return {str(p.relative_to(home.root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in home.files() if p.name != "writer.lock"}


def test_init_creates_a_store_and_a_second_init_changes_nothing(home: Home) -> None:
    first = json.loads(home.ok("init", "--json"))
    assert first["created"] is True
    assert first["method"] == "passphrase"
    groups = first["recovery_key"].split("-")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    before = snapshot(home)
    again = json.loads(home.ok("init", "--json"))
    assert again["created"] is False and again["recovery_key"] is None
    assert again["store"] == first["store"] and again["device"] == first["device"]
    assert snapshot(home) == before
    assert "Already initialised" in home.ok("init")
    assert snapshot(home) == before


def test_record_groups_export_round_trip(store: Home) -> None:
    now = {"HANDFUL_NOW": "2026-03-01T09:00:00Z"}
    store.ok("groups", "add", "linkedin:12345", "--name", "Data Folk",
             "--url", "https://www.linkedin.com/groups/12345/", extra=now)
    store.ok("groups", "add", "facebook:growth.hackers", "--name", "Growth", extra=now)
    later = {"HANDFUL_NOW": "2026-03-10T12:30:00Z"}
    store.ok("record", "post", "--group", "linkedin:12345", "--note", "intro post", extra=later)
    store.ok("record", "visit", "--group", "linkedin:12345", "--minutes", "12.5", extra=later)
    store.ok("record", "business", "--group", "linkedin:12345", "--amount", "1500", extra=later)
    store.ok("record", "referral_received", "--group", "facebook:growth.hackers", extra=later)
    store.ok("groups", "leave", "facebook:growth.hackers", "--note", "noise", extra=later)

    doc = json.loads(store.ok("groups", "--json", extra={"HANDFUL_NOW": "2026-03-15T00:00:00Z"}))
    assert doc["count"] == 1 and doc["cap"] == 5
    [folk] = doc["groups"]
    assert folk["group"] == {"platform": "linkedin", "id": "12345", "name": "Data Folk",
                             "url": "https://www.linkedin.com/groups/12345/"}
    assert folk["status"] == "member"
    assert folk["since"] == "2026-03-01T09:00:00.000Z"
    f30 = folk["figures"]["30"]
    assert (f30["posts"], f30["visits"], f30["minutes"], f30["business"],
            f30["business_amount"]) == (1, 1, 12.5, 1, 1500)

    everything = json.loads(store.ok("groups", "--all", "--json",
                                     extra={"HANDFUL_NOW": "2026-03-15T00:00:00Z"}))
    statuses = {g["key"]: g["status"] for g in everything["groups"]}
    assert statuses == {"linkedin:12345": "member", "facebook:growth.hackers": "left"}
    growth = next(g for g in everything["groups"] if g["key"] == "facebook:growth.hackers")
    assert growth["figures"]["30"]["referrals_received"] == 1
    assert growth["history"]["left"] == [{"ts": "2026-03-10T12:30:00.000Z", "note": "noise"}]

    # Outside the 30-day window the figures fall away, inside 90 they stay.
    april = json.loads(store.ok("groups", "--json", extra={"HANDFUL_NOW": "2026-04-20T00:00:00Z"}))
    assert april["groups"][0]["figures"]["30"]["posts"] == 0
    assert april["groups"][0]["figures"]["90"]["posts"] == 1

    exported = json.loads(store.ok("export", "--format", "json"))["events"]
    assert [e["type"] for e in exported] == [
        "joined", "joined", "engagement", "engagement", "engagement", "engagement", "left"]
    assert len({e["id"] for e in exported}) == 7
    assert exported[0]["ts"] == "2026-03-01T09:00:00.000Z"
    assert exported[2] == {**exported[2], "kind": "post", "note": "intro post",
                           "group": {"platform": "linkedin", "id": "12345", "name": None,
                                     "url": None}}
    device = json.loads(store.ok("init", "--json"))["device"]
    assert {e["device"] for e in exported} == {device}

    rows = list(csv.DictReader(io.StringIO(store.ok("export", "--format", "csv"))))
    assert len(rows) == 7
    assert rows[2]["type"] == "engagement" and rows[2]["group_id"] == "12345"
    assert rows[4]["amount"] == "1500.0"


def test_export_to_a_file(store: Home) -> None:
    store.ok("groups", "add", "linkedin:1")
    store.ok("record", "meeting", "--group", "linkedin:1", "--note", "coffee")
    target = store.root.parent / "out.json"
    assert store.ok("export", "-o", str(target)) == ""
    assert json.loads(target.read_text())["events"][1]["note"] == "coffee"
    assert target.stat().st_mode & 0o777 == 0o600


def test_csv_export_defuses_spreadsheet_formulas(store: Home) -> None:
    store.ok("groups", "add", "linkedin:1")
    store.ok("record", "meeting", "--group", "linkedin:1", "--note", "=HYPERLINK(\"x\")")
    rows = list(csv.DictReader(io.StringIO(store.ok("export", "--format", "csv"))))
    assert rows[1]["note"] == "'=HYPERLINK(\"x\")"


def test_config_get_and_set(store: Home) -> None:
    assert json.loads(store.ok("config", "get", "--json")) == {
        "cap": 5, "guard.delay_seconds": 5, "review.interval_days": 30,
        "review.snooze_days": 7, "review.dormant_days": 60, "review.involvement_90": 3,
        "guard.paused_until": 0, "fast.started_at": 0, "guard.pause_everywhere": 1}
    store.ok("config", "set", "cap", "3")
    assert store.ok("config", "get", "cap").strip() == "3"
    events = json.loads(store.ok("export"))["events"]
    assert events[-1]["type"] == "settings_changed"
    assert (events[-1]["key"], events[-1]["value"]) == ("cap", 3)
    bad = store.run("config", "set", "cap", "lots")
    assert bad.code == 1 and bad.err.count("\n") == 1 and "whole number" in bad.err
    bad = store.run("config", "set", "cap", "1000")
    assert bad.code == 1 and "between 1 and 100" in bad.err
    bad = store.run("config", "get", "colour")
    assert bad.code == 1 and "unknown setting 'colour'" in bad.err


def test_status_counts_against_the_cap_and_review_date(store: Home) -> None:
    t0 = {"HANDFUL_NOW": "2026-01-01T00:00:00Z"}
    store.ok("config", "set", "cap", "2", extra=t0)
    for n in range(3):
        store.ok("groups", "add", f"linkedin:{n + 1}", extra=t0)
    doc = json.loads(store.ok("status", "--json", extra={"HANDFUL_NOW": "2026-01-20T00:00:00Z"}))
    assert (doc["members"], doc["cap"], doc["over_cap"]) == (3, 2, True)
    assert doc["review"] == {"due": False, "due_at": "2026-01-31T00:00:00.000Z"}
    assert doc["agent"] == {"running": False, "pid": None}
    doc = json.loads(store.ok("status", "--json", extra={"HANDFUL_NOW": "2026-02-01T00:00:00Z"}))
    assert doc["review"]["due"] is True


def test_groups_add_twice_and_leave_unknown(store: Home) -> None:
    store.ok("groups", "add", "linkedin:77")
    out = store.ok("groups", "add", "linkedin:77")
    assert "Already a member" in out
    assert len(json.loads(store.ok("export"))["events"]) == 1
    bad = store.run("groups", "leave", "linkedin:78")
    assert bad.code == 1 and "not a member of linkedin:78" in bad.err


def test_bad_input_gets_one_clear_line_and_writes_nothing(store: Home) -> None:
    store.ok("groups", "add", "linkedin:5")
    store.ok("record", "post", "--group", "linkedin:5")
    before = snapshot(store)
    cases = [
        (("record", "dance", "--group", "linkedin:5"), 2, "unknown kind 'dance'"),
        (("record", "post", "--group", "myspace:5"), 1, "PLATFORM:ID"),
        (("record", "post", "--group", "linkedin:../../etc"), 1, "may hold only"),
        (("record", "post", "--group", "linkedin:5", "--amount", "ten"), 2, "must be a number"),
        (("record", "visit", "--group", "linkedin:5", "--minutes", "-3"), 1, "minutes"),
        (("record", "post"), 2, "--group"),
        (("record", "post", "--group", "linkedin:404"), 1,
         "does not know linkedin:404; nothing recorded. Add it first: "
         "handful groups add linkedin:404 --name NAME"),
        (("groups", "add", "linkedin:5", "--url", "javascript:alert(1)"), 1, "url"),
        (("frobnicate",), 2, "invalid choice"),
        (("export", "--format", "xml"), 2, "invalid choice"),
    ]
    for args, code, words in cases:
        result = store.run(*args)
        assert result.code == code, (args, result)
        assert result.err.startswith("handful: ") and result.err.count("\n") == 1, result.err
        assert words in result.err, (args, result.err)
    assert snapshot(store) == before


def test_commands_before_init_say_what_to_do(home: Home) -> None:
    for args in (("status",), ("groups",), ("export",), ("verify",),
                 ("record", "post", "--group", "linkedin:1")):
        result = home.run(*args)
        assert result.code == 1
        assert "run `handful init` first" in result.err


def test_handful_now_stamps_new_events(store: Home) -> None:
    store.ok("groups", "add", "facebook:123")
    store.ok("record", "comment", "--group", "facebook:123",
             extra={"HANDFUL_NOW": "2025-12-24T18:00:00+01:00"})
    [_, event] = json.loads(store.ok("export"))["events"]
    assert event["ts"] == "2025-12-24T17:00:00.000Z"
    bad = store.run("status", extra={"HANDFUL_NOW": "yesterday"})
    assert bad.code == 2 and "HANDFUL_NOW" in bad.err


def test_help_names_every_command(home: Home) -> None:
    out = home.ok("--help")
    for name in ("init", "status", "groups", "record", "export", "verify", "config"):
        assert name in out
    assert "--recover" in home.ok("init", "--help")


def test_status_shows_the_scoreboard_the_fast_and_a_pause(store: Home) -> None:
    t0 = {"HANDFUL_NOW": "2026-03-02T10:00:00Z"}
    store.ok("groups", "add", "linkedin:1", extra=t0)
    store.ok("groups", "leave", "linkedin:1", extra=t0)
    store.ok("config", "set", "fast.started_at", "1772445600", extra=t0)   # 2026-03-02 10:00
    store.ok("config", "set", "guard.paused_until", "1772449200", extra=t0)  # an hour later
    out = store.ok("status", extra=t0)
    assert "Groups pruned: 1; commitments kept: 0 of 0" in out
    assert "Networking fast until 2026-03-16" in out
    assert "The guard is paused until 11:00 UTC" in out
    doc = json.loads(store.ok("status", "--json", extra=t0))
    assert doc["fast"] == {"active": True, "started_at": "2026-03-02T10:00:00.000Z",
                           "ends_at": "2026-03-16T10:00:00.000Z"}
    assert doc["guard"] == {"paused": True, "paused_until": "2026-03-02T11:00:00.000Z",
                            "everywhere": True}
    later = json.loads(store.ok("status", "--json", extra={"HANDFUL_NOW": "2026-03-20T00:00:00Z"}))
    assert later["fast"]["active"] is False and later["guard"]["paused"] is False


def test_pause_resume_and_the_fast_as_commands(store: Home) -> None:
    """`handful pause [DURATION]`, `resume` and `fast start|stop`, with the agent stopped
    (the browser test drives them through the running agent)."""
    at = {"HANDFUL_NOW": "2026-03-02T09:00:00Z"}
    assert "paused until 2026-03-02 10:00 UTC" in store.ok("pause", extra=at)  # 1h default
    doc = json.loads(store.ok("pause", "1h30m", "--json", extra=at))
    assert (doc["paused_until"], doc["seconds"]) == ("2026-03-02T10:30:00.000Z", 5400)
    status = json.loads(store.ok("status", "--json", extra=at))
    assert status["guard"] == {"paused": True, "paused_until": "2026-03-02T10:30:00.000Z",
                               "everywhere": True}
    for bad, why in (("2x", "is not a duration"), ("0m", "from a minute to 30 days"),
                     ("31d", "from a minute to 30 days"), ("1.5h", "is not a duration")):
        refused = store.run("pause", bad, extra=at)
        assert refused.code == 2 and why in refused.err and "Traceback" not in refused.err
    assert store.ok("resume", extra=at).strip() == "The join guard is back."
    assert store.ok("resume", extra=at).strip() == "The join guard was not paused."
    assert json.loads(store.ok("status", "--json", extra=at))["guard"]["paused"] is False

    assert "starts now: no new groups until 2026-03-16 09:00 UTC" in store.ok(
        "fast", "start", extra=at)
    later = {"HANDFUL_NOW": "2026-03-05T12:00:00Z"}
    again = json.loads(store.ok("fast", "start", "--json", extra=later))  # not restarted
    assert (again["changed"], again["ends_at"]) == (False, "2026-03-16T09:00:00.000Z")
    assert "over, on day 4 of 14" in store.ok("fast", "stop", extra=later)
    assert store.ok("fast", "stop", extra=later).strip() == "There is no networking fast on."
    assert json.loads(store.ok("status", "--json", extra=later))["fast"]["active"] is False
    changes = [e for e in json.loads(store.ok("export"))["events"]
               if e["type"] == "settings_changed"]
    assert [(e["key"], e["value"]) for e in changes] == [
        ("guard.paused_until", 1772445600), ("guard.paused_until", 1772447400),
        ("guard.paused_until", 0), ("fast.started_at", 1772442000), ("fast.started_at", 0)]


def test_record_refuses_an_amount_out_of_place(store: Home) -> None:
    store.ok("groups", "add", "linkedin:12", "--name", "Twelve")
    misplaced = store.run("record", "post", "--group", "linkedin:12", "--amount", "50")
    assert misplaced.code == 2 and "--amount belongs to business" in misplaced.err
    store.ok("record", "business", "--group", "linkedin:12", "--amount", "1500")
    store.ok("record", "referral_given", "--group", "linkedin:12", "--amount", "200")
    [twelve] = json.loads(store.ok("groups", "--json"))["groups"]
    assert twelve["figures"]["365"]["business_amount"] == 1500  # a referral's value: not won
    kinds = [e.get("kind") for e in json.loads(store.ok("export"))["events"]]
    assert kinds == [None, "business", "referral_given"]  # the refused ones left nothing
