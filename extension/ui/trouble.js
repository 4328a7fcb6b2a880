// Why the agent is away, said plainly with the fix that works: from the reason the native
// host passes on (the agent's own, as it stopped at start: docs/protocol.md) or the one the
// browser gives when the host itself cannot start, in the browser's language (ui/i18n.js).
// Words and one element; asks nothing.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));

  // The reasons with words of their own (_locales: trouble_<reason>, trouble_<reason>_fix).
  const REASONS = new Set(["host_missing", "host_forbidden", "host_stopped", "no_passphrase",
    "wrong_passphrase", "keyring", "key_unavailable", "not_initialised", "store_busy", "integrity",
    "storage", "no_answer", "impostor", "not_running"]);
  const t = (/** @type {string} */ key, /** @type {string[]} */ ...values) => Handful.i18n.t(key, ...values);

  /**
   * @param {HandfulTrouble | null | undefined} trouble
   * @returns {{ reason: string, what: string, fix: string, detail: string }}
   */
  function explain(trouble) {
    const reason = trouble && REASONS.has(trouble.reason) ? trouble.reason : (trouble ? "failed" : "not_running");
    return { reason, what: t(`trouble_${reason}`), fix: t(`trouble_${reason}_fix`), detail: (trouble && trouble.message) || "" };
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
    if (detail) node.append(Handful.dom.el("span", { class: "detail", text: t("trouble_agent_said", detail) }));
  }

  Handful.trouble = { explain, show, install: (reason) => reason === "host_missing" || reason === "host_forbidden" };
})();
