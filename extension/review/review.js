// The review page: every group you are in (or have asked to join), what you promised when
// you joined, and what happened there over 30, 90 and 365 days.
"use strict";
(() => {
  const { el } = globalThis.Handful.dom;
  const F = globalThis.Handful.figures;
  const $ = (id) => document.getElementById(id);
  const send = (message) => chrome.runtime.sendMessage(message);

  function row(view) {
    const name = view.group.name || view.key;
    const title = view.group.url ? el("a", { href: view.group.url, target: "_blank", text: name }) : name;
    const since = view.since ? ` since ${F.day(view.since)}` : "";
    return el("li", { "data-group": view.key }, [
      el("h2", {}, [title]),
      el("p", { class: "quiet", text: view.status === "member" ? `Member${since}.` : `Join requested${since}.` }),
      F.commitment(view),
      F.figureTable(view.figures, ["30", "90", "365"]),
    ]);
  }

  (async () => {
    const [status, groups] = await Promise.all([send({ kind: "status" }), send({ kind: "groups", all: true })]);
    $("offline").hidden = !status.offline;
    if (status.members != null) $("count").textContent = `You are in ${status.members} of ${status.cap} groups.`;
    if (status.review) $("review").textContent = status.review.due ? "Your review is due." : `Next review: ${F.day(status.review.due_at)}.`;
    $("scoreboard").replaceChildren(F.scoreboard(status.scoreboard, 26) || "");
    const current = groups ? groups.groups.filter((g) => g.status === "member" || g.status === "requested") : [];
    $("groups").replaceChildren(...current.map(row));
    if (groups && current.length === 0) $("groups").append(el("li", { text: "No groups yet: open your groups page on LinkedIn or Facebook and Handful reads it." }));
    document.body.dataset.ready = "true";
  })();
})();
