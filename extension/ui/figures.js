// What the popup and the review show of a group and of Handful's own effect: the agent's
// figures as small tables and sentences. Builds elements; asks nothing of anyone.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));
  const { el } = Handful.dom;

  const FIGURES = [
    ["visits", "Visits"], ["minutes", "Minutes"], ["posts", "Posts"], ["comments", "Comments"],
    ["reactions", "Reactions"], ["events", "Events"], ["referrals_given", "Referrals given"],
    ["referrals_received", "Referrals received"], ["business", "Business won"],
    ["business_amount", "Business amount"], ["meetings", "Meetings"],
  ];
  const INVOLVEMENT = { post: "post", comment: "comment", event: "organise an event", speak: "speak",
    board: "board or committee", other: "other" };

  function day(ts) {
    return ts ? ts.slice(0, 10) : "";
  }

  function number(value) {
    return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }

  // One row per figure that is not zero in any window; windows are the agent's "30", "90"….
  function figureTable(figures, windows) {
    const rows = FIGURES.filter(([key]) => windows.some((w) => (figures[w] || {})[key]));
    if (rows.length === 0) return el("p", { class: "quiet", "data-figures": "none", text: "Nothing yet in the last " + windows[windows.length - 1] + " days." });
    const head = el("tr", {}, [el("th", { scope: "col", text: "" }),
      ...windows.map((w) => el("th", { scope: "col", text: `${w} days` }))]);
    const body = rows.map(([key, label]) => el("tr", { "data-figure": key }, [
      el("th", { scope: "row", text: label }),
      ...windows.map((w) => el("td", { text: number((figures[w] || {})[key] || 0) })),
    ]));
    return el("table", { class: "figures" }, [el("thead", {}, [head]), el("tbody", {}, body)]);
  }

  // "Joined on … to give … and get …": what the user promised when they joined.
  function commitment(view) {
    const c = view && view.commitment;
    if (!c) return null;
    const parts = [
      el("p", {}, [el("strong", { text: "You said you would give: " }), c.give]),
      el("p", {}, [el("strong", { text: "and get: " }), c.get]),
    ];
    if (c.involvement && c.involvement.length) {
      parts.push(el("p", { text: `Involvement: ${c.involvement.map((i) => INVOLVEMENT[i] || i).join(", ")}.` }));
    }
    if (c.drop) parts.push(el("p", { text: `To make room you would leave ${c.drop.name || c.drop.id}.` }));
    return el("div", { class: "commitment", "data-commitment": "" },
      [el("p", { class: "quiet", text: `Justified on ${day(c.ts)}` }), ...parts]);
  }

  // "On … you decided to deepen: …": the commitment given with the latest "deepen", and
  // whether a post, comment or event has followed it.
  function pledge(view) {
    const p = view && view.pledge;
    if (!p) return null;
    return el("div", { class: "pledge", "data-pledge": p.kept ? "kept" : "open" }, [
      el("p", {}, [el("strong", { text: `Your commitment of ${day(p.ts)}: ` }), p.note || "take part more"]),
      el("p", { class: p.kept ? "ok" : "due", text: p.kept ? "Kept: you have given there since."
        : "Not kept yet: no post, comment or event there since." }),
    ]);
  }

  // The scoreboard: joins stopped, declined and their share, groups left, attempts per week.
  function scoreboard(score, weeks = 8) {
    if (!score) return null;
    const share = score.declined_share == null ? "" : ` (${Math.round(score.declined_share * 100)}%)`;
    const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
    const items = [
      el("li", { "data-score": "intercepted", text: plural(score.intercepted, "join paused", "joins paused") }),
      el("li", { "data-score": "declined", text: `${score.declined} not joined${share}` }),
      el("li", { "data-score": "left", text: plural(score.left, "group left", "groups left") }),
    ];
    if (score.unguarded) { // joins that got past the guard: it had no chance to ask first
      items.push(el("li", { "data-score": "unguarded",
        text: plural(score.unguarded, "join made without a decision", "joins made without a decision") }));
    }
    if (score.commitments && score.commitments.made) {
      items.push(el("li", { "data-score": "commitments",
        text: `${score.commitments.kept} of ${score.commitments.made} commitments kept` }));
    }
    const byWeek = Object.entries(score.attempts_by_week || {}).slice(-weeks);
    const most = Math.max(1, ...byWeek.map(([, n]) => n));
    const bars = el("div", { class: "bars", role: "img",
      "aria-label": `Join attempts per week: ${byWeek.map(([w, n]) => `${w}: ${n}`).join(", ") || "none yet"}` },
    byWeek.map(([week, n]) => el("span", { class: "bar", title: `${week}: ${n}`,
      style: `height:${Math.max(8, Math.round((n / most) * 100))}%` })));
    const chart = byWeek.length
      ? el("div", { class: "attempts" }, [el("p", { class: "quiet", text: "Join attempts per week" }), bars]) : null;
    return el("div", { class: "scoreboard" }, [el("ul", {}, items), chart]);
  }

  // Engagement over the last months: per month a grey bar (visits), a blue one (posts,
  // comments, events) and a green one (results). An SVG, with its numbers as its label.
  function monthsChart(months) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      return node;
    };
    const width = months.length * 36;
    const most = Math.max(1, ...months.flatMap((m) => [m.visits, m.contributions, m.results]));
    const chart = svg("svg", { viewBox: `0 0 ${width} 70`, width, height: 70, class: "months", role: "img",
      "aria-label": months.map((m) => `${m.month}: ${m.visits} visits, ${m.contributions} contributions, ${m.results} results`).join("; ") });
    months.forEach((m, i) => {
      [["visits", "#9aa3ad"], ["contributions", "#0a66c2"], ["results", "#126b2f"]].forEach(([key, colour], j) => {
        const h = Math.round((m[key] / most) * 50);
        chart.append(svg("rect", { x: i * 36 + 4 + j * 9, y: 54 - h, width: 8, height: Math.max(h, m[key] ? 2 : 0), fill: colour }));
      });
      const label = svg("text", { x: i * 36 + 17, y: 67, "text-anchor": "middle", "font-size": 9, fill: "#5e6670" });
      label.textContent = m.month.slice(5);
      chart.append(label);
    });
    return chart;
  }

  Handful.figures = { day, figureTable, commitment, pledge, scoreboard, monthsChart };
})();
