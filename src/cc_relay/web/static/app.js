// The dashboard's shell: sign-in, the view switcher (hash routes), errors announced.
import { ApiError, call, session } from "./api.js";
import { announce } from "./dom.js";
import { ConfigView } from "./config.js";
import { ExplainView } from "./explain.js";
import { ModelsView } from "./models.js";
import { OverviewView } from "./overview.js";
import { ProvidersView } from "./providers.js";
import { RequestsView } from "./requests.js";
import { scope } from "./scope.js";
import { UsageView } from "./usage.js";

const views = {
  overview: new OverviewView(),
  providers: new ProvidersView(),
  requests: new RequestsView(),
  usage: new UsageView(),
  models: new ModelsView(),
  explain: new ExplainView(),
  config: new ConfigView(),
};
const nav = document.getElementById("nav");
const signin = document.getElementById("signin");
const signOut = document.getElementById("sign-out");
let current = null;

function viewName() {
  const name = location.hash.replace(/^#\/?/, "");
  return name in views ? name : "overview";
}

async function open(name) {
  if (current && current !== name) views[current].hide();
  current = name;
  for (const key of Object.keys(views)) {
    document.getElementById(`view-${key}`).hidden = key !== name;
    const button = nav.querySelector(`[data-view="${key}"]`);
    if (key === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  try {
    await views[name].show();
  } catch (error) {
    if (error instanceof ApiError && error.code === "unauthenticated") return askSignIn();
    announce(`${name}: ${error.message}`, "error");
  }
}

function askSignIn() {
  if (current) views[current].hide();
  current = null;
  nav.hidden = true;
  signOut.hidden = true;
  scope.label.hidden = true;
  for (const key of Object.keys(views)) document.getElementById(`view-${key}`).hidden = true;
  signin.hidden = false;
  document.getElementById("admin-key").focus();
}

async function enter(state) {
  signin.hidden = true;
  nav.hidden = false;
  signOut.hidden = !state.signInRequired;
  try {
    await scope.load();
  } catch (error) {
    announce(`replicas: ${error.message}`, "error");
  }
  await open(viewName());
}

// The selector is re-read when opened, so a replica that joined is offered.
scope.select.addEventListener("focus", () => scope.load().catch(() => {}));
scope.onChange(() => current && open(current));

nav.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-view]");
  if (button) location.hash = "#/" + button.dataset.view;
});
window.addEventListener("hashchange", () => !nav.hidden && open(viewName()));

document.getElementById("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = document.getElementById("admin-key");
  const error = document.getElementById("signin-error");
  try {
    const state = await session("POST", { key: field.value });
    field.value = "";
    error.textContent = "";
    announce("Signed in.");
    await enter(state);
  } catch (failure) {
    error.textContent = failure.message;
    field.select();
  }
});

signOut.addEventListener("click", async () => {
  await session("DELETE");
  announce("Signed out.");
  askSignIn();
});

async function start() {
  let state;
  try {
    state = await session("GET");
  } catch (error) {
    announce(error.message, "error");
    return;
  }
  if (state.signInRequired && !state.signedIn) return askSignIn();
  try {
    const status = (await call("GetStatus")).status;
    document.title = `cc-relay ${status.version}`;
  } catch (error) {
    if (error instanceof ApiError && error.code === "unauthenticated") return askSignIn();
    announce(error.message, "error");
    return;
  }
  await enter(state);
}

start();
