// The review page: each group you are in with what you gave and got, the promise you made
// when joining, a recommendation, and one click to keep, deepen, leave or snooze.
"use strict";
(() => {
  const { el } = globalThis.Handful.dom;
  const F = globalThis.Handful.figures;
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id)); // the page's own inputs and buttons
  const send = (message) => chrome.runtime.sendMessage(message);
  const { t } = globalThis.Handful.i18n;
  const WORDS = Object.fromEntries(["keep", "deepen", "leave", "snooze"].map((value) => [value, t(`review_${value}`)]));
  const TAGS = Object.fromEntries(["keep", "deepen", "leave"].map((value) => [value, t(`review_tag_${value}`)]));
  const { tn } = globalThis.Handful.i18n;
  const WAYS = Object.fromEntries(["post", "comment", "event", "speak", "board", "other"]
    .map((value) => [value, t(`fig_inv_${value}`)]));

  // The advice in the browser's language, from what the agent found (`why`), with its
  // prefixes (joined without deciding; over the cap); the agent's English when it gave no
  // `why` (an older agent).
  function advice(view) {
    const why = view.why;
    if (!why) return view.reason;
    const taking = () => tn("advice_taking", why.contributions);
    const got = () => tn("advice_results", why.results);
    const text = {
      keep_new: () => t("advice_keep_new", tn("advice_days", why.days), why.until),
      leave_dormant: () => t("advice_leave_dormant", tn("advice_days", why.days)),
      leave_little: () => t("advice_leave_little", taking()),
      deepen_promise: () => t("advice_deepen_promise", why.missing.map((w) => WAYS[w] || w).join(", ")),
      deepen_results: () => t("advice_deepen_results", got(), taking()),
      keep_active: () => t("advice_keep_active", taking(), got()),
      keep_going: () => t("advice_keep_going", taking()),
    }[why.code];
    if (!text) return view.reason;
    const over = view.over_cap
      ? tn("advice_over_cap", view.over_cap.over, view.over_cap.cap) : "";
    return over + (view.unjustified ? t("advice_unjustified") : "") + text();
  }

  // The year's two suggestions, in the browser's language, from its figures (the agent's
  // `suggestions` say the same in English): leave the groups with no result; go deeper in
  // the one with the most.
  function yearSuggestions(year) {
    const rows = year.groups || [];
    const said = [];
    const idle = rows.filter((r) => r.results === 0).map((r) => r.name || r.key);
    if (idle.length) said.push(t("year_leave", idle.join(", ")));
    if (rows.length && year.results) {
      const best = rows[0];
      said.push(t("year_deeper", best.name || best.key, Math.round((100 * best.results) / year.results)));
    }
    return said;
  }

  function decide(view, row, decision, note) {
    const event = { id: crypto.randomUUID(), ts: new Date().toISOString(), group: view.group, decision };
    if (note) event.note = note;
    row.dataset.decided = decision;
    const where = view.leave;
    const elsewhere = t("review_elsewhere", view.key);
    const leave = t(!where ? "review_left_site" : where.how === "search" ? "review_left_search" : "review_left_page", elsewhere);
    const said = { keep: t("review_decided_keep"), deepen: note ? t("review_decided_deepen_note", note) : t("review_decided_deepen"),
      leave, snooze: t("review_decided_snooze") }[decision];
    row.querySelector(".decided").textContent = said;
    for (const button of row.querySelectorAll(".decisions button")) button.disabled = true;
    // (noopener: the site gets no handle on this page, and its page counts as opened by the user)
    if (decision === "leave" && where) window.open(where.url, "_blank", "noopener");
    return send({ kind: "event", type: "review_decision", event }).then(() => send({ kind: "flush" }));
  }

  function row(view) {
    const name = view.group.name || view.key;
    const title = view.group.url ? el("a", { href: view.group.url, target: "_blank", text: name }) : name;
    const since = view.since ? t("review_member_since", F.day(view.since)) : "";
    const quiet = view.days_since_interaction == null ? t("review_no_interaction")
      : t("review_last_interaction", view.days_since_interaction);
    const kept = view.commitment && view.commitment.kept != null
      ? el("p", { class: view.commitment.kept ? "ok" : "due", "data-kept": String(view.commitment.kept),
        text: t(view.commitment.kept ? "review_kept" : "review_not_kept") }) : null;
    const buttons = ["keep", "deepen", "leave", "snooze"].map((d) =>
      el("button", { type: "button", "data-decision": d, class: d === view.recommendation ? "primary" : null, text: WORDS[d] }));
    const note = el("textarea", { name: "commitment", "aria-label": t("review_commitment_label"),
      placeholder: t("review_commitment_placeholder") });
    const confirm = el("button", { type: "button", "data-action": "confirm-deepen", text: t("review_confirm_deepen") });
    const deepenBox = el("div", { class: "deepen-box", hidden: true }, [note, confirm]);
    const item = el("li", { "data-group": view.key, "data-recommendation": view.recommendation }, [
      el("h2", {}, [el("span", { class: `tag ${view.recommendation}`, text: TAGS[view.recommendation] || view.recommendation }), title]),
      el("p", { class: "advice", text: advice(view) }),
      el("p", { class: "quiet", text: since + quiet }),
      F.commitment(view), kept, F.pledge(view),
      // no chart for months with nothing in them: the table says "nothing yet" instead
      el("div", { class: "row" }, [view.months.some((m) => m.visits || m.contributions || m.results)
        ? F.monthsChart(view.months) : null, F.figureTable(view.figures, ["30", "90", "365"])]),
      el("div", { class: "decisions", role: "group", "aria-label": t("review_decision_about", name) }, buttons),
      deepenBox,
      el("p", { class: "decided status", role: "status" }),
    ]);
    for (const button of buttons) {
      button.addEventListener("click", () => {
        if (button.dataset.decision === "deepen") {
          deepenBox.hidden = false;
          note.focus();
          return;
        }
        decide(view, item, button.dataset.decision);
      });
    }
    confirm.addEventListener("click", () => decide(view, item, "deepen", note.value.trim()));
    return item;
  }

  (async () => {
    globalThis.Handful.i18n.apply();
    const plan = await send({ kind: "review" });
    $("offline").hidden = Boolean(plan && !plan.offline);
    if (!plan || plan.offline) {
      globalThis.Handful.trouble.show($("offline"), plan && plan.trouble, t("review_reload"));
      document.body.dataset.ready = "true";
      return;
    }
    $("due").textContent = plan.due ? t("review_due") : t("review_next", F.day(plan.due_at));
    $("due").className = plan.due ? "due" : "quiet";
    $("count").textContent = tn("review_count", plan.count, plan.cap)
      + (plan.over_cap_by ? t("review_too_many", plan.over_cap_by) : "");
    $("count").classList.toggle("over", plan.over_cap_by > 0);
    $("scoreboard").replaceChildren(F.scoreboard(plan.scoreboard, 26) || "");
    // few groups known and no export imported yet: the platform's own export has their history
    $("import-hint").hidden = !(plan.imports && plan.imports.suggest);
    $("imported").replaceChildren(...F.imported(plan.imports));
    if (plan.year) {
      $("year").hidden = false;
      $("year-title").textContent = t("review_year", plan.year.from, plan.year.to, plan.year.results);
      $("year-suggestions").replaceChildren(...yearSuggestions(plan.year).map((text) => el("li", { text })));
    }
    $("groups").replaceChildren(...plan.groups.map(row));
    if (plan.groups.length === 0) $("groups").append(el("li", { text: t("review_no_groups") }));
    document.body.dataset.ready = "true";
  })();
})();
