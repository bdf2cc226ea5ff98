// The scope selector: this replica (the default), the whole fleet, or one other replica.
// Its choices come from ListReplicas; the views read `scope.value` for every call and
// re-open when it changes. A fleet answer degraded to this replica's data (Redis away)
// is said beside the selector, from the answer's ScopeInfo.
import { call } from "./api.js";
import { el } from "./dom.js";

class Scope {
  constructor() {
    this.select = document.getElementById("scope");
    this.label = document.getElementById("scope-label");
    this.note = document.getElementById("scope-note");
    this.listeners = [];
    this.select.addEventListener("change", () => {
      this.note.textContent = "";
      for (const listener of this.listeners) listener(this.value);
    });
  }

  get value() {
    return this.select.value;
  }

  get local() {
    return this.select.value === "";
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  // Fill the choices from ListReplicas, keeping the one chosen while it still exists.
  async load() {
    const answer = await call("ListReplicas");
    const replicas = answer.replicas || [];
    const me = replicas.find((r) => r.answering);
    const chosen = this.select.value;
    const options = [
      el("option", { value: "", text: `This replica${me ? ` (${me.id})` : ""}` }),
      el("option", { value: "fleet", text: `Whole fleet (${replicas.length})` }),
      ...replicas.filter((r) => !r.answering).map((r) => el("option", { value: r.id, text: r.id })),
    ];
    this.select.replaceChildren(...options);
    this.select.value = options.some((o) => o.value === chosen) ? chosen : "";
    this.label.hidden = false;
  }

  // What an answer's ScopeInfo says about itself.
  show(info) {
    this.note.textContent = info && info.degraded ? `Fleet data unavailable: ${info.reason}` : "";
  }
}

export const scope = new Scope();
