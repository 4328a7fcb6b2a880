// What the content scripts and the dialog's frame ask of the background beyond events: a
// list page read to its end, the dialog's key confirmed, the join buttons the user taught,
// the context menu to teach one, and whether the extension may still read each site.
"use strict";

// A list page read to its end (as many groups as it announces, in a visible tab the user
// opened): the memberships the log holds that it does not list are reported to the agent,
// which decides (a second such read an hour later must agree: docs/protocol.md).
// A group known by its numeric id may be listed by its vanity name: its name counts too.
const MAX_ABSENT = 5000;
async function listComplete(platform, ids, names, total) {
  const reply = await askAll({ type: "groups", all: false }).catch(() => null);
  if (!reply || !reply.ok) return { absent: 0 };
  const listed = new Set(ids);
  const named = new Set(names.map((n) => n.toLowerCase()));
  const absent = reply.result.groups.filter((g) => g.group.platform === platform && !listed.has(g.group.id)
    && !(g.aliases || []).some((key) => listed.has(key.slice(platform.length + 1)))
    && !(g.group.name && named.has(g.group.name.toLowerCase())))
    .slice(0, MAX_ABSENT)
    .map((g) => ({ platform: g.group.platform, id: g.group.id, name: g.group.name || null }));
  await queueEvent("list_read", { id: crypto.randomUUID(), ts: new Date().toISOString(), platform,
    total: Number(total) || ids.length, listed: ids.length, absent });
  return { absent: absent.length };
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
    chrome.contextMenus.create({ id: TEACH_MENU, title: chrome.i18n.getMessage("menu_teach"), contexts: ["all"],
      documentUrlPatterns: ["https://www.linkedin.com/*", "https://*.facebook.com/*"] });
  });
}
function teachFromMenu(info, tab) {
  if (info.menuItemId !== TEACH_MENU || !tab) return Promise.resolve(null);
  return chrome.tabs.sendMessage(tab.id, { kind: "teach_here", targetElementId: info.targetElementId ?? null },
    { frameId: info.frameId || 0 }).catch(() => null);
}
