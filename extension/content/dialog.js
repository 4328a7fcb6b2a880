// Places the join dialog's frame (extension page dialog/dialog.html) over the site's page,
// shows and hides it, and watches it while it is open. Nothing of the user's goes into the
// page's DOM: the frame's document is the extension's, which the page cannot read or drive.
// A frame the page removes, hides, shrinks or covers is put back, and no decision counts
// until it has been in full view for a moment.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));
  const FRAME_URL = chrome.runtime.getURL("dialog/dialog.html");
  // Chrome serves the frame by a per-session id (use_dynamic_url) while the document in it
  // has the extension's own origin: the key goes only to a document of that origin.
  const FRAME_ORIGIN = new URL(chrome.runtime.getURL("")).origin;
  const STEADY_MS = 700;    // a decision counts once the frame has been in full view this long
  const CHECK_MS = 100;     // how often an open dialog checks that it is still in view
  const READY_MS = 3000;    // a frame that never confirmed its key is replaced
  const REPAIR_MS = 30;     // the least time between two repairs of the frame
  // Inline and !important: the page's style sheets cannot move, fade or shrink the frame.
  const STYLE = ["position: fixed", "inset: 0", "width: 100%", "height: 100%", "max-width: none",
    "max-height: none", "min-width: 0", "min-height: 0", "margin: 0", "padding: 0", "border: 0",
    "background: transparent", "opacity: 1", "visibility: visible", "transform: none", "filter: none",
    "clip-path: none", "mask: none", "mix-blend-mode: normal", "pointer-events: auto",
    "z-index: 2147483647", "color-scheme: light dark", "overflow: hidden"]
    .map((rule) => `${rule} !important`).join("; ");
  // Resting (prepared, not shown): laid out at full size but invisible and not hit by the
  // pointer. Not display:none, which Chromium would throttle, costing a frame on the click.
  const RESTING = STYLE.replace("visibility: visible !important", "visibility: hidden !important")
    .replace("pointer-events: auto !important", "pointer-events: none !important") + "; display: block !important";
  const TOP_LAYER = ":popover-open, :modal, :fullscreen";

  let frame = null;     // the iframe element
  let key = null;       // the secret this content script gave the frame's document
  let port = null;      // this side of the private channel handed to the frame's document
  let ready = false;    // the frame's document confirmed the key: the channel is its
  let current = null;   // the open dialog: { group, source, decide, steadySince }
  let watcher = null;
  let readyTimer = null;
  let lastRepair = -Infinity;

  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  function tellFrame(action, fields = {}) {
    if (ready) port.postMessage({ action, ...fields });
  }

  // The frame asks whether a choice may count (it is in full view), records it once it may,
  // then says it is done: only then is the dialog put away and a join let through.
  function heard(message) {
    if (message.action === "decide" && Number.isInteger(message.ask)) {
      port.postMessage({ answer: message.ask, ...decided(message.choice) });
    } else if (message.action === "recorded" && current && current.chosen) {
      const { decide, chosen } = current;
      close(false); // the frame clears itself
      decide(chosen);
    }
  }

  // A frame element with the dialog page in it, hidden (a popover not shown) until needed.
  function create() {
    if (frame) frame.remove();
    key = newKey();
    ready = false;
    frame = document.createElement("iframe");
    frame.setAttribute("data-handful", "join-dialog");
    frame.setAttribute("popover", "manual");
    frame.setAttribute("title", "Handful");
    frame.style.cssText = RESTING;
    const mine = frame;
    // Each document loaded into the frame gets the key and a private channel (only a
    // document of the extension's origin can receive them) and must confirm the key, through
    // the extension's own messaging, before anything is said on the channel.
    frame.addEventListener("load", () => {
      if (frame !== mine) return;
      ready = false;
      if (port) port.close();
      const channel = new MessageChannel();
      port = channel.port1;
      port.onmessage = (event) => heard(event.data || {});
      mine.contentWindow.postMessage({ handful: "dialog-key", key }, FRAME_ORIGIN, [channel.port2]);
    });
    frame.src = FRAME_URL;
    document.documentElement.append(frame);
    clearTimeout(readyTimer);
    readyTimer = setTimeout(() => { if (frame === mine && !ready && current) repair("stalled"); }, READY_MS);
  }

  function prepare() {
    if (!frame || !frame.isConnected) create();
  }

  // The frame's document confirming the key, relayed by the background (the page has no way
  // to send this).
  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (!message || message.kind !== "dialog_frame" || sender.id !== chrome.runtime.id || sender.tab) return false;
    const mine = message.action === "hello" && Boolean(key) && message.key === key && Boolean(port);
    if (mine) {
      ready = true;
      clearTimeout(readyTimer);
    }
    sendResponse({ mine, open: mine && current
      ? { group: current.group, source: current.source, mode: current.mode, covered: Boolean(current.warned) } : null });
    return false;
  });

  // The choices each form offers: before a join, and after one the guard did not see.
  const CHOICES = { join: ["decline", "later", "join"], justify: ["justify", "leave", "later"] };

  function decided(choice) {
    if (!current || !CHOICES[current.mode].includes(choice)) return { accepted: false, why: "closed" };
    const problem = inView();
    if (problem || performance.now() - current.steadySince < STEADY_MS) {
      if (problem) repair(problem);
      return { accepted: false, why: "covered" };
    }
    current.chosen = choice;
    return { accepted: true };
  }

  // Why the open frame is not in full view, or null when it is.
  function inView() {
    if (!frame || frame.parentNode !== document.documentElement) return "removed"; // taken or moved
    if (!ready) return "loading";
    if (!frame.matches(":popover-open")) return "hidden";
    if (frame.checkVisibility && !frame.checkVisibility({ opacityProperty: true, visibilityProperty: true,
      contentVisibilityAuto: true })) return "hidden";
    const style = getComputedStyle(frame);
    if (style.opacity !== "1" || style.visibility !== "visible" || style.filter !== "none"
      || style.transform !== "none" || style.clipPath !== "none" || style.mixBlendMode !== "normal"
      || (style.maskImage && style.maskImage !== "none")) return "styled";
    const box = frame.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    const height = document.documentElement.clientHeight;
    if (box.left > 1 || box.top > 1 || box.right < width - 1 || box.bottom < height - 1) return "shrunk";
    for (const [x, y] of [[0.5, 0.5], [0.2, 0.2], [0.8, 0.2], [0.2, 0.8], [0.8, 0.8]]) {
      if (document.elementFromPoint(width * x, height * y) !== frame) return "covered";
    }
    return null;
  }

  // Puts the frame back: re-styled, on top of the top layer, or made anew if it was taken.
  function repair(problem) {
    if (!current) return;
    // The frame's own changes below come back through the observers: at most one repair per
    // moment, so a page that keeps interfering can never loop the tab (the poll goes on).
    const now = performance.now();
    if (now - lastRepair < REPAIR_MS) {
      current.steadySince = Infinity;
      return;
    }
    lastRepair = now;
    current.steadySince = Infinity;
    current.warned = true;
    tellFrame("covered");
    if (problem === "removed" || problem === "stalled") {
      create();
      if (watcher) watcher();
      watcher = watch();
    } else {
      frame.style.cssText = STYLE;
      if (frame.getAttribute("popover") !== "manual") frame.setAttribute("popover", "manual");
    }
    raise();
  }

  // Showing a popover again puts it last in the top layer: above whatever the page put there.
  function raise() {
    try {
      frame.style.cssText = STYLE;
      if (frame.matches(":popover-open")) frame.hidePopover();
      frame.showPopover();
      frame.focus();
    } catch (error) {
      // not in the document or not a popover any more: the next check makes a new frame
    }
  }

  // The frame is told when the page interfered, and again once the dialog has been back in
  // full view long enough for a decision to count.
  function check() {
    if (!current) return;
    const problem = inView();
    if (problem) {
      if (problem !== "loading") repair(problem);
      return;
    }
    const now = performance.now();
    if (current.steadySince === Infinity) current.steadySince = now;
    if (current.warned && now - current.steadySince >= STEADY_MS) {
      current.warned = false;
      tellFrame("uncovered");
    }
  }

  // While a dialog is open: anything the page does to the frame or the top layer is checked
  // at once; a slow poll catches style sheets and covers.
  function watch() {
    const own = new MutationObserver(check);  // the frame taken out, or its attributes changed
    own.observe(document.documentElement, { childList: true });
    own.observe(frame, { attributes: true });
    const dialogs = new MutationObserver((records) => {  // the page's own modal dialogs
      for (const record of records) if (record.target !== frame) raiseAfter(record.target);
    });
    dialogs.observe(document.documentElement, { subtree: true, attributeFilter: ["open"] });
    const onTopLayer = (event) => {
      if (event.target !== frame && (event.type === "fullscreenchange" || event.newState === "open")) raiseAfter(event.target);
    };
    document.addEventListener("toggle", onTopLayer, true);
    document.addEventListener("fullscreenchange", onTopLayer, true);
    window.addEventListener("keydown", onPageKey, true);
    const poll = setInterval(check, CHECK_MS);
    return () => {
      own.disconnect();
      dialogs.disconnect();
      document.removeEventListener("toggle", onTopLayer, true);
      document.removeEventListener("fullscreenchange", onTopLayer, true);
      window.removeEventListener("keydown", onPageKey, true);
      clearInterval(poll);
    };
  }

  // The user's own key that reached the page while the dialog covers it: the keyboard had
  // left the frame (putting the frame back on top moves focus for a moment, and a key pressed
  // then lands here). It is the dialog's, never the site's: Escape is passed on to the frame,
  // and the keyboard goes back there.
  function onPageKey(event) {
    if (!event.isTrusted || !current) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.key === "Escape") tellFrame("key", { key: "Escape" });
    try {
      frame.focus();
    } catch (error) {
      // no frame to focus: the next check makes a new one
    }
  }

  // Something else entered the top layer above the frame: the dialog goes back on top, and
  // a decision waits until it has been in view again for a moment.
  function raiseAfter(node) {
    if (!current || !frame) return;
    let onTop = false;
    try {
      onTop = node.matches(TOP_LAYER);
    } catch (error) {
      onTop = true;
    }
    if (!onTop) return;
    // A modal dialog of the page's own would make the frame inert, and fullscreen would hide
    // it: while the user is deciding, neither stays.
    if (node.localName === "dialog" && node.matches(":modal")) node.close();
    if (document.fullscreenElement && document.fullscreenElement !== frame) document.exitFullscreen().catch(() => undefined);
    repair("covered");
  }

  // Shows the dialog for `group`; `decide(choice)` is called once, with the user's own
  // choice made in the frame while it was in full view: "decline", "later" or "join" before a
  // join; "justify", "leave" or "later" in the after-the-fact form (mode "justify").
  function open({ group, source, decide, mode = "join" }) {
    prepare();
    current = { group, source, decide, mode, steadySince: -Infinity }; // shown last, so on top: in view
    raise();
    tellFrame("open", { group, source, mode });
    watcher = watch();
  }

  function close(tell = true) {
    if (watcher) watcher();
    watcher = null;
    current = null;
    if (frame && frame.isConnected) {
      try {
        frame.hidePopover();
        frame.style.cssText = RESTING;
      } catch (error) {
        frame.remove();
      }
    }
    if (tell) tellFrame("close");
  }

  Handful.dialog = { prepare, open, isOpen: () => Boolean(current) };
})();
