// API keys: create (the key is shown once), list with status and usage,
// revoke after a confirmation, and snippets with the real base URL.

import { gql, rest } from "./api.js";
import { $, el, fill, empty, showError, when, table, row } from "./dom.js";

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id name } }
}`;
const REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { id status } }";

function confirm(text) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("confirm-no").focus();
  });
}

async function revoke(key) {
  if (!(await confirm(`Revoke the key “${key.name}”? Scripts using it stop working at once.`))) return;
  try {
    await gql(REVOKE, { id: key.key_id });
    list();
  } catch (e) {
    showError($("key-error"), e);
  }
}

async function list() {
  const where = $("keys");
  try {
    const d = await rest("GET", "/api/keys?include_revoked=true");
    if (!d.keys.length) return fill(where, empty("No keys yet: create one above."));
    fill(
      where,
      table(
        "API keys",
        ["Name", "Key", "Permission", "Status", "Last used", "Uses", "Per minute", "Expires", ""],
        d.keys.map((k) =>
          row(
            el("span", { className: "key-name", text: k.name }),
            k.key_prefix,
            k.permission,
            el("span", { className: `key-status key-${k.status}`, text: k.status }),
            when(k.last_used),
            String(k.usage_count),
            String(k.rate_limit),
            k.expires_at ? when(k.expires_at) : "never",
            k.status === "active"
              ? el("button", { type: "button", className: "revoke", "aria-label": `Revoke ${k.name}`, text: "Revoke", on: { click: () => revoke(k) } })
              : "",
          ),
        ),
      ),
    );
  } catch (e) {
    showError(where, e);
  }
}

async function snippets() {
  const where = $("snippets");
  try {
    const d = await rest("GET", "/api/keys/code-examples");
    const block = (title, code) => el("div", {}, el("h4", { text: title }), el("pre", {}, el("code", { text: code })));
    fill(
      where,
      el("p", { text: `Base URL: ${d.base_url}. Put the key in BRIDGEBOARD_KEY.` }),
      block("curl", Object.values(d.curl).join("\n")),
      block("Python", d.python),
      block("pandas", d.pandas),
    );
  } catch (e) {
    showError(where, e);
  }
}

export function init() {
  $("key-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fill($("key-error"));
    const name = $("key-name").value.trim();
    if (!name) return showError($("key-error"), new Error("Give the key a name."));
    const input = {
      name,
      permission: $("key-permission").value,
      rateLimitPerMinute: Number($("key-rate").value || 100),
    };
    if ($("key-expiry").value) input.expiresInDays = Number($("key-expiry").value);
    $("key-create").disabled = true;
    try {
      const d = await gql(CREATE, { input });
      // Held by the page only while shown; never stored.
      $("new-key-value").textContent = d.createApiKey.key;
      $("new-key").hidden = false;
      $("new-key-copy").focus();
      $("key-name").value = "";
      list();
    } catch (e) {
      showError($("key-error"), e);
    } finally {
      $("key-create").disabled = false;
    }
  });
  $("new-key-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("new-key-value").textContent);
      $("new-key-copy").textContent = "Copied";
    } catch (_) {
      $("new-key-copy").textContent = "Select and copy it by hand";
    }
  });
  $("new-key-done").addEventListener("click", () => {
    $("new-key-value").textContent = "";
    $("new-key").hidden = true;
    $("new-key-copy").textContent = "Copy";
  });
}

export function render() {
  // A key shown once is gone when the admin comes back to the section.
  $("new-key-value").textContent = "";
  $("new-key").hidden = true;
  list();
  snippets();
}
