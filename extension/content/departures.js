// Leaving, noticed: on the page of a group the log says you are in, a Join control for that
// very group means you are no longer a member (you left here, in the app, or were removed):
// recorded once as `left`. Runs only on group pages, a few times while the page renders.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const CONTROLS = "button, a, [role=button]";
  const LOOKS_MS = [1500, 4000, 9000]; // buttons render late; look again, then stop
  let page = null;      // the group page being looked at ("platform:id")
  let settled = false;  // answered for this page: no more looking

  function here() {
    const url = new URL(location.href);
    const site = [Handful.sites.linkedin, Handful.sites.facebook].find((s) => s.matches(url));
    if (!site || site.pageKind(url) !== "group") return null;
    const group = site.groupAt(url);
    return group ? { site, url, group } : null;
  }

  async function look() {
    const found = here();
    if (!found || settled || `${found.group.platform}:${found.group.id}` !== page) return;
    const { site, url, group } = found;
    const offered = [...document.querySelectorAll(CONTROLS)].some((control) => {
      if (!site.joinControl(control)) return false;
      const of = site.groupOf(control, url);
      return of && of.id === group.id;
    });
    if (!offered) return;
    settled = true;
    const answer = await chrome.runtime.sendMessage({ kind: "group", group }).catch(() => null);
    if (!answer || !answer.view || answer.view.status !== "member") return;
    const heading = document.querySelector("h1");
    const name = (heading && Handful.labels.cleanName(heading.textContent)) || answer.view.group.name || null;
    await chrome.runtime.sendMessage({ kind: "event", type: "left", event: {
      id: crypto.randomUUID(), ts: new Date().toISOString(), source: "group_page",
      group: { ...group, name } } }).catch(() => undefined);
  }

  function onUrl() {
    const found = here();
    const key = found ? `${found.group.platform}:${found.group.id}` : null;
    if (key === page) return;
    page = key;
    settled = false;
    if (key) for (const ms of LOOKS_MS) setTimeout(look, ms);
  }

  setInterval(onUrl, 1000); // in-page navigation (content scripts cannot see pushState)
  onUrl();
})();
