"""`handful import`: Facebook exports in every layout and three languages, read into the
events and memberships they say, once however often imported, whole or not at all, and
every hostile or wrong archive refused with one line and nothing written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SUPPORT, Home
from tests.hostkit import Host
from tests.support.exports import (
    LAYOUTS,
    FacebookExport,
    Membership,
    linkedin_files,
    mojibake,
    write_folder,
    write_split,
    write_zip,
)

T0 = 1_500_000_000  # 2017-07-14


def _export(language: str = "en", layout: str = "2025") -> FacebookExport:
    return FacebookExport(
        memberships=[
            Membership("Café Rust Paris", T0, T0 + 400 * 86400),
            Membership("Growth / SaaS Founders", T0 + 10 * 86400, with_data=False),
            Membership("Ærø Løbere", T0 + 20 * 86400),
            Membership("Data Folk", T0 + 30 * 86400),
        ],
        posts=[("Café Rust Paris", T0 + 86400), ("Only Named In A Post", T0 + 2 * 86400),
               ("Data Folk", T0 + 31 * 86400)],
        post_links=[("884422", T0 + 3 * 86400)],
        comments=[("Growth / SaaS Founders", T0 + 11 * 86400),
                  ("Growth / SaaS Founders", T0 + 12 * 86400)],
        admined=[("Ærø Løbere", T0 + 20 * 86400 + 5)],
        badges={"Ærø Løbere": ["Rising star", "Conversation starter"]},
        answers=[("Data Folk", T0 + 30 * 86400 - 60)],
        strange_titles=[("Du bist Data Folk beigetreten.", T0 + 40 * 86400)],
        language=language, layout=layout)


def _events(home: Home) -> list[dict[str, Any]]:
    return list(json.loads(home.ok("export", "--format", "json"))["events"])


def _groups(home: Home) -> dict[str, dict[str, Any]]:
    listed = json.loads(home.ok("groups", "--all", "--json"))["groups"]
    return {g["group"]["name"]: g for g in listed}


def _log_bytes(home: Home) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((home.data / "log").rglob("*.seg"))}


def _imported(home: Home, *paths: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    out = home.ok("import", "facebook", *map(str, paths), "--json", *extra, timeout=120)
    summary: dict[str, Any] = json.loads(out)
    return summary


EXPECTED_MEMBERS = {"Growth / SaaS Founders", "Ærø Løbere", "Data Folk"}


def _check_history(home: Home) -> None:
    events = [e for e in _events(home) if e.get("origin") == "facebook_export"]
    kinds = sorted((e["type"], e.get("kind") or e.get("page") or "") for e in events)
    assert kinds == sorted([
        ("joined", ""), ("joined", ""), ("joined", ""), ("joined", ""), ("left", ""),
        ("engagement", "post"), ("engagement", "post"), ("engagement", "post"),
        ("engagement", "post"), ("engagement", "comment"), ("engagement", "comment"),
        ("membership_imported", ""), ("group_seen", "badges"),
        ("group_seen", "membership_questions"), ("import_committed", "")]), kinds
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event)
    # the archive's own times, not the import's
    assert sorted(e["ts"] for e in by_type["joined"]) == [
        "2017-07-14T02:40:00.000Z", "2017-07-24T02:40:00.000Z", "2017-08-03T02:40:00.000Z",
        "2017-08-13T02:40:00.000Z"]
    assert by_type["left"][0]["ts"] == "2018-08-18T02:40:00.000Z"
    assert by_type["left"][0]["group"]["name"] == "Café Rust Paris"
    assert by_type["membership_imported"][0]["role"] == "admin"
    assert by_type["group_seen"][0]["group"]["name"] == "Ærø Løbere" or \
        by_type["group_seen"][1]["group"]["name"] == "Ærø Løbere"
    badges = next(e for e in by_type["group_seen"] if e["page"] == "badges")
    assert badges["badges"] == ["Conversation starter", "Rising star"]
    linked = [e for e in by_type["engagement"] if e["group"]["id"] == "884422"]
    assert len(linked) == 1  # the group named only by its link
    groups = _groups(home)
    members = {name for name, g in groups.items() if g["status"] == "member"}
    assert members == EXPECTED_MEMBERS, groups
    assert groups["Café Rust Paris"]["status"] == "left"
    assert groups["Only Named In A Post"]["status"] == "seen"
    assert groups["Growth / SaaS Founders"]["since"] == "2017-07-24T02:40:00.000Z"
    for name in EXPECTED_MEMBERS | {"Café Rust Paris", "Only Named In A Post"}:
        assert groups[name]["group"]["id"].startswith("n-"), name
    status = json.loads(home.ok("status", "--json"))
    assert status["members"] == 3
    assert status["scoreboard"]["joined"] == 0  # years before Handful are not its score
    # what the export brought (the popup and the review say it): its 14 entries, the 4
    # groups its memberships name, 3 of them still yours; no suggestion to import any more
    [done] = status["imports"]["done"]
    assert (done["platform"], done["events"], done["groups"], done["member_of"]) == (
        "facebook", 14, 4, 3)
    assert status["imports"]["suggest"] is False


@pytest.mark.parametrize(("language", "layout"), [
    ("en", "2025"), ("fr", "2023"), ("fr-f", "2021"), ("da", "nested"), ("en", "2019")])
def test_every_layout_and_language_imports_the_same_history(store: Home, tmp_path: Path,
                                                            language: str, layout: str) -> None:
    export = _export(language, layout)
    if layout == "2019":  # no `data`, no _v2 keys: names come from the titles alone
        assert all(b"data" not in v for k, v in export.files().items() if "membership" in k)
    summary = _imported(store, write_zip(tmp_path / "facebook.zip", export.files()))
    assert summary["committed"] is True
    assert summary["titles_not_understood"] == [
        {"title": "Du bist Data Folk beigetreten.", "count": 1}]
    assert summary["groups"] == {"new": 6, "matched": 0, "ambiguous": []}
    _check_history(store)


def test_twice_is_once_and_a_folder_or_a_split_export_reads_the_same(
        store: Home, tmp_path: Path) -> None:
    files = _export().files()
    first = _imported(store, write_zip(tmp_path / "a.zip", files))
    before = _log_bytes(store)
    again = _imported(store, write_zip(tmp_path / "a.zip", files))
    assert again["committed"] is False and again["new"] == {}
    assert again["already"] == sum(first["events"].values())
    folder = _imported(store, write_folder(tmp_path / "unpacked", files))
    split = _imported(store, write_split(tmp_path / "parts", files))
    assert folder["new"] == {} and split["new"] == {}
    assert folder["files_read"] == split["files_read"] == first["files_read"] == 6
    assert _log_bytes(store) == before  # nothing at all written by the three
    _check_history(store)


def test_a_later_larger_export_adds_only_what_is_new_and_a_renamed_group_stays_one(
        store: Home, tmp_path: Path) -> None:
    _imported(store, write_zip(tmp_path / "2024.zip", _export().files()))
    later = _export()
    later.memberships[3] = Membership("Data Folk Europe", T0 + 30 * 86400)  # renamed since
    later.posts.append(("Data Folk Europe", T0 + 500 * 86400))
    later.memberships.append(Membership("New Circle", T0 + 600 * 86400))
    summary = _imported(store, write_zip(tmp_path / "2026.zip", later.files()))
    assert summary["new"] == {"engagement:post": 1, "group_alias": 1, "joined": 1}, summary
    groups = _groups(store)
    assert "Data Folk" not in groups  # one group, under the newest name
    renamed = groups["Data Folk Europe"]
    assert renamed["status"] == "member" and len(renamed["aliases"]) == 1
    assert renamed["since"] == "2017-08-13T02:40:00.000Z"
    assert groups["New Circle"]["status"] == "member"
    assert json.loads(store.ok("status", "--json"))["members"] == 4


def test_a_group_known_to_handful_is_matched_by_name_and_two_of_one_name_ask_for_match(
        store: Home, tmp_path: Path) -> None:
    store.ok("groups", "add", "facebook:1001", "--name", "Café Rust Paris")
    store.ok("groups", "add", "facebook:2001", "--name", "Data Folk")
    store.ok("groups", "add", "facebook:2002", "--name", "data  folk")
    archive = write_zip(tmp_path / "fb.zip", _export().files())
    summary = _imported(store, archive)
    assert summary["groups"]["ambiguous"] == [{
        "name": "Data Folk", "candidates": ["facebook:2001", "facebook:2002"],
        "match": ["--match 'Data Folk=facebook:2001'", "--match 'Data Folk=facebook:2002'"]}]
    assert summary["skipped_ambiguous"] == 3  # its join, its post, its answers: not guessed
    groups = json.loads(store.ok("groups", "--all", "--json"))["groups"]
    rust = next(g for g in groups if g["group"]["id"] == "1001")
    assert rust["status"] == "member"  # added today: newer than the export's leave in 2018
    matched = [e["type"] for e in _events(store)
               if e.get("origin") and e.get("group", {}).get("id") == "1001"]
    assert sorted(matched) == ["engagement", "joined", "left"]
    settled = _imported(store, archive, extra=("--match", "Data Folk=facebook:2002"))
    assert settled["new"] == {"engagement:post": 1, "group_seen:membership_questions": 1,
                              "joined": 1}
    folk = next(g for g in json.loads(store.ok("groups", "--all", "--json"))["groups"]
                if g["group"]["id"] == "2002")
    assert folk["since"] == "2017-08-13T02:40:00.000Z"
    bad = store.run("import", "facebook", str(archive), "--match", "Data Folk")
    assert bad.code == 8 and "NAME=facebook:ID" in bad.err and "\n" not in bad.err.strip()


def test_mojibake_is_repaired_in_values_and_keys_and_correct_text_left_alone(
        store: Home, tmp_path: Path) -> None:
    files = _export().files()
    folder = LAYOUTS["2025"][0]
    # one file already correct UTF-8 (an export re-saved by a tool): left as it is
    files[f"{folder}/your_badges.json"] = json.dumps(
        {"group_badges_v2": {"Ærø Løbere": ["Étoile montante"]}}).encode()
    assert mojibake("Ærø") != "Ærø"
    _imported(store, write_zip(tmp_path / "fb.zip", files))
    badges = next(e for e in _events(store) if e.get("page") == "badges")
    assert badges["group"]["name"] == "Ærø Løbere" and badges["badges"] == ["Étoile montante"]
    assert "Ærø Løbere" in _groups(store)


def test_dry_run_writes_nothing_and_says_what_it_would(store: Home, tmp_path: Path) -> None:
    before = _log_bytes(store)
    summary = _imported(store, write_zip(tmp_path / "fb.zip", _export().files()),
                        extra=("--dry-run",))
    assert summary["dry_run"] is True and summary["committed"] is False
    assert sum(summary["new"].values()) == 14 and summary["files_read"] == 6
    assert _log_bytes(store) == before
    human = store.ok("import", "facebook", str(tmp_path / "fb.zip"), "--dry-run")
    assert "would add 14 events" in human and "Dry run: nothing was written." in human


def test_through_the_agent_and_the_browser_may_never_ask_for_an_import(
        agent: Home, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "fb.zip", _export().files())
    result = agent.run("import", "facebook", str(archive), "--json", timeout=120)
    assert result.code == 0, result.err
    assert json.loads(result.out)["committed"] is True
    _check_history(agent)
    host = Host(agent)
    try:
        for message in ({"id": 1, "type": "import", "platform": "facebook",
                         "paths": [str(archive)]},
                        {"id": 2, "type": "import_status", "job": "abc"}):
            reply = host.ask(message)
            assert reply["ok"] is False and reply["error"]["code"] == "forbidden", reply
    finally:
        host.finish()


def test_a_page_that_shows_a_group_known_only_by_name_ties_the_two(agent: Home,
                                                                    tmp_path: Path) -> None:
    _imported(agent, write_zip(tmp_path / "fb.zip", _export().files()))
    host = Host(agent)
    try:
        reply = host.ask({"id": 1, "type": "group_seen", "event": {
            "id": "seen-1", "group": {"platform": "facebook", "id": "7777",
                                      "name": "Growth / SaaS Founders"}}})
        assert reply["ok"], reply
    finally:
        host.finish()
    groups = json.loads(agent.ok("groups", "--json"))["groups"]
    growth = [g for g in groups if g["group"]["name"] == "Growth / SaaS Founders"]
    assert len(growth) == 1 and growth[0]["group"]["id"] == "7777"
    assert growth[0]["aliases"] == ["facebook:n-" + _name_hash("Growth / SaaS Founders")]
    assert growth[0]["since"] == "2017-07-24T02:40:00.000Z"


def _name_hash(name: str) -> str:
    from handful.imports.text import name_id

    return name_id(name)[2:]


def test_kill_9_in_the_middle_of_the_batch_leaves_nothing_folded(store: Home,
                                                                 tmp_path: Path) -> None:
    export = _export()
    export.posts += [("Café Rust Paris", T0 + 86400 + i) for i in range(3000)]
    archive = write_zip(tmp_path / "fb.zip", export.files())
    proc = subprocess.Popen([sys.executable, str(SUPPORT / "import_killed.py"), str(archive)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=store.env)
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()
        assert line.startswith("wrote 500 of "), (line, proc.stderr.read())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    total = int(line.split()[-1])
    store.ok("verify")
    written = [e for e in _events(store) if e.get("origin")]
    assert len(written) == 500 and all(e["batch"] for e in written)  # on disk, uncommitted
    assert _groups(store) == {}  # and nothing of it folded
    status = json.loads(store.ok("status", "--json"))
    assert status["members"] == 0
    assert status["imports"] == {"done": [], "suggest": True}  # no import said to be done
    summary = _imported(store, archive)  # run again: the rest, then the marker
    assert summary["committed"] is True and summary["already"] == 500
    assert len([e for e in _events(store) if e.get("origin")]) == total + 1  # + the marker
    groups = _groups(store)
    assert {n for n, g in groups.items() if g["status"] == "member"} == EXPECTED_MEMBERS
    ids = [e["id"] for e in _events(store)]
    assert len(ids) == len(set(ids))  # each event once, the 500 written before included


# -- hostile and wrong archives ------------------------------------------------------------

def _refused(home: Home, path: Path, *words: str) -> None:
    before = _log_bytes(home)
    result = home.run("import", "facebook", str(path), "--json")
    assert result.code == 8, (result.code, result.err)
    assert result.out == ""
    *phases, line = result.err.strip().splitlines()
    assert all(p.startswith("handful: reading") for p in phases), result.err  # progress
    assert line.startswith("handful: "), line
    for word in words:
        assert word in line, line
    assert "nothing imported" in line or "neither a folder" in line or "no such" in line, line
    assert _log_bytes(home) == before


def test_hostile_and_wrong_archives_are_refused_with_nothing_written(store: Home,
                                                                     tmp_path: Path) -> None:
    good = _export().files()
    folder = LAYOUTS["2025"][0]
    member = f"{folder}/your_group_membership_activity.json"
    # an HTML export
    html = {f"{folder}/your_group_membership_activity.html": b"<html><body>x</body></html>",
            "index.html": b"<!DOCTYPE html><html></html>"}
    _refused(store, write_zip(tmp_path / "html.zip", html), "HTML export", "JSON")
    # a zip bomb whose directory lies about its size
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b'{"groups_joined_v2": [' + b" " * (300 << 20) + b"]}")
    _refused(store, bomb, "256 MiB")  # as it says
    _lie_about_size(bomb, 1000)
    _refused(store, bomb, "zip bomb")  # as it says it is not: read no further than it says
    # ../ and absolute member names
    for name in ("../../.bashrc", "/etc/your_group_membership_activity.json",
                 "C:/Users/x/your_groups.json"):
        path = tmp_path / f"escape{len(name)}.zip"
        write_zip(path, {**good, name: b"{}"})
        _refused(store, path, "outside the archive")
    # a link inside an unpacked export is not followed
    unpacked = write_folder(tmp_path / "linked", good)
    target = unpacked / member
    target.unlink()
    secret = tmp_path / "elsewhere.json"
    secret.write_bytes(good[member])
    target.symlink_to(secret)
    _refused(store, unpacked, "symbolic link")
    # truncated, malformed, another encoding, the wrong shape
    for label, data, words in (
            ("truncated", good[member][: len(good[member]) // 2], ("not valid JSON",)),
            ("malformed", b'{"groups_joined_v2": [{"timestamp": 1,}]}', ("not valid JSON",)),
            ("utf16", good[member].decode().encode("utf-16"), ("UTF-8",)),
            ("latin1", '{"groups_joined_v2": [{"title": "Café"}]}'.encode("latin-1"),
             ("not UTF-8",)),
            ("shape", b'{"groups_joined_v2": "everything"}', ("not a Facebook export file",))):
        _refused(store, write_zip(tmp_path / f"{label}.zip", {**good, member: data}), *words)
    # another platform's archive, and no export at all
    _refused(store, write_zip(tmp_path / "linkedin.zip", linkedin_files()), "LinkedIn export",
             "handful import linkedin")
    _refused(store, write_zip(tmp_path / "insta.zip", {
        "your_instagram_activity/likes/liked_posts.json": b"{}"}), "Instagram")
    notzip = tmp_path / "notes.zip"
    notzip.write_bytes(b"not a zip at all")
    _refused(store, notzip, "not a zip file")
    assert _groups(store) == {}


def test_a_file_over_the_stated_size_is_refused_before_it_is_read(in_process: Home,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    from handful.errors import ArchiveRefused
    from handful.imports import archive as archive_module
    from handful.imports import facebook

    monkeypatch.setattr(archive_module, "MAX_FILE_BYTES", 4096)
    files = _export().files()
    member = f"{LAYOUTS['2025'][0]}/group_posts_and_comments.json"
    files[member] = files[member] + b" " * 8192
    path = write_folder(tmp_path / "big", files)
    with archive_module.open_export([path], facebook.interesting) as export, \
            pytest.raises(ArchiveRefused, match=r"over the 0 MiB|more than 0 MiB"):
        facebook.read(export)


def _lie_about_size(path: Path, size: int) -> None:
    """Rewrite a one-member zip's local and central headers to claim `size` bytes."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    data[local + 22:local + 26] = size.to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    data[central + 24:central + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_linkedin_says_plainly_it_has_no_groups_and_where_to_look(store: Home,
                                                                  tmp_path: Path) -> None:
    before = _log_bytes(store)
    plain = store.ok("import", "linkedin", str(write_zip(tmp_path / "li.zip",
                                                         linkedin_files())))
    assert "no list of your groups" in plain and "https://www.linkedin.com/groups/" in plain
    linked = json.loads(store.ok("import", "linkedin", "--json", str(write_folder(
        tmp_path / "li", linkedin_files(with_group_link=True)))))
    assert linked["group_links"] == [{"group": "linkedin:4242", "files": ["Shares.csv"]}]
    assert linked["committed"] is False
    assert _log_bytes(store) == before
    wrong = store.run("import", "linkedin", str(write_zip(tmp_path / "fb.zip",
                                                          _export().files())))
    assert wrong.code == 8 and "handful import facebook" in wrong.err


def test_an_entry_dated_outside_2000_2099_is_left_out_and_counted(store: Home,
                                                                  tmp_path: Path) -> None:
    export = _export()
    export.posts += [("Data Folk", 631_152_000),      # 1990
                     ("Data Folk", 5_700_000_000)]    # 2150
    summary = _imported(store, write_zip(tmp_path / "dated.zip", export.files()))
    assert summary["skipped_times"] == 2
    assert summary["committed"] is True
    _check_history(store)  # everything else, exactly as without them
