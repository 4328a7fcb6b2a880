// LinkedIn: which page this is, which control is a join, which group it belongs to.
// Pure functions of a URL or a DOM element; no side effects.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));
  const L = Handful.labels;
  const PLATFORM = "linkedin";
  const GROUP_PATH = /^\/groups\/(?:([0-9]+)|[^/]*?-([0-9]{3,}))(?:\/|$)/;
  const GROUP_HREF = /^https:\/\/www\.linkedin\.com\/groups\/(?:[0-9]+|[^/?#]*-[0-9]{3,})(?:[/?#]|$)/;

  function matches(url) {
    return url.hostname === "www.linkedin.com";
  }

  function groupIdFromUrl(url) {
    const match = GROUP_PATH.exec(url.pathname);
    if (match) return match[1] || match[2];
    if (url.pathname.replace(/\/$/, "") === "/groups" && /^[0-9]+$/.test(url.searchParams.get("gid") || "")) {
      return url.searchParams.get("gid");
    }
    return null;
  }

  function pageKind(url) {
    if (!matches(url)) return "other";
    const path = url.pathname.replace(/\/+$/, "/");
    if (groupIdFromUrl(url)) return "group";
    if (path === "/groups/" || path === "/my-items/groups/") return "group_list";
    if (path.startsWith("/groups/discover")) return "discover";
    if (path.startsWith("/search/results/groups")) return "search";
    return "other";
  }

  // The group a link leads to, or null.
  function groupOfHref(href) {
    if (!GROUP_HREF.test(href)) return null;
    const id = groupIdFromUrl(new URL(href));
    return id ? { platform: "linkedin", id, url: `https://www.linkedin.com/groups/${id}/` } : null;
  }

  // Which group a join control joins, and which controls are joins (see labels.js).
  const { groupOf, joinControl } = L.joinsOn(PLATFORM, groupOfHref, groupAt);

  // The group whose page this URL is, or null.
  function groupAt(url) {
    const id = matches(url) ? groupIdFromUrl(url) : null;
    return id ? { platform: "linkedin", id, url: `https://www.linkedin.com/groups/${id}/` } : null;
  }

  // The groups a list page shows (the user's own groups page), each once.
  function listedGroups(doc) {
    return L.groupsFromLinks(doc.querySelectorAll("main a[href], [role=main] a[href]"), groupOfHref);
  }

  Handful.sites = Handful.sites || /** @type {HandfulSites} */ ({});
  Handful.sites.linkedin = {
    platform: "linkedin", matches, pageKind, groupIdFromUrl, groupAt, joinControl, groupOf, listedGroups,
    listedTotal: L.totalInHeading,
  };
})();
