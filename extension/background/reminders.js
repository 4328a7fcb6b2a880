// "Decide later" and "ask me later", and the action badge that counts what waits.
"use strict";

// "Decide later": a reminder per group, kept in storage.local; when its alarm fires it is
// due, and the badge counts the decisions waiting (shown in the popup).
function groupKey(group) {
  return `${group.platform}:${group.id}`;
}

// The badge: the join decisions waiting and the joins to explain (a number), and "!" when the
// review is due.
async function updateBadge() {
  const { reminders = [] } = await chrome.storage.local.get("reminders");
  const { cache = {} } = await chrome.storage.session.get("cache");
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
