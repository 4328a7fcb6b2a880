// The options page: the limits (cap, delay, review interval, whether a pause holds
// everywhere), the guard's pause and the fast, the join buttons taught, and what this
// browser's profile holds. Every change goes to the agent (settings are events in the log);
// with the agent away the page says why and changes nothing.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const { el } = Handful.dom;
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id)); // the page's own inputs and buttons
  const send = (message) => chrome.runtime.sendMessage(message);
  const NUMBERS = ["cap", "guard.delay_seconds", "review.interval_days"];
  const FAST_DAYS = 14;
  let away = false;
  const field = (/** @type {string} */ key) => /** @type {HTMLInputElement} */ (document.querySelector(`[name="${key}"]`));

  function controls() {
    return /** @type {NodeListOf<HTMLInputElement | HTMLButtonElement>} */ (
      document.querySelectorAll("#settings input, #settings button, #pause button, #fast button"));
  }

  function showAway(trouble) {
    away = true;
    Handful.trouble.show($("offline"), trouble, "Nothing here can be changed until it answers.");
    $("offline").hidden = false;
    for (const node of controls()) node.disabled = true;
  }

  function when(seconds) {
    return new Date(seconds * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  async function load() {
    const [answer, status] = await Promise.all([send({ kind: "settings" }), send({ kind: "status" })]);
    if (!answer || answer.offline || !status || status.offline) {
      showAway((answer && answer.trouble) || (status && status.trouble));
      return;
    }
    away = false;
    $("offline").hidden = true;
    for (const node of controls()) node.disabled = false;
    const settings = answer.settings;
    for (const key of NUMBERS) field(key).value = settings[key];
    $("everywhere").checked = settings["guard.pause_everywhere"] === 1;
    const paused = settings["guard.paused_until"];
    const pausedNow = status.guard && status.guard.paused;
    $("pause-state").textContent = pausedNow ? `Paused until ${when(paused)}: joins go through without a question until then.`
      : "Not paused: Handful asks before every join.";
    $("resume").disabled = !pausedNow;
    const fast = status.fast || {};
    $("fast-state").textContent = fast.active ? `On a fast until ${new Date(fast.ends_at).toLocaleDateString()}.` : "No fast under way.";
    $("fast-start").disabled = Boolean(fast.active);
    $("fast-stop").disabled = !fast.active;
  }

  // One setting to the agent; false (and the reason said) if it did not take it.
  async function set(key, value) {
    const reply = await send({ kind: "setting", key, value });
    if (reply && reply.ok) return true;
    $("saved").textContent = "";
    if (reply && reply.trouble) showAway(reply.trouble);
    else $("saved").textContent = `Not saved: ${(reply && reply.error) || "the agent did not answer"}.`;
    $("saved").classList.add("over");
    return false;
  }

  async function save(event) {
    event.preventDefault();
    if (away) return;
    const changes = [];
    for (const key of NUMBERS) {
      const input = field(key);
      if (!input.checkValidity()) {
        $("saved").textContent = `${input.labels[0].textContent}: a whole number from ${input.min} to ${input.max}.`;
        $("saved").classList.add("over");
        input.focus();
        return;
      }
      changes.push([key, input.valueAsNumber]);
    }
    changes.push(["guard.pause_everywhere", $("everywhere").checked ? 1 : 0]);
    for (const [key, value] of changes) {
      if (!(await set(key, value))) return;
    }
    $("saved").classList.remove("over");
    $("saved").textContent = "Saved.";
    await load();
  }

  async function pause(seconds) {
    const until = seconds ? Math.floor(Date.now() / 1000) + seconds : 0;
    if (await set("guard.paused_until", until)) await load();
  }

  async function fast(start) {
    if (await set("fast.started_at", start ? Math.floor(Date.now() / 1000) : 0)) await load();
  }

  // The join buttons taught so far, each removable.
  async function showRules() {
    const rules = (await send({ kind: "rules" })) || [];
    $("no-rules").hidden = rules.length > 0;
    $("rules").replaceChildren(...rules.map((rule) => {
      const site = rule.platform === "linkedin" ? "LinkedIn" : "Facebook";
      const remove = el("button", { type: "button", "data-action": "remove-rule", text: "Remove" });
      remove.addEventListener("click", async () => {
        await send({ kind: "rule_remove", key: rule.key });
        await showRules();
      });
      return el("li", { "data-rule": rule.key }, [el("span", { text: `${site}: “${rule.text || rule.name}” (${rule.role || rule.tag})` }), remove]);
    }));
  }

  // What the profile holds now: counts and kinds, never the contents.
  async function showHeld() {
    const local = await chrome.storage.local.get(null);
    const count = (key) => (Array.isArray(local[key]) ? local[key].length : Object.keys(local[key] || {}).length);
    const lines = [
      [`${count("queue")} event(s) waiting for the agent, each sealed to it: the browser cannot read them back.`, "queue"],
      [`${count("reminders")} “decide later” reminder(s): the group's id and when, no name.`, "reminders"],
      [`${count("rules")} taught join button(s).`, "rules"],
      [`${count("askLater")} “ask me later” group id(s).`, "askLater"],
      [`${count("rejected")} event id(s) the agent refused, with the error's code.`, "rejected"],
      [local.guard && local.guard.pausedUntil > Date.now() ? `The guard's pause, until ${new Date(local.guard.pausedUntil).toLocaleString()}.`
        : "The guard's pause: none.", "guard"],
      ["The agent's public key (public by nature), and whether Handful may read LinkedIn and Facebook.", "queueKey"],
      ["In memory only, gone when the browser closes: your figures for the popup and the dialog, your last justifications.", "session"],
    ];
    $("held").replaceChildren(...lines.map(([text, key]) => el("li", { "data-held": key, text })));
  }

  $("settings").addEventListener("submit", save);
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-pause]"))) {
    button.addEventListener("click", () => pause(Number(button.dataset.pause)));
  }
  $("fast-start").addEventListener("click", () => fast(true));
  $("fast-stop").addEventListener("click", () => fast(false));
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes.rules) showRules();
    if (area === "local") showHeld();
  });
  $("fast-start").title = `${FAST_DAYS} days from now`;

  (async () => {
    await Promise.all([load(), showRules(), showHeld()]);
    document.body.dataset.ready = "true";
  })();
})();
