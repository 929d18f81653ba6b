// Tickets (every client's, with their sync state), the outbox entries that
// keep failing, and the audit log with its filters (applied by the server).

import { gql } from "./api.js";
import { $, el, fill, empty, showError, when, table, row } from "./dom.js";

const TICKETS = `query { tickets(first: 100) { nodes { number title status priority syncState updatedAt mondayItemId client { name email } } } }`;
const OUTBOX = `query { outbox(first: 50) { backlog
  retrying { id kind subject attempts lastError createdAt nextAttemptAt }
  refused { id kind subject attempts lastError createdAt refusedAt } } }`;
const AUDIT = `query($after: String, $search: String, $action: String, $since: DateTime, $until: DateTime) {
  auditLog(first: 100, after: $after, search: $search, action: $action, since: $since, until: $until) {
    nodes { actor action target ip createdAt } pageInfo { hasNextPage endCursor } } }`;

function outboxRows(list, last) {
  return list.map((e) => row(e.id, e.kind, e.subject, String(e.attempts), e.lastError || "", when(e.createdAt), when(e[last])));
}

async function outbox() {
  try {
    const o = (await gql(OUTBOX)).outbox;
    fill(
      $("outbox"),
      el("p", { id: "outbox-waiting", text: o.backlog ? `${o.backlog} entries wait for delivery.` : "Nothing waits for delivery." }),
      o.retrying.length
        ? table("Outbox entries retrying", ["Entry", "Kind", "About", "Attempts", "Last error", "Queued", "Next try"], outboxRows(o.retrying, "nextAttemptAt"))
        : empty("No entry is retrying."),
      el("h4", { text: "Refused by the upstream (not retried)" }),
      o.refused.length
        ? table("Outbox entries refused", ["Entry", "Kind", "About", "Attempts", "Reason", "Queued", "Refused"], outboxRows(o.refused, "refusedAt"))
        : empty("Nothing was refused."),
    );
  } catch (e) {
    showError($("outbox"), e);
  }
}

export const tickets = {
  async render() {
    try {
      const d = await gql(TICKETS);
      const n = d.tickets.nodes;
      const rows = (list) => list.map((t) => row(String(t.number), t.title, t.client ? `${t.client.name} <${t.client.email}>` : "", t.status, t.priority, t.syncState, when(t.updatedAt)));
      const heads = ["#", "Title", "Client", "Status", "Priority", "Sync", "Updated"];
      fill($("tickets"), n.length ? table("Tickets", heads, rows(n)) : empty("No tickets yet: clients open them in the support portal."));
      const waiting = n.filter((t) => t.syncState !== "SYNCED");
      fill($("retrying"), waiting.length ? table("Tickets not yet on Monday", heads, rows(waiting)) : empty("Every ticket is on Monday."));
    } catch (e) {
      showError($("tickets"), e);
    }
    await outbox();
  },
};

let entries = [];
let cursor = null;
// The filters of the listing shown, so "older entries" continue it even
// if the form changed since; and which listing answers count.
let current = {};
let listing = 0;

/** The form's filters as the API takes them; throws on a date it cannot read. */
function filters() {
  const v = (id) => $(id).value.trim() || null;
  const date = (id, label) => {
    const t = v(id);
    if (!t) return null;
    const d = new Date(t);
    if (Number.isNaN(d.getTime())) throw new Error(`${label} is not a date.`);
    return d.toISOString();
  };
  return { search: v("audit-search"), action: v("audit-action"), since: date("audit-since", "From"), until: date("audit-until", "Until") };
}

function show() {
  fill(
    $("audit"),
    entries.length
      ? table("Audit log", ["When", "Actor", "Action", "Target", "Address"], entries.map((e) => row(when(e.createdAt), e.actor, e.action, e.target, e.ip)))
      : empty("No entry matches these filters."),
  );
}

async function more() {
  const mine = listing;
  try {
    const d = await gql(AUDIT, { after: cursor, ...current });
    if (mine !== listing) return;
    entries = entries.concat(d.auditLog.nodes);
    cursor = d.auditLog.pageInfo.endCursor;
    $("audit-more").hidden = !d.auditLog.pageInfo.hasNextPage;
    show();
  } catch (e) {
    if (mine === listing) showError($("audit"), e);
  }
}

function reload() {
  listing += 1;
  entries = [];
  cursor = null;
  try {
    current = filters();
  } catch (e) {
    $("audit-more").hidden = true;
    return showError($("audit"), e);
  }
  return more();
}

export const audit = {
  init() {
    $("audit-filter").addEventListener("submit", (ev) => {
      ev.preventDefault();
      reload();
    });
    $("audit-more").addEventListener("click", more);
  },
  render() {
    return reload();
  },
};
