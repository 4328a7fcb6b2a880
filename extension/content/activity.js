// Time in each group: while a group page is visible and in use (the user's own input in the
// last two minutes), a heartbeat every few seconds to the background, which merges them into one visit (with its minutes) when
// the page goes away. Nothing runs on pages that are not a group's (a look at each new
// address, content/navigation.js, says when one is).
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const BEAT_S = 5;
  const IDLE_MS = 120_000; // no input for this long: not counted as active
  let port = null;
  let current = null; // "platform:id" of the group page we are on
  let lastInput = -Infinity;

  function groupHere() {
    const url = new URL(location.href);
    const site = Handful.sites.at(url);
    const group = site && site.pageKind(url) === "group" ? site.groupAt(url) : null;
    return group ? { ...group, name: Handful.labels.pageHeading(document) } : null;
  }

  // The user's own input marks the reader as active: trusted events only (a page can
  // dispatch any event, and its own scrolling fires trusted "scroll" events, so scroll is not
  // input). Until the first, nothing counts: a page opened in the background and never
  // touched is not time spent. Listened to on group pages only: a feed costs nothing.
  const INPUT = ["pointerdown", "keydown", "wheel"];
  function noteInput(event) {
    if (event.isTrusted) lastInput = Date.now();
  }
  function listen(on) {
    for (const type of INPUT) {
      if (on) window.addEventListener(type, noteInput, { capture: true, passive: true });
      else window.removeEventListener(type, noteInput, { capture: true });
    }
  }

  let beating = null;   // the heartbeat, only while on a group's page
  function leave() {
    if (port) port.disconnect(); // the background records the visit
    port = null;
    current = null;
    listen(false);
    clearInterval(beating);
    beating = null;
  }

  function check() {
    const group = groupHere();
    const key = group ? `${group.platform}:${group.id}` : null;
    if (key !== current) {
      leave();
      if (group) {
        port = chrome.runtime.connect({ name: "activity" });
        port.onDisconnect.addListener(() => { port = null; current = null; });
        port.postMessage({ start: group });
        current = key;
        lastInput = -Infinity;
        listen(true);
        beating = setInterval(beat, BEAT_S * 1000);
      }
    } else if (port && group && group.name) {
      port.postMessage({ name: group.name });
    }
  }

  function beat() {
    check();
    const active = !document.hidden && Date.now() - lastInput < IDLE_MS;
    if (port && active) port.postMessage({ beat: BEAT_S });
  }

  // The user's own posts, comments and reactions in this group, counted when submitted.
  window.addEventListener("click", (event) => {
    if (!event.isTrusted || !current) return;
    const kind = Handful.labels.contributionOf(event.target);
    if (!kind) return;
    const group = groupHere();
    if (!group) return;
    const message = { kind: "event", type: "engagement", event: {
      id: crypto.randomUUID(), ts: new Date().toISOString(), kind, group } };
    chrome.runtime.sendMessage(message).catch(() => undefined);
  }, true);

  // The popup asks which group this tab shows (its name is in the page, not the URL).
  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message && message.kind === "here") sendResponse(groupHere());
  });

  window.addEventListener("pagehide", leave);
  window.addEventListener("pageshow", check); // back from the back-forward cache
  Handful.navigation.onChange(check); // another group's page: its own visit at once
  document.addEventListener("DOMContentLoaded", check);
})();
