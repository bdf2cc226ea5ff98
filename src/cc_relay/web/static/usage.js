// Usage: requests, tokens and cost from the ledger (GetUsage), by day, provider, model or
// key, over the last 1, 7 or 30 days; a bar per group for cost, and a CSV of the table.
import { call } from "./api.js";
import { el, integer, rows } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const COLUMNS = ["group", "requests", "errors", "inputTokens", "outputTokens", "cacheReadTokens",
  "cacheWriteTokens", "costUsd", "unpriced"];

export class UsageView {
  constructor() {
    this.form = document.getElementById("usage-form");
    this.tbody = document.querySelector("#usage-table tbody");
    this.chart = document.getElementById("usage-chart");
    this.download = document.getElementById("usage-csv");
    this.groups = [];
    this.form.addEventListener("change", () => this.show());
  }

  async show() {
    const data = new FormData(this.form);
    const days = Number(data.get("days"));
    const since = new Date(Date.now() - days * 86400 * 1000).toISOString();
    const answer = await call("GetUsage", { groupBy: data.get("by"), since });
    this.groups = answer.groups || [];
    rows(
      this.tbody,
      this.groups,
      (g) =>
        el("tr", {},
          el("th", { scope: "row" }, el("code", { text: g.group || "–" })),
          el("td", { text: integer(g.requests) }),
          el("td", { text: integer(g.errors) }),
          el("td", { text: integer(g.inputTokens) }),
          el("td", { text: integer(g.outputTokens) }),
          el("td", { text: integer(g.cacheReadTokens) }),
          el("td", { text: integer(g.cacheWriteTokens) }),
          el("td", { text: `$${Number(g.costUsd || 0).toFixed(4)}` }),
          el("td", { text: integer(g.unpriced) })),
      "No requests in this period.",
    );
    this.chart.replaceChildren(bars(this.groups));
    this.offerCsv();
  }

  offerCsv() {
    const lines = [COLUMNS.join(",")];
    for (const g of this.groups) lines.push(COLUMNS.map((c) => csvCell(g[c] ?? 0)).join(","));
    if (this.download.href) URL.revokeObjectURL(this.download.href);
    this.download.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
  }

  hide() {}
}

function csvCell(value) {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Cost per group as horizontal bars, scaled to the largest; labelled for screen readers.
function bars(groups) {
  const height = 18 * Math.max(groups.length, 1);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 320 ${height}`);
  svg.setAttribute("class", "bars");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Cost by " + (groups.length ? "group" : "nothing yet"));
  const top = Math.max(...groups.map((g) => Number(g.costUsd || 0)), 1e-9);
  groups.forEach((g, i) => {
    const bar = document.createElementNS(NS, "rect");
    bar.setAttribute("x", "120");
    bar.setAttribute("y", String(i * 18 + 3));
    bar.setAttribute("height", "12");
    bar.setAttribute("width", String(Math.max(1, (Number(g.costUsd || 0) / top) * 190)));
    bar.setAttribute("class", "bar");
    const label = document.createElementNS(NS, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(i * 18 + 13));
    label.setAttribute("class", "bar-label");
    label.textContent = (g.group || "–").slice(0, 18);
    svg.append(label, bar);
  });
  return svg;
}
