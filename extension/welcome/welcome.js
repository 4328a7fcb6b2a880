// The first-run page: connect the agent, choose the cap, read the user's group lists.
// What Handful knows updates live as the list pages are read in other tabs.
"use strict";
(() => {
  const { el } = globalThis.Handful.dom;
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id)); // the page's own inputs and buttons
  const send = (message) => chrome.runtime.sendMessage(message);
  const { t, tn } = globalThis.Handful.i18n;
  let recheck = null;

  async function checkAgent() {
    const status = await send({ kind: "status" });
    const connected = status && !status.offline;
    const trouble = globalThis.Handful.trouble;
    const why = trouble.explain(status && status.trouble);
    $("agent-state").textContent = t(connected ? "welcome_connected" : "welcome_not_connected");
    $("agent-state").className = connected ? "ok" : "over";
    $("agent-state").dataset.reason = connected ? "" : why.reason;
    $("agent-help").hidden = connected;
    // the installer only when the host is missing; otherwise the fix for what the agent said
    $("install-help").hidden = connected || !trouble.install(why.reason);
    if (!connected) trouble.show($("agent-fix"), status && status.trouble);
    if (connected && document.activeElement !== $("cap")) $("cap").value = status.cap;
    if (connected) showImports(status.imports);
    // Not yet: look again every few seconds, so the page turns green once the agent is in.
    if (!connected && !recheck) recheck = setTimeout(() => { recheck = null; checkAgent().then((ok) => ok && showKnown()); }, 3000);
    return connected;
  }

  // Few groups known and no export imported: the platform's own export has their history.
  function showImports(imports) {
    $("import-hint").hidden = !(imports && imports.suggest);
    $("imported").replaceChildren(...globalThis.Handful.figures.imported(imports));
  }

  async function showKnown() {
    const groups = await send({ kind: "groups", all: false });
    if (!groups) return;
    const names = groups.groups.map((g) => g.group.name || g.key);
    $("known").textContent = names.length
      ? tn("welcome_knows", names.length, groups.cap)
      : t("welcome_no_groups");
    $("known-list").replaceChildren(...names.map((name) => el("li", { text: name })));
    const status = await send({ kind: "status" });
    if (status && !status.offline) showImports(status.imports);
  }

  async function saveCap() {
    const value = $("cap").valueAsNumber;
    if (!Number.isInteger(value) || value < 1 || value > 100) {
      $("cap-state").textContent = t("welcome_cap_bad");
      return;
    }
    const reply = await send({ kind: "setting", key: "cap", value });
    $("cap-state").textContent = reply.ok ? t("welcome_cap_saved", reply.settings.cap) : reply.error;
    await showKnown();
  }

  // The list pages' groups reach the agent through the queue; each flush refreshes the cache.
  let pending = null;
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area !== "session" || !changes.cache || pending) return; // (the cache: background/cache.js)
    pending = setTimeout(() => { pending = null; showKnown(); }, 300);
  });
  $("check-again").addEventListener("click", async () => { if (await checkAgent()) await showKnown(); });
  $("save-cap").addEventListener("click", saveCap);

  (async () => {
    globalThis.Handful.i18n.apply();
    if (await checkAgent()) await showKnown();
    document.body.dataset.ready = "true";
  })();
})();
