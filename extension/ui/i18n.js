// The extension's words in the browser's language: _locales/<lang>/messages.json, read by
// chrome.i18n (English when the browser's language has none). `t(key, ...values)` for
// words made in code ($1, $2… in the message), `tn(key, n, ...values)` for one or many;
// `apply(root)` for the words in a page's
// HTML: an element's text from `data-i18n`, its attributes from `data-i18n-placeholder`,
// `data-i18n-aria-label` and `data-i18n-title`. A key with no message shows as «key», so a
// missing word is seen, never silently empty (tests/test_languages.py checks every key).
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));

  /**
   * @param {string} key
   * @param {...(string | number)} values
   */
  function t(key, ...values) {
    const text = chrome.i18n.getMessage(key, values.map(String));
    return text || `«${key}»`;
  }

  const ATTRIBUTES = [["i18nPlaceholder", "placeholder"], ["i18nAriaLabel", "aria-label"], ["i18nTitle", "title"]];

  /**
   * The message for one or many, as the browser's language counts (`KEY_one`, `KEY_other`;
   * French counts 0 as one): `n` is its first value.
   * @param {string} key
   * @param {number} n
   * @param {...(string | number)} values
   */
  function tn(key, n, ...values) {
    return t(`${key}_${new Intl.PluralRules(language()).select(n) === "one" ? "one" : "other"}`, n, ...values);
  }

  /** @param {ParentNode} root */
  function apply(root = document) {
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n]"))) {
      // `a command` in a message is shown as code; the rest as text (never as HTML)
      node.replaceChildren(...t(node.dataset.i18n || "").split(/(`[^`]+`)/).filter(Boolean).map((part) => {
        if (!part.startsWith("`")) return part;
        const code = document.createElement("code");
        code.textContent = part.slice(1, -1);
        return code;
      }));
    }
    for (const [data, attribute] of ATTRIBUTES) {
      const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
      for (const node of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector))) {
        node.setAttribute(attribute, t(node.dataset[data] || ""));
      }
    }
  }

  /** The page's language, as the browser shows the extension (for dates and screen readers). */
  function language() {
    return chrome.i18n.getUILanguage();
  }

  Handful.i18n = { t, tn, apply, language };
  if (typeof document !== "undefined" && document.documentElement) {
    document.documentElement.lang = t("locale").replace("_", "-");
  }
})();
