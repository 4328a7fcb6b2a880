// The extension's background: one native port to the agent, a queue in storage.local so
// nothing is lost while the agent is away, and a cache so the dialog never waits on it. The
// parts are classic scripts sharing this worker's scope: agent.js (the port), queue.js,
// cache.js, reminders.js (and the badge), pages.js (what pages and frames ask), missed.js
// (the sites' own join requests); this file answers messages and wires the browser's events.
// Chrome's service worker loads the parts here; Firefox's background page lists them in the
// manifest, in the same order.
"use strict";

if (typeof importScripts === "function") {
  importScripts("sites/requests.js", "background/agent.js", "background/seal.js", "background/queue.js",
    "background/cache.js",
    "background/reminders.js", "background/pages.js", "background/missed.js");
}

const HANDLERS = {
  // an event, noted first for matching the sites' own join requests to it (background/missed.js)
  event: (message, sender) => globalThis.Handful.joinRequests.note(message.type, message.event, sender)
    .catch(() => undefined).then(() => queueEvent(message.type, message.event)),
  ask_later: (message) => askLater(message.key),
  import: ({ batch, source, groups }) =>
    enqueue({ key: batch, message: { type: "memberships_imported", batch, source, groups } })
      .then(() => { flush(); return { queued: true }; }),
  group: (message) => groupAnswer(message.group),
  status: () => statusAnswer(),
  review: () => askAll({ type: "review" }, STATUS_TIMEOUT_MS)
    .then((reply) => (reply.ok ? reply.result : { offline: true, trouble: agentTrouble() }),
      () => ({ offline: true, trouble: agentTrouble() })),
  groups: (message) => askAll({ type: "groups", all: Boolean(message.all) })
    .then((reply) => (reply.ok ? reply.result : null), () => null),
  setting: (message) => settingAnswer(message.key, message.value),
  settings: () => ask({ type: "settings_get" }, STATUS_TIMEOUT_MS)
    .then((reply) => (reply.ok ? { settings: reply.result.settings } : { offline: true, trouble: agentTrouble() }),
      () => ({ offline: true, trouble: agentTrouble() })),
  remind: (message) => remind(message.group, message.at).then(() => ({ done: true })),
  reminders: () => remindersAnswer(),
  recent: () => chrome.storage.session.get("recent").then((r) => r.recent || []),
  cache: () => cacheAnswer(),
  dismiss: (message) => settleReminder(message.key, false).then(() => ({ done: true })),
  flush: () => flush().then(() => ({ done: true })),
  list_complete: (message) => listComplete(message.platform, message.ids || [], message.names || [],
    message.total),
  dialog_relay: (message, sender) => dialogRelay(message, sender),
  rule_add: (message) => addRule(message.rule),
  rule_remove: (message) => removeRule(String(message.key)),
  rules: () => chrome.storage.local.get("rules").then(({ rules = [] }) => rules.map((rule) => ({ ...rule, key: ruleKey(rule) }))),
};

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (!message || typeof message !== "object") return false;
  const handler = Object.hasOwn(HANDLERS, message.kind) ? HANDLERS[message.kind] : null;
  if (!handler) return false;
  Promise.resolve()
    .then(() => handler(message, sender))
    .then(sendResponse, (error) => sendResponse({ error: String(error) }));
  return true;
});

// Visits: a content script on a group page holds a port and sends heartbeats; when the
// port closes (the tab navigated or closed) the heartbeats become one visit event.
chrome.runtime.onConnect.addListener((activity) => {
  if (activity.name !== "activity") return;
  let group = null;
  let seconds = 0;
  activity.onMessage.addListener((message) => {
    if (message.start) group = message.start;
    if (message.name && group) group = { ...group, name: message.name };
    if (message.beat) seconds += Math.min(Number(message.beat) || 0, 60);
  });
  activity.onDisconnect.addListener(() => {
    if (!group) return;
    const event = { id: crypto.randomUUID(), ts: new Date().toISOString(), kind: "visit",
      group: { platform: group.platform, id: group.id, name: group.name || null, url: group.url || null } };
    if (seconds > 0) event.minutes = Math.round((seconds / 60) * 10) / 10;
    enqueue({ key: event.id, message: { type: "engagement", event } }).then(() => flush());
  });
});

chrome.contextMenus.onClicked.addListener((info, tab) => { teachFromMenu(info, tab); });
chrome.permissions.onAdded.addListener(() => { checkAccess(); });

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === "flush") flush();
  if (alarm.name.startsWith("remind:")) settleReminder(alarm.name.slice("remind:".length), true);
});
chrome.alarms.create("flush", { periodInMinutes: 1 });
chrome.runtime.onStartup.addListener(() => { flush(); updateBadge(); checkAccess(); });
chrome.runtime.onInstalled.addListener((details) => {
  flush();
  checkAccess();
  createMenu();
  updateBadge();
  // A new user is walked through connecting the agent and reading their group lists.
  if (details.reason === "install") chrome.tabs.create({ url: chrome.runtime.getURL("welcome/welcome.html") });
});
