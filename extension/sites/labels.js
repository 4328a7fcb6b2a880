// What a join control says, in the languages Handful reads, and the helpers both sites
// share. Pure: no side effects beyond defining Handful.labels.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));

  // Whole labels (normalised: lower case, single spaces, no trailing punctuation).
  const JOIN = new Set([
    // English
    "join", "join group", "join this group", "ask to join", "request to join",
    "join group anyway",
    // French
    "rejoindre", "rejoindre le groupe", "rejoindre ce groupe", "demander à rejoindre",
    "demander à rejoindre le groupe",
    // German
    "beitreten", "gruppe beitreten", "der gruppe beitreten", "beitritt anfragen",
    "beitrittsanfrage senden",
    // Spanish
    "unirse", "unirme", "unirse al grupo", "unirte al grupo", "solicitar unirse",
    "solicitar unirte",
    // Portuguese
    "participar", "participar do grupo", "entrar no grupo", "aderir ao grupo",
    "pedir para participar", "solicitar participação",
    // Italian
    "partecipa", "unisciti", "unisciti al gruppo", "iscriviti al gruppo",
    "chiedi di partecipare", "richiedi di partecipare",
    // Dutch
    "lid worden", "word lid", "lid worden van groep", "word lid van groep",
    "word lid van de groep", "deelnemen", "lidmaatschap aanvragen",
    "verzoek om lid te worden",
    // Facebook communities; Vietnamese, Indonesian, Danish (field notes; unverified on the live sites)
    "join community", "tham gia nhóm", "gabung ke grup", "deltag", "bliv medlem",
    "anmod om at deltage", "anmod om at blive medlem",
  ]);

  // What a control says once the user is in, or has asked to be (the state after a join).
  const JOINED = new Set([
    "joined", "joined group", "member", "membre", "mitglied", "beigetreten", "miembro", "unido",
    "membro", "iscritto", "lid", "aangesloten", "đã tham gia", "bergabung", "medlem",
  ]);
  // What only a member's view of a group page shows (LinkedIn replaces the Join button with it).
  const MEMBER_VIEW = new Set([
    "start a post in this group", "start a post", "leave this group", "leave group",
    "write something", "write something…", "joined group",
  ]);
  const REQUESTED = new Set([
    "requested", "pending", "cancel request", "request sent", "en attente",
    "demande envoyée", "annuler la demande", "angefragt", "ausstehend", "anfrage stornieren",
    "solicitado", "pendiente", "cancelar solicitud", "solicitação enviada", "pendente",
    "cancelar solicitação", "richiesta inviata", "in attesa", "annulla richiesta",
    "aangevraagd", "in behandeling", "verzoek annuleren",
    "requested to join", "withdraw request", "withdraw", "anmodet", "annuller anmodning",
  ]);

  // What the user's own contributions are submitted with, and reactions.
  const POST = new Set(["post", "publish", "publier", "publication", "posten", "veröffentlichen",
    "publicar", "publicação", "pubblica", "plaatsen", "publiceren"]);
  const COMMENT = new Set(["comment", "reply", "commenter", "répondre", "kommentieren",
    "antworten", "comentar", "responder", "commenta", "rispondi", "reageren", "beantwoorden"]);
  const REACT = new Set(["like", "react", "j'aime", "j’aime", "réagir", "gefällt mir",
    "reagieren", "me gusta", "reaccionar", "curtir", "reagir", "mi piace", "reagisci",
    "vind ik leuk", "interessant"]);

  function normalise(text) {
    return (text || "")
      .replace(/\s+/g, " ")
      .trim()
      .toLowerCase()
      .replace(/[.!…:]+$/u, "");
  }

  // The words a control shows: its aria-label if it has one, else its visible text.
  function labelOf(element) {
    const aria = element.getAttribute && element.getAttribute("aria-label");
    if (aria) return normalise(aria);
    const text = element.textContent || "";
    return text.length > 80 ? "" : normalise(text);
  }

  // Text as the user sees it: innerText leaves out what is not rendered (display: none,
  // visually hidden spans); textContent where there is no layout (a detached node).
  function visibleText(element) {
    const text = element.isConnected && typeof element.innerText === "string" ? element.innerText : element.textContent;
    return text || "";
  }

  // The control's accessible name: aria-labelledby, else aria-label, else title.
  function accessibleName(element) {
    if (!element.getAttribute) return "";
    const ids = (element.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    const doc = element.ownerDocument;
    const labelled = doc ? ids.map((id) => (doc.getElementById(id) || {}).textContent || "").join(" ") : "";
    return labelled.trim() || element.getAttribute("aria-label") || element.getAttribute("title") || "";
  }

  const CONTROL = "button, a, [role=button], [role=link], input[type=submit], input[type=button]";

  // The control an event landed on (its target may be a span deep inside it).
  function controlOf(target) {
    let node = target;
    if (node && node.nodeType !== 1) node = node.parentElement;
    return node && node.closest ? node.closest(CONTROL) : null;
  }

  // What follows a join label in a name like "Join Data Folk", or precedes it in "Data Folk
  // beitreten": the candidates for the group's name ([] when the name holds no join label).
  function namedAfterJoin(name) {
    const rests = [];
    for (const label of JOIN) {
      if (name.length > label.length + 1) {
        if (name.startsWith(`${label} `)) rests.push(name.slice(label.length + 1));
        if (name.endsWith(` ${label}`)) rests.push(name.slice(0, -label.length - 1));
      }
    }
    return rests;
  }

  // A rule the user taught ("this is a join button"), from the element they pointed at:
  // its tag, role, accessible name and visible text, never its (obfuscated) class names.
  // What was clicked is widened to the nearest control, or the nearest focusable element.
  function ruleFor(target, platform) {
    let node = target && target.nodeType !== 1 ? target.parentElement : target;
    if (!node || !node.closest) return null;
    node = node.closest(CONTROL) || node.closest("[tabindex], [onclick]") || node;
    const text = normalise(visibleText(node));
    const rule = { platform, tag: node.localName, role: node.getAttribute("role") || null,
      name: normalise(accessibleName(node)).slice(0, 200), text: text.length <= 80 ? text : "" };
    return rule.name || rule.text ? rule : null;
  }

  function cssString(value) {
    return `"${value.replace(/["\\]/g, "\\$&")}"`;
  }

  // The selector a rule stands for (the text is compared apart: CSS cannot).
  function ruleSelector(rule) {
    return `${rule.tag}${rule.role ? `[role=${cssString(rule.role)}]` : ""}`;
  }

  // The element a taught rule recognises at or around `target`, or null.
  function taughtControl(target, rules) {
    let node = target && target.nodeType !== 1 ? target.parentElement : target;
    if (!node || !node.closest || !rules || !rules.length) return null;
    for (const rule of rules) {
      let found = null;
      try {
        found = node.closest(ruleSelector(rule));
      } catch (error) {
        continue; // a rule from an older version this one cannot read
      }
      if (!found) continue;
      if (rule.name && normalise(accessibleName(found)) !== rule.name) continue;
      if (rule.text && normalise(visibleText(found)) !== rule.text) continue;
      return found;
    }
    return null;
  }

  // The join control an event landed on, or null: the guard's whole cost on other clicks.
  // A join when its visible text or its accessible name is a join label, or its accessible
  // name is a join label with the group's own name (`nameNear(control)`, from the card or the
  // group's page) before or after it. Never a part of a label: "Join event" is not a join.
  function joinControl(target, nameNear, rules) {
    const control = controlOf(target);
    if (!control) return taughtControl(target, rules);
    const shown = visibleText(control);
    if (shown.length <= 80 && JOIN.has(normalise(shown))) return control;
    const named = normalise(accessibleName(control));
    if (named && JOIN.has(named)) return control;
    const rests = named && nameNear && named.length <= 400 ? namedAfterJoin(named) : [];
    if (rests.length) {
      const group = normalise(nameNear(control) || "");
      if (group && rests.includes(group)) return control;
    }
    return taughtControl(target, rules);
  }

  function stateOfLabel(label) {
    if (JOINED.has(label) || MEMBER_VIEW.has(label)) return "joined";
    if (REQUESTED.has(label)) return "requested";
    if (JOIN.has(label)) return "can_join";
    return null;
  }

  // The card a control sits in: the nearest ancestor holding links to exactly one group (an
  // image link and the name link of the same group count once). Its name: the first of those
  // links with words (the image link before it has none), else the card's heading.
  // `identify(href)` gives the group a link leads to, or null. Returns { group, name } or null.
  function cardOf(control, identify, levels = 10) {
    let node = control;
    for (let i = 0; node && i < levels; i += 1, node = node.parentElement) {
      if (node.matches("body, html, main, [role=main], [role=feed], [role=dialog]")) break;
      const links = node.matches("a[href]") ? [node] : [...node.querySelectorAll("a[href]")];
      const found = [];
      for (const link of links) {
        const group = identify(link.href);
        if (group) found.push([link, group]);
      }
      if (!found.length) continue;
      if (new Set(found.map(([, group]) => group.id)).size > 1) return null; // past the card
      let name = null;
      for (const [link] of found) {
        if (link.getAttribute("aria-hidden") === "true") continue;
        name = cleanName(accessibleName(link) || visibleText(link));
        if (name) break;
      }
      if (!name) {
        const heading = node.querySelector("h1, h2, h3, h4, [role=heading]");
        name = heading ? cleanName(visibleText(heading)) : null;
      }
      return { group: found[0][1], name, node };
    }
    return null;
  }

  // What a part of the page says of the user's standing in its group: "requested" (pending),
  // "joined" (a member's view: "Joined", "Start a post in this group", "Leave this group"), or
  // null. The whole words of a control or of an element without children, never a part of a
  // sentence; only what is rendered.
  const SAYS = `${CONTROL}, [role=menuitem], span, p, div, li, h1, h2, h3, h4`;
  function standingOf(scope) {
    if (!scope) return null;
    let joined = false;
    for (const node of [scope, ...scope.querySelectorAll(SAYS)]) {
      if (node.childElementCount > 0 && !node.matches(`${CONTROL}, [role=menuitem]`)) continue;
      for (const words of [node.textContent, accessibleName(node)]) {
        if (!words || words.length > 60) continue;
        const said = normalise(words);
        const requested = REQUESTED.has(said);
        if (!requested && !JOINED.has(said) && !MEMBER_VIEW.has(said)) continue;
        if (node.checkVisibility && !node.checkVisibility()) continue;
        if (requested) return "requested";
        joined = true;
      }
    }
    return joined ? "joined" : null;
  }

  // The way out of a group a member's page offers: a "Leave group" control in view, or the
  // control that opens the menu holding it (Facebook's "Joined", LinkedIn's "More" / "…").
  // Returns { leave } or { opener } or null.
  const LEAVE = new Set(["leave group", "leave this group", "quitter le groupe", "gruppe verlassen",
    "abandonar grupo", "sair do grupo", "lascia il gruppo", "groep verlaten", "forlad gruppen"]);
  const MORE = new Set(["more", "more actions", "more options", "more group actions", "…", "...", "plus", "mehr", "más", "mais", "altro", "meer", "mere"]);
  function leavePath(scope) {
    const controls = [...scope.querySelectorAll(`${CONTROL}, [role=menuitem]`)]
      .filter((node) => !node.checkVisibility || node.checkVisibility());
    const said = (node) => normalise(visibleText(node) || accessibleName(node));
    const leave = controls.find((node) => LEAVE.has(said(node)) || LEAVE.has(normalise(accessibleName(node))));
    if (leave) return { leave };
    const opener = controls.find((node) => JOINED.has(said(node)))
      || controls.find((node) => MORE.has(said(node)) || MORE.has(normalise(accessibleName(node))));
    return opener ? { opener } : null;
  }

  // Pages of a group that rightly show no join control: not available, rate-limited,
  // signed out (a guest view asks to sign in), an admin's tools.
  const NO_JOIN_PAGE = new Set([
    "this content isn't available right now", "this content isn't available", "content isn't available",
    "this page isn't available", "this page isn't available right now", "you're temporarily blocked",
    "too many requests", "something went wrong", "page not found", "this group is no longer available",
    "admin tools", "admin home", "manage group", "sign in", "sign in to join", "log in", "log into facebook",
  ]);
  function withoutJoin(scope) {
    if (!scope) return false;
    for (const node of [scope, ...scope.querySelectorAll(SAYS)]) {
      if (node.childElementCount > 0 && !node.matches(`${CONTROL}, [role=menuitem]`)) continue;
      const words = node.textContent;
      if (words && words.length <= 60 && NO_JOIN_PAGE.has(normalise(words).replace(/’/g, "'"))) return true;
    }
    return false;
  }

  // A site's two questions about a join control, from its own rules for links and pages
  // (`groupOfHref(href)`, `groupAt(url)`): which group it joins, and whether it is one.
  function joinsOn(platform, groupOfHref, groupAt) {
    // The group a join control joins: its card's (search results, discover and suggestion
    // cards), else the group whose page this is; named by the card, and on the group's own
    // page by its heading. Null when neither says.
    function groupOf(control, url) {
      const card = cardOf(control, groupOfHref);
      const here = groupAt(url);
      const group = card ? card.group : here;
      if (!group) return null;
      let name = card ? card.name : null;
      if (here && here.id === group.id) name = pageHeading(control.ownerDocument) || name;
      return { ...group, name };
    }
    // The join control an event landed on, or null; `rules`: the join buttons the user
    // taught Handful (any site's: only this one's count).
    function siteJoinControl(target, url, rules) {
      const mine = rules ? rules.filter((rule) => rule.platform === platform) : null;
      return joinControl(target, (control) => {
        const group = url ? groupOf(control, url) : null;
        return group ? group.name : null;
      }, mine);
    }
    return { groupOf, joinControl: siteJoinControl };
  }

  // The name a group's own page shows in its heading.
  function pageHeading(doc) {
    const heading = doc.querySelector("main h1, [role=main] h1, .groups-header h1, h1.groups-entity__name, h1");
    return heading ? cleanName(visibleText(heading)) : null;
  }

  function cleanName(text) {
    const name = (text || "").replace(/\s+/g, " ").trim();
    return name ? name.slice(0, 300) : null;
  }

  // Links to groups -> one entry per group, named by the first link that has words.
  function groupsFromLinks(links, identify) {
    const found = new Map();
    for (const link of links) {
      const group = identify(link.href);
      if (!group) continue;
      const name = cleanName(link.getAttribute("aria-label") || link.textContent);
      const key = `${group.platform}:${group.id}`;
      const known = found.get(key);
      if (!known) found.set(key, { ...group, name });
      else if (!known.name && name) known.name = name;
    }
    return [...found.values()];
  }

  // The total a list page announces in its heading ("All groups you've joined (42)"), or
  // null: with it, a list read to the end is known to be the whole list.
  function totalInHeading(doc) {
    for (const heading of doc.querySelectorAll("main h1, main h2, [role=main] h1, [role=main] h2")) {
      const match = /\(\s*([0-9][0-9.,\s]*)\)\s*$/.exec(heading.textContent || "");
      if (match) return Number(match[1].replace(/[.,\s]/g, ""));
    }
    return null;
  }

  // Whether a control can be seen: in the document, not hidden or collapsed, not made
  // (nearly) transparent on itself or any ancestor, not shrunk under 4 px, not pushed off
  // the page's top or left edge. A page can lay
  // an invisible "Like" over its own content; a click on it is the user's, the like is not.
  // (Reads styles and sizes only.)
  const MIN_OPACITY = 0.1;
  const MIN_SIZE = 4;
  function seenControl(control) {
    if (!control || !control.isConnected) return false;
    if (control.checkVisibility && !control.checkVisibility({ opacityProperty: true,
      visibilityProperty: true, contentVisibilityAuto: true })) return false;
    const view = control.ownerDocument.defaultView;
    for (let node = control; node && node.nodeType === 1; node = node.parentElement) {
      const style = view.getComputedStyle(node);
      if (style.display === "none" || style.visibility !== "visible" && node === control
        || Number(style.opacity) < MIN_OPACITY) return false;
    }
    const box = control.getBoundingClientRect();
    if (box.right + view.scrollX <= 0 || box.bottom + view.scrollY <= 0) return false; // pushed off the page
    return box.width >= MIN_SIZE && box.height >= MIN_SIZE;
  }

  // Which contribution a click submits: "post" or "comment" when its composer holds text,
  // "reaction" for a like that is not already on; otherwise null. Only a control the user
  // can see counts.
  function contributionOf(target) {
    const control = controlOf(target);
    if (!control || !seenControl(control)) return null;
    const label = labelOf(control);
    if (REACT.has(label)) return control.getAttribute("aria-pressed") === "true" ? null : "reaction";
    const kind = POST.has(label) ? "post" : COMMENT.has(label) ? "comment" : null;
    if (!kind) return null;
    const composer = control.closest("form, [role=dialog], [data-composer], .comments, article, section");
    const editor = composer && composer.querySelector("textarea, [contenteditable=true], [role=textbox]");
    const text = editor ? (editor.value !== undefined ? editor.value : editor.textContent) : "";
    return text && text.trim() ? kind : null;
  }

  Handful.labels = {
    contributionOf, seenControl, normalise, visibleText, accessibleName, controlOf, joinControl, joinsOn, ruleFor,
    taughtControl, stateOfLabel, standingOf, withoutJoin, leavePath, cardOf, pageHeading, groupsFromLinks,
    totalInHeading,
  };

  // The sites Handful knows, each added by its own file (sites/linkedin.js,
  // sites/facebook.js): `Handful.sites.at(url)` is the one a URL belongs to, or null.
  const sites = (Handful.sites = Handful.sites || /** @type {HandfulSites} */ ({}));
  Object.defineProperty(sites, "at", {
    value: (url) => Object.values(sites).find((site) => site.matches(url)) || null,
  });
})();
