// Building DOM without innerHTML: text from the page or the log is always text, never markup.
"use strict";
(() => {
  const Handful = (globalThis.Handful = globalThis.Handful || /** @type {HandfulNamespace} */ ({}));

  // el("p", { class: "x", text: "…", hidden: true }, [children]): false/null attributes are left out.
  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else if (value !== false && value != null) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  Handful.dom = { el };
})();
