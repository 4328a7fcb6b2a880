// What the dialog, the popup and the badge show at once, without waiting on the agent: the
// agent's figures kept in storage.session's `cache` (memory only: names of groups and their
// histories are never written to the profile's disk; after a restart the agent refills it),
// refreshed after each flush and by any status answer. The one thing the guard needs and
// that must survive a restart, until when it is paused, is in storage.local's `guard`.
"use strict";

async function refreshCache() {
  try {
    const status = await ask({ type: "status" });
    const groups = await askAll({ type: "groups", all: true });
    if (!status.ok || !groups.ok) throw new Error("the agent is away");
    await noteQueueKey(status.result.agent);
    await serial(async () => {
      const { cache = {} } = await chrome.storage.session.get("cache");
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
      await chrome.storage.session.set({ cache });
      await noteGuard(cache);
    });
    resetRetries();
    await updateBadge();
  } catch (error) {
    await setOffline(true);
    retryLater();
  }
}

async function groupAnswer(group) {
  try {
    const reply = await ask({ type: "group", group: { platform: group.platform, id: group.id } }, GROUP_TIMEOUT_MS);
    if (!reply.ok) return reply.error.code === "agent_unavailable" ? { offline: true, trouble: agentTrouble() } : null;
    const { group: view, count, cap, delay, members, device } = reply.result;
    return { count, cap, delay, members, device, history: view ? view.history : null, view, offline: false };
  } catch (error) {
    return { offline: true, trouble: agentTrouble() };
  }
}

// The agent's status for the popup and the first-run page; the cache when it is away.
async function statusAnswer() {
  try {
    const reply = await ask({ type: "status" }, STATUS_TIMEOUT_MS);
    if (reply.ok) {
      await noteStatus(reply.result);
      await noteQueueKey(reply.result.agent);
      return { ...reply.result, offline: false };
    }
  } catch (error) {
    // the agent is away: say so, with what the cache knows
  }
  const { cache = {} } = await chrome.storage.session.get("cache");
  return { offline: true, trouble: agentTrouble(), members: cache.count ?? null, cap: cache.cap ?? null };
}

async function settingAnswer(key, value) {
  try {
    const reply = await ask({ type: "settings_set", key, value, event_id: crypto.randomUUID() });
    if (!reply.ok) return { ok: false, error: reply.error.message, trouble: reply.error.code === "agent_unavailable" ? agentTrouble() : null };
    await refreshCache();
    return { ok: true, settings: reply.result.settings };
  } catch (error) {
    return { ok: false, error: "The Handful agent is not running: start it with `handful start`.", trouble: agentTrouble() };
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
    const { cache = {} } = await chrome.storage.session.get("cache");
    const next = fromStatus(status);
    if (JSON.stringify(next) === JSON.stringify({ reviewDue: cache.reviewDue, pausedUntil: cache.pausedUntil,
      fast: cache.fast, unjustified: cache.unjustified })) return false;
    Object.assign(cache, next);
    await chrome.storage.session.set({ cache });
    await noteGuard(cache);
    return true;
  }).then((changed) => changed && updateBadge());
}

// The guard's pause, for the content scripts (which read no cache) and across a restart.
/** @param {HandfulCache} cache */
async function noteGuard(cache) {
  const { guard = {} } = await chrome.storage.local.get("guard");
  if ((guard.pausedUntil || 0) !== (cache.pausedUntil || 0)) {
    await chrome.storage.local.set({ guard: { pausedUntil: cache.pausedUntil || 0 } });
  }
}

// The dialog's frame asks for the cache (Firefox gives a frame inside a web page no
// storage.session).
function cacheAnswer() {
  return chrome.storage.session.get("cache").then((found) => found.cache || {});
}
