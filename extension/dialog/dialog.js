// The join dialog, as an extension page inside a frame over the site's page: the page sees
// that a frame is there, never what is in it, and cannot drive it. What it shows comes from
// the extension only (storage and runtime messages); a window message only hands over the
// key by which the content script that placed this frame is told apart from any other.
"use strict";
(() => {
  const { el } = globalThis.Handful.dom;
  const Handful = globalThis.Handful;
  const { t } = Handful.i18n;

  // the five bad reasons and the ways to take part, each shown in the browser's language
  const REASONS = ["invited", "industry", "peers", "added", "belong"]
    .map((value) => [value, t(`dialog_reason_${value}`)]);
  const INVOLVEMENT = ["post", "comment", "event", "speak", "board", "other"]
    .map((value) => [value, t(`dialog_inv_${value}`)]);
  const REASON_WORDS = Object.fromEntries(REASONS);
  const MAX_CANDIDATES = 64; // keys offered by window messages that this document will check
  const REMIND_MS = 24 * 3600 * 1000;
  const UNDER_CAP = "under-cap"; // the answer to "which group will you leave" when the count is unknown

  let key = null;        // the key the content script gave this document, once it confirmed it
  let port = null;       // the private channel to that content script, handed over with the key
  let candidates = 0;
  let asked = 0;
  const answers = new Map();
  let cache = {};        // the background's cache: count, cap, delay, members, groups
  let recent = [];       // the latest justifications (storage.session: memory, never on disk)
  let shown = null;      // the dialog on screen

  // Both asked of the background (kept in its storage.session: Firefox gives a frame inside a
  // web page none of its own) when the frame is made, and again at each opening.
  function askCache() {
    chrome.runtime.sendMessage({ kind: "cache" }).then((found) => { cache = found || {}; }, () => undefined);
    chrome.runtime.sendMessage({ kind: "recent" }).then((found) => { recent = found || []; }, () => undefined);
  }
  askCache();

  // Anything in the page can post here, and hand over a port of its own: a key (and the
  // port that came with it) counts only once the content script of this tab, asked through
  // the extension's own messaging, confirms it is the key it gave.
  window.addEventListener("message", async (event) => {
    const data = event.data;
    if (key || event.source !== window.parent || !data || data.handful !== "dialog-key") return;
    if (typeof data.key !== "string" || !/^[0-9a-f]{64}$/.test(data.key) || event.ports.length !== 1) return;
    if (++candidates > MAX_CANDIDATES) return;
    const answer = await chrome.runtime.sendMessage({ kind: "dialog_relay", message: { action: "hello", key: data.key } })
      .catch(() => null);
    if (!answer || !answer.mine || key) return;
    key = data.key;
    port = event.ports[0];
    port.onmessage = (message) => heard(message.data || {});
    if (answer.open) { // a dialog waiting for this frame
      open(answer.open.group, answer.open.source, answer.open.mode);
      covered(answer.open.covered);
    }
  });

  function heard(message) {
    if (message.answer) {
      const resolve = answers.get(message.answer);
      answers.delete(message.answer);
      if (resolve) resolve(message);
    } else if (message.action === "open") open(message.group, message.source, message.mode);
    else if (message.action === "covered") covered(true);
    else if (message.action === "uncovered") covered(false);
    else if (message.action === "close") close();
    else if (message.action === "key" && message.key === "Escape" && shown) shown.escape();
  }

  // A question to the content script over the private channel; resolves with its answer.
  function tell(message) {
    if (!port) return Promise.resolve(null);
    asked += 1;
    const ask = asked;
    return new Promise((resolve) => {
      answers.set(ask, resolve);
      port.postMessage({ ...message, ask });
    });
  }

  function historyText(history) {
    if (!history) return "";
    const parts = [];
    for (const item of history.declined || []) {
      const why = item.reasons && item.reasons.length
        ? ` (${item.reasons.map((r) => REASON_WORDS[r] || r).join(", ")})` : "";
      parts.push(`${t("dialog_declined_on", item.ts.slice(0, 10))}${why}`);
    }
    for (const item of history.left || []) {
      parts.push(`${t("dialog_left_on", item.ts.slice(0, 10))}${item.note ? ` (${item.note})` : ""}`);
    }
    return parts.length ? t("dialog_before", parts.join("; ")) : "";
  }

  function send(type, fields) {
    const event = { id: crypto.randomUUID(), ts: new Date().toISOString(), ...fields };
    return chrome.runtime.sendMessage({ kind: "event", type, event }).catch(() => undefined);
  }

  function covered(on) {
    if (shown) shown.covered(on);
  }

  function close() {
    if (!shown) return;
    shown.stop();
    shown = null;
    document.body.replaceChildren();
  }

  // mode "join": before a join the guard stopped. Mode "justify": after a join the guard did
  // not see (the site's own request was noticed): the same questions, answered afterwards.
  function open(group, source, mode = "join") {
    close();
    askCache();
    const after = mode === "justify";
    const groupKey = `${group.platform}:${group.id}`;
    let current = { count: cache.count, cap: cache.cap, delay: cache.delay, members: cache.members || [], trouble: cache.trouble,
      history: (cache.groups || {})[groupKey] || null, fast: cache.fast || null,
      offline: cache.offline };
    const title = el("h2", { id: "title", text: t(after ? "dialog_title_why" : "dialog_title_join",
      group.name || t("dialog_this_group")) });
    const unseen = el("p", { class: "unseen", hidden: !after,
      text: t("dialog_unseen") });
    const count = el("p", { class: "count" });
    const history = el("p", { class: "history" });
    const fast = el("p", { class: "fast", hidden: true });
    const warnCovered = el("p", { class: "covered", hidden: true, role: "alert",
      text: t("dialog_covered_warn") });
    const offline = el("p", { class: "offline", hidden: true,
      text: t("dialog_offline_kept", Handful.trouble.explain(null).what) });
    const reasons = el("fieldset", {}, [el("legend", { text: t("dialog_honestly") })]);
    for (const [value, text] of REASONS) {
      reasons.append(el("label", { class: "check" }, [el("input", { type: "checkbox", name: "reason", value }), text]));
    }
    const warning = el("p", { class: "warning", hidden: true,
      text: t("dialog_warning") });
    reasons.append(warning);
    const give = el("textarea", { name: "give", id: "give", required: true });
    const get = el("textarea", { name: "get", id: "get", required: true });
    const involvement = el("fieldset", { name: "involvement" }, [el("legend", { text: t("dialog_involved") })]);
    for (const [value, text] of INVOLVEMENT) {
      involvement.append(el("label", { class: "check" }, [el("input", { type: "checkbox", name: "involvement", value }), text]));
    }
    const drop = el("select", { name: "drop", id: "drop" });
    const dropLabel = el("label", { class: "field", for: "drop" });
    const dropBox = el("div", { hidden: true }, [dropLabel, drop]);
    const error = el("p", { class: "error", role: "alert" });
    // what "decide later" does, said before it is chosen
    const remindAt = new Date(Date.now() + REMIND_MS);
    const laterWhen = el("p", { class: "later-when", id: "later-when", text: after ? t("dialog_later_after")
      : t("dialog_later_when", remindAt.toLocaleString(Handful.i18n.language(), { weekday: "long", hour: "2-digit", minute: "2-digit" })) });
    const decline = after ? el("button", { type: "button", "data-action": "leave", text: t("dialog_leave_it") })
      : el("button", { type: "button", "data-action": "decline", text: t("dialog_dont_join") });
    const later = el("button", { type: "button", "data-action": "later", "aria-describedby": "later-when",
      text: t(after ? "dialog_ask_later" : "dialog_decide_later") });
    const join = after ? el("button", { type: "button", "data-action": "justify", text: t("dialog_keep_it") })
      : el("button", { type: "button", "data-action": "join", disabled: true, text: t("dialog_join") });
    const box = el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "title" }, [
      title, unseen, warnCovered, fast, count, history, offline, reasons,
      el("label", { class: "field", for: "give", text: t("dialog_give") }), give,
      el("label", { class: "field", for: "get", text: t("dialog_get") }), get,
      involvement, dropBox, error, el("div", { class: "buttons" }, [decline, later, join]), laterWhen,
    ]);

    let remaining = after ? 0 : Math.max(0, Number(current.delay ?? 5)); // no pause after the fact
    let timer = null;
    let hold = false;     // covered by the page: the delay waits
    let done = false;
    let asking = false;

    // Over the cap: certain, or unknown (the agent away and nothing cached): then the dialog
    // still asks which group would make room, with "under my cap" as an answer.
    function standing() {
      const known = current.count != null && current.cap != null;
      const over = known && (after ? current.count > current.cap : current.count >= current.cap);
      return { known, over, ask: over || !known };
    }

    function render() {
      const { known, over, ask } = standing();
      count.textContent = known ? t("dialog_count", current.count, current.cap) : t("dialog_count_unknown");
      count.dataset.count = known ? String(current.count) : "unknown";
      count.classList.toggle("over", over);
      history.textContent = historyText(current.history);
      offline.hidden = !current.offline;
      if (current.offline) {
        const why = Handful.trouble.explain(current.trouble);
        offline.textContent = t("dialog_offline_kept", why.what);
        offline.dataset.reason = why.reason;
      }
      fast.hidden = !current.fast;
      if (current.fast) {
        fast.textContent = t("dialog_fast", current.fast.endsAt.slice(0, 10));
      }
      dropBox.hidden = !ask;
      dropLabel.textContent = t(known ? "dialog_drop_known" : "dialog_drop_unknown");
      const offered = (current.members || []).filter((m) => `${m.platform}:${m.id}` !== groupKey);
      const wanted = (known ? 0 : 1) + offered.length;
      if (ask && drop.options.length !== wanted + 1) {
        const chosen = drop.value;
        drop.replaceChildren(el("option", { value: "", text: t("dialog_choose") }));
        if (!known) drop.append(el("option", { value: UNDER_CAP, text: t("dialog_under_cap") }));
        for (const member of offered) {
          drop.append(el("option", { value: `${member.platform}:${member.id}`, text: member.name || `${member.platform}:${member.id}` }));
        }
        drop.value = [...drop.options].some((o) => o.value === chosen) ? chosen : "";
      }
    }

    // The delay runs here, in the frame, and only while the dialog is in view.
    function tick() {
      timer = null;
      if (done) return;
      if (remaining <= 0) {
        join.disabled = false;
        join.textContent = t(after ? "dialog_keep_it" : "dialog_join");
        return;
      }
      join.disabled = true;
      join.textContent = t("dialog_join_wait", remaining);
      if (!document.hidden && !hold) timer = setTimeout(() => { remaining -= 1; tick(); }, 1000);
    }
    function onVisibility() {
      if (!document.hidden && !timer) tick();
      if (document.hidden && timer) { clearTimeout(timer); timer = null; }
    }

    function checked(name) {
      return [...box.querySelectorAll(`input[name=${name}]:checked`)].map((input) => input.value);
    }

    // The content script lets a decision through only while the frame has been in full view.
    async function decide(choice, record) {
      if (done || asking) return;
      asking = true;
      const answer = await tell({ action: "decide", choice }).catch(() => null);
      asking = false;
      if (done) return;
      if (!answer || !answer.accepted) {
        error.textContent = t(answer && answer.why === "covered" ? "dialog_err_covered" : "dialog_err_lost");
        return;
      }
      done = true;
      await record();
      port.postMessage({ action: "recorded" });
      close();
    }

    function tryJoin() {
      if (join.disabled) return;
      const giveText = give.value.trim();
      const getText = get.value.trim();
      if (!giveText || !getText) {
        error.textContent = t("dialog_err_words");
        (giveText ? get : give).focus();
        return;
      }
      if (recent.some((r) => r.give === giveText && r.get === getText)) {
        error.textContent = t("dialog_err_same");
        give.focus();
        return;
      }
      const { known, ask } = standing();
      if (ask && !drop.value) {
        error.textContent = t(known ? "dialog_err_drop" : "dialog_err_drop_unknown");
        drop.focus();
        return;
      }
      const choice = drop.value && drop.value !== UNDER_CAP
        ? (current.members || []).find((m) => `${m.platform}:${m.id}` === drop.value) : null;
      const fields = { group, reasons: checked("reason"), give: giveText, get: getText, involvement: checked("involvement") };
      if (choice) fields.drop = { platform: choice.platform, id: choice.id, name: choice.name || null };
      if (after) fields.afterwards = true;
      decide(after ? "justify" : "join", () => send("join_justified", fields));
    }
    function tryDecline() {
      if (after) { // the intention to leave; the page then opens the group's way out
        decide("leave", () => send("review_decision", { group, decision: "leave",
          note: t("dialog_leaving_note") }));
        return;
      }
      decide("decline", () => send("join_declined", { group, reasons: checked("reason") }));
    }
    function tryLater() {
      if (after) { // asked again on a visit tomorrow (the page keeps the date)
        decide("later", () => Promise.resolve());
        return;
      }
      decide("later", () => {
        const at = new Date(Date.now() + REMIND_MS).toISOString();
        return Promise.all([send("join_deferred", { group, remind_at: at }),
          chrome.runtime.sendMessage({ kind: "remind", group, at }).catch(() => undefined)]);
      });
    }

    // Only the user's own input counts (the page cannot reach into this document; this
    // holds even if something ever could).
    function trusted(handler) {
      return (event) => { if (event.isTrusted) handler(event); };
    }
    box.addEventListener("change", trusted(() => { warning.hidden = checked("reason").length === 0; }));
    decline.addEventListener("click", trusted(tryDecline));
    later.addEventListener("click", trusted(tryLater));
    join.addEventListener("click", trusted(tryJoin));
    function escape() {
      if (after) tryLater(); // after the fact, Escape asks again later; it never leaves a group
      else tryDecline();
    }
    const onKey = trusted((event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        escape();
      } else if (event.key === "Tab") {
        const focusable = [...box.querySelectorAll("input, textarea, select, button")]
          .filter((node) => !node.disabled && !node.closest("[hidden]"));
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
        else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
      }
    });
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("visibilitychange", onVisibility, true);

    render();
    document.body.replaceChildren(el("div", { class: "backdrop" }, [box]));
    (after ? give : decline).focus(); // after the fact, Enter never leaves a group
    tick();
    // When the dialog first showed (epoch ms): bench/guard_browser.py reads it.
    requestAnimationFrame(() => { box.dataset.shownAt = String(performance.timeOrigin + performance.now()); });

    // The agent's own figures, when it answers in time; the cache until then.
    chrome.runtime.sendMessage({ kind: "group", group }).then((answer) => {
      if (done || !answer) return;
      current = { ...current, ...answer };
      if (answer.delay != null && answer.delay < remaining) {
        remaining = Math.max(0, answer.delay); // a shorter delay from the agent: never longer
        if (!timer) tick();
      }
      render();
    }, () => undefined);

    shown = {
      source,
      escape, // a key the user pressed while the keyboard was on the page (the content script's word)
      stop() {
        done = true;
        clearTimeout(timer);
        document.removeEventListener("keydown", onKey, true);
        document.removeEventListener("visibilitychange", onVisibility, true);
      },
      covered(on) {
        if (on) {
          warnCovered.hidden = false;
          hold = true;
          clearTimeout(timer);
          timer = null;
          remaining = Math.max(remaining, 1);
          tick();
        } else {
          warnCovered.hidden = true;
          error.textContent = "";
          if (hold) {
            hold = false;
            tick();
          }
        }
      },
    };
  }
})();
