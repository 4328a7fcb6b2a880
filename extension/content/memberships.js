// On the user's own group list pages, read the list (including what loads while they
// scroll) and record it as their current memberships. Elsewhere: nothing but a look at
// each new address.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const SETTLE_MS = 700;
  let observer = null;
  let sent = new Set();
  let complete = false;
  let timer = null;
  let lastUrl = "";

  function site(url) {
    return Handful.sites.at(url);
  }

  function report() {
    timer = null;
    const url = new URL(location.href);
    const s = site(url);
    if (!s || s.pageKind(url) !== "group_list") return;
    const listed = s.listedGroups(document);
    const fresh = listed.filter((g) => !sent.has(`${g.platform}:${g.id}`));
    for (const g of fresh) sent.add(`${g.platform}:${g.id}`);
    if (fresh.length) {
      chrome.runtime.sendMessage({
        kind: "import", batch: crypto.randomUUID(), source: `${s.platform}_list`, groups: fresh,
      }).catch(() => undefined);
    }
    // The whole list read (as many as its heading announces): the groups the log says you
    // are in that are not on it are reported; the agent decides whether they are gone. Said
    // once per page, and only from a page the user is looking at in a window of their own
    // (not prerendered, not a background tab, not a window another page opened).
    const total = s.listedTotal(document);
    if (!complete && total != null && listed.length >= total && total === sent.size && firsthand()) {
      complete = true;
      chrome.runtime.sendMessage({
        kind: "list_complete", platform: s.platform, total,
        ids: listed.map((g) => g.id), names: listed.map((g) => g.name).filter(Boolean),
      }).catch(() => undefined);
    }
  }

  function firsthand() {
    return !document.prerendering && document.visibilityState === "visible" && !window.opener;
  }

  function schedule() {
    if (!timer) timer = setTimeout(report, SETTLE_MS);
  }

  function onUrl() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    const url = new URL(location.href);
    const s = site(url);
    const listing = s && s.pageKind(url) === "group_list";
    if (listing && !observer && document.documentElement) {
      sent = new Set();
      complete = false;
      observer = new MutationObserver(schedule);  // only on list pages: new rows as they load
      observer.observe(document.documentElement, { childList: true, subtree: true });
      schedule();
    } else if (!listing && observer) {
      observer.disconnect();
      observer = null;
    }
  }

  // In-page navigation (content/navigation.js; a hash-only change does not change the page
  // kind, so it costs nothing further).
  Handful.navigation.onChange(onUrl);
  document.addEventListener("DOMContentLoaded", onUrl);
  document.addEventListener("visibilitychange", () => { if (observer) schedule(); });
  document.addEventListener("prerenderingchange", () => { if (observer) schedule(); });
  onUrl();
})();
