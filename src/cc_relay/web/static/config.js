// Config: the running YAML (secrets as fingerprints), validation as you type, the diff
// against the running config, apply with the hash it started from, history, rollback.
import { call, num } from "./api.js";
import { announce, el, integer, rows } from "./dom.js";

const DEBOUNCE_MS = 250;

export class ConfigView {
  constructor() {
    this.text = document.getElementById("config-text");
    this.meta = document.getElementById("config-meta");
    this.problems = document.getElementById("config-problems");
    this.diff = document.getElementById("config-diff");
    this.apply = document.getElementById("config-apply");
    this.history = document.querySelector("#history-table tbody");
    this.running = null;
    this.timer = null;
    this.seq = 0;
    this.text.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.apply.disabled = true;
      this.timer = setTimeout(() => this.validate(), DEBOUNCE_MS);
    });
    this.apply.addEventListener("click", () => this.applyEdit());
    document.getElementById("config-revert").addEventListener("click", () => this.load());
  }

  async show() {
    await Promise.all([this.load(), this.loadHistory()]);
  }

  hide() {}

  async load() {
    this.running = await call("GetConfig");
    this.text.value = this.running.yaml || "";
    this.meta.textContent = `${this.running.path || "no file"} · generation ${num(this.running.generation)} · hash ${this.running.hash}`;
    this.problems.replaceChildren();
    this.diff.replaceChildren(el("li", { class: "muted", text: "No edits." }));
    this.apply.disabled = true;
  }

  async loadHistory() {
    const answer = await call("ListConfigHistory");
    rows(
      this.history,
      answer.versions || [],
      (v) =>
        el(
          "tr",
          { "data-version": v.id },
          el("td", {}, el("code", { text: v.id })),
          el("td", { text: v.savedAt ? new Date(v.savedAt).toLocaleString() : "–" }),
          el("td", { text: `${integer(v.sizeBytes)} bytes` }),
          el("td", {}, el("button", { type: "button", text: "Roll back", "aria-label": `Roll back to ${v.id}`, onclick: () => this.rollback(v.id) })),
        ),
      "No earlier versions kept yet.",
    );
  }

  async validate() {
    const seq = ++this.seq;
    const answer = await call("ValidateConfig", { yaml: this.text.value });
    if (seq !== this.seq) return; // a newer edit is being checked
    const problems = answer.problems || [];
    this.problems.replaceChildren(
      ...problems.map((p) =>
        el(
          "li",
          { class: "error", "data-path": p.path || "", "data-line": p.line || null },
          el("code", { text: p.path || "(document)" }),
          ": " + p.message + " ",
          p.line
            ? el("button", { type: "button", class: "link", text: `line ${p.line}`, "aria-label": `Go to line ${p.line}`, onclick: () => this.goTo(p.line) })
            : null,
        ),
      ),
    );
    const changes = answer.changes || [];
    this.diff.replaceChildren(
      ...(answer.valid
        ? changes.length
          ? changes.map((c) => el("li", { text: c }))
          : [el("li", { class: "muted", text: "No changes against the running config." })]
        : [el("li", { class: "muted", text: "Fix the problems to see the changes." })]),
    );
    this.text.setAttribute("aria-invalid", answer.valid ? "false" : "true");
    this.apply.disabled = !answer.valid || !changes.length;
    announce(answer.valid ? `Config valid, ${changes.length} change(s).` : `${problems.length} problem(s) in the config.`, answer.valid ? "info" : "error");
  }

  goTo(line) {
    // Put the cursor at the start of ``line`` (1-based) and scroll it into view.
    const text = this.text.value;
    let at = 0;
    for (let n = 1; n < line && at !== -1; n++) at = text.indexOf("\n", at) + 1 || -1;
    if (at === -1) at = text.length;
    const end = text.indexOf("\n", at);
    this.text.focus();
    this.text.setSelectionRange(at, end === -1 ? text.length : end);
    const style = getComputedStyle(this.text);
    const height = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
    this.text.scrollTop = Math.max(0, (line - 3) * height);
  }

  async applyEdit() {
    this.apply.disabled = true;
    try {
      const done = await call("ApplyConfig", { yaml: this.text.value, baseHash: this.running.hash });
      announce(`Config applied: generation ${num(done.generation)}, ${(done.changes || []).length} change(s).`);
    } catch (error) {
      const why = error.code === "aborted" ? "someone changed the config meanwhile; reload it and redo the edit" : error.message;
      announce(`Not applied: ${why}`, "error");
      this.apply.disabled = false;
      return;
    }
    await this.show();
  }

  async rollback(id) {
    try {
      const done = await call("RollbackConfig", { id });
      announce(`Rolled back to ${id}: generation ${num(done.generation)}.`);
    } catch (error) {
      announce(`Rollback failed: ${error.message}`, "error");
    }
    await this.show();
  }
}
