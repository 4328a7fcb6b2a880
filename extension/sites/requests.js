// The sites' own join requests, as the browser's webRequest hands them over (what is read is
// listed in docs/security.md): which group a request joins, read from the few fields that say
// so, or null at once for anything else. Pure: no chrome.* here, nothing kept.
//   LinkedIn: POST /voyager/api/voyagerGroupsDashGroupMemberships?action=updateMembership,
//     a JSON body whose action type is SEND_REQUEST and whose group is urn:li:fsd_group:<id>.
//   Facebook: POST /api/graphql/ with the form field fb_api_req_friendly_name naming the
//     join mutation, and the group's numeric id in variables.input.group_id.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));
  const LINKEDIN_PATH = "/voyager/api/voyagerGroupsDashGroupMemberships";
  const LINKEDIN_JOINS = new Set(["SEND_REQUEST"]);
  const LINKEDIN_GROUP = /^urn:li:fsd_group:(\d{1,30})$/;
  const FACEBOOK_PATH = "/api/graphql/";
  const FACEBOOK_JOINS = new Set(["GroupCometJoinForumMutation"]);
  const MAX_BODY = 16 * 1024; // a join's body or variables are small: anything larger is not one
  const MAX_DEPTH = 4;        // how deep LinkedIn's body is searched for its two fields

  // The action type and the group's URN, wherever in a small JSON body they are; nothing else
  // of the body is looked at.
  function linkedinFields(value, depth, found) {
    if (depth > MAX_DEPTH || value === null || typeof value !== "object") return found;
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string") {
        if (!found.action && /action/i.test(key) && LINKEDIN_JOINS.has(item)) found.action = item;
        const urn = LINKEDIN_GROUP.exec(item);
        if (!found.id && urn) found.id = urn[1];
      } else {
        linkedinFields(item, depth + 1, found);
      }
    }
    return found;
  }

  function linkedin(details, url) {
    if (url.pathname !== LINKEDIN_PATH || url.searchParams.get("action") !== "updateMembership") return null;
    const raw = details.requestBody && details.requestBody.raw;
    if (!raw || raw.length !== 1 || !raw[0].bytes || raw[0].bytes.byteLength > MAX_BODY) return null;
    let body;
    try {
      body = JSON.parse(new TextDecoder().decode(raw[0].bytes));
    } catch (error) {
      return null;
    }
    const found = linkedinFields(body, 0, { action: null, id: null });
    return found.action && found.id ? { platform: "linkedin", id: found.id, action: found.action } : null;
  }

  function facebook(details, url) {
    if (url.pathname !== FACEBOOK_PATH) return null;
    const form = details.requestBody && details.requestBody.formData;
    const names = form && form.fb_api_req_friendly_name;
    if (!names || names.length !== 1 || !FACEBOOK_JOINS.has(names[0])) return null; // most calls end here
    const variables = form.variables && form.variables[0];
    if (typeof variables !== "string" || variables.length > MAX_BODY) return null;
    let id;
    try {
      const input = JSON.parse(variables).input;
      id = input && typeof input === "object" ? input.group_id : null;
    } catch (error) {
      return null;
    }
    if ((typeof id !== "string" && typeof id !== "number") || !/^\d{1,30}$/.test(String(id))) return null;
    return { platform: "facebook", id: String(id), action: names[0] };
  }

  // The join a request makes, { platform, id, action }, or null.
  function joinOf(details) {
    if (details.method !== "POST") return null;
    let url;
    try {
      url = new URL(details.url);
    } catch (error) {
      return null;
    }
    if (url.hostname === "www.linkedin.com") return linkedin(details, url);
    if (url.hostname === "facebook.com" || url.hostname.endsWith(".facebook.com")) return facebook(details, url);
    return null;
  }

  // What webRequest listens to: these addresses only.
  const URLS = [`https://www.linkedin.com${LINKEDIN_PATH}*`, `https://*.facebook.com${FACEBOOK_PATH}*`];

  Handful.requests = { joinOf, URLS };
})();
