// The queue is sealed to the agent's key: each event waiting in the browser profile is
// encrypted to this device's agent (its public key, from `status`: agent.queue_key), a fresh
// AES-256-GCM key for each, wrapped with RSA-OAEP-256. Nothing in the profile, the extension
// included, can read a queued event back; only the agent opens it (docs/security.md). Before
// the agent has ever answered there is no key: such events wait in storage.session, in
// memory only, until they are sent.
"use strict";

const SEAL = { name: "RSA-OAEP", hash: "SHA-256" };
/** @type {{ kid: string, key: CryptoKey } | null} */
let sealingKey = null;

/** @param {ArrayBuffer | Uint8Array} bytes */
function toBase64(bytes) {
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (let i = 0; i < all.length; i += 0x8000) text += String.fromCharCode(...all.subarray(i, i + 0x8000));
  return btoa(text);
}

async function sealingTo() {
  const { queueKey } = await chrome.storage.local.get("queueKey");
  if (!queueKey || !queueKey.kid || !queueKey.spki) return null;
  if (!sealingKey || sealingKey.kid !== queueKey.kid) {
    const spki = Uint8Array.from(atob(queueKey.spki), (c) => c.charCodeAt(0));
    sealingKey = { kid: queueKey.kid, key: await crypto.subtle.importKey("spki", spki, SEAL, false, ["encrypt"]) };
  }
  return sealingKey;
}

/**
 * A message sealed for the agent, or null when no key is known yet.
 * @param {{ type: string, [field: string]: any }} message
 */
async function seal(message) {
  const to = await sealingTo();
  if (!to) return null;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const body = new TextEncoder().encode(JSON.stringify(message));
  const c = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, body);
  const k = await crypto.subtle.encrypt(SEAL, to.key, await crypto.subtle.exportKey("raw", key));
  /** @type {HandfulSealed} */
  const sealed = { type: "sealed", kid: to.kid, k: toBase64(k), iv: toBase64(iv), c: toBase64(c) };
  return sealed;
}

/** The agent's public key, as its status gives it (kept: it is public). @param {any} agent */
async function noteQueueKey(agent) {
  const found = agent && agent.queue_key;
  if (!found || !found.kid || !found.spki) return;
  const { queueKey } = await chrome.storage.local.get("queueKey");
  if (!queueKey || queueKey.kid !== found.kid || queueKey.spki !== found.spki) {
    await chrome.storage.local.set({ queueKey: { kid: found.kid, spki: found.spki } });
  }
}
