// Nothing is lost while the agent is away: events are queued in storage.local before
// anything is sent, flushed in order, and leave the queue only once the agent has them (or
// refused them as invalid, kept aside in `rejected`).
"use strict";

const RETRY_MS = [2000, 5000, 15_000, 30_000]; // then the one-minute alarm
const REJECTED = new Set(["invalid", "unknown_type", "bad_json", "too_large"]); // kept aside, not retried

// Storage writes go one after another, so concurrent events never overwrite each other.
let chain = Promise.resolve();
/**
 * @template T
 * @param {() => Promise<T> | T} task
 * @returns {Promise<T>}
 */
function serial(task) {
  const run = chain.then(task, task);
  chain = run.catch(() => undefined);
  return run;
}

// A queued item: { key (unique), message (what the agent is sent, without a request id) }.
/** @param {{ key: string, message: { type: string, [field: string]: any } }} item */
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
function resetRetries() { // the agent answered: the next trouble starts the retries afresh
  retries = 0;
}
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

/**
 * An event for the agent, queued first (it survives the agent's absence).
 * @param {string} type
 * @param {HandfulEvent} event
 * @returns {Promise<{ queued: boolean }>}
 */
function queueEvent(type, event) {
  if (event.group && (type === "join_declined" || type === "join_justified")) {
    settleReminder(groupKey(event.group), false); // decided: nothing left to remind
  }
  return enqueue({ key: event.id, message: { type, event } }).then(() => { flush(); return { queued: true }; });
}
