// Tickets (every client's, with their sync state) and the audit log.

import { gql } from "./api.js";
import { $, el, fill, empty, showError, when, table, row } from "./dom.js";

const TICKETS = `query { tickets(first: 100) { nodes { number title status priority syncState updatedAt mondayItemId client { name email } } } }`;
const AUDIT = `query($after: String) { auditLog(first: 100, after: $after) { nodes { actor action target ip createdAt } pageInfo { hasNextPage endCursor } } }`;

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
  },
};

let entries = [];
let cursor = null;

function show() {
  const actor = $("audit-actor").value.trim().toLowerCase();
  const action = $("audit-action").value.trim().toLowerCase();
  const hit = entries.filter((e) => e.actor.toLowerCase().includes(actor) && e.action.toLowerCase().includes(action));
  fill(
    $("audit"),
    hit.length
      ? table("Audit log", ["When", "Actor", "Action", "Target", "Address"], hit.map((e) => row(when(e.createdAt), e.actor, e.action, e.target, e.ip)))
      : empty("No entry matches."),
  );
}

async function more() {
  try {
    const d = await gql(AUDIT, { after: cursor });
    entries = entries.concat(d.auditLog.nodes);
    cursor = d.auditLog.pageInfo.endCursor;
    $("audit-more").hidden = !d.auditLog.pageInfo.hasNextPage;
    show();
  } catch (e) {
    showError($("audit"), e);
  }
}

export const audit = {
  init() {
    $("audit-filter").addEventListener("submit", (ev) => {
      ev.preventDefault();
      show();
    });
    $("audit-more").addEventListener("click", more);
  },
  render() {
    entries = [];
    cursor = null;
    more();
  },
};
