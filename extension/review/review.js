// The review page: each group you are in with what you gave and got, the promise you made
// when joining, a recommendation, and one click to keep, deepen, leave or snooze.
"use strict";
(() => {
  const { el } = globalThis.Handful.dom;
  const F = globalThis.Handful.figures;
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id)); // the page's own inputs and buttons
  const send = (message) => chrome.runtime.sendMessage(message);
  const WORDS = { keep: "Keep", deepen: "Deepen", leave: "Leave", snooze: "Snooze the review" };

  function decide(view, row, decision, note) {
    const event = { id: crypto.randomUUID(), ts: new Date().toISOString(), group: view.group, decision };
    if (note) event.note = note;
    row.dataset.decided = decision;
    const where = view.leave;
    const elsewhere = `Left it in the app or on another computer? Run handful groups leave ${view.key}.`;
    const leave = !where ? `Decided: leave. Leave it on its site. ${elsewhere}`
      : where.how === "search"
        ? `Decided: leave. Find it in the search that opened and leave it there; Handful records it when the page shows you have left. ${elsewhere}`
        : `Decided: leave. Leave it on the page that opened; Handful records it when the page shows you have left. ${elsewhere}`;
    const said = { keep: "Decided: keep.", deepen: `Decided: deepen${note ? `: ${note}` : ""}.`,
      leave, snooze: "The review will ask again in a few days." }[decision];
    row.querySelector(".decided").textContent = said;
    for (const button of row.querySelectorAll(".decisions button")) button.disabled = true;
    // (noopener: the site gets no handle on this page, and its page counts as opened by the user)
    if (decision === "leave" && where) window.open(where.url, "_blank", "noopener");
    return send({ kind: "event", type: "review_decision", event }).then(() => send({ kind: "flush" }));
  }

  function row(view) {
    const name = view.group.name || view.key;
    const title = view.group.url ? el("a", { href: view.group.url, target: "_blank", text: name }) : name;
    const since = view.since ? `Member since ${F.day(view.since)}.` : "";
    const quiet = view.days_since_interaction == null ? " No post, comment or result yet."
      : ` Last post, comment or result ${view.days_since_interaction} days ago.`;
    const kept = view.commitment && view.commitment.kept != null
      ? el("p", { class: view.commitment.kept ? "ok" : "due", "data-kept": String(view.commitment.kept),
        text: view.commitment.kept ? "You kept your commitment." : "Commitment not kept yet." }) : null;
    const buttons = ["keep", "deepen", "leave", "snooze"].map((d) =>
      el("button", { type: "button", "data-decision": d, class: d === view.recommendation ? "primary" : null, text: WORDS[d] }));
    const note = el("textarea", { name: "commitment", "aria-label": "Your new commitment: what will you do there this month?",
      placeholder: "What will you do there this month?" });
    const confirm = el("button", { type: "button", "data-action": "confirm-deepen", text: "Deepen with this commitment" });
    const deepenBox = el("div", { class: "deepen-box", hidden: true }, [note, confirm]);
    const item = el("li", { "data-group": view.key, "data-recommendation": view.recommendation }, [
      el("h2", {}, [el("span", { class: `tag ${view.recommendation}`, text: view.recommendation }), title]),
      el("p", { class: "advice", text: view.reason }),
      el("p", { class: "quiet", text: since + quiet }),
      F.commitment(view), kept, F.pledge(view),
      // no chart for months with nothing in them: the table says "nothing yet" instead
      el("div", { class: "row" }, [view.months.some((m) => m.visits || m.contributions || m.results)
        ? F.monthsChart(view.months) : null, F.figureTable(view.figures, ["30", "90", "365"])]),
      el("div", { class: "decisions", role: "group", "aria-label": `Your decision about ${name}` }, buttons),
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
    const plan = await send({ kind: "review" });
    $("offline").hidden = Boolean(plan && !plan.offline);
    if (!plan || plan.offline) {
      globalThis.Handful.trouble.show($("offline"), plan && plan.trouble, "Then reload this page.");
      document.body.dataset.ready = "true";
      return;
    }
    $("due").textContent = plan.due ? "Your review is due: decide about each group." : `Next review: ${F.day(plan.due_at)}.`;
    $("due").className = plan.due ? "due" : "quiet";
    $("count").textContent = `You are in ${plan.count} group${plan.count === 1 ? "" : "s"}; your cap is ${plan.cap}.`
      + (plan.over_cap_by ? ` That is ${plan.over_cap_by} too many.` : "");
    $("count").classList.toggle("over", plan.over_cap_by > 0);
    $("scoreboard").replaceChildren(F.scoreboard(plan.scoreboard, 26) || "");
    if (plan.year) {
      $("year").hidden = false;
      $("year-title").textContent = `Your year (${plan.year.from} to ${plan.year.to}): ${plan.year.results} results`;
      $("year-suggestions").replaceChildren(...plan.year.suggestions.map((text) => el("li", { text })));
    }
    $("groups").replaceChildren(...plan.groups.map(row));
    if (plan.groups.length === 0) $("groups").append(el("li", { text: "No groups yet: open your groups page on LinkedIn or Facebook and Handful reads it." }));
    document.body.dataset.ready = "true";
  })();
})();
