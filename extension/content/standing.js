// Your standing in a group, read from its own page when you visit it, against what the log
// says: a Join offered for a group you are in means you left (here, in the app, or were
// removed); a member's view of a group you asked to join means the request was approved
// (LinkedIn: days later); a pending state after a justified join means it was requested.
// Each recorded once per visit. Runs only on group pages, a few times while the page renders.
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

  // What this group's page says: "offered" (a Join for this very group), "joined", or
  // "requested"; null while it says none of these.
  function pageSays(site, url, group) {
    const offered = [...document.querySelectorAll(CONTROLS)].some((control) => {
      if (!site.joinControl(control, url)) return false;
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

  async function look() {
    const found = here();
    if (!found || settled || `${found.group.platform}:${found.group.id}` !== page) return;
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
