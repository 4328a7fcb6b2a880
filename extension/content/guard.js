// The join guard: one capture-phase listener for clicks and keyboard activation, at
// document_start, ahead of the page's own handlers. Cheap checks first: a click that is
// not on a join control costs a closest() and a label comparison.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const ALLOW_MS = 60_000;  // after "join", the user's own click on that control goes through
  const WATCH_MS = 120_000; // how long to watch a control for Joined / Requested
  const FOLLOW_UP_MS = 60_000; // the site's own second step after a justified join
  const CHECK_MS = 250;     // the outcome is read at most this often while the page changes
  const DIALOGS = "[role=dialog], [role=alertdialog], dialog";
  let allowed = null;       // { control, until }
  let followUp = null;      // { until, before: the page's dialogs when the join went through }
  let pausedUntil = 0;      // the tray's "pause the guard for an hour"
  let rules = [];            // join buttons the user taught Handful (content/teach.js)
  function noteGuard(guard) {
    pausedUntil = (guard && guard.pausedUntil) || 0;
  }
  // (content scripts read only these two: nothing of the cache, the queue or the reminders)
  chrome.storage.local.get(["guard", "rules"]).then((found) => {
    noteGuard(found.guard);
    rules = found.rules || [];
  }, () => undefined);
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes.guard) noteGuard(changes.guard.newValue);
    if (area === "local" && changes.rules) rules = /** @type {HandfulRule[]} */ (changes.rules.newValue) || [];
  });

  function here() {
    return new URL(location.href);
  }

  function site() {
    const url = here();
    return Handful.sites.at(url);
  }

  function newId() {
    return crypto.randomUUID();
  }

  function send(type, fields) {
    const message = { kind: "event", type, event: { id: newId(), ts: new Date().toISOString(), ...fields } };
    return chrome.runtime.sendMessage(message).catch(() => undefined);
  }

  // After a justified join: the outcome, read from the page (the control relabelled, or
  // replaced by a member's view, in its card or on the group's page), recorded once. A
  // second step the user cancels ("join as") changes nothing there and records nothing.
  function watch(control, group, scope) {
    const s = site();
    let settled = false;
    let timer = null;
    const check = () => {
      timer = null;
      if (settled) return;
      const own = control.isConnected ? Handful.labels.stateOfLabel(Handful.labels.normalise(
        Handful.labels.visibleText(control))) : null;
      const state = own === "joined" || own === "requested" ? own : Handful.labels.standingOf(scope);
      if (state !== "joined" && state !== "requested") return;
      settled = true;
      observer.disconnect();
      send(state === "joined" ? "joined" : "join_requested", { group, source: s ? s.pageKind(here()) : null });
    };
    const observer = new MutationObserver(() => { if (!timer) timer = setTimeout(check, CHECK_MS); });
    observer.observe(scope, { attributes: true, childList: true, subtree: true, characterData: true });
    setTimeout(() => observer.disconnect(), WATCH_MS);
  }

  // The user's own choice in the dialog's frame (it recorded the decision itself): a join
  // goes through, once, and the site's own next step ("join as", "Join Group Anyway",
  // membership questions), in a dialog that was not there before, passes without asking
  // again for a minute.
  function decided(choice, control, group, scope) {
    if (choice !== "join") return;
    watch(control, group, scope);
    allowed = { control, until: Date.now() + ALLOW_MS };
    followUp = { until: Date.now() + FOLLOW_UP_MS, before: new WeakSet(document.querySelectorAll(DIALOGS)) };
    control.click(); // the same click, now allowed (untrusted: the guard lets it pass)
  }

  function isFollowUp(control) {
    if (!followUp || Date.now() > followUp.until) return false;
    const box = control.closest(DIALOGS);
    return Boolean(box) && !followUp.before.has(box);
  }

  // A join control whose group cannot be found passes, and is reported (the site, the kind
  // of page, its label cut to 80 characters, control characters out): never a click
  // swallowed with no dialog to answer.
  function unguarded(control, s) {
    const raw = Handful.labels.visibleText(control) || Handful.labels.accessibleName(control);
    const printable = [...raw].map((ch) => {
      const code = ch.codePointAt(0);
      return code < 32 || (code >= 127 && code < 160) ? " " : ch;
    }).join("");
    send("join_unguarded", { platform: s.platform, source: s.pageKind(here()),
      label: printable.replace(/\s+/g, " ").trim().slice(0, 80) });
  }

  function onActivate(event) {
    if (!event.isTrusted) return;
    if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
    const s = site();
    if (!s) return;
    const url = here();
    const control = s.joinControl(event.target, url, rules);
    if (!control) return;
    if (Date.now() < pausedUntil) return; // paused by the user: the click goes through
    const open = Handful.dialog.isOpen();
    if (allowed && allowed.control === control && Date.now() < allowed.until && !open) {
      if (event.type === "click") allowed = null; // the user's own confirming click
      return;
    }
    if (!open && isFollowUp(control)) return; // the site's own second step of a join decided
    const group = open ? null : s.groupOf(control, url);
    if (!open && !group) {
      if (event.type === "click") unguarded(control, s);
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (open) return; // the key and the click of one activation: one dialog
    const card = Handful.labels.cardOf(control, (href) => {
      const linked = s.groupAt(new URL(href, location.href));
      return linked && linked.id === group.id ? linked : null;
    });
    const scope = (card && card.node) || document.querySelector("main, [role=main]") || document.body;
    const source = s.pageKind(url);
    send("join_intercepted", { group, source });
    Handful.dialog.open({ group, source, decide: (choice) => decided(choice, control, group, scope) });
  }

  // The dialog's frame is made, resting, when the pointer or focus first reaches a join
  // control, so the click shows it at once; pages without one never get a frame. Each
  // control is looked at once: moving over a feed costs a closest() per element entered.
  const looked = new WeakSet();
  function onApproach(event) {
    if (!event.isTrusted) return;
    // cheap first: a control (or, only when the user taught some, a taught element), once
    const control = Handful.labels.controlOf(event.target)
      || (rules.length ? Handful.labels.taughtControl(event.target, rules) : null);
    if (!control || looked.has(control)) return;
    looked.add(control);
    const s = site();
    if (!s || s.joinControl(control, here(), rules) !== control) return;
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
