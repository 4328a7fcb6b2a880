// Joins the guard did not see: the sites' own join requests, observed (never blocked or
// changed) with webRequest, a second net under the guard. Only the join endpoints are
// listened to (sites/requests.js reads a request's few fields, or nothing); a request counts
// once it completed with a 2xx status. Matched to a decision by tab and time: a join request
// in a tab where the user justified a join a few minutes ago is that join (and a group its
// page named by a vanity slug gets the numeric id of its request as an alias); any other is
// recorded as an unguarded join, joined or requested as the page then shows, and the user is
// asked about it afterwards. Uses queue.js's queueEvent and serial.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const MATCH_MS = 5 * 60_000;   // a justified join this recent in the tab is the request's
  const CLICK_MS = 2 * 60_000;   // a join_unguarded click this recent in the tab is the same join
  const KEEP = 20;               // decisions remembered (storage.session: memory, never disk)
  const PENDING_MS = 60_000;     // a join request not completed by then is forgotten
  const PENDING_MAX = 20;        // join requests in flight at once, at most
  const SEEN_MS = 15_000;        // how long the tab is given to say what its page shows
  const SETTLE_MS = 300;         // a completed join request waits this long before matching
  const NUMERIC = /^\d{1,30}$/;
  const GROUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
  const pending = new Map();     // requestId -> { join, tabId, at }: only join requests

  function onBeforeRequest(details) {
    const join = Handful.requests.joinOf(details); // null at once for anything else
    if (!join || details.tabId < 0) return;
    const now = Date.now();
    for (const [id, entry] of pending) {
      if (now - entry.at > PENDING_MS || pending.size >= PENDING_MAX) pending.delete(id); // its end was missed
    }
    pending.set(details.requestId, { join, tabId: details.tabId, at: now });
  }

  function onCompleted(details) {
    if (pending.size === 0) return; // every other call of the site's API: nothing to do
    const entry = pending.get(details.requestId);
    if (!entry) return;
    settle(details.requestId);
    if (details.statusCode >= 200 && details.statusCode < 300) noticed(entry.join, entry.tabId, new Date());
  }

  function onErrorOccurred(details) {
    if (pending.size) settle(details.requestId);
  }

  function settle(requestId) {
    pending.delete(requestId);
  }

  // All three listen from the start: a listener added only while a join is in flight (tried:
  // a third less CPU on a busy feed) misses the join's completion in Firefox, which fixes a
  // request's listeners when it starts.
  /** @type {chrome.webRequest.RequestFilter} */
  const filter = { urls: Handful.requests.URLS, types: ["xmlhttprequest"] };
  // (observing only: the listener returns nothing, never a BlockingResponse)
  chrome.webRequest.onBeforeRequest.addListener(/** @type {any} */ (onBeforeRequest), filter, ["requestBody"]);
  chrome.webRequest.onCompleted.addListener(onCompleted, filter);
  chrome.webRequest.onErrorOccurred.addListener(onErrorOccurred, filter);

  // The decisions a join request is matched against, per tab: justified joins (their group)
  // and join clicks the guard let through without a group (their event's id).
  /**
   * @param {string} type
   * @param {HandfulEvent} event
   * @param {chrome.runtime.MessageSender} sender
   * @returns {Promise<void>}
   */
  function note(type, event, sender) {
    const tab = sender && sender.tab && Number.isInteger(sender.tab.id) ? sender.tab.id : null;
    if (tab === null || !event || typeof event !== "object") return Promise.resolve();
    let entry = null;
    const at = Date.now();
    if (type === "join_justified" && !event.afterwards && event.group && typeof event.group.id === "string") {
      const { platform, id, name = null, url = null } = event.group;
      entry = { kind: "justified", tab, platform, id, group: { platform, id, name, url }, at };
    } else if (type === "join_unguarded" && typeof event.id === "string") {
      entry = { kind: "click", tab, platform: event.platform, event: event.id, at };
    }
    if (!entry) return Promise.resolve();
    return serial(async () => {
      const { decisions = [] } = await chrome.storage.session.get("decisions");
      const live = decisions.filter((d) => at - d.at < MATCH_MS);
      await chrome.storage.session.set({ decisions: [...live, entry].slice(-KEEP) });
    });
  }

  // What a completed join request is: { guarded, alias (a group to tie to the request's id),
  // click (the join_unguarded event of the same join) }.
  function match(join, tabId) {
    return serial(async () => {
      const { decisions = [] } = await chrome.storage.session.get("decisions");
      const now = Date.now();
      const live = decisions.filter((d) => now - d.at < MATCH_MS && d.platform === join.platform);
      const justified = live.filter((d) => d.kind === "justified");
      // the group justified a moment ago (in any tab), by its id or the id it was tied to
      if (justified.some((d) => d.id === join.id || d.alias === join.id)) return { guarded: true };
      // in this tab, a justified join of a group its page named by a vanity slug: that join
      const mine = justified.filter((d) => d.tab === tabId && !d.alias && !NUMERIC.test(d.id)).pop();
      if (mine && NUMERIC.test(join.id)) {
        mine.alias = join.id;
        await chrome.storage.session.set({ decisions });
        return { guarded: true, alias: mine.group };
      }
      const click = live.filter((d) => d.kind === "click" && d.tab === tabId && !d.used && now - d.at < CLICK_MS).pop();
      if (click) {
        click.used = true;
        await chrome.storage.session.set({ decisions });
      }
      return { guarded: false, click: click ? click.event : null };
    });
  }

  async function aliasId(group, id) {
    const bytes = new TextEncoder().encode(`${group.platform}:${group.id}|${id}`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return `alias-${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  // Two ids of one group: the same pair always makes the same event id (stored once).
  async function tie(group, join, ts) {
    await queueEvent("group_alias", { id: await aliasId(group, join.id), ts: ts.toISOString(),
      group, alias: { platform: join.platform, id: join.id } });
  }

  // The tab's page, as its content script read it: only well-formed fields are kept.
  function pageOf(seen) {
    const page = seen && seen.page;
    if (!page || typeof page !== "object" || typeof page.id !== "string" || !GROUP_ID.test(page.id)) return null;
    const name = typeof page.name === "string" && page.name ? page.name.slice(0, 300) : null;
    const url = typeof page.url === "string" && page.url.startsWith("https://") && page.url.length <= 2048 ? page.url : null;
    return { id: page.id, name, url };
  }

  async function noticed(join, tabId, when) {
    // The guard's report of the same click is sent as the click happens, but its message and
    // the request's completion race each other here (on loopback the request can win): let
    // messages already on their way arrive first.
    await new Promise((resolve) => { setTimeout(resolve, SETTLE_MS); });
    const found = await match(join, tabId);
    if (found.alias) await tie(found.alias, join, when);
    if (found.guarded) return; // the guard's own outcome watch records joined / requested
    const seen = await Promise.race([
      chrome.tabs.sendMessage(tabId, { kind: "join_seen", platform: join.platform, id: join.id }, { frameId: 0 }),
      new Promise((resolve) => { setTimeout(() => resolve(null), SEEN_MS); }),
    ]).catch(() => null);
    const page = pageOf(seen);
    const group = { platform: join.platform, id: join.id, name: page ? page.name : null, url: page ? page.url : null };
    if (page && page.id !== join.id) await tie({ platform: join.platform, ...page }, join, when);
    const event = { id: crypto.randomUUID(), ts: when.toISOString(), group, unguarded: true };
    if (seen && typeof seen.source === "string") event.source = seen.source.slice(0, 100);
    if (found.click) event.click = found.click;
    await queueEvent(seen && seen.state === "joined" ? "joined" : "join_requested", event);
  }

  Handful.joinRequests = { note };
})();
