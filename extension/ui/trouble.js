// Why the agent is away, said plainly with the fix that works: from the reason the native
// host passes on (the agent's own, as it stopped at start: docs/protocol.md) or the one the
// browser gives when the host itself cannot start. Words and one element; asks nothing.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));

  // reason -> [what happened, what to do]
  const WORDS = {
    host_missing: ["The Handful agent is not installed for this browser.",
      "Install it from the Handful folder (./installers/install.sh), or run `handful install` if it is installed already."],
    host_forbidden: ["This browser's Handful is not registered with the agent.",
      "Run `handful install` to register this browser, then check again."],
    host_stopped: ["The browser could not start Handful's native host.",
      "Run `handful doctor`: it tries the host as the browser starts it and says what is wrong."],
    no_passphrase: ["The agent could not open your log: it is protected by a passphrase, and the agent started by the browser was not given it.",
      "Start the agent yourself with the passphrase set (HANDFUL_PASSPHRASE=… handful start), or set HANDFUL_PASSPHRASE in your desktop session."],
    wrong_passphrase: ["The agent could not open your log: the passphrase it was given does not unlock it.",
      "Correct HANDFUL_PASSPHRASE in your session, then run `handful start`."],
    keyring: ["The agent could not get your log's key from the system keyring.",
      "Unlock the keyring (log in to the desktop session), then run `handful start`; `handful doctor` says more."],
    key_unavailable: ["The agent could not get your log's key.",
      "Run `handful doctor`; on a new computer, `handful init --recover` with your recovery key."],
    not_initialised: ["Handful has no log on this computer yet.",
      "Run `handful init` (or `handful init --recover` to join your log from another computer)."],
    store_busy: ["Another Handful program is writing to your log, so the agent could not start.",
      "Wait a moment and check again; if it lasts, run `handful stop`, then `handful start`."],
    integrity: ["Your log failed its integrity check, so the agent did not start.",
      "Run `handful verify`: it names the file and the record."],
    storage: ["The disk refused to write your log.",
      "Free some space or fix the disk, then run `handful start`."],
    no_answer: ["The agent is running but did not answer.",
      "Run `handful stop`, then `handful start`; `handful doctor` says more."],
    impostor: ["Something that is not your Handful agent answers where it should, so nothing was sent to it.",
      "Run `handful doctor`: it names what answers there."],
    not_running: ["The Handful agent is not running.", "Start it with `handful start`."],
  };

  /**
   * @param {HandfulTrouble | null | undefined} trouble
   * @returns {{ reason: string, what: string, fix: string, detail: string }}
   */
  function explain(trouble) {
    const reason = trouble && Object.hasOwn(WORDS, trouble.reason) ? trouble.reason : (trouble ? "failed" : "not_running");
    const [what, fix] = WORDS[reason] || ["The Handful agent could not start.", "Run `handful doctor`: it says what is wrong and how to fix it."];
    return { reason, what, fix, detail: (trouble && trouble.message) || "" };
  }

  /**
   * The banner's words in `node` (its `data-reason` the reason), the agent's own sentence
   * after them when it gave one.
   * @param {HTMLElement} node
   * @param {HandfulTrouble | null | undefined} trouble
   * @param {string} [after] what holds meanwhile ("what you log here is kept…")
   */
  function show(node, trouble, after = "") {
    const { reason, what, fix, detail } = explain(trouble);
    node.dataset.reason = reason;
    node.replaceChildren(...[what, fix, after].filter(Boolean).join(" ").split(/(`[^`]+`)/)
      .map((part) => (part.startsWith("`") ? Handful.dom.el("code", { text: part.slice(1, -1) }) : part)));
    if (detail) node.append(Handful.dom.el("span", { class: "detail", text: ` (The agent said: ${detail})` }));
  }

  Handful.trouble = { explain, show, install: (reason) => reason === "host_missing" || reason === "host_forbidden" };
})();
