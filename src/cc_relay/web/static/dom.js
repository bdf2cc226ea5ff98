// Small DOM helpers: every text goes in through textContent, never as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function rows(tbody, items, render, empty) {
  tbody.replaceChildren(...items.map(render));
  if (!items.length && empty) {
    const cols = tbody.closest("table").querySelectorAll("thead th").length;
    tbody.append(el("tr", {}, el("td", { colspan: cols, class: "muted", text: empty })));
  }
}

const status = () => document.getElementById("status");

// Status changes go to the aria-live region, so screen readers announce them.
export function announce(message, kind = "info") {
  const node = status();
  node.textContent = message;
  node.dataset.kind = kind;
}

export const seconds = (value) =>
  value === undefined || value === null ? "–" : value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;

export const integer = (value) => Number(value || 0).toLocaleString("en-US");

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "–");
