// Explain: the attempts the router would make for a model (and session), and why.
import { call, num } from "./api.js";
import { announce, el, rows } from "./dom.js";

export class ExplainView {
  constructor() {
    this.form = document.getElementById("explain-form");
    this.summary = document.getElementById("explain-summary");
    this.tbody = document.querySelector("#explain-table tbody");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.explain();
    });
  }

  show() {}

  hide() {}

  async explain() {
    const data = Object.fromEntries(new FormData(this.form));
    let answer;
    try {
      answer = await call("Explain", { model: data.model, session: data.session || "" });
    } catch (error) {
      this.summary.textContent = error.message;
      rows(this.tbody, [], () => null, "No plan.");
      announce(error.message, "error");
      return;
    }
    this.summary.textContent = `${answer.model} resolves to ${answer.resolvedModel}; strategy ${answer.strategy}${answer.sessionAffinity ? ", session affinity" : ""}; about ${num(answer.estimatedInputTokens)} input tokens.`;
    const all = [...(answer.attempts || []).map((c) => [c, "attempt"]), ...(answer.skipped || []).map((c) => [c, "skipped"])];
    rows(
      this.tbody,
      all,
      ([c, kind], i) =>
        el("tr", { class: kind === "skipped" ? "muted" : "" }, el("td", { text: kind === "attempt" ? i + 1 : "–" }), el("th", { scope: "row", text: c.provider }), el("td", { text: c.upstreamModel || "–" }), el("td", { text: c.circuit || "–" }), el("td", { text: c.keys || 0 }), el("td", { text: kind === "attempt" ? "would try" : `skipped: ${c.reason}` }), el("td", { text: c.why || "" })),
      "No candidates.",
    );
    announce(`Explained ${answer.model}: ${(answer.attempts || []).length} attempt(s).`);
  }
}
