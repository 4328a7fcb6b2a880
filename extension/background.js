// The extension's background: one native port to the agent, a queue in storage.local so
// nothing is lost while the agent is away, and a cache so the dialog never waits on it.
"use strict";

const HOST = "com.handful.agent";
// The host always answers, if only with agent_unavailable after trying to start the agent
// (up to 20 s on a slow first start): the queue waits for that answer.
const ASK_TIMEOUT_MS = 25_000;
const GROUP_TIMEOUT_MS = 1500;   // the dialog is already on screen: a late answer is dropped
const STATUS_TIMEOUT_MS = 5000;  // popup and first-run page
const RETRY_MS = [2000, 5000, 15_000, 30_000]; // then the one-minute alarm
const REJECTED = new Set(["invalid", "unknown_type", "bad_json", "too_large"]);

let port = null;
let nextId = 1;
const waiting = new Map();

function connect() {
  port = chrome.runtime.connectNative(HOST);
  port.onMessage.addListener((reply) => {
    const entry = waiting.get(reply && reply.id);
    if (!entry) return;
    waiting.delete(reply.id);
    clearTimeout(entry.timer);
    entry.resolve(reply);
  });
  port.onDisconnect.addListener(() => {
    port = null;
    for (const entry of waiting.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error("the agent went away"));
    }
    waiting.clear();
  });
}

// One request to the agent through the host: resolves with its reply envelope.
function ask(message, timeout = ASK_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    try {
      if (!port) connect();
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error("the agent did not answer in time"));
      }, timeout);
      waiting.set(id, { resolve, reject, timer });
      port.postMessage({ ...message, id });
    } catch (error) {
      reject(error);
    }
  });
}

// Storage writes go one after another, so concurrent events never overwrite each other.
let chain = Promise.resolve();
function serial(task) {
  const run = chain.then(task, task);
  chain = run.catch(() => undefined);
  return run;
}

// A queued item: { key (unique), message (what the agent is sent, without a request id) }.
function enqueue(item) {
  return serial(async () => {
    const { queue = [] } = await chrome.storage.local.get("queue");
    queue.push(item);
    const update = { queue };
    if (item.message.type === "join_justified") {
      const { event } = item.message;
      const { cache = {} } = await chrome.storage.local.get("cache");
      cache.recent = [{ give: event.give, get: event.get }, ...(cache.recent || [])].slice(0, 10);
      update.cache = cache;
    }
    await chrome.storage.local.set(update);
  });
}

// One flush at a time; events that arrive during one are sent by another pass right after.
let flushing = null;
let again = false;
function flush() {
  if (flushing) {
    again = true;
    return flushing;
  }
  flushing = (async () => {
    do {
      again = false;
      await flushQueue();
    } while (again);
  })().finally(() => { flushing = null; });
  return flushing;
}

async function flushQueue() {
  for (;;) {
    const { queue = [] } = await chrome.storage.local.get("queue");
    if (queue.length === 0) break;
    const item = queue[0];
    let reply;
    try {
      reply = await ask(item.message);
    } catch (error) {
      await setOffline(true);
      retryLater();
      return; // the agent is away: try again soon, then every minute
    }
    if (!reply.ok && !REJECTED.has(reply.error && reply.error.code)) {
      await setOffline(true);
      retryLater();
      return; // the agent is away, or storage trouble on its side: keep it and try later
    }
    await serial(async () => {
      const stored = await chrome.storage.local.get(["queue", "rejected"]);
      const rest = (stored.queue || []).filter((queued) => queued.key !== item.key);
      const update = { queue: rest };
      if (!reply.ok) update.rejected = [...(stored.rejected || []), { item, error: reply.error }].slice(-50);
      await chrome.storage.local.set(update);
    });
  }
  await refreshCache();
}

let retries = 0;
let retryTimer = null;
function retryLater() {
  if (retryTimer || retries >= RETRY_MS.length) return;
  retryTimer = setTimeout(() => { retryTimer = null; flush(); }, RETRY_MS[retries]);
  retries += 1;
}

async function setOffline(offline) {
  await serial(async () => {
    const { cache = {} } = await chrome.storage.local.get("cache");
    cache.offline = offline;
    await chrome.storage.local.set({ cache });
  });
}

async function refreshCache() {
  try {
    const status = await ask({ type: "status" });
    const groups = await ask({ type: "groups", all: true });
    if (!status.ok || !groups.ok) throw new Error("the agent is away");
    await serial(async () => {
      const { cache = {} } = await chrome.storage.local.get("cache");
      cache.count = status.result.members;
      cache.cap = status.result.cap;
      cache.delay = status.result.settings["guard.delay_seconds"];
      cache.members = groups.result.groups.filter((g) => g.status === "member")
        .map((g) => ({ platform: g.group.platform, id: g.group.id, name: g.group.name }));
      // each group under its key and its other ids (a vanity slug, a name-only id)
      cache.groups = Object.fromEntries(groups.result.groups.flatMap((g) =>
        [g.key, ...(g.aliases || [])].map((key) => [key, g.history])));
      cache.offline = false;
      Object.assign(cache, fromStatus(status.result));
      await chrome.storage.local.set({ cache });
    });
    retries = 0;
    await updateBadge();
  } catch (error) {
    await setOffline(true);
    retryLater();
  }
}

async function groupAnswer(group) {
  try {
    const reply = await ask({ type: "group", group: { platform: group.platform, id: group.id } }, GROUP_TIMEOUT_MS);
    if (!reply.ok) return null;
    const { group: view, count, cap, delay, members } = reply.result;
    return { count, cap, delay, members, history: view ? view.history : null, view, offline: false };
  } catch (error) {
    return { offline: true };
  }
}

// The agent's status for the popup and the first-run page; the cache when it is away.
async function statusAnswer() {
  try {
    const reply = await ask({ type: "status" }, STATUS_TIMEOUT_MS);
    if (reply.ok) {
      await noteStatus(reply.result);
      return { ...reply.result, offline: false };
    }
  } catch (error) {
    // the agent is away: say so, with what the cache knows
  }
  const { cache = {} } = await chrome.storage.local.get("cache");
  return { offline: true, members: cache.count ?? null, cap: cache.cap ?? null };
}

async function settingAnswer(key, value) {
  try {
    const reply = await ask({ type: "settings_set", key, value, event_id: crypto.randomUUID() });
    if (!reply.ok) return { ok: false, error: reply.error.message };
    await refreshCache();
    return { ok: true, settings: reply.result.settings };
  } catch (error) {
    return { ok: false, error: "The Handful agent is not running: start it with `handful start`." };
  }
}

// What the guard, the dialog and the badge take from a status answer.
function fromStatus(status) {
  return {
    reviewDue: Boolean(status.review && status.review.due),
    pausedUntil: (status.guard && Date.parse(status.guard.paused_until)) || 0,
    fast: status.fast && status.fast.active ? { endsAt: status.fast.ends_at } : null,
    // joins the guard did not see, not answered yet (the badge counts them, the popup lists them)
    unjustified: (status.unjustified || []).map((u) => ({ key: u.key, at: u.at, status: u.status,
      name: u.group.name, url: u.group.url })),
  };
}

// Any status answer brings the cache up to date: the badge and the guard follow at once.
function noteStatus(status) {
  return serial(async () => {
    const { cache = {} } = await chrome.storage.local.get("cache");
    const next = fromStatus(status);
    if (JSON.stringify(next) === JSON.stringify({ reviewDue: cache.reviewDue, pausedUntil: cache.pausedUntil,
      fast: cache.fast, unjustified: cache.unjustified })) return false;
    Object.assign(cache, next);
    await chrome.storage.local.set({ cache });
    return true;
  }).then((changed) => changed && updateBadge());
}

// "Decide later": a reminder per group, kept in storage.local; when its alarm fires it is
// due, and the badge counts the decisions waiting (shown in the popup).
function groupKey(group) {
  return `${group.platform}:${group.id}`;
}

// The badge: the join decisions waiting and the joins to explain (a number), and "!" when the
// review is due.
async function updateBadge() {
  const { reminders = [], cache = {} } = await chrome.storage.local.get(["reminders", "cache"]);
  const due = reminders.filter((r) => r.due).length;
  const missed = (cache.unjustified || []).length;
  const text = `${due + missed || ""}${cache.reviewDue ? "!" : ""}`;
  const titles = [];
  if (due) titles.push(`${due} join decision${due > 1 ? "s" : ""} waiting`);
  if (missed) titles.push(`${missed} join${missed > 1 ? "s" : ""} made without a decision: say why`);
  if (cache.reviewDue) titles.push("your group review is due");
  await chrome.action.setBadgeBackgroundColor({ color: "#b45309" });
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title: titles.length ? `Handful: ${titles.join("; ")}` : "Handful" });
}

function remind(group, at) {
  return serial(async () => {
    const { reminders = [] } = await chrome.storage.local.get("reminders");
    const rest = reminders.filter((r) => groupKey(r.group) !== groupKey(group));
    await chrome.storage.local.set({ reminders: [...rest, { group, at, due: false }] });
    await chrome.alarms.create(`remind:${groupKey(group)}`, { when: Date.parse(at) });
  }).then(updateBadge);
}

function settleReminder(key, due) {
  return serial(async () => {
    const { reminders = [] } = await chrome.storage.local.get("reminders");
    const next = due
      ? reminders.map((r) => (groupKey(r.group) === key ? { ...r, due: true } : r))
      : reminders.filter((r) => groupKey(r.group) !== key);
    await chrome.storage.local.set({ reminders: next });
    if (!due) await chrome.alarms.clear(`remind:${key}`);
  }).then(updateBadge);
}

function queueEvent(type, event) {
  if (event.group && (type === "join_declined" || type === "join_justified")) {
    settleReminder(groupKey(event.group), false); // decided: nothing left to remind
  }
  return enqueue({ key: event.id, message: { type, event } }).then(() => { flush(); return { queued: true }; });
}

// A list page read to its end: the platform's groups the log says you are in and the page
// does not list are gone (left in the app, removed, or the group deleted).
// A group known by its numeric id may be listed by its vanity name: its name counts too.
async function listComplete(platform, ids, names) {
  const reply = await ask({ type: "groups", all: false }).catch(() => null);
  if (!reply || !reply.ok) return { left: 0 };
  const listed = new Set(ids);
  const named = new Set(names.map((n) => n.toLowerCase()));
  const gone = reply.result.groups.filter((g) => g.group.platform === platform && !listed.has(g.group.id)
    && !(g.aliases || []).some((key) => listed.has(key.slice(platform.length + 1)))
    && !(g.group.name && named.has(g.group.name.toLowerCase())));
  for (const g of gone) {
    await queueEvent("left", { id: crypto.randomUUID(), ts: new Date().toISOString(),
      source: "list_page", group: g.group });
  }
  return { left: gone.length };
}

// The join dialog's frame confirms the key its content script gave it through here (Firefox
// gives a frame inside a web page no tabs API): only a dialog page of this extension, and
// only to the content script of its own tab.
const DIALOG_PATH = "/dialog/dialog.html";
function dialogRelay(message, sender) {
  const from = sender.url ? new URL(sender.url) : null;
  if (!sender.tab || !from || from.origin !== new URL(chrome.runtime.getURL("")).origin
    || from.pathname !== DIALOG_PATH || !message.message || typeof message.message !== "object") {
    return Promise.resolve(null);
  }
  const relayed = { ...message.message, kind: "dialog_frame" };
  return chrome.tabs.sendMessage(sender.tab.id, relayed, { frameId: 0 }).then((answer) => answer || null, () => null);
}

// Join buttons the user taught Handful (content/teach.js): kept in storage.local, at most
// MAX_RULES, each once; the guard reads them from there.
const MAX_RULES = 50;
const RULE_FIELDS = ["platform", "tag", "role", "name", "text"];
function ruleKey(rule) {
  return JSON.stringify(RULE_FIELDS.map((field) => rule[field] ?? null));
}
function validRule(rule) {
  return rule && typeof rule === "object" && ["linkedin", "facebook"].includes(rule.platform)
    && typeof rule.tag === "string" && /^[a-z][a-z0-9-]{0,40}$/.test(rule.tag)
    && (rule.role === null || (typeof rule.role === "string" && rule.role.length <= 40))
    && typeof rule.name === "string" && rule.name.length <= 200
    && typeof rule.text === "string" && rule.text.length <= 80 && Boolean(rule.name || rule.text);
}
function addRule(rule) {
  if (!validRule(rule)) return Promise.resolve({ added: false });
  const clean = Object.fromEntries(RULE_FIELDS.map((field) => [field, rule[field] ?? null]));
  return serial(async () => {
    const { rules = [] } = await chrome.storage.local.get("rules");
    if (rules.some((known) => ruleKey(known) === ruleKey(clean))) return { added: false };
    await chrome.storage.local.set({ rules: [...rules, { ...clean, at: new Date().toISOString() }].slice(-MAX_RULES) });
    return { added: true };
  });
}
function removeRule(key) {
  return serial(async () => {
    const { rules = [] } = await chrome.storage.local.get("rules");
    await chrome.storage.local.set({ rules: rules.filter((rule) => ruleKey(rule) !== key) });
    return { removed: true };
  });
}

// "Ask me later" about a join made without a decision: not asked again on its page for a day.
const ASK_LATER_MS = 24 * 3600 * 1000;
function askLater(key) {
  if (typeof key !== "string" || key.length > 220) return Promise.resolve({ done: false });
  return serial(async () => {
    const { askLater: asked = {} } = await chrome.storage.local.get("askLater");
    const now = Date.now();
    const kept = Object.entries(asked).filter(([, until]) => until > now).slice(-49);
    await chrome.storage.local.set({ askLater: Object.fromEntries([...kept, [key, now + ASK_LATER_MS]]) });
    return { done: true };
  });
}

const HANDLERS = {
  // an event, noted first for matching the sites' own join requests to it (background/missed.js)
  event: (message, sender) => globalThis.Handful.missed.note(message.type, message.event, sender)
    .catch(() => undefined).then(() => queueEvent(message.type, message.event)),
  ask_later: (message) => askLater(message.key),
  import: ({ batch, source, groups }) =>
    enqueue({ key: batch, message: { type: "memberships_imported", batch, source, groups } })
      .then(() => { flush(); return { queued: true }; }),
  group: (message) => groupAnswer(message.group),
  status: () => statusAnswer(),
  review: () => ask({ type: "review" }, STATUS_TIMEOUT_MS)
    .then((reply) => (reply.ok ? reply.result : null), () => null),
  groups: (message) => ask({ type: "groups", all: Boolean(message.all) })
    .then((reply) => (reply.ok ? reply.result : null), () => null),
  setting: (message) => settingAnswer(message.key, message.value),
  remind: (message) => remind(message.group, message.at).then(() => ({ done: true })),
  reminders: () => chrome.storage.local.get("reminders").then((r) => r.reminders || []),
  dismiss: (message) => settleReminder(message.key, false).then(() => ({ done: true })),
  flush: () => flush().then(() => ({ done: true })),
  list_complete: (message) => listComplete(message.platform, message.ids || [], message.names || []),
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

// The guard's sight: whether the extension may still read each site (Firefox lets users
// take host access away). A change is reported to the agent once, like a page it could not
// read, so `handful doctor` and the popup can say so.
const SITES = { linkedin: ["https://www.linkedin.com/*"], facebook: ["https://*.facebook.com/*"] };
function checkAccess() {
  return serial(async () => {
    const { access = {} } = await chrome.storage.local.get("access");
    const changed = [];
    for (const [platform, origins] of Object.entries(SITES)) {
      const allowed = await chrome.permissions.contains({ origins });
      if (access[platform] === undefined ? !allowed : access[platform] !== allowed) changed.push([platform, allowed]);
      access[platform] = allowed;
    }
    await chrome.storage.local.set({ access });
    return changed;
  }).then((changed) => Promise.all(changed.map(([platform, allowed]) => queueEvent("guard_blind", {
    id: crypto.randomUUID(), ts: new Date().toISOString(), platform,
    reason: allowed ? "permission_back" : "no_permission" }))));
}
chrome.permissions.onRemoved.addListener(() => { checkAccess(); });

// The context menu's "this is a join button", on the two sites only.
const TEACH_MENU = "handful-teach";
function createMenu() {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: TEACH_MENU, title: "Handful: this is a join button", contexts: ["all"],
      documentUrlPatterns: ["https://www.linkedin.com/*", "https://*.facebook.com/*"] });
  });
}
function teachFromMenu(info, tab) {
  if (info.menuItemId !== TEACH_MENU || !tab) return Promise.resolve(null);
  return chrome.tabs.sendMessage(tab.id, { kind: "teach_here", targetElementId: info.targetElementId ?? null },
    { frameId: info.frameId || 0 }).catch(() => null);
}
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

// The sites' request parsing and the net under the guard: Chrome's service worker loads them
// here; Firefox's background page lists them in the manifest.
if (typeof importScripts === "function") importScripts("sites/requests.js", "background/missed.js");
