// What the popup and the review show of a group and of Handful's own effect: the agent's
// figures as small tables and sentences. Builds elements; asks nothing of anyone.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));
  const { el } = Handful.dom;
  const t = (/** @type {string} */ key, /** @type {(string | number)[]} */ ...values) => Handful.i18n.t(key, ...values);
  const tn = (/** @type {string} */ key, /** @type {number} */ n, /** @type {(string | number)[]} */ ...values) =>
    Handful.i18n.tn(key, n, ...values);

  const FIGURES = ["visits", "minutes", "posts", "comments", "reactions", "events", "referrals_given",
    "referrals_received", "business", "business_amount", "meetings"].map((value) => [value, t(`fig_${value}`)]);
  const INVOLVEMENT = Object.fromEntries(["post", "comment", "event", "speak", "board", "other"]
    .map((value) => [value, t(`fig_inv_${value}`)]));

  function day(ts) {
    return ts ? ts.slice(0, 10) : "";
  }

  function number(value) {
    return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }

  // One row per figure that is not zero in any window; windows are the agent's "30", "90"….
  function figureTable(figures, windows) {
    const rows = FIGURES.filter(([key]) => windows.some((w) => (figures[w] || {})[key]));
    if (rows.length === 0) return el("p", { class: "quiet", "data-figures": "none", text: t("fig_nothing_yet", windows[windows.length - 1]) });
    const head = el("tr", {}, [el("th", { scope: "col", text: "" }),
      ...windows.map((w) => el("th", { scope: "col", text: t("fig_days", w) }))]);
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
      el("p", {}, [el("strong", { text: t("fig_said_give") }), c.give]),
      el("p", {}, [el("strong", { text: t("fig_and_get") }), c.get]),
    ];
    if (c.involvement && c.involvement.length) {
      parts.push(el("p", { text: t("fig_involvement", c.involvement.map((i) => INVOLVEMENT[i] || i).join(", ")) }));
    }
    if (c.drop) parts.push(el("p", { text: t("fig_make_room", c.drop.name || c.drop.id) }));
    return el("div", { class: "commitment", "data-commitment": "" },
      [el("p", { class: "quiet", text: t("fig_justified_on", day(c.ts)) }), ...parts]);
  }

  // "On … you decided to deepen: …": the commitment given with the latest "deepen", and
  // whether a post, comment or event has followed it.
  function pledge(view) {
    const p = view && view.pledge;
    if (!p) return null;
    return el("div", { class: "pledge", "data-pledge": p.kept ? "kept" : "open" }, [
      el("p", {}, [el("strong", { text: t("fig_commitment_of", day(p.ts)) }), p.note || t("fig_take_part_more")]),
      el("p", { class: p.kept ? "ok" : "due", text: t(p.kept ? "fig_kept" : "fig_not_kept") }),
    ]);
  }

  // The scoreboard: joins stopped, declined and their share, groups left, attempts per week.
  // `weeks`: how many weeks of join attempts to chart (0: none, as in the popup).
  function scoreboard(score, weeks = 8) {
    if (!score) return null;
    const share = score.declined_share == null ? "" : t("fig_share", Math.round(score.declined_share * 100));
    const items = [
      el("li", { "data-score": "intercepted", text: tn("fig_paused", score.intercepted) }),
      el("li", { "data-score": "declined", text: t("fig_declined", score.declined, share) }),
      el("li", { "data-score": "left", text: tn("fig_left", score.left) }),
    ];
    if (score.unguarded) { // joins that got past the guard: it had no chance to ask first
      items.push(el("li", { "data-score": "unguarded",
        text: tn("fig_unguarded", score.unguarded) }));
    }
    if (score.commitments && score.commitments.made) {
      items.push(el("li", { "data-score": "commitments",
        text: t("fig_commitments", score.commitments.kept, score.commitments.made) }));
    }
    const byWeek = weeks > 0 ? Object.entries(score.attempts_by_week || {}).slice(-weeks) : [];
    const most = Math.max(1, ...byWeek.map(([, n]) => n));
    // each week a bar with its count over it and its week under it
    const bars = el("div", { class: "bars", role: "img",
      "aria-label": t("fig_attempts_label", byWeek.map(([w, n]) => t("fig_week_of", w, n)).join(", ")) },
    byWeek.map(([week, n]) => el("span", { class: "week", title: t("fig_week_of", week, n) }, [
      el("span", { class: "n", text: String(n) }),
      el("span", { class: "bar", style: `height:${Math.max(3, Math.round((n / most) * 28))}px` }),
      el("span", { class: "w", text: week.slice(5) })])));
    const chart = byWeek.some(([, n]) => n > 0)
      ? el("div", { class: "attempts" }, [el("p", { class: "quiet", text: t("fig_attempts_title") }), bars]) : null;
    return el("div", { class: "scoreboard" }, [el("ul", {}, items), chart]);
  }

  // Engagement over the last months: per month a grey bar (visits), a blue one (posts,
  // comments, events) and a green one (results), over a baseline with the months under it
  // and a scale on the left (0 and the most in a month). An SVG whose label and titles
  // carry every number, for a screen reader.
  function monthsChart(months) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs, text) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text != null) node.textContent = text;
      return node;
    };
    const LEFT = 22;
    const SERIES = [["visits", "#9aa3ad"], ["contributions", "#0a66c2"], ["results", "#126b2f"]]
      .map(([key, colour]) => [key, colour, t(`fig_series_${key}`)]);
    const width = LEFT + months.length * 36;
    const most = Math.max(1, ...months.flatMap((m) => [m.visits, m.contributions, m.results]));
    const described = months.map((m) => t("fig_month_described", m.month, m.visits, m.contributions, m.results)).join("; ");
    const chart = svg("svg", { viewBox: `0 0 ${width} 72`, width, height: 72, class: "months", role: "img",
      "aria-label": t("fig_by_month_scale", most, described) });
    chart.append(svg("title", {}, t("fig_by_month", described)));
    chart.append(svg("line", { x1: LEFT - 2, y1: 4, x2: LEFT - 2, y2: 55, class: "axis" }));
    chart.append(svg("line", { x1: LEFT - 2, y1: 55, x2: width, y2: 55, class: "axis" }));
    chart.append(svg("text", { x: LEFT - 5, y: 9, "text-anchor": "end", "font-size": 9 }, String(most)));
    chart.append(svg("text", { x: LEFT - 5, y: 55, "text-anchor": "end", "font-size": 9 }, "0"));
    months.forEach((m, i) => {
      SERIES.forEach(([key, colour, words], j) => {
        const h = Math.round((m[key] / most) * 50);
        const bar = svg("rect", { x: LEFT + i * 36 + 4 + j * 9, y: 55 - h, width: 8, height: Math.max(h, m[key] ? 2 : 0), fill: colour });
        bar.append(svg("title", {}, t("fig_bar_title", m.month, m[key], words)));
        chart.append(bar);
      });
      chart.append(svg("text", { x: LEFT + i * 36 + 17, y: 68, "text-anchor": "middle", "font-size": 9 }, m.month.slice(5)));
    });
    return chart;
  }

  const SITES = { facebook: "Facebook", linkedin: "LinkedIn" };

  // What the platforms' own exports brought (`handful import`): one line each, or nothing.
  function imported(imports) {
    return ((imports && imports.done) || []).map((done) => el("p", {
      class: "quiet", "data-imported": done.platform,
      text: tn("import_done", done.groups, SITES[done.platform] || done.platform, day(done.at),
        done.member_of, done.events),
    }));
  }

  Handful.figures = { day, figureTable, commitment, pledge, scoreboard, monthsChart, imported };
})();
