// The page's shell: sign-in (staff and admins only), the session's end,
// and switching between sections.

import { gql, loadSession, setSession, clearSession, whenExpired, token, ApiError } from "./api.js";
import { $, el, fill, showError } from "./dom.js";
import * as overview from "./overview.js";
import * as pipeline from "./pipeline.js";
import * as data from "./data.js";
import * as keys from "./keys.js";
import { tickets, audit } from "./admin.js";

const SECTIONS = { overview, pipeline, data, keys, tickets, audit };
const ME = "query { me { kind displayName role } }";
const LOGIN = `mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { token expiresAt viewer { kind displayName role } }
}`;

let viewer = null;

function signedOut(message) {
  viewer = null;
  pipeline.stop();
  $("app").hidden = true;
  $("signin").hidden = false;
  fill($("signin-error"), message ? el("p", { className: "error", role: "alert", text: message }) : null);
  $("username").focus();
}

/** Only staff may use the page; a client's (or key's) token is dropped. */
function accept(v) {
  if (!v || v.kind !== "STAFF") {
    clearSession();
    signedOut("This dashboard is for staff and admins; client accounts cannot use it.");
    return false;
  }
  viewer = v;
  $("signin").hidden = true;
  $("app").hidden = false;
  $("whoami").textContent = `${v.displayName} (${v.role === "ADMIN" ? "admin" : "staff"})`;
  for (const n of document.querySelectorAll("[data-admin]")) {
    n.closest("li").hidden = v.role !== "ADMIN";
  }
  show("overview");
  return true;
}

export function show(name) {
  for (const b of document.querySelectorAll("#nav [data-section]")) {
    if (b.dataset.section === name) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  for (const key of Object.keys(SECTIONS)) $(`section-${key}`).hidden = key !== name;
  SECTIONS[name].render(viewer);
}

async function signIn(ev) {
  ev.preventDefault();
  const button = $("signin-button");
  button.disabled = true;
  fill($("signin-error"), el("p", { text: "Signing in…" }));
  try {
    const d = await gql(LOGIN, { u: $("username").value, p: $("password").value });
    $("password").value = "";
    setSession({ token: d.login.token, expiresAt: d.login.expiresAt });
    if (accept(d.login.viewer)) fill($("signin-error"));
  } catch (e) {
    showError($("signin-error"), e);
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await gql("mutation { logout }");
  } catch (_) {
    // Already ended: nothing to revoke.
  }
  clearSession();
  signedOut("You are signed out.");
}

/** GraphiQL opens with the admin's header in its stored headers. */
function openGraphiql() {
  const t = token();
  if (t) localStorage.setItem("bb.graphiql.headers", JSON.stringify({ Authorization: `Bearer ${t}` }, null, 2));
}

async function start() {
  whenExpired((m) => signedOut(m));
  $("signin-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  $("graphiql-link").addEventListener("click", openGraphiql);
  for (const b of document.querySelectorAll("#nav [data-section]")) {
    b.addEventListener("click", () => show(b.dataset.section));
  }
  for (const s of Object.values(SECTIONS)) if (s.init) s.init();
  if (!loadSession()) return signedOut();
  try {
    const d = await gql(ME);
    accept(d.me);
  } catch (e) {
    clearSession();
    signedOut(e instanceof ApiError ? e.message : "Sign in again.");
  }
}

start();
