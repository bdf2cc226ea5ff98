// Models: what GET /v1/models lists, and which providers serve each.
import { call } from "./api.js";
import { el, rows } from "./dom.js";

export class ModelsView {
  constructor() {
    this.tbody = document.querySelector("#models-table tbody");
  }

  async show() {
    const answer = await call("ListModels");
    rows(
      this.tbody,
      answer.models || [],
      (m) =>
        el("tr", {}, el("th", { scope: "row" }, el("code", { text: m.id })), el("td", { text: m.displayName || "–" }), el("td", { text: (m.providers || []).join(", ") || "none" })),
      "No models.",
    );
  }

  hide() {}
}
