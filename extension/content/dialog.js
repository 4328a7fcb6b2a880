// The join dialog, in an open shadow root so the page's styles and scripts leave it alone.
// Shown at once from what the extension has cached; completed when the agent answers.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || {});
  const { el } = Handful.dom;

  const REASONS = [
    ["invited", "I was invited"],
    ["industry", "It's in my industry"],
    ["peers", "My peers are there"],
    ["added", "Someone added me"],
    ["belong", "I want to belong"],
  ];
  const INVOLVEMENT = [
    ["post", "Post"], ["comment", "Comment"], ["event", "Organise an event"],
    ["speak", "Speak"], ["board", "Board or committee"], ["other", "Other"],
  ];

  const STYLE = `
    :host { all: initial; position: fixed; inset: 0; z-index: 2147483646; display: block; }
    .backdrop { position: fixed; inset: 0; background: rgba(0,0,0,.45); z-index: 2147483646;
      display: flex; align-items: center; justify-content: center; font: 15px/1.4 system-ui, sans-serif; }
    .dialog { background: #fff; color: #111; max-width: 34rem; width: calc(100% - 2rem); max-height: 90vh;
      overflow: auto; border-radius: 10px; padding: 1.25rem 1.5rem; box-shadow: 0 10px 40px rgba(0,0,0,.3); }
    h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
    .count { margin: 0 0 .75rem; color: #333; }
    .count.over { color: #a00; font-weight: 600; }
    .history, .offline { font-size: .9rem; color: #555; margin: 0 0 .75rem; }
    .fast { background: #fff4e5; color: #7a3e00; border-radius: 6px; padding: .4rem .6rem; margin: 0 0 .75rem; font-weight: 600; }
    fieldset { border: 1px solid #ddd; border-radius: 6px; margin: 0 0 .75rem; padding: .5rem .75rem; }
    legend { font-weight: 600; padding: 0 .25rem; }
    label.check { display: inline-flex; gap: .35rem; margin: .15rem .9rem .15rem 0; }
    label.field { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
    textarea, select { width: 100%; box-sizing: border-box; font: inherit; padding: .35rem; }
    textarea { min-height: 2.6rem; }
    .warning { color: #8a4b00; font-size: .9rem; margin: .25rem 0 0; }
    .error { color: #a00; font-size: .9rem; min-height: 1.2em; margin: .25rem 0; }
    .buttons { display: flex; gap: .5rem; justify-content: flex-end; flex-wrap: wrap; margin-top: .75rem; }
    button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #888; background: #f4f4f4; cursor: pointer; }
    button[data-action=decline] { background: #0a66c2; color: #fff; border-color: #0a66c2; font-weight: 600; }
    button:disabled { opacity: .55; cursor: not-allowed; }
    button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
    [hidden] { display: none !important; }
  `;

  function historyText(history) {
    if (!history) return "";
    const parts = [];
    for (const item of history.declined || []) {
      const why = item.reasons && item.reasons.length ? ` (${item.reasons.join(", ")})` : "";
      parts.push(`declined on ${item.ts.slice(0, 10)}${why}`);
    }
    for (const item of history.left || []) {
      parts.push(`left on ${item.ts.slice(0, 10)}${item.note ? ` (${item.note})` : ""}`);
    }
    return parts.length ? `Before: you ${parts.join("; ")}.` : "";
  }

  // Opens the dialog; `decide(decision)` is called once, with the user's choice.
  function open({ group, state, decide }) {
    const host = el("div", { "data-handful": "join-dialog" });
    const root = host.attachShadow({ mode: "open" });
    const title = `Join ${group.name || "this group"}?`;
    const count = el("p", { class: "count" });
    const history = el("p", { class: "history" });
    const fast = el("p", { class: "fast", hidden: true });
    const offline = el("p", { class: "offline", hidden: true,
      text: "The Handful agent is not running: this decision is kept and recorded when it is back." });
    const reasons = el("fieldset", {}, [el("legend", { text: "Honestly, is it because…" })]);
    for (const [value, text] of REASONS) {
      reasons.append(el("label", { class: "check" }, [el("input", { type: "checkbox", name: "reason", value }), text]));
    }
    const warning = el("p", { class: "warning", hidden: true,
      text: "These are reasons people join and then never take part. On their own, they are reasons not to join." });
    reasons.append(warning);
    const give = el("textarea", { name: "give", id: "give", required: true });
    const get = el("textarea", { name: "get", id: "get", required: true });
    const involvement = el("fieldset", { name: "involvement" }, [el("legend", { text: "How will you get involved?" })]);
    for (const [value, text] of INVOLVEMENT) {
      involvement.append(el("label", { class: "check" }, [el("input", { type: "checkbox", name: "involvement", value }), text]));
    }
    const dropLabel = el("label", { class: "field", for: "drop", text: "You are at your cap. Which group will you leave to make room?" });
    const drop = el("select", { name: "drop", id: "drop" });
    const dropBox = el("div", { hidden: true }, [dropLabel, drop]);
    const error = el("p", { class: "error", role: "alert" });
    const decline = el("button", { type: "button", "data-action": "decline", text: "Don't join" });
    const later = el("button", { type: "button", "data-action": "later", text: "Decide later" });
    const join = el("button", { type: "button", "data-action": "join", disabled: true, text: "Join" });
    const dialog = el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "title" }, [
      el("h2", { id: "title", text: title }), fast, count, history, offline, reasons,
      el("label", { class: "field", for: "give", text: "What will you give this group?" }), give,
      el("label", { class: "field", for: "get", text: "What will it give you?" }), get,
      involvement, dropBox, error, el("div", { class: "buttons" }, [decline, later, join]),
    ]);
    root.append(el("style", { text: STYLE }), el("div", { class: "backdrop" }, [dialog]));

    let current = state || {};
    let remaining = Math.max(0, Number(current.delay ?? 5));
    let timer = null;
    let done = false;

    function render() {
      const cap = current.cap ?? 5;
      const members = current.count ?? 0;
      const over = members >= cap;
      count.textContent = `You are in ${members} of ${cap} groups.`;
      count.classList.toggle("over", over);
      history.textContent = historyText(current.history);
      offline.hidden = !current.offline;
      fast.hidden = !current.fast;
      if (current.fast) {
        fast.textContent = `You are on a networking fast until ${current.fast.endsAt.slice(0, 10)}: this is the time not to join.`;
      }
      dropBox.hidden = !over;
      if (over && drop.options.length <= 1 && (current.members || []).length) {
        drop.replaceChildren();
        drop.append(el("option", { value: "", text: "Choose a group…" }));
        for (const member of current.members || []) {
          drop.append(el("option", { value: `${member.platform}:${member.id}`, text: member.name || `${member.platform}:${member.id}` }));
        }
      }
    }

    function tick() {
      timer = null;
      if (done) return;
      if (remaining <= 0) {
        join.disabled = false;
        join.textContent = "Join";
        return;
      }
      join.textContent = `Join (${remaining})`;
      if (!document.hidden) {
        timer = setTimeout(() => { remaining -= 1; tick(); }, 1000);
      }
    }
    function onVisibility() {
      if (!document.hidden && !timer) tick();
      if (document.hidden && timer) { clearTimeout(timer); timer = null; }
    }

    function checked(name) {
      return [...root.querySelectorAll(`input[name=${name}]:checked`)].map((input) => input.value);
    }

    function finish(decision) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility, true);
      host.remove();
      decide(decision);
    }

    function tryJoin() {
      if (join.disabled) return;
      const giveText = give.value.trim();
      const getText = get.value.trim();
      if (!giveText || !getText) {
        error.textContent = "Say what you will give and what you will get: a few words each.";
        (giveText ? get : give).focus();
        return;
      }
      const recent = current.recent || [];
      if (recent.some((r) => r.give === giveText && r.get === getText)) {
        error.textContent = "That is the same justification you gave recently: what is different about this group?";
        give.focus();
        return;
      }
      const over = (current.count ?? 0) >= (current.cap ?? 5);
      if (over && !drop.value) {
        error.textContent = "Choose the group you will leave to make room.";
        drop.focus();
        return;
      }
      const choice = drop.value ? (current.members || []).find((m) => `${m.platform}:${m.id}` === drop.value) : null;
      finish({ action: "join", reasons: checked("reason"), give: giveText, get: getText,
        involvement: checked("involvement"), drop: choice || null });
    }

    root.addEventListener("change", () => {
      warning.hidden = checked("reason").length === 0;
    });
    decline.addEventListener("click", () => finish({ action: "decline", reasons: checked("reason") }));
    later.addEventListener("click", () => finish({ action: "later", reasons: checked("reason") }));
    join.addEventListener("click", tryJoin);
    root.addEventListener("keydown", (event) => {
      event.stopPropagation();  // keep the page's shortcuts out of the dialog
      if (event.key === "Escape") {
        event.preventDefault();
        finish({ action: "decline", reasons: checked("reason") });
      } else if (event.key === "Tab") {
        const focusable = [...root.querySelectorAll("input, textarea, select, button")]
          .filter((node) => !node.disabled && !node.closest("[hidden]"));
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (event.shiftKey && root.activeElement === first) { event.preventDefault(); last.focus(); }
        else if (!event.shiftKey && root.activeElement === last) { event.preventDefault(); first.focus(); }
      }
    });
    document.addEventListener("visibilitychange", onVisibility, true);

    render();
    (document.body || document.documentElement).append(host);
    decline.focus();
    tick();
    return {
      host,
      update(next) {
        current = { ...current, ...next };
        if (next.delay != null && next.delay < remaining) {
          remaining = Math.max(0, next.delay); // a shorter delay from the agent: never longer
          if (!timer) tick();
        }
        render();
      },
    };
  }

  Handful.dialog = { open };
})();
