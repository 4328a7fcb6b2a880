// Where the page is: one watcher for every content script that must know when the address
// changes inside a page (content scripts cannot see the page's own history.pushState).
// Where the browser has the Navigation API (Chromium), its `currententrychange` event says
// so at once; a one-second look at the address stays as the net (Firefox ESR has no
// Navigation API), one for all scripts instead of one each. No permission is needed:
// `webNavigation.onHistoryStateUpdated` would need one that shows users a "read your browsing
// history" warning.
"use strict";
(() => {
  const Handful = globalThis.Handful;
  const CHECK_MS = 1000;
  const watchers = [];
  let last = location.href;

  function check() {
    if (location.href === last) return;
    last = location.href;
    for (const watcher of watchers) {
      try {
        watcher();
      } catch (error) {
        console.error("Handful:", error); // one script's trouble never stops the others
      }
    }
  }

  // `watcher()` is called after each change of address, in the order scripts subscribed.
  function onChange(watcher) {
    watchers.push(watcher);
  }

  const navigation = globalThis.navigation;
  if (navigation && typeof navigation.addEventListener === "function") {
    navigation.addEventListener("currententrychange", () => setTimeout(check, 0));
  }
  window.addEventListener("popstate", check);
  setInterval(check, CHECK_MS);
  Handful.navigation = { onChange };
})();
