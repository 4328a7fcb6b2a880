// Nothing is lost while the agent is away: events are queued before anything is sent (sealed
// to the agent's key in storage.local: background/seal.js), flushed in order, and leave the
// queue as soon as the agent has them (or refused them as invalid: `rejected` then notes
// their id, time and the error's code, not the event).
"use strict";

const RETRY_MS = [2000, 5000, 15_000, 30_000]; // then the one-minute alarm
const REJECTED = new Set(["invalid", "unknown_type", "bad_json", "too_large", "sealed"]); // noted, not retried

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
// It is stored sealed to the agent's key in storage.local (background/seal.js): { key,
// sealed }; before any key is known, as it is, in storage.session (memory only).
/** @param {{ key: string, message: { type: string, [field: string]: any } }} item */
function enqueue(item) {
  return serial(async () => {
    const sealed = await seal(item.message).catch(() => null);
    const area = sealed ? chrome.storage.local : chrome.storage.session;
    const { queue = [] } = await area.get("queue");
    queue.push(sealed ? { key: item.key, sealed: /** @type {HandfulSealed} */ (sealed) } : item);
    await area.set({ queue });
    if (item.message.type === "join_justified") { // the dialog refuses a copy of these
      const { event } = item.message;
      const { recent = [] } = await chrome.storage.session.get("recent");
      await chrome.storage.session.set({ recent: [{ give: event.give, get: event.get }, ...recent].slice(0, 10) });
    }
  });
}

// The next item to send: those waiting in memory first (queued before the key was known,
// so older than any sealed one), then the sealed ones, each in order.
async function nextQueued() {
  for (const area of [chrome.storage.session, chrome.storage.local]) {
    const { queue = [] } = await area.get("queue");
    if (queue.length) return { area, item: queue[0] };
  }
  return null;
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
    const next = await nextQueued();
    if (!next) break;
    const { area, item } = next;
    let reply;
    try {
      reply = await ask(item.sealed || item.message);
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
      const { queue = [] } = await area.get("queue");
      await area.set({ queue: queue.filter((queued) => queued.key !== item.key) }); // at once
      if (!reply.ok) { // refused as invalid: what and why, not the event itself
        const { rejected = [] } = await chrome.storage.local.get("rejected");
        await chrome.storage.local.set({ rejected: [...rejected, { key: item.key, at: new Date().toISOString(),
          error: reply.error && reply.error.code }].slice(-50) });
      }
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
    const { cache = {} } = await chrome.storage.session.get("cache");
    cache.offline = offline;
    cache.trouble = offline ? agentTrouble() : null;
    await chrome.storage.session.set({ cache });
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
