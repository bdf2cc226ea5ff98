// Providers: health, circuit, keys with their remaining budget, enable/disable, reset.
import { call, num } from "./api.js";
import { announce, el, integer, rows } from "./dom.js";

const CIRCUIT = {
  CIRCUIT_STATE_CLOSED: "closed",
  CIRCUIT_STATE_HALF_OPEN: "half-open",
  CIRCUIT_STATE_OPEN: "open",
};

export const circuitName = (provider) =>
  provider.circuit ? CIRCUIT[provider.circuit.state] || "unknown" : "none";

function keyCell(provider) {
  const keys = provider.keys || [];
  if (!keys.length) return el("td", { class: "muted", text: "no keys" });
  return el(
    "td",
    {},
    el(
      "ul",
      { class: "keys" },
      ...keys.map((key) =>
        el(
          "li",
          {},
          el("code", { text: key.fingerprint }),
          key.cooldownUntil ? el("span", { class: "badge warn", text: "cooling down" }) : null,
          ...(key.buckets || []).map((bucket) => {
            const capacity = num(bucket.capacity);
            const remaining = Math.max(0, num(bucket.remaining));
            const label = `${bucket.kind}: ${integer(Math.floor(remaining))} of ${integer(capacity)} left`;
            return el(
              "span",
              { class: "bucket" },
              el("meter", { min: 0, max: capacity, value: remaining, low: capacity * 0.2, high: capacity * 0.5, optimum: capacity, "aria-label": label }),
              el("span", { class: "small", text: label + (bucket.learned ? " (learned)" : "") }),
            );
          }),
        ),
      ),
    ),
  );
}

export class ProvidersView {
  constructor() {
    this.tbody = document.querySelector("#providers-table tbody");
  }

  async show() {
    const answer = await call("ListProviders");
    this.render(answer.providers || []);
  }

  hide() {}

  render(providers) {
    rows(this.tbody, providers, (p) => this.row(p), "No providers configured.");
  }

  row(p) {
    const circuit = circuitName(p);
    const enabled = Boolean(p.enabled);
    return el(
      "tr",
      { "data-provider": p.name },
      el("th", { scope: "row", text: p.name }),
      el("td", { text: p.type }),
      el("td", {}, el("span", { class: `badge health-${p.health}`, text: p.health })),
      el(
        "td",
        {},
        el("span", { class: `badge circuit-${circuit}`, text: circuit }),
        p.circuit && p.circuit.cause ? el("span", { class: "small", text: " " + p.circuit.cause }) : null,
      ),
      el("td", { text: enabled ? (p.enabledOverridden ? "yes (override)" : "yes") : p.enabledOverridden ? "no (override)" : "no" }),
      el("td", { text: integer(p.requests) }),
      el("td", { text: integer(p.errors) }),
      keyCell(p),
      el(
        "td",
        { class: "actions" },
        el("button", {
          type: "button",
          "aria-label": `${enabled ? "Disable" : "Enable"} ${p.name}`,
          text: enabled ? "Disable" : "Enable",
          onclick: () => this.setEnabled(p.name, !enabled),
        }),
        el("button", {
          type: "button",
          "aria-label": `Reset circuit of ${p.name}`,
          text: "Reset circuit",
          disabled: !p.circuit,
          onclick: () => this.reset(p.name),
        }),
      ),
    );
  }

  async setEnabled(name, enabled) {
    try {
      await call("SetProviderEnabled", { name, enabled });
      announce(`Provider ${name} ${enabled ? "enabled" : "disabled"}.`);
    } catch (error) {
      announce(`Could not change ${name}: ${error.message}`, "error");
    }
    await this.show();
  }

  async reset(name) {
    try {
      await call("ResetCircuit", { name });
      announce(`Circuit of ${name} reset.`);
    } catch (error) {
      announce(`Could not reset ${name}: ${error.message}`, "error");
    }
    await this.show();
  }
}
