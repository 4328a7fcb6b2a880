// Joins the guard did not see, on the page's side. When the background noticed one of the
// site's own join requests with no decision behind it, it asks this tab what the page then
// shows: joined or requested, and whether the page is that group's own (its name, its
// address, and its vanity id when Facebook names the group by one). And on the next visit to
// such a group's page, the dialog's after-the-fact form asks why; "leave it" opens the
// group's way out.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const OUTCOME_MS = 10_000;   // how long the page is watched for the join's outcome
  const CHECK_MS = 250;        // read at most this often while the page changes
  const MENU_MS = 3000;        // how long the leave item is looked for once its menu opens
  const NUMERIC = /^\d+$/;

  function site() {
    const url = new URL(location.href);
    return Handful.sites.at(url);
  }

  function main() {
    return document.querySelector("main, [role=main]") || document.body;
  }

  // What the page shows of the join of `id`: on the group's own page (its id, or a vanity
  // name on a page Facebook names that way), the page's standing; elsewhere a card linking to
  // the group. Resolves once it says joined or requested, or with state null after a while.
  function outcome(platform, id) {
    const s = site();
    if (!s || s.platform !== platform) return Promise.resolve({ state: null });
    const url = new URL(location.href);
    const here = s.pageKind(url) === "group" ? s.groupAt(url) : null;
    const own = here && (here.id === id || (!NUMERIC.test(here.id) && NUMERIC.test(id)));
    const read = () => {
      if (own) return Handful.labels.standingOf(main());
      for (const link of /** @type {NodeListOf<HTMLAnchorElement>} */ (document.querySelectorAll("a[href]"))) {
        const linked = s.groupAt(new URL(link.href, location.href));
        if (!linked || linked.id !== id) continue;
        const card = Handful.labels.cardOf(link, (href) => {
          const found = s.groupAt(new URL(href, location.href));
          return found && found.id === id ? found : null;
        });
        const state = card ? Handful.labels.standingOf(card.node) : null;
        if (state) return state;
      }
      return null;
    };
    const answer = (state) => ({
      state, source: s.pageKind(url),
      page: own && state ? { id: here.id, name: Handful.labels.pageHeading(document),
        url: `${url.origin}${url.pathname}` } : null,
    });
    return new Promise((resolve) => {
      let timer = null;
      let done = false;
      const finish = (state) => {
        if (done) return;
        done = true;
        observer.disconnect();
        clearTimeout(timer);
        clearTimeout(giveUp);
        resolve(answer(state));
      };
      const check = () => {
        timer = null;
        const state = read();
        if (state === "joined" || state === "requested") finish(state);
      };
      const observer = new MutationObserver(() => { if (!timer) timer = setTimeout(check, CHECK_MS); });
      observer.observe(document.documentElement, { attributes: true, childList: true, subtree: true, characterData: true });
      const giveUp = setTimeout(() => finish(null), OUTCOME_MS);
      check();
    });
  }

  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (!message || message.kind !== "join_seen" || sender.id !== chrome.runtime.id || sender.tab) return false;
    if (typeof message.platform !== "string" || typeof message.id !== "string") return false;
    outcome(message.platform, message.id).then(sendResponse, () => sendResponse({ state: null }));
    return true;
  });

  // "Leave it": the group's own way out, opened for the user to confirm on the site.
  function leavePath() {
    const found = Handful.labels.leavePath(main());
    if (!found) return;
    if (found.leave) {
      point(found.leave);
      return;
    }
    found.opener.click();
    const until = Date.now() + MENU_MS;
    const look = () => {
      const path = Handful.labels.leavePath(document.body);
      if (path && path.leave) point(path.leave);
      else if (Date.now() < until) setTimeout(look, 100);
    };
    look();
  }

  function point(control) {
    control.scrollIntoView({ block: "center" });
    control.focus();
  }

  // A visit to a group's page: a join there the user has not answered yet is asked about,
  // unless they said "later" in the last day; once per visit. (A tab opened in the background
  // has the dialog waiting when the user comes to it: it counts no choice until in view.)
  async function visit(key, group) {
    if (Handful.dialog.isOpen() || !Handful.standing || Handful.standing.page() !== key) return;
    const { askLater = {} } = await chrome.storage.local.get("askLater").catch(() => /** @type {HandfulStored} */ ({}));
    if ((askLater[key] || 0) > Date.now()) return;
    const answer = await chrome.runtime.sendMessage({ kind: "group", group }).catch(() => null);
    const view = answer && answer.view;
    if (!view || !view.unjustified || Handful.dialog.isOpen() || Handful.standing.page() !== key) return;
    const url = new URL(location.href);
    const asked = { ...view.group, name: Handful.labels.pageHeading(document) || view.group.name,
      url: view.group.url || `${url.origin}${url.pathname}` };
    Handful.dialog.open({ group: asked, source: "group", mode: "justify", decide: (choice) => {
      if (choice === "leave") leavePath();
      if (choice === "later") chrome.runtime.sendMessage({ kind: "ask_later", key }).catch(() => undefined);
    } });
  }

  Handful.missed = { visit };
})();
