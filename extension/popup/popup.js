// The popup: the count against the cap, the group in the current tab (since when, what was
// promised, what happened), one-click results, the decisions waiting, Handful's effect.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const { el } = Handful.dom;
  const F = Handful.figures;
  const { t } = Handful.i18n;
  const { tn } = Handful.i18n;
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id)); // the page's own inputs and buttons
  const send = (message) => chrome.runtime.sendMessage(message);
  const RESULT_WORDS = Object.fromEntries(["referral_given", "referral_received", "event", "meeting", "business"]
    .map((value) => [value, t(`popup_${value}`)]));
  let group = null; // the group in the current tab: { platform, id, name, url }

  // The tab the popup is about: the active one, or ?tab=N (the popup opened as a page).
  async function currentTab() {
    const asked = new URLSearchParams(location.search).get("tab");
    if (asked) return chrome.tabs.get(Number(asked)).catch(() => null);
    const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
    return tab || null;
  }

  async function groupIn(tab) {
    let url;
    try { url = new URL(tab && tab.url); } catch (error) { return null; }
    const site = Handful.sites.at(url);
    const found = site ? site.groupAt(url) : null;
    if (!found) return null;
    // the page knows the group's name (its heading); the URL does not
    const here = await chrome.tabs.sendMessage(tab.id, { kind: "here" }).catch(() => null);
    return { ...found, name: here && here.id === found.id ? here.name : null };
  }

  // What the guard cannot see, in the browser's language, from the agent's figures (its own
  // English sentences when it gave no figures).
  function sightProblems(sight) {
    if (!sight) return [];
    if (sight.days == null) return sight.problems || [];
    const problems = [];
    for (const [platform, site] of [["linkedin", "LinkedIn"], ["facebook", "Facebook"]]) {
      const seen = sight[platform];
      if (!seen) continue;
      if (seen.blind) problems.push(t("sight_blind", seen.unread_7d, site, sight.days));
      if (seen.access === false) problems.push(t("sight_access", site));
    }
    return problems;
  }

  function showStatus(status) {
    $("offline").hidden = !status.offline;
    if (status.offline) Handful.trouble.show($("offline"), status.trouble, t("popup_kept_meanwhile"));
    const { members, cap } = status;
    if (members == null) {
      $("count").textContent = t(status.offline ? "popup_count_unknown" : "popup_count_not_yet");
    } else {
      $("count").textContent = t("popup_count", members, cap);
      $("count").classList.toggle("over", members > cap);
    }
    if (status.review) {
      $("review").textContent = status.review.due ? t("popup_review_due") : t("popup_review_next", F.day(status.review.due_at));
      $("review").classList.toggle("due", status.review.due);
      if (status.review.due) $("open-review").textContent = t("popup_review_open_due");
    }
    if (status.fast && status.fast.active) {
      const left = Math.max(1, Math.ceil((Date.parse(status.fast.ends_at) - Date.now()) / 86_400_000));
      $("fast").hidden = false;
      $("fast").textContent = tn("popup_fast", left, F.day(status.fast.ends_at));
    }
    if (status.guard && status.guard.paused) {
      $("paused").hidden = false;
      $("paused").textContent = t("popup_paused", new Date(status.guard.paused_until).toLocaleTimeString(Handful.i18n.language(), { hour: "2-digit", minute: "2-digit" }));
    }
    // The guard's sight: pages it could not read, a site it may no longer reach.
    const problems = sightProblems(status.sight);
    $("sight").hidden = problems.length === 0;
    $("sight").textContent = problems.join(" ");
    // Joins the guard did not see, not answered yet: each opens its group's page, which asks.
    const missed = status.unjustified || [];
    $("missed").hidden = missed.length === 0;
    $("unjustified").replaceChildren(...missed.map((item) => {
      const name = item.group.name || item.key;
      const words = item.status === "requested" ? "popup_missed_requested" : "popup_missed_joined";
      const parts = [el("span", { text: t(words, name, F.day(item.at)) })];
      if (item.group.url) parts.push(el("a", { class: "button", href: item.group.url, target: "_blank", text: t("popup_open_to_say") }));
      return el("li", { "data-group": item.key }, parts);
    }));
    $("imported").replaceChildren(...F.imported(status.imports));
    $("scoreboard").replaceChildren(F.scoreboard(status.scoreboard, 0) || el("p", { class: "quiet", text: t("popup_figures_later") }));
  }

  function membershipText(view, thisDevice) {
    if (!view) return t("popup_not_in_log");
    const since = view.since ? F.day(view.since) : null;
    const words = { member: since ? t("popup_member_since", since) : t("popup_member"),
      requested: since ? t("popup_requested_since", since) : t("popup_requested"), left: t("popup_left"),
      declined: t("popup_declined"), deferred: t("popup_deferred"), seen: t("popup_seen") };
    const by = view.by && view.by.name && view.by.device !== thisDevice
      ? ` ${t("popup_recorded_on", view.by.name)}` : ""; // another of the user's devices
    return (words[view.status] || "") + by;
  }

  function showGroup(answer) {
    const view = answer && answer.view;
    $("group-name").textContent = (view && view.group.name) || group.name || `${group.platform}:${group.id}`;
    // away: whether you are a member is not known here (never "not a member")
    $("membership").textContent = answer && answer.offline ? t("popup_membership_unknown")
      : membershipText(view, answer && answer.device);
    $("membership").dataset.membership = answer && answer.offline ? "unknown" : (view ? view.status : "none");
    $("commitment").replaceChildren(...[F.commitment(view), F.pledge(view)].filter(Boolean));
    $("figures").replaceChildren(view ? F.figureTable(view.figures, ["30", "90"]) : "");
    $("here").hidden = false;
  }

  async function refreshGroup() {
    if (!group) return;
    showGroup(await send({ kind: "group", group }));
  }

  async function logResult(kind) {
    const event = { id: crypto.randomUUID(), ts: new Date().toISOString(), kind,
      group: { platform: group.platform, id: group.id, name: group.name || null, url: group.url } };
    if (kind === "business") {
      const amount = $("amount").valueAsNumber;
      if ($("amount").value !== "" && !(amount >= 0)) {
        $("logged").textContent = t("popup_amount_bad");
        return;
      }
      if (Number.isFinite(amount)) event.amount = amount;
    }
    const note = $("note").value.trim();
    if (note) event.note = note;
    const reply = await send({ kind: "event", type: "engagement", event });
    if (!reply || !reply.queued) {
      $("logged").textContent = t("popup_not_kept");
      return;
    }
    $("note").value = "";
    $("amount").value = "";
    $("logged").textContent = t("popup_logged", RESULT_WORDS[kind]);
    await send({ kind: "flush" });
    await refreshGroup();
  }

  async function showReminders() {
    const due = ((await send({ kind: "reminders" })) || []).filter((r) => r.due);
    $("waiting").hidden = due.length === 0;
    $("reminders").replaceChildren(...due.map((reminder) => {
      const name = reminder.group.name || reminder.group.id;
      const open = el("a", { class: "button", href: reminder.group.url || "#", target: "_blank", text: t("popup_open_group") });
      open.hidden = !reminder.group.url; // the agent is away: it knows the address
      const decline = el("button", { type: "button", "data-action": "decline", text: t("popup_dont_join") });
      decline.addEventListener("click", async () => {
        await send({ kind: "event", type: "join_declined", event: { id: crypto.randomUUID(),
          ts: new Date().toISOString(), group: reminder.group, reasons: [] } });
        await showReminders();
      });
      return el("li", { "data-group": `${reminder.group.platform}:${reminder.group.id}` },
        [el("span", { text: t("popup_decide_about", name) }), open, decline]);
    }));
  }

  // The pick mode for this tab (the rules taught are listed on the options page).
  async function pick(tab) {
    const answer = await chrome.tabs.sendMessage(tab.id, { kind: "pick" }).catch(() => null);
    $("picked").textContent = answer && answer.picking
      ? t("popup_pick_now") : t("popup_pick_reload");
  }

  $("open-options").addEventListener("click", () => chrome.runtime.openOptionsPage());

  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-result]"))) {
    button.addEventListener("click", () => logResult(button.dataset.result));
  }

  (async () => {
    Handful.i18n.apply();
    const tab = await currentTab();
    group = await groupIn(tab);
    let onSite = false;
    try {
      const url = new URL(tab && tab.url);
      onSite = Boolean(Handful.sites.at(url));
    } catch (error) {
      onSite = false;
    }
    $("pick").disabled = !onSite;
    $("pick").addEventListener("click", () => pick(tab));
    await Promise.all([
      send({ kind: "status" }).then(showStatus),
      group ? refreshGroup() : null,
      showReminders(),
    ]);
    document.body.dataset.ready = "true";
  })();
})();
