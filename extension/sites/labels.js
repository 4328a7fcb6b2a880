// What a join control says, in the languages Handful reads, and the helpers both sites
// share. Pure: no side effects beyond defining Handful.labels.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || {});

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
  ]);

  // What a control says once the user is in, or has asked to be (the state after a join).
  const JOINED = new Set([
    "joined", "member", "membre", "mitglied", "beigetreten", "miembro", "unido",
    "membro", "iscritto", "lid", "aangesloten",
  ]);
  const REQUESTED = new Set([
    "requested", "pending", "cancel request", "request sent", "en attente",
    "demande envoyée", "annuler la demande", "angefragt", "ausstehend", "anfrage stornieren",
    "solicitado", "pendiente", "cancelar solicitud", "solicitação enviada", "pendente",
    "cancelar solicitação", "richiesta inviata", "in attesa", "annulla richiesta",
    "aangevraagd", "in behandeling", "verzoek annuleren",
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

  const CONTROL = "button, a, [role=button], [role=link], input[type=submit], input[type=button]";

  // The control an event landed on (its target may be a span deep inside it).
  function controlOf(target) {
    let node = target;
    if (node && node.nodeType !== 1) node = node.parentElement;
    return node && node.closest ? node.closest(CONTROL) : null;
  }

  // The join control an event landed on, or null: the guard's whole cost on other clicks.
  function joinControl(target) {
    const control = controlOf(target);
    return control && JOIN.has(labelOf(control)) ? control : null;
  }

  function isJoinLabel(label) {
    return JOIN.has(label);
  }

  function stateOfLabel(label) {
    if (JOINED.has(label)) return "joined";
    if (REQUESTED.has(label)) return "requested";
    if (JOIN.has(label)) return "can_join";
    return null;
  }

  // The nearest group link around a control: walk up a few levels (a card, a row).
  function nearestLink(control, pattern, levels = 8) {
    let node = control;
    for (let i = 0; node && i < levels; i += 1, node = node.parentElement) {
      // a card or a row, never the whole page: past these, any group link would do
      if (node.matches && node.matches("body, html, main, [role=main], [role=feed]")) break;
      if (node.matches && node.matches("a[href]") && pattern.test(node.href)) return node;
      const links = node.querySelectorAll ? node.querySelectorAll("a[href]") : [];
      for (const link of links) {
        if (pattern.test(link.href)) return link;
      }
    }
    return null;
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

  // Which contribution a click submits: "post" or "comment" when its composer holds text,
  // "reaction" for a like that is not already on; otherwise null.
  function contributionOf(target) {
    const control = controlOf(target);
    if (!control) return null;
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
    JOIN, JOINED, REQUESTED, contributionOf, normalise, labelOf, controlOf, joinControl, isJoinLabel, stateOfLabel,
    nearestLink, cleanName, groupsFromLinks, totalInHeading,
  };
})();
