// The join guard: one capture-phase listener for clicks and keyboard activation, at
// document_start, ahead of the page's own handlers. Cheap checks first: a click that is
// not on a join control costs a closest() and a label comparison.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const ALLOW_MS = 60_000;  // after "join", the user's own click on that control goes through
  const WATCH_MS = 120_000; // how long to watch a control for Joined / Requested
  let open = null;          // the dialog on screen, if any: one decision at a time
  let allowed = null;       // { control, until }
  let pausedUntil = 0;      // the tray's "pause the guard for an hour"
  function noteCache(cache) {
    pausedUntil = (cache && cache.pausedUntil) || 0;
  }
  chrome.storage.local.get("cache").then(({ cache }) => noteCache(cache), () => undefined);
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes.cache) noteCache(changes.cache.newValue);
  });

  function here() {
    return new URL(location.href);
  }

  function site() {
    const url = here();
    return [Handful.sites.linkedin, Handful.sites.facebook].find((s) => s.matches(url)) || null;
  }

  function newId() {
    return crypto.randomUUID();
  }

  function send(type, fields) {
    const message = { kind: "event", type, event: { id: newId(), ts: new Date().toISOString(), ...fields } };
    return chrome.runtime.sendMessage(message).catch(() => undefined);
  }

  async function cached(group) {
    const { cache = {} } = await chrome.storage.local.get("cache");
    const key = `${group.platform}:${group.id}`;
    return {
      count: cache.count, cap: cache.cap, delay: cache.delay, members: cache.members || [],
      recent: cache.recent || [], history: (cache.groups || {})[key] || null, fast: cache.fast || null,
    };
  }

  function watch(control, group) {
    const s = site();
    let settled = false;
    const check = () => {
      if (settled) return;
      const state = Handful.labels.stateOfLabel(Handful.labels.labelOf(control));
      if (state === "joined" || state === "requested") {
        settled = true;
        observer.disconnect();
        send(state === "joined" ? "joined" : "join_requested", { group, source: s ? s.pageKind(here()) : null });
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(control, { attributes: true, childList: true, subtree: true, characterData: true });
    setTimeout(() => observer.disconnect(), WATCH_MS);
  }

  function decided(decision, control, group) {
    open = null;
    if (decision.action === "decline") {
      send("join_declined", { group, reasons: decision.reasons });
    } else if (decision.action === "later") {
      const remindAt = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
      send("join_deferred", { group, remind_at: remindAt });
      chrome.runtime.sendMessage({ kind: "remind", group, at: remindAt }).catch(() => undefined);
    } else if (decision.action === "join") {
      const fields = { group, reasons: decision.reasons, give: decision.give, get: decision.get,
        involvement: decision.involvement };
      if (decision.drop) fields.drop = { platform: decision.drop.platform, id: decision.drop.id, name: decision.drop.name || null };
      send("join_justified", fields);
      watch(control, group);
      allowed = { control, until: Date.now() + ALLOW_MS };
      control.click(); // the same click, now allowed (untrusted: the guard lets it pass)
    }
  }

  function onActivate(event) {
    if (!event.isTrusted) return;
    if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
    const s = site();
    if (!s) return;
    const control = s.joinControl(event.target);
    if (!control) return;
    if (Date.now() < pausedUntil) return; // paused by the user: the click goes through
    if (allowed && allowed.control === control && Date.now() < allowed.until && !open) {
      if (event.type === "click") allowed = null; // the user's own confirming click
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (open) return; // the key and the click of one activation: one dialog
    const group = s.groupOf(control, here());
    if (!group) return;
    send("join_intercepted", { group, source: s.pageKind(here()) });
    open = Handful.dialog.open({ group, state: {}, decide: (decision) => decided(decision, control, group) });
    const dialog = open;
    cached(group).then((state) => { if (open === dialog) dialog.update(state); });
    chrome.runtime.sendMessage({ kind: "group", group }).then((answer) => {
      if (open === dialog && answer) dialog.update(answer);
    }).catch(() => undefined);
  }

  window.addEventListener("click", onActivate, true);
  window.addEventListener("keydown", onActivate, true);
  Handful.guard = { active: true };
})();
