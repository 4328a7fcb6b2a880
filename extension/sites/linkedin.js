// LinkedIn: which page this is, which control is a join, which group it belongs to.
// Pure functions of a URL or a DOM element; no side effects.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || {});
  const L = Handful.labels;
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

  function groupOf(control, url) {
    const link = L.nearestLink(control, GROUP_HREF);
    let id = null;
    let href = null;
    let name = null;
    if (link) {
      const linkUrl = new URL(link.href);
      id = groupIdFromUrl(linkUrl);
      href = `https://www.linkedin.com/groups/${id}/`;
      name = L.cleanName(link.getAttribute("aria-label") || link.textContent);
    }
    if (!id) {
      id = groupIdFromUrl(url);
      if (!id) return null;
      href = `https://www.linkedin.com/groups/${id}/`;
    }
    if (groupIdFromUrl(url) === id) {  // on the group's own page its heading names it
      const heading = control.ownerDocument.querySelector("h1");
      name = (heading && L.cleanName(heading.textContent)) || name;
    }
    return { platform: "linkedin", id, name, url: href };
  }

  // The group whose page this URL is, or null.
  function groupAt(url) {
    const id = matches(url) ? groupIdFromUrl(url) : null;
    return id ? { platform: "linkedin", id, url: `https://www.linkedin.com/groups/${id}/` } : null;
  }

  // The groups a list page shows (the user's own groups page), each once.
  function listedGroups(doc) {
    return L.groupsFromLinks(doc.querySelectorAll("main a[href], [role=main] a[href]"), (href) => {
      if (!GROUP_HREF.test(href)) return null;
      const id = groupIdFromUrl(new URL(href));
      return id ? { platform: "linkedin", id, url: `https://www.linkedin.com/groups/${id}/` } : null;
    });
  }

  Handful.sites = Handful.sites || {};
  Handful.sites.linkedin = {
    platform: "linkedin", matches, pageKind, groupIdFromUrl, groupAt, joinControl: L.joinControl, groupOf, listedGroups,
    listedTotal: L.totalInHeading,
  };
})();
