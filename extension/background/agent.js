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
