"""Facebook and LinkedIn data exports as the platforms write them, built for tests and
benchmarks: four layouts (and a nested variant), three languages, UTF-8 read as Latin-1
in every non-ASCII string and key, entries without `data`, split zips.
(The shapes: FIELD-NOTES "Platform data exports".)"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# layout -> (the folder of the groups files, whether keys end in _v2)
LAYOUTS = {
    "2019": ("groups", False),
    "2021": ("groups", True),
    "2023": ("your_activity_across_facebook/groups", True),
    "2025": ("your_facebook_activity/groups", True),
    "nested": ("personal_information/profile_information/your_facebook_activity/groups", True),
}
TITLES = {
    "en": ("You became a member of {}.", "You stopped being a member of {}."),
    "fr": ("Vous êtes devenu membre de {}", "Vous avez arrêté d'être membre de {}"),
    "fr-f": ("Vous êtes devenue membre de {}", "Vous avez arrêté d'être membre de {}"),
    "da": ("Du blev medlem af {}.", "Du er stoppet med at være medlem af {}."),
}
POSTED = {"en": "{} posted in {}.", "fr": "{} posted in {}.", "fr-f": "{} posted in {}.",
          "da": "{} posted in {}."}


def mojibake(text: str) -> str:
    """What Facebook does to every non-ASCII string: its UTF-8 bytes read as Latin-1."""
    return text.encode("utf-8").decode("latin-1")


@dataclass
class Membership:
    name: str
    joined: int
    left: int | None = None
    with_data: bool = True


@dataclass
class FacebookExport:
    memberships: list[Membership] = field(default_factory=list)
    posts: list[tuple[str, int]] = field(default_factory=list)        # (group, ts)
    post_links: list[tuple[str, int]] = field(default_factory=list)   # (group id, ts)
    comments: list[tuple[str, int]] = field(default_factory=list)
    admined: list[tuple[str, int]] = field(default_factory=list)
    badges: dict[str, list[str]] = field(default_factory=dict)
    answers: list[tuple[str, int]] = field(default_factory=list)
    strange_titles: list[tuple[str, int]] = field(default_factory=list)  # (title, ts)
    language: str = "en"
    layout: str = "2025"
    author: str = "Zoë Martin"

    def files(self) -> dict[str, bytes]:
        folder, v2 = LAYOUTS[self.layout]
        key = (lambda k: f"{k}_v2") if v2 else (lambda k: k)
        joined_title, left_title = TITLES[self.language]
        entries = []
        for m in self.memberships:
            for ts, title in ((m.joined, joined_title), (m.left, left_title)):
                if ts is None:
                    continue
                entry: dict[str, object] = {"timestamp": ts,
                                            "title": mojibake(title.format(m.name))}
                if v2 and m.with_data:
                    entry["data"] = [{"name": mojibake(m.name)}]
                entries.append(entry)
        entries += [{"timestamp": ts, "title": mojibake(title)}
                    for title, ts in self.strange_titles]
        entries.sort(key=lambda e: -int(e["timestamp"]))  # type: ignore[call-overload]
        files = {f"{folder}/your_group_membership_activity.json":
                 _json({key("groups_joined"): entries})}
        if self.posts or self.post_links:
            author = mojibake(self.author)
            posts = [{"timestamp": ts, "title": mojibake(POSTED[self.language].format(
                self.author, group)), "data": [{"post": mojibake("Bonjour à tous")}]}
                for group, ts in self.posts]
            posts += [{"timestamp": ts, "title": f"{author} shared a link.",
                       "attachments": [{"data": [{"external_context": {
                           "url": f"https://www.facebook.com/groups/{gid}/posts/1/"}}]}]}
                      for gid, ts in self.post_links]
            files[f"{folder}/group_posts_and_comments.json"] = _json({key("group_posts"): posts})
        if self.comments:
            files[f"{folder}/your_comments_in_groups.json"] = _json({key("group_comments"): [
                {"timestamp": ts, "title": mojibake(f"{self.author} commented on a post."),
                 "data": [{"comment": {"timestamp": ts, "comment": "+1",
                                       "author": mojibake(self.author),
                                       "group": mojibake(group)}}]}
                for group, ts in self.comments]})
        if self.admined:
            files[f"{folder}/your_groups.json"] = _json({key("groups_admined"): [
                {"name": mojibake(name), "timestamp": ts} for name, ts in self.admined]})
        if self.badges:
            files[f"{folder}/your_badges.json"] = _json({"group_badges_v2": {
                mojibake(name): [mojibake(b) for b in given]
                for name, given in self.badges.items()}})
        if self.answers:
            files[f"{folder}/your_answers_to_membership_questions.json"] = _json({
                "group_membership_questions_answers_v2": {"group_answers": [
                    {"timestamp": ts, "group_name": mojibake(name),
                     "answers": [{"question": "Why?", "answer": "To learn"}]}
                    for name, ts in self.answers]}})
        files["your_facebook_activity/profile_information/profile_information.json"
              if self.layout in ("2025", "nested") else "profile/profile_information.json"] = \
            _json({"profile_v2": {"name": {"full_name": mojibake(self.author)}}})
        return files


def _json(doc: object) -> bytes:
    # Facebook writes \u-escaped JSON of the mis-decoded text; plain UTF-8 of it reads the same
    return json.dumps(doc, indent=2).encode()


def write_zip(path: Path, files: dict[str, bytes], prefix: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
    return path


def write_folder(path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def write_split(folder: Path, files: dict[str, bytes], parts: int = 3) -> Path:
    """A large export as Facebook splits it: several zips, each holding some of the files."""
    names = sorted(files)
    for part in range(parts):
        write_zip(folder / f"facebook-zoe-2026-11-30-part{part + 1}.zip",
                  {name: files[name] for name in names[part::parts]})
    return folder


def linkedin_files(with_group_link: bool = False) -> dict[str, bytes]:
    shares = "Date,ShareLink,ShareCommentary\n2024-03-01 10:00:00,https://www.linkedin.com/" \
             "feed/update/urn:li:activity:1/,Hello\n"
    if with_group_link:
        shares += "2024-03-02 10:00:00,https://www.linkedin.com/groups/4242/,In the group\n"
    return {
        "Connections.csv": b"Notes:\n\"When exporting your connection data...\"\n\n"
                           b"First Name,Last Name,URL,Email Address,Company,Position,"
                           b"Connected On\nAda,L,https://www.linkedin.com/in/ada,,X,Y,"
                           b"01 Jan 2024\n",
        "Profile.csv": b"First Name,Last Name\nZoe,Martin\n",
        "Shares.csv": shares.encode(),
        "Comments_123456.csv": b"Date,Link,Message\n",
    }
