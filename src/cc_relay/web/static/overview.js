// Overview: live req/s, latency, TTFB, errors, tokens and cost from StreamStats, for
// the scope chosen (the fleet's added up by the relay).
import { num, stream } from "./api.js";
import { el, integer, rows, seconds } from "./dom.js";
import { scope } from "./scope.js";
import { sparkline } from "./spark.js";

const POINTS = 60;

export class OverviewView {
  constructor() {
    this.cards = document.getElementById("overview-cards");
    this.faults = document.getElementById("overview-faults");
    this.tbody = document.querySelector("#overview-table tbody");
    this.series = { rps: [], latency: [], ttfb: [], errors: [], tokens: [], cost: [] };
    this.last = null;
    this.close = null;
  }

  show() {
    this.hide();
    // Another scope's numbers are not this one's: the sparklines start over.
    this.series = { rps: [], latency: [], ttfb: [], errors: [], tokens: [], cost: [] };
    this.last = null;
    this.close = stream("StreamStats", { intervalSeconds: 1, scope: scope.value }, (m) => this.update(m));
  }

  hide() {
    if (this.close) this.close();
    this.close = null;
  }

  push(name, value) {
    const series = this.series[name];
    series.push(value);
    if (series.length > POINTS) series.shift();
  }

  update(message) {
    scope.show(message.scope);
    const totals = (message.status && message.status.totals) || {};
    const connections = (message.status && message.status.connections) || {};
    const providers = message.providers || [];
    const now = {
      requests: num(totals.requests),
      errors: num(totals.errors),
      tokens: num(totals.inputTokens) + num(totals.outputTokens),
      cost: totals.costUsd || 0,
    };
    const rps = providers.reduce((sum, p) => sum + (p.requestsPerSecond || 0), 0);
    const prev = this.last || now;
    this.push("rps", rps);
    // Every request's p50, whichever provider took it (the service adds them up).
    this.push("latency", (message.latency && message.latency.p50Seconds) || 0);
    this.push("ttfb", (message.ttfb && message.ttfb.p50Seconds) || 0);
    this.push("errors", now.errors - prev.errors);
    this.push("tokens", now.tokens - prev.tokens);
    this.push("cost", now.cost - prev.cost);
    this.last = now;
    const cards = [
      ["Requests/s", rps.toFixed(2), "rps", `${integer(now.requests)} total, ${integer(num(totals.inFlight))} in flight; ${integer(num(connections.open))} connections, ${integer(num(connections.handedOver))} handed to aiohttp`],
      ["Latency p50", seconds(this.series.latency.at(-1) || null), "latency", "all requests, last minute"],
      ["TTFB p50", seconds(this.series.ttfb.at(-1) || null), "ttfb", "all requests, last minute"],
      ["Errors", integer(now.errors), "errors", "new per second"],
      ["Tokens", integer(now.tokens), "tokens", `${integer(num(totals.inputTokens))} in, ${integer(num(totals.outputTokens))} out`],
      ["Cost", `$${now.cost.toFixed(4)}`, "cost", "from configured prices"],
    ];
    this.faults.replaceChildren(...faults(message.status || {}).map((line) => el("p", { text: line })));
    this.cards.replaceChildren(
      ...cards.map(([title, value, series, note]) =>
        el("figure", { class: "card" }, el("figcaption", { text: title }), el("p", { class: "big", text: value }), sparkline(this.series[series], `${title}, last ${POINTS} seconds`), el("p", { class: "small muted", text: note })),
      ),
    );
    rows(
      this.tbody,
      providers,
      (p) =>
        el(
          "tr",
          {},
          el("th", { scope: "row", text: p.name }),
          el("td", { text: (p.requestsPerSecond || 0).toFixed(2) }),
          el("td", { text: seconds(p.latency && p.latency.p50Seconds) }),
          el("td", { text: seconds(p.latency && p.latency.p95Seconds) }),
          el("td", { text: seconds(p.ttfb && p.ttfb.p50Seconds) }),
          el("td", { text: integer(p.errors) }),
          el("td", { text: `${integer(p.inputTokens)} / ${integer(p.outputTokens)}` }),
        ),
      "No providers.",
    );
  }
}

// What keeps serving but needs a look: a ledger that cannot write, a Redis that does not
// answer. Nothing while both are well.
function faults(status) {
  const lines = [];
  const ledger = status.ledger || {};
  if (ledger.error) {
    lines.push(`Ledger writes fail: ${ledger.error} (${integer(ledger.unwritten)} rows waiting, ${integer(ledger.dropped)} dropped)`);
  }
  const state = status.state || {};
  if (state.backend === "redis" && !state.connected) {
    lines.push(`Shared state: Redis unavailable: ${state.error || ""} (local limits; ${integer(state.fallbacks)} fallbacks)`);
  }
  return lines;
}
