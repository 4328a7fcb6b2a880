// The agent, through the native host: one port, one request at a time per id, each with
// its time-out. Every other part of the background asks through `ask`.
"use strict";

const HOST = "com.handful.agent";
// The host always answers, if only with agent_unavailable after trying to start the agent
// (up to 20 s on a slow first start): the queue waits for that answer.
const ASK_TIMEOUT_MS = 25_000;
const GROUP_TIMEOUT_MS = 1500;   // the dialog is already on screen: a late answer is dropped
const STATUS_TIMEOUT_MS = 5000;  // popup and first-run page

let port = null;
let nextId = 1;
const waiting = new Map();

// Why the agent is away, as last seen: the host's own word (`agent_unavailable` with the
// `reason` the agent gave as it stopped: docs/protocol.md), or the browser's when the host
// itself cannot start (not installed, not registered for this extension). null once the
// agent answers. The pages pick their fix by `reason` (ui/trouble.js).
let trouble = null;
function agentTrouble() { return trouble; }

/** @param {string} message what the browser said as the host's port closed */
function hostTrouble(message) {
  if (/not found|no such native application/i.test(message)) return { reason: "host_missing", message };
  if (/forbidden|not allowed/i.test(message)) return { reason: "host_forbidden", message };
  return { reason: "host_stopped", message };
}

function connect() {
  port = chrome.runtime.connectNative(HOST);
  port.onMessage.addListener((reply) => {
    if (reply && reply.ok === false && reply.error && reply.error.code === "agent_unavailable") {
      trouble = { reason: String(reply.error.reason || "failed"), message: String(reply.error.message || "") };
    } else if (reply && reply.ok) {
      trouble = null;
    }
    const entry = waiting.get(reply && reply.id);
    if (!entry) return;
    waiting.delete(reply.id);
    clearTimeout(entry.timer);
    entry.resolve(reply);
  });
  port.onDisconnect.addListener(() => {
    const error = chrome.runtime.lastError;
    if (error && error.message) trouble = hostTrouble(error.message);
    port = null;
    for (const entry of waiting.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error("the agent went away"));
    }
    waiting.clear();
  });
}

// One request to the agent through the host: resolves with its reply envelope.
// A list the agent answers in pages (`groups`, `review`: docs/protocol.md, "Pages"): asked
// page after page, `after` the last one's `next`, into one reply shaped as the first page
// with every page's groups. At most MAX_PAGES pages (100 x 250 groups).
const MAX_PAGES = 100;
async function askAll(message, timeout = ASK_TIMEOUT_MS) {
  let reply = await ask(message, timeout);
  if (!reply.ok) return reply;
  const groups = [...reply.result.groups];
  for (let pages = 1; reply.result.next && pages < MAX_PAGES; pages++) {
    reply = await ask({ ...message, after: reply.result.next }, timeout);
    if (!reply.ok) return reply;
    groups.push(...reply.result.groups);
  }
  return { ...reply, result: { ...reply.result, groups, next: null } };
}

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
