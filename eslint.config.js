import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["extension/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "script",
      globals: { ...globals.browser, ...globals.serviceworker, chrome: "readonly" },
    },
    rules: {
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
    },
  },
  {
    // The background's parts are classic scripts sharing one scope (background.js says
    // which does what): the names one part gives the others, and nothing else, are shared.
    files: ["extension/background.js", "extension/background/*.js"],
    languageOptions: {
      globals: Object.fromEntries([
        "GROUP_TIMEOUT_MS", "STATUS_TIMEOUT_MS", "ask", "askAll", "agentTrouble",                   // agent.js
        "seal", "noteQueueKey",                                                        // seal.js
        "serial", "enqueue", "flush", "queueEvent", "setOffline", "resetRetries", "retryLater", // queue.js
        "refreshCache", "groupAnswer", "statusAnswer", "settingAnswer", "cacheAnswer", // cache.js
        "updateBadge", "groupKey", "remind", "remindersAnswer", "settleReminder", "askLater",            // reminders.js
        "listComplete", "dialogRelay", "ruleKey", "addRule", "removeRule", "checkAccess",
        "createMenu", "teachFromMenu",                                                 // pages.js
      ].map((name) => [name, "readonly"])),
    },
    rules: {
      "no-unused-vars": ["error", { vars: "local", args: "none", caughtErrors: "none" }],
      "no-redeclare": ["error", { builtinGlobals: false }],
    },
  },
  {
    // Site detection is pure (docs/architecture.md): it reads URLs and the DOM, and neither
    // calls the extension's APIs nor changes or drives the page.
    files: ["extension/sites/**/*.js"],
    rules: {
      "no-restricted-globals": ["error",
        { name: "chrome", message: "sites/ is pure: no extension APIs (use them in content/ or background/)" },
        { name: "browser", message: "sites/ is pure: no extension APIs" }],
      "no-restricted-syntax": ["error",
        { selector: "AssignmentExpression > MemberExpression.left[property.name=/^(innerHTML|outerHTML|textContent|innerText|nodeValue|className|hidden|checked|cssText)$/]",
          message: "sites/ writes no DOM" },
        { selector: "AssignmentExpression > MemberExpression.left > MemberExpression.object[property.name=/^(style|dataset)$/]",
          message: "sites/ writes no DOM" },
        { selector: "CallExpression > MemberExpression.callee[property.name=/^(append|appendChild|prepend|after|before|insertBefore|insertAdjacentHTML|insertAdjacentElement|insertAdjacentText|replaceWith|replaceChild|replaceChildren|removeChild|setAttribute|setAttributeNS|removeAttribute|toggleAttribute|attachShadow|click|focus|blur|submit|dispatchEvent|showPopover|hidePopover|showModal|scrollIntoView)$/]",
          message: "sites/ writes no DOM and drives nothing" },
        { selector: "CallExpression > MemberExpression.callee[object.property.name='classList']",
          message: "sites/ writes no DOM" },
      ],
    },
  },
];
