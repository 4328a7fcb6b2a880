// The join guard: one capture-phase listener for clicks and keyboard activation, at
// document_start, ahead of the page's own handlers. Cheap checks first: a click that is
// not on a join control costs a closest() and a label comparison.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const ALLOW_MS = 60_000;  // after "join", the user's own click on that control goes through
  const WATCH_MS = 120_000; // how long to watch a control for Joined / Requested
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

  // The user's own choice in the dialog's frame (it recorded the decision itself): a join
  // goes through, once.
  function decided(choice, control, group) {
    if (choice !== "join") return;
    watch(control, group);
    allowed = { control, until: Date.now() + ALLOW_MS };
    control.click(); // the same click, now allowed (untrusted: the guard lets it pass)
  }

  function onActivate(event) {
    if (!event.isTrusted) return;
    if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
    const s = site();
    if (!s) return;
    const control = s.joinControl(event.target);
    if (!control) return;
    if (Date.now() < pausedUntil) return; // paused by the user: the click goes through
    const open = Handful.dialog.isOpen();
    if (allowed && allowed.control === control && Date.now() < allowed.until && !open) {
      if (event.type === "click") allowed = null; // the user's own confirming click
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (open) return; // the key and the click of one activation: one dialog
    const group = s.groupOf(control, here());
    if (!group) return;
    const source = s.pageKind(here());
    send("join_intercepted", { group, source });
    Handful.dialog.open({ group, source, decide: (choice) => decided(choice, control, group) });
  }

  // The dialog's frame is made, resting, when the pointer or focus first reaches a join
  // control, so the click shows it at once; pages without one never get a frame. Each
  // control is looked at once: moving over a feed costs a closest() per element entered.
  const looked = new WeakSet();
  function onApproach(event) {
    if (!event.isTrusted) return;
    const control = Handful.labels.controlOf(event.target);
    if (!control || looked.has(control)) return;
    looked.add(control);
    const s = site();
    if (!s || s.joinControl(control) !== control) return;
    Handful.dialog.prepare();
    window.removeEventListener("pointerover", onApproach, true);
    window.removeEventListener("focusin", onApproach, true);
  }

  window.addEventListener("click", onActivate, true);
  window.addEventListener("keydown", onActivate, true);
  window.addEventListener("pointerover", onApproach, true);
  window.addEventListener("focusin", onApproach, true);
  Handful.guard = { active: true };
})();
