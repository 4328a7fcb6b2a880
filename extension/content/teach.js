// Teaching the guard a join button it missed: the popup starts a "pick" mode (the next
// trusted click on the page chooses the control and goes no further; Escape cancels), and
// the context menu's "Handful: this is a join button" names the element right-clicked
// (Firefox says which one; elsewhere the last element the context menu opened on). The rule
// (site, tag, role, accessible name, text; never class names) is kept by the background and
// honoured by the guard from then on.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  let picking = null;      // the pick mode's hint and listeners, while it is on
  let lastMenuTarget = null;

  function site() {
    const url = new URL(location.href);
    return Handful.sites.at(url);
  }

  function teach(target) {
    const s = site();
    const rule = s ? Handful.labels.ruleFor(target, s.platform) : null;
    if (!rule) return Promise.resolve({ taught: false });
    return chrome.runtime.sendMessage({ kind: "rule_add", rule }).then(() => ({ taught: true, rule }));
  }

  function stopPicking() {
    if (!picking) return;
    window.removeEventListener("click", picking.onClick, true);
    window.removeEventListener("keydown", picking.onKey, true);
    picking.hint.remove();
    picking = null;
  }

  // The hint says only what to do: nothing of the user's goes into the page.
  function startPicking() {
    stopPicking();
    const hint = document.createElement("div");
    hint.setAttribute("data-handful", "pick-hint");
    hint.setAttribute("role", "status");
    hint.textContent = chrome.i18n.getMessage("teach_hint");
    hint.style.cssText = ["position: fixed", "top: 8px", "left: 50%", "transform: translateX(-50%)",
      "z-index: 2147483647", "background: #0a66c2", "color: #fff", "font: 600 14px/1.4 system-ui, sans-serif",
      "padding: 6px 12px", "border-radius: 6px", "pointer-events: none"].map((r) => `${r} !important`).join("; ");
    const onClick = (event) => {
      if (!event.isTrusted) return;
      event.preventDefault();           // the pick is not a join
      event.stopImmediatePropagation();
      stopPicking();
      teach(event.target);
    };
    const onKey = (event) => {
      if (event.isTrusted && event.key === "Escape") stopPicking();
    };
    window.addEventListener("click", onClick, true);
    window.addEventListener("keydown", onKey, true);
    document.documentElement.append(hint);
    picking = { hint, onClick, onKey };
  }

  window.addEventListener("contextmenu", (event) => {
    if (event.isTrusted) lastMenuTarget = event.target;
  }, true);

  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (!message || sender.id !== chrome.runtime.id || sender.tab) return false;
    if (message.kind === "pick") {
      startPicking();
      sendResponse({ picking: true });
      return false;
    }
    if (message.kind === "teach_here") {
      const firefox = /** @type {any} */ (globalThis).browser; // Firefox's own namespace
      const menus = firefox && firefox.menus;
      const target = (message.targetElementId != null && menus && menus.getTargetElement)
        ? menus.getTargetElement(message.targetElementId) : lastMenuTarget;
      teach(target).then(sendResponse, () => sendResponse({ taught: false }));
      return true;
    }
    return false;
  });
})();
