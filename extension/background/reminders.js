// "Decide later" and "ask me later", and the action badge that counts what waits.
"use strict";

// "Decide later": a reminder per group, kept in storage.local so that it outlasts a restart:
// the group's key ("platform:id"), when, and whether it is due; never its name or address,
// which the agent gives when the popup lists them. When its alarm fires it is due, and the
// badge counts the decisions waiting.
function groupKey(group) {
  return `${group.platform}:${group.id}`;
}

// What storage.local holds of each reminder (one written by an older Handful kept its group).
/** @returns {Promise<HandfulReminder[]>} */
async function storedReminders() {
  const { reminders = [] } = await chrome.storage.local.get("reminders");
  return reminders.map((r) => ({ key: r.key || groupKey(r.group), at: r.at, due: Boolean(r.due) }));
}

// The reminders with their groups, named by the agent (the key alone while it is away).
async function remindersAnswer() {
  const reminders = await storedReminders();
  return Promise.all(reminders.map(async (reminder) => {
    const [platform, ...rest] = reminder.key.split(":");
    const found = reminder.due ? await groupAnswer({ platform, id: rest.join(":") }) : null;
    const named = found && found.view ? found.view.group : null;
    return { ...reminder, group: { platform, id: rest.join(":"), name: named ? named.name : null,
      url: named ? named.url : null } };
  }));
}

// The badge: the join decisions waiting and the joins to explain (a number), and "!" when the
// review is due.
async function updateBadge() {
  const reminders = await storedReminders();
  const { cache = {} } = await chrome.storage.session.get("cache");
  const due = reminders.filter((r) => r.due).length;
  const missed = (cache.unjustified || []).length;
  const text = `${due + missed || ""}${cache.reviewDue ? "!" : ""}`;
  const titles = [];
  // (in the browser's language: one or many as it counts them)
  const many = (/** @type {string} */ key, /** @type {number} */ n) => chrome.i18n.getMessage(
    `${key}_${new Intl.PluralRules(chrome.i18n.getUILanguage()).select(n) === "one" ? "one" : "other"}`, [String(n)]);
  if (due) titles.push(many("badge_waiting", due));
  if (missed) titles.push(many("badge_missed", missed));
  if (cache.reviewDue) titles.push(chrome.i18n.getMessage("badge_review_due"));
  await chrome.action.setBadgeBackgroundColor({ color: "#b45309" });
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title: titles.length ? chrome.i18n.getMessage("badge_title", [titles.join("; ")]) : "Handful" });
}

function remind(group, at) {
  return serial(async () => {
    const key = groupKey(group);
    const rest = (await storedReminders()).filter((r) => r.key !== key);
    await chrome.storage.local.set({ reminders: [...rest, { key, at, due: false }] });
    await chrome.alarms.create(`remind:${groupKey(group)}`, { when: Date.parse(at) });
  }).then(updateBadge);
}

function settleReminder(key, due) {
  return serial(async () => {
    const reminders = await storedReminders();
    const next = due
      ? reminders.map((r) => (r.key === key ? { ...r, due: true } : r))
      : reminders.filter((r) => r.key !== key);
    await chrome.storage.local.set({ reminders: next });
    if (!due) await chrome.alarms.clear(`remind:${key}`);
  }).then(updateBadge);
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
