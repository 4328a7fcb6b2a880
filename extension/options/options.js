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
  const { t } = Handful.i18n;
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
    Handful.trouble.show($("offline"), trouble, t("options_nothing_changes"));
    $("offline").hidden = false;
    for (const node of controls()) node.disabled = true;
  }

  function when(seconds) {
    return new Date(seconds * 1000).toLocaleString(Handful.i18n.language(), { dateStyle: "medium", timeStyle: "short" });
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
    $("pause-state").textContent = pausedNow ? t("options_paused_until", when(paused)) : t("options_not_paused");
    $("resume").disabled = !pausedNow;
    const fast = status.fast || {};
    $("fast-state").textContent = fast.active
      ? t("options_fast_until", new Date(fast.ends_at).toLocaleDateString(Handful.i18n.language())) : t("options_no_fast");
    $("fast-start").disabled = Boolean(fast.active);
    $("fast-stop").disabled = !fast.active;
  }

  // One setting to the agent; false (and the reason said) if it did not take it.
  async function set(key, value) {
    const reply = await send({ kind: "setting", key, value });
    if (reply && reply.ok) return true;
    $("saved").textContent = "";
    if (reply && reply.trouble) showAway(reply.trouble);
    else $("saved").textContent = t("options_not_saved", (reply && reply.error) || t("options_no_answer"));
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
        $("saved").textContent = t("options_whole_number", input.labels[0].textContent || "", input.min, input.max);
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
    $("saved").textContent = t("options_saved");
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
      const remove = el("button", { type: "button", "data-action": "remove-rule", text: t("options_remove") });
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
      [t("options_held_queue", count("queue")), "queue"],
      [t("options_held_reminders", count("reminders")), "reminders"],
      [t("options_held_rules", count("rules")), "rules"],
      [t("options_held_ask_later", count("askLater")), "askLater"],
      [t("options_held_rejected", count("rejected")), "rejected"],
      [local.guard && local.guard.pausedUntil > Date.now()
        ? t("options_held_pause", new Date(local.guard.pausedUntil).toLocaleString(Handful.i18n.language()))
        : t("options_held_no_pause"), "guard"],
      [t("options_held_key"), "queueKey"],
      [t("options_held_session"), "session"],
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
  $("fast-start").title = t("options_days_from_now", FAST_DAYS);

  (async () => {
    Handful.i18n.apply();
    await Promise.all([load(), showRules(), showHeld()]);
    document.body.dataset.ready = "true";
  })();
})();
