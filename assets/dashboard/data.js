// Data: the leads, paged, filtered by group and text, with each lead's
// meetings; Calendly events and invitees; downloads with the same filters.

import { gql, download } from "./api.js";
import { $, el, fill, empty, showError, when, table, row } from "./dom.js";

const GROUPS = "query { leadGroups { id title } }";
const LEADS = `query($after: String, $group: String, $search: String) {
  leads(first: 25, after: $after, group: $group, search: $search) {
    nodes { id name email company group { title } updatedAt
            meetings { name email status event { name startTime status } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const EVENTS = `query { calendlyEvents(first: 25) { nodes { id name status startTime inviteesActive inviteesTotal eventType { name } } } }`;
const INVITEES = `query { calendlyInvitees(first: 25) { nodes { id name email status createdAt event { name } } } }`;

let pages = [null];
let page = 0;
let filters = { group: null, search: null };

function meetings(lead) {
  if (!lead.meetings.length) return "none";
  const list = el(
    "ul",
    {},
    ...lead.meetings.map((m) => el("li", { text: `${m.event ? `${m.event.name || "event"} ${when(m.event.startTime)}` : "event"} — ${m.status}` })),
  );
  return el("details", {}, el("summary", { text: `${lead.meetings.length} meeting(s)` }), list);
}

async function leads() {
  const where = $("leads");
  fill(where, el("p", { text: "Loading leads…" }));
  try {
    const d = await gql(LEADS, { after: pages[page], ...filters });
    const nodes = d.leads.nodes;
    $("leads-prev").disabled = page === 0;
    $("leads-next").disabled = !d.leads.pageInfo.hasNextPage;
    if (d.leads.pageInfo.hasNextPage) pages[page + 1] = d.leads.pageInfo.endCursor;
    if (!nodes.length) {
      return fill(where, empty(filters.group || filters.search ? "No lead matches these filters." : "No data yet: start the pipeline."));
    }
    fill(
      where,
      table(
        "Leads",
        ["Name", "Email", "Company", "Group", "Updated", "Meetings"],
        nodes.map((l) => row(l.name, l.email, l.company, l.group.title, when(l.updatedAt), meetings(l))),
      ),
    );
  } catch (e) {
    showError(where, e);
  }
}

async function calendly() {
  try {
    const d = await gql(EVENTS);
    const n = d.calendlyEvents.nodes;
    fill(
      $("events"),
      n.length
        ? table("Calendly events", ["Event", "Type", "Status", "Starts", "Invitees"], n.map((e) => row(e.name, e.eventType && e.eventType.name, e.status, when(e.startTime), `${e.inviteesActive} / ${e.inviteesTotal}`)))
        : empty("No data yet: start the pipeline."),
    );
  } catch (e) {
    showError($("events"), e);
  }
  try {
    const d = await gql(INVITEES);
    const n = d.calendlyInvitees.nodes;
    fill(
      $("invitees"),
      n.length
        ? table("Calendly invitees", ["Name", "Email", "Status", "Event", "Booked"], n.map((i) => row(i.name, i.email, i.status, i.event && i.event.name, when(i.createdAt))))
        : empty("No data yet: start the pipeline."),
    );
  } catch (e) {
    showError($("invitees"), e);
  }
}

async function groups() {
  try {
    const d = await gql(GROUPS);
    const select = $("leads-group");
    const chosen = select.value;
    fill(select, el("option", { value: "", text: "All groups" }), ...d.leadGroups.map((g) => el("option", { value: g.title, text: g.title })));
    select.value = chosen;
  } catch (_) {
    // The table shows the error.
  }
}

function query() {
  const q = new URLSearchParams();
  if (filters.group) q.set("group", filters.group);
  if (filters.search) q.set("search", filters.search);
  const s = q.toString();
  return s ? `?${s}` : "";
}

const FILES = {
  csv: ["/api/combined_csv", "leads.csv"],
  json: ["/api/json", "leads.json"],
  parquet: ["/api/export/leads.parquet", "leads.parquet"],
};

export function init() {
  $("leads-filter").addEventListener("submit", (ev) => {
    ev.preventDefault();
    filters = { group: $("leads-group").value || null, search: $("leads-search").value.trim() || null };
    pages = [null];
    page = 0;
    leads();
  });
  $("leads-next").addEventListener("click", () => {
    page += 1;
    leads();
  });
  $("leads-prev").addEventListener("click", () => {
    page = Math.max(0, page - 1);
    leads();
  });
  for (const b of document.querySelectorAll("[data-download]")) {
    b.addEventListener("click", async () => {
      const [path, name] = FILES[b.dataset.download];
      const status = $("download-status");
      b.disabled = true;
      status.textContent = `Preparing ${name}…`;
      try {
        const bytes = await download(path + query(), name, (n) => {
          status.textContent = `${name}: ${Math.round(n / 1024)} KiB received…`;
        });
        status.textContent = `${name}: ${Math.round(bytes / 1024)} KiB downloaded.`;
      } catch (e) {
        status.textContent = e.message;
      } finally {
        b.disabled = false;
      }
    });
  }
}

export function render() {
  groups();
  leads();
  calendly();
}
