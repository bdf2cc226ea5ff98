// Requests: the recent ones, then each as it settles (SSE), a filter, a detail drawer;
// for the scope chosen, with a Replica column outside this replica's own.
import { call, num, stream } from "./api.js";
import { announce, el, integer, rows, seconds, time } from "./dom.js";
import { scope } from "./scope.js";

const KEEP = 200;

export class RequestsView {
  constructor() {
    this.tbody = document.querySelector("#requests-table tbody");
    this.form = document.getElementById("requests-filter");
    this.live = document.getElementById("live-state");
    this.drawer = document.getElementById("drawer");
    this.items = [];
    this.close = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.show();
    });
    document.getElementById("drawer-close").addEventListener("click", () => this.hideDrawer());
    this.drawer.addEventListener("keydown", (event) => event.key === "Escape" && this.hideDrawer());
  }

  filter() {
    const filter = {};
    for (const [key, value] of new FormData(this.form)) if (value) filter[key] = String(value);
    return filter;
  }

  async show() {
    this.hide();
    const filter = this.filter();
    const answer = await call("ListRequests", { filter, pageSize: 100, scope: scope.value });
    scope.show(answer.scope);
    this.items = answer.requests || [];
    document.getElementById("requests-replica").hidden = scope.local;
    this.render();
    const params = Object.fromEntries(Object.entries(filter).map(([k, v]) => [`filter.${k}`, v]));
    params.scope = scope.value;
    this.close = stream("StreamRequests", params, (message) => this.add(message.request), (state, why) => {
      this.live.textContent = state === "live" ? "Live" : state === "error" ? `Stopped: ${why}` : "Reconnecting…";
    });
  }

  hide() {
    if (this.close) this.close();
    this.close = null;
    this.live.textContent = "";
  }

  add(request) {
    this.items.unshift(request);
    this.items.length = Math.min(this.items.length, KEEP);
    this.render();
  }

  render() {
    rows(this.tbody, this.items, (r) => this.row(r), "No requests yet.");
  }

  row(r) {
    const status = num(r.status);
    const usage = r.usage || {};
    const attempts = (r.attempts || []).length;
    return el(
      "tr",
      { "data-request": r.id, class: status >= 400 ? "failed" : "" },
      el("td", { text: time(r.at) }),
      el("td", {}, el("span", { class: `badge s${Math.floor(status / 100)}xx`, text: status || "–" })),
      el("td", { text: r.clientModel || r.path }),
      el("td", { text: r.provider || "–" }),
      el("td", { text: seconds(r.latencySeconds) }),
      el("td", { text: `${integer(usage.inputTokens)} / ${integer(usage.outputTokens)}` }),
      el("td", { text: attempts > 1 ? `${attempts} (failover)` : String(attempts) }),
      el("td", { text: r.replica || "–", hidden: scope.local }),
      el("td", {}, el("button", { type: "button", text: "Details", "aria-label": `Details of ${r.id}`, onclick: () => this.detail(r.id) })),
    );
  }

  async detail(id) {
    this.opener = document.activeElement;
    let request;
    try {
      request = (await call("GetRequest", { id })).request;
    } catch (error) {
      announce(error.message, "error");
      return;
    }
    const usage = request.usage || {};
    const fields = [
      ["Id", request.id],
      ["At", request.at ? new Date(request.at).toLocaleString() : "–"],
      ["Route", `${request.method} ${request.path}`],
      ["Status", request.status || "–"],
      ["Model", `${request.clientModel || "–"} → ${request.upstreamModel || "–"}`],
      ["Provider", request.provider || "–"],
      ["Replica", request.replica || "–"],
      ["Key", request.key || "–"],
      ["Stream", request.stream ? "yes" : "no"],
      ["Latency", seconds(request.latencySeconds)],
      ["TTFB", seconds(request.ttfbSeconds)],
      ["Tokens", `${integer(usage.inputTokens)} in, ${integer(usage.outputTokens)} out, ${integer(usage.cacheReadTokens)} cache read`],
      ["Cost", request.costUsd ? `$${request.costUsd.toFixed(6)}` : "–"],
      ["Error", request.error || "–"],
    ];
    document.getElementById("drawer-fields").replaceChildren(
      ...fields.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })]),
    );
    rows(
      document.querySelector("#drawer-attempts tbody"),
      request.attempts || [],
      (a, i) =>
        el(
          "tr",
          { class: a.error ? "failed" : "" },
          el("td", { text: i + 1 }),
          el("td", { text: a.provider }),
          el("td", {}, el("code", { text: a.key || "–" })),
          el("td", { text: a.status || "none" }),
          el("td", { text: seconds(a.durationSeconds) }),
          el("td", { text: a.error ? `${a.error}${a.detail ? ": " + a.detail : ""}` : "ok" }),
        ),
      "No upstream attempt.",
    );
    this.drawer.hidden = false;
    this.drawer.focus();
  }

  hideDrawer() {
    this.drawer.hidden = true;
    // Keyboard users land back on the row they opened.
    if (this.opener && this.opener.isConnected) this.opener.focus();
  }
}
