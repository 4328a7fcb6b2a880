"""Site detection, the pure functions of extension/sites/, run in Chromium against fixture
HTML (no extension, no agent: the functions alone)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import CHROMIUM, EXTENSION_DIR, FIXTURES

SCRIPTS = ["sites/labels.js", "sites/linkedin.js", "sites/facebook.js"]


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_content((FIXTURES / "labels.html").read_text())
        for script in SCRIPTS:
            page.add_script_tag(content=(EXTENSION_DIR / script).read_text())
        yield page
        browser.close()


def test_join_controls_in_seven_languages_and_what_is_not_one(page: Any) -> None:
    results = page.evaluate("""() => [...document.querySelectorAll('#cases [data-expect]')]
        .map((el) => {
          const inner = el.querySelector('span span') || el;  // a click lands on a nested span
          const found = Handful.sites.linkedin.joinControl(inner);
          return [el.outerHTML.slice(0, 70), el.dataset.expect, found === el];
        })""")
    wrong = [(html, expect) for html, expect, found in results if found != (expect == "join")]
    assert wrong == []
    assert sum(1 for _, expect, _ in results if expect == "join") >= 30


# Cards as search results and discover lists show them (FIELD-NOTES, "What the real pages
# do"): an image link with no words before the name link; a Join named only by an
# aria-label holding the group's name; and what is not a join although it starts like one.
CARDS = """
<ul>
 <li id="named"><a href="https://www.linkedin.com/groups/9001/" aria-hidden="true" tabindex="-1">
   <img alt=""></a><a href="https://www.linkedin.com/groups/9001/"><span>Data Folk</span></a>
   <button aria-label="Join Data Folk"><svg></svg></button></li>
 <li id="suffix"><a href="https://www.linkedin.com/groups/9002/" aria-hidden="true" tabindex="-1">
   </a><a href="https://www.linkedin.com/groups/9002/">Datenfreunde</a>
   <button aria-label="Datenfreunde beitreten"><svg></svg></button></li>
 <li id="join-us"><a href="https://www.linkedin.com/groups/9003/">Join us</a>
   <button aria-label="Request to join Join us"><svg></svg></button></li>
 <li id="event"><a href="https://www.linkedin.com/groups/9004/">Data meetup</a>
   <button aria-label="Join event Data meetup"><svg></svg></button>
   <button aria-label="Join now"><svg></svg></button></li>
 <li id="heading"><a href="https://www.linkedin.com/groups/9005/" aria-hidden="true">
   <img alt=""></a><h3>Stream Guild</h3>
   <button class="artdeco-button"><span class="artdeco-button__text">Join</span></button></li>
 <li id="hidden-words"><a href="https://www.linkedin.com/groups/9006/">
   <span style="display:none">Click</span>Pipeline People</a><button>Join</button></li>
</ul>"""


def test_cards_name_their_group_and_a_join_named_after_it(page: Any) -> None:
    got = page.evaluate("""html => {
      const box = document.createElement('div');
      box.innerHTML = html;
      document.body.append(box);
      const url = new URL('https://www.linkedin.com/search/results/groups/?keywords=data');
      const site = Handful.sites.linkedin;
      const out = {};
      for (const card of box.querySelectorAll('li')) {
        out[card.id] = [...card.querySelectorAll('button, a')].map((control) => {
          const join = site.joinControl(control.firstElementChild || control, url);
          const group = join ? site.groupOf(join, url) : null;
          return join ? [group.id, group.name] : null;
        });
      }
      box.remove();
      return out;
    }""", CARDS)
    assert got == {
        "named": [None, None, ["9001", "Data Folk"]],
        "suffix": [None, None, ["9002", "Datenfreunde"]],
        "join-us": [None, ["9003", "Join us"]],       # the link named "Join us" is no join
        "event": [None, None, None],                  # "Join event …", "Join now": not joins
        "heading": [None, ["9005", "Stream Guild"]],  # no words in the link: the heading
        "hidden-words": [None, ["9006", "Pipeline People"]],
    }


@pytest.mark.parametrize(("url", "kind", "group"), [
    ("https://www.linkedin.com/groups/12345/", "group", "12345"),
    ("https://www.linkedin.com/groups/12345/about/", "group", "12345"),
    ("https://www.linkedin.com/groups/Data-Folk-1234567", "group", "1234567"),
    ("https://www.linkedin.com/groups?gid=7654321", "group", "7654321"),
    ("https://www.linkedin.com/groups/", "group_list", None),
    ("https://www.linkedin.com/groups/discover/", "discover", None),
    ("https://www.linkedin.com/search/results/groups/?keywords=data", "search", None),
    ("https://www.linkedin.com/feed/", "other", None),
])
def test_linkedin_pages(page: Any, url: str, kind: str, group: str | None) -> None:
    got = page.evaluate("u => [Handful.sites.linkedin.pageKind(new URL(u)), "
                        "Handful.sites.linkedin.groupIdFromUrl(new URL(u))]", url)
    assert got == [kind, group]


@pytest.mark.parametrize(("url", "kind", "group"), [
    ("https://www.facebook.com/groups/growth.hackers/", "group", "growth.hackers"),
    ("https://web.facebook.com/groups/123456789/posts/42/", "group", "123456789"),
    ("https://m.facebook.com/groups/some.slug/members/", "group", "some.slug"),
    ("https://www.facebook.com/groups/joins/?nav_source=tab", "group_list", None),
    ("https://www.facebook.com/groups/discover/", "discover", None),
    ("https://www.facebook.com/groups/feed/", "feed", None),
    ("https://www.facebook.com/search/groups/?q=data", "search", None),
    ("https://www.facebook.com/someone", "other", None),
    ("https://evil.example/groups/123/", "other", None),
])
def test_facebook_pages(page: Any, url: str, kind: str, group: str | None) -> None:
    got = page.evaluate("u => [Handful.sites.facebook.pageKind(new URL(u)), "
                        "Handful.sites.facebook.groupIdFromUrl(new URL(u))]", url)
    assert got == [kind, group]


def test_the_group_of_a_join_button_in_a_search_result_card(page: Any) -> None:
    got = page.evaluate("""() => {
      const card = document.createElement('li');
      card.innerHTML = '<a href="https://www.facebook.com/groups/indie.makers/">' +
        '<span>Indie Makers</span></a><span>Public · 12K members</span>' +
        '<div role="button" aria-label="Join group"><span>Join group</span></div>';
      document.body.append(card);
      const control = Handful.sites.facebook.joinControl(card.querySelector('[role=button] span'));
      return Handful.sites.facebook.groupOf(control,
        new URL('https://www.facebook.com/search/groups/?q=indie'));
    }""")
    assert got == {"platform": "facebook", "id": "indie.makers", "name": "Indie Makers",
                   "url": "https://www.facebook.com/groups/indie.makers/"}


@pytest.mark.parametrize(("url", "group"), [
    ("https://www.linkedin.com/groups/Data-Folk-1234567/about/",
     {"platform": "linkedin", "id": "1234567",
      "url": "https://www.linkedin.com/groups/1234567/"}),
    ("https://www.linkedin.com/groups?gid=7654321",
     {"platform": "linkedin", "id": "7654321",
      "url": "https://www.linkedin.com/groups/7654321/"}),
    ("https://m.facebook.com/groups/some.slug/members/",
     {"platform": "facebook", "id": "some.slug",
      "url": "https://www.facebook.com/groups/some.slug/"}),
    ("https://www.linkedin.com/groups/", None),
    ("https://www.facebook.com/groups/discover/", None),
    ("https://evil.example/groups/123/", None),
])
def test_the_group_a_page_shows_for_the_popup(page: Any, url: str,
                                              group: dict[str, str] | None) -> None:
    got = page.evaluate("""u => {
      const url = new URL(u);
      const site = [Handful.sites.linkedin, Handful.sites.facebook].find(s => s.matches(url));
      return site ? site.groupAt(url) : null;
    }""", url)
    assert got == group


@pytest.mark.parametrize(("heading", "total"), [
    ("All groups you've joined (42)", 42),
    ("Tous les groupes dont vous êtes membre (1 204)", 1204),
    ("Groups you manage", None),
])
def test_the_total_a_list_page_announces(page: Any, heading: str, total: int | None) -> None:
    got = page.evaluate("""h => {
      const doc = document.implementation.createHTMLDocument('');
      doc.body.innerHTML = '<div role="main"><h2></h2></div>';
      doc.querySelector('h2').textContent = h;
      return Handful.sites.facebook.listedTotal(doc);
    }""", heading)
    assert got == total
