"""Handful in the browser's language: English, French, German, Spanish, Portuguese, Italian
and Dutch (extension/_locales, chrome.i18n). Every catalogue has every message with the same
placeholders; every key the code asks for exists; a French, German… Chromium (--lang) and a
French Firefox ESR (Debian's language pack, intl.locale.requested) show the dialog in it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import EXTENSION_DIR, Browser, FixtureSite, launch, open_dialog
from tests.conftest import Home
from tests.test_firefox import Firefox

LOCALES = EXTENSION_DIR / "_locales"
LANGUAGES = ("en", "fr", "de", "es", "pt_BR", "pt_PT", "it", "nl")
GROUP_URL = "https://www.linkedin.com/groups/12345/"  # "Data Folk", a join button
# what the dialog says in each language (its title and the easy way out)
SAYS = {
    "en": ("Join Data Folk?", "Don't join"),
    "fr": ("Rejoindre Data Folk ?", "Ne pas rejoindre"),
    "de": ("Data Folk beitreten?", "Nicht beitreten"),
    "es": ("¿Unirte a Data Folk?", "No unirme"),
    "pt-BR": ("Entrar em Data Folk?", "Não entrar"),
    "it": ("Entrare in Data Folk?", "Non entrare"),
    "nl": ("Lid worden van Data Folk?", "Niet lid worden"),
}


def catalogue(language: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = json.loads(
        (LOCALES / language / "messages.json").read_text(encoding="utf-8"))
    return found


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    english = catalogue("en")
    assert sorted(p.name for p in LOCALES.iterdir()) == sorted(LANGUAGES)
    for language in LANGUAGES:
        messages = catalogue(language)
        assert set(messages) == set(english), (language, set(english) ^ set(messages))
        for key, entry in english.items():
            theirs = messages[key]
            assert theirs.get("placeholders") == entry.get("placeholders"), (language, key)
            named = {f"${n.upper()}$" for n in dict(entry.get("placeholders") or {})}
            assert set(re.findall(r"\$[A-Z_]+\$", str(theirs["message"]))) == named, \
                (language, key)
            words = re.sub(r"\$[A-Z_]+\$|[^A-Za-z]", "", str(entry["message"]))
            if language != "en" and key not in ("extName", "locale") and len(words) >= 8:
                assert theirs["message"] != entry["message"], (language, key)  # translated
                # (short words may be the same: "Minutes"; a message of placeholders too)


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    english = catalogue("en")
    prefixes = "|".join(sorted({key.split("_")[0] for key in english if "_" in key}))
    asked: set[str] = set()
    for script in EXTENSION_DIR.rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        # every quoted key in a t(…) call, ternaries too: t(after ? "dialog_a" : "dialog_b")
        asked |= set(re.findall(r'getMessage\(\s*"([A-Za-z0-9_]+)"', text))
        # one and many (tn, many, or t(`key_${plural}`)): both forms
        plural = re.findall(r'(?:\btn|many)\("([a-z_]+)"', text)
        plural += re.findall(r"t\(`([a-z_]+)_\$\{(?:plural|new Intl)", text)
        asked |= {f"{k}_{n}" for k in plural for n in ("one", "other")}
        for call in re.finditer(r"\bt\(", text):
            inside = re.sub(r'\btn\("[a-z_]+"', "", text[call.end():text.find(")", call.end())])
            asked |= set(re.findall(rf'"((?:{prefixes}|extName|locale)[a-zA-Z0-9_]*)"', inside))
        # keys made from a list: ["a", "b"].map((value) => [value, t(`prefix_${value}`)])
        for value_list, prefix in re.findall(
                r"\[([^\]]+)\]\s*\.map\(\(value\) => \[value, t\(`([a-z_]+)\$\{value\}`\)\]\)",
                text):
            asked |= {prefix + v for v in re.findall(r'"([a-z_]+)"', value_list)}
        asked |= set(re.findall(r'data-i18n[a-z-]*="([A-Za-z0-9_]+)"', text))
    for page in EXTENSION_DIR.rglob("*.html"):
        asked |= set(re.findall(r'data-i18n[a-z-]*="([A-Za-z0-9_]+)"', page.read_text()))
    trouble = (EXTENSION_DIR / "ui" / "trouble.js").read_text()
    reasons = re.findall(r'"([a-z_]+)"', trouble[trouble.index("new Set(["):
                                                  trouble.index("]);")])
    asked |= {f"trouble_{r}" for r in [*reasons, "failed"]}
    asked |= {f"trouble_{r}_fix" for r in [*reasons, "failed"]}
    manifest = json.loads((EXTENSION_DIR / "manifest.json").read_text())
    asked |= {m[6:-2] for m in (manifest["name"], manifest["description"])}
    assert "dialog_reason_invited" in asked and "dialog_title_join" in asked  # (the scan works)
    missing = sorted(asked - set(english))
    assert not missing, missing


@pytest.fixture
def store_with_site(store: Home, tmp_path: Path) -> Iterator[tuple[Home, Path]]:
    yield store, tmp_path
    store.run("stop")


def test_chromium_in_each_language_shows_the_dialog_in_it(
        store_with_site: tuple[Home, Path]) -> None:
    store, tmp_path = store_with_site
    site = FixtureSite(tmp_path)
    try:
        for n, (language, (title, decline)) in enumerate(SAYS.items()):
            playwright, context = launch(store, tmp_path / f"profile-{n}", site,
                                         args=[f"--lang={language}"])
            try:
                browser = Browser(store, context, site)
                page = browser.page(GROUP_URL)
                page.click("#join")
                d = open_dialog(page)
                assert d.locator("h2#title").inner_text() == title, language
                assert d.locator("[data-action=decline]").inner_text() == decline, language
                lang = d.locator("html").get_attribute("lang")
                assert lang == language.replace("_", "-"), (language, lang)
                d.locator("[data-action=decline]").click()
            finally:
                context.close()
                playwright.stop()
    finally:
        site.close()


def test_a_french_firefox_shows_the_dialog_in_french(store: Home, tmp_path: Path) -> None:
    from marionette_driver.by import By

    user = tmp_path / "user"
    user.mkdir()
    store.env["HOME"] = str(user)
    store.ok("install", "--browser", "firefox", "--no-autostart")
    firefox = Firefox(store, tmp_path, prefs={"intl.locale.requested": "fr"})
    try:
        firefox.open("/groups/12345/")
        firefox.until(lambda: firefox.m.find_elements(By.CSS_SELECTOR, "#join"))
        firefox.m.find_element(By.CSS_SELECTOR, "#join").click()
        firefox.dialog()
        assert firefox.m.find_element(By.CSS_SELECTOR, "h2#title").text == \
            "Rejoindre Data Folk ?"
        decline = firefox.m.find_element(By.CSS_SELECTOR, "[data-action=decline]")
        assert decline.text == "Ne pas rejoindre"
        assert firefox.run("return document.documentElement.lang") == "fr"
        decline.click()
        firefox.dialog_gone()
    finally:
        firefox.close()
        store.run("stop")


def test_the_review_gives_the_agents_advice_in_the_browsers_language(
        store_with_site: tuple[Home, Path]) -> None:
    store, tmp_path = store_with_site
    store.ok("groups", "add", "facebook:indie.makers", "--name", "Indie Makers")
    store.ok("groups", "add", "facebook:quiet.circle", "--name", "Quiet Circle")
    store.ok("config", "set", "cap", "1")  # one group over the cap: a prefix to the advice
    plan = json.loads(store.ok("review", "--json"))
    reasons = {g["key"]: g["reason"] for g in plan["groups"]}
    assert any(g.get("over_cap") for g in plan["groups"]), plan["groups"]
    site = FixtureSite(tmp_path)
    try:
        for n, language in enumerate(("en", "fr")):
            playwright, context = launch(store, tmp_path / f"profile-{n}", site,
                                         args=[f"--lang={language}"])
            try:
                review = Browser(store, context, site).extension_page("review/review.html")
                review.wait_for_selector("body[data-ready]")
                for key, reason in reasons.items():
                    shown = review.locator(f'#groups > li[data-group="{key}"] .advice').inner_text()
                    if language == "en":
                        assert shown == reason, (key, shown, reason)  # the agent's own words
                    else:
                        assert shown != reason and ("Rejoint il y a" in shown
                                                    or "plafond" in shown), shown
                assert "Vous êtes dans 2 groupes" in review.inner_text("#count") \
                    or language == "en"
            finally:
                context.close()
                playwright.stop()
    finally:
        site.close()


def test_what_the_guard_cannot_see_is_said_in_the_browsers_language(
        store_with_site: tuple[Home, Path]) -> None:
    """The popup's warnings come from the agent's figures: in French for a French browser,
    and in English word for word what the agent says."""
    import uuid
    from datetime import UTC, datetime

    from tests.hostkit import Host

    store, tmp_path = store_with_site
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    host = Host(store)
    try:
        for reason, n in (("unread", 5), ("no_permission", 1)):
            for _ in range(n):
                event = {"id": str(uuid.uuid4()), "ts": now, "platform": "facebook",
                         "reason": reason, **({"source": "group"} if reason == "unread" else {})}
                reply = host.ask({"id": 1, "type": "guard_blind", "event": event})
                assert reply["ok"], reply
    finally:
        host.finish()
    agents = json.loads(store.ok("status", "--json"))["sight"]["problems"]
    assert len(agents) == 2, agents
    site = FixtureSite(tmp_path)
    try:
        for n, language in enumerate(("en", "fr")):
            playwright, context = launch(store, tmp_path / f"profile-{n}", site,
                                         args=[f"--lang={language}"])
            try:
                popup = Browser(store, context, site).extension_page("popup/popup.html")
                popup.wait_for_selector("body[data-ready]")
                shown = popup.inner_text("#sight")
                if language == "en":
                    assert shown == " ".join(agents), (shown, agents)
                else:
                    assert "Handful n'a pas pu lire 5 pages de groupe Facebook" in shown, shown
                    assert "son accès au site lui a été retiré" in shown, shown
            finally:
                context.close()
                playwright.stop()
    finally:
        site.close()
