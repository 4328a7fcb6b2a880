// Your standing in a group, read from its own page when you visit it, against what the log
// says: a Join offered for a group you are in means you left (here, in the app, or were
// removed); a member's view of a group you asked to join means the request was approved
// (LinkedIn: days later); a pending state after a justified join means it was requested.
// Each recorded once per visit. Runs only on group pages, a few times while the page renders.
// And the guard's sight: a group page that, 5 s after it settled, says none of these and is
// not a page without a join control is reported (the site and the kind of page only).
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const CONTROLS = "button, a, [role=button]";
  let rules = [];       // join buttons the user taught Handful
  chrome.storage.local.get("rules").then((found) => { rules = found.rules || []; }, () => undefined);
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes.rules) rules = /** @type {HandfulRule[]} */ (changes.rules.newValue) || [];
  });
  const LOOKS_MS = [1500, 4000, 9000]; // buttons render late; look again, then stop
  let page = null;      // the group page being looked at ("platform:id")
  let settled = false;  // answered for this page: no more looking
  let sight = null;     // the watch for the page settling, on the current group page
  const QUIET_MS = 1000;   // no change in the page for this long: it has settled
  const SIGHT_MS = 5000;   // then this long before the guard's sight is judged
  const GIVE_UP_MS = 30_000; // a page that never settles is not judged
  const ASK_MS = 1500;       // a join not answered yet is asked about this long into a visit

  function here() {
    const url = new URL(location.href);
    const site = Handful.sites.at(url);
    if (!site || site.pageKind(url) !== "group") return null;
    const group = site.groupAt(url);
    return group ? { site, url, group } : null;
  }

  // What this group's page says: "offered" (a Join for this very group), "joined", or
  // "requested"; null while it says none of these.
  function pageSays(site, url, group) {
    const taught = rules.length ? [...document.querySelectorAll("[tabindex], [onclick]")] : [];
    const offered = [...document.querySelectorAll(CONTROLS), ...taught].some((control) => {
      if (!site.joinControl(control, url, rules) || !Handful.labels.seenControl(control)) return false;
      const of = site.groupOf(control, url);
      return of && of.id === group.id;
    });
    if (offered) return "offered";
    return Handful.labels.standingOf(document.querySelector("main, [role=main]") || document.body);
  }

  // What to record when the page says `says` and the log's status for the group is `status`.
  function outcome(says, status) {
    if (says === "offered" && status === "member") return "left";
    if (says === "joined" && (status === "requested" || status === "justified")) return "joined";
    if (says === "requested" && status === "justified") return "join_requested";
    return null;
  }

  // The page is evidence only in a tab the user is looking at, in a window of their own.
  function firsthand() {
    return !document.prerendering && document.visibilityState === "visible" && !window.opener;
  }

  async function look() {
    const found = here();
    if (!found || settled || `${found.group.platform}:${found.group.id}` !== page) return;
    if (!firsthand()) return; // looked at again when it is shown
    const { site, url, group } = found;
    const says = pageSays(site, url, group);
    if (!says) return;
    settled = true;
    const answer = await chrome.runtime.sendMessage({ kind: "group", group }).catch(() => null);
    const type = answer && answer.view ? outcome(says, answer.view.status) : null;
    if (!type) return;
    const name = Handful.labels.pageHeading(document) || answer.view.group.name || null;
    await chrome.runtime.sendMessage({ kind: "event", type, event: {
      id: crypto.randomUUID(), ts: new Date().toISOString(), source: "group_page",
      group: { ...group, name } } }).catch(() => undefined);
  }

  // Once the page has settled, and 5 s more: can the guard read it?
  function watchSight(key) {
    if (sight) sight.stop();
    let quiet = null;
    let judge = null;
    const observer = new MutationObserver(() => {
      clearTimeout(quiet);
      quiet = setTimeout(settle, QUIET_MS);
    });
    const giveUp = setTimeout(() => stop(), GIVE_UP_MS);
    function stop() {
      observer.disconnect();
      clearTimeout(quiet);
      clearTimeout(giveUp);
      clearTimeout(judge);
    }
    function settle() {
      observer.disconnect();
      clearTimeout(giveUp);
      judge = setTimeout(() => judgeSight(key), SIGHT_MS);
    }
    observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
    quiet = setTimeout(settle, QUIET_MS);
    sight = { stop };
  }

  function judgeSight(key) {
    const found = here();
    if (!found || key !== page) return;
    const { site, url, group } = found;
    if (pageSays(site, url, group) || Handful.labels.withoutJoin(document.body)) return;
    chrome.runtime.sendMessage({ kind: "event", type: "guard_blind", event: {
      id: crypto.randomUUID(), ts: new Date().toISOString(), platform: group.platform,
      source: site.pageKind(url), reason: "unread" } }).catch(() => undefined);
  }

  function onUrl() {
    const found = here();
    const key = found ? `${found.group.platform}:${found.group.id}` : null;
    if (key === page) return;
    page = key;
    settled = false;
    if (sight) sight.stop();
    sight = null;
    if (!key) return;
    for (const ms of LOOKS_MS) setTimeout(look, ms);
    watchSight(key);
    const { group } = found;
    setTimeout(() => { if (page === key) Handful.missed.visit(key, group); }, ASK_MS);
  }

  Handful.standing = { page: () => page };
  document.addEventListener("visibilitychange", () => { if (page && !settled) look(); });
  document.addEventListener("prerenderingchange", () => { if (page && !settled) look(); });

  Handful.navigation.onChange(onUrl); // in-page navigation (content/navigation.js)
  onUrl();
})();
