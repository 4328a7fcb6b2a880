// Facebook: which page this is, which control is a join, which group it belongs to.
// Pure functions of a URL or a DOM element; no side effects.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));
  const L = Handful.labels;
  const PLATFORM = "facebook";
  const HOSTS = new Set(["www.facebook.com", "web.facebook.com", "m.facebook.com"]);
  const NOT_GROUPS = new Set(["feed", "discover", "joins", "search", "create", "notifications", "your_groups"]);
  const GROUP_HREF = /^https:\/\/(?:www|web|m)\.facebook\.com\/groups\/([A-Za-z0-9][A-Za-z0-9._-]*)(?:[/?#]|$)/;

  function matches(url) {
    return HOSTS.has(url.hostname);
  }

  function groupIdFromUrl(url) {
    if (!matches(url)) return null;
    const match = /^\/groups\/([A-Za-z0-9][A-Za-z0-9._-]*)(?:\/|$)/.exec(url.pathname);
    if (!match || NOT_GROUPS.has(match[1])) return null;
    return match[1];
  }

  function pageKind(url) {
    if (!matches(url)) return "other";
    const path = url.pathname;
    if (path.startsWith("/groups/joins")) return "group_list";
    if (path.startsWith("/groups/discover")) return "discover";
    if (path.startsWith("/groups/feed")) return "feed";
    if (path.startsWith("/search/groups")) return "search";
    if (groupIdFromUrl(url)) return "group";
    return "other";
  }

  // The group a link leads to, or null.
  function groupOfHref(href) {
    const match = GROUP_HREF.exec(href);
    if (!match || NOT_GROUPS.has(match[1])) return null;
    return { platform: "facebook", id: match[1], url: `https://www.facebook.com/groups/${match[1]}/` };
  }

  // Which group a join control joins, and which controls are joins (see labels.js).
  const { groupOf, joinControl } = L.joinsOn(PLATFORM, groupOfHref, groupAt);

  // The group whose page this URL is, or null.
  function groupAt(url) {
    const id = groupIdFromUrl(url);
    return id ? { platform: "facebook", id, url: `https://www.facebook.com/groups/${id}/` } : null;
  }

  // The groups a list page shows ("All groups you've joined"), each once.
  function listedGroups(doc) {
    return L.groupsFromLinks(doc.querySelectorAll("[role=main] a[href], main a[href]"), groupOfHref);
  }

  Handful.sites = Handful.sites || /** @type {HandfulSites} */ ({});
  Handful.sites.facebook = {
    platform: "facebook", matches, pageKind, groupIdFromUrl, groupAt, joinControl, groupOf, listedGroups,
    listedTotal: L.totalInHeading,
  };
})();
