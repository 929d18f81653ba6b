// Overview: the pipeline's state and the data's freshness, row counts, leads
// per group, meetings booked per week, whether the database answers, the
// upstream connections and the outbox backlog.

import { gql } from "./api.js";
import { $, el, fill, empty, showError, when, barChart, table, row } from "./dom.js";

const STATUS = `query {
  health { status database version }
  upstreams { name configured sandbox failing budgetRemaining budgetResetsInSeconds
              lastSuccessAt lastError lastErrorAt failures }
  outbox(first: 1) { backlog }
  pipelineStatus {
    running { number status startedAt }
    lastRun { number status mode startedAt finishedAt }
    lastSuccess { number finishedAt }
    counts { leads calendlyUsers calendlyMemberships calendlyEventTypes calendlyEvents calendlyInvitees
             leadGroups { id title count } }
    freshness { updatedAt ageSeconds stale schedule }
  }
}`;

const EVENTS = `query($after: String) {
  calendlyEvents(first: 100, after: $after) { nodes { startTime status } pageInfo { hasNextPage endCursor } }
}`;

function connection(u) {
  const state = !u.configured ? "not configured" : u.failing ? "failing" : u.lastSuccessAt ? "answering" : "not called yet";
  const budget = u.budgetRemaining === null ? "—" : `${u.budgetRemaining.toLocaleString()} left${u.budgetResetsInSeconds === null ? "" : `, resets in ${u.budgetResetsInSeconds} s`}`;
  const error = u.lastError ? `${u.lastError} (${when(u.lastErrorAt)})` : "none";
  return row(u.name === "monday" ? "Monday" : "Calendly", `${state}${u.sandbox ? " (sandbox)" : ""}`, budget, when(u.lastSuccessAt), error);
}

function count(id, label, value) {
  return el("div", { className: "stat" }, el("span", { className: "stat-label", text: label }), el("strong", { id, text: String(value) }));
}

/** Monday-based week starts (UTC) of every active event. */
async function meetingsPerWeek() {
  const weeks = new Map();
  let after = null;
  for (let page = 0; page < 50; page += 1) {
    const d = await gql(EVENTS, { after });
    for (const e of d.calendlyEvents.nodes) {
      if (!e.startTime || e.status !== "active") continue;
      const t = new Date(e.startTime);
      const day = (t.getUTCDay() + 6) % 7;
      const monday = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() - day));
      const key = monday.toISOString().slice(0, 10);
      weeks.set(key, (weeks.get(key) || 0) + 1);
    }
    if (!d.calendlyEvents.pageInfo.hasNextPage) break;
    after = d.calendlyEvents.pageInfo.endCursor;
  }
  return [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export async function render() {
  const body = $("overview-body");
  fill(body, el("p", { text: "Loading…" }));
  let d;
  try {
    d = await gql(STATUS);
  } catch (e) {
    return showError(body, e);
  }
  const s = d.pipelineStatus;
  const c = s.counts;
  const parts = [];
  if (!s.lastSuccess && c.leads === 0) {
    parts.push(empty("No data yet: start the pipeline (Pipeline section)."));
  }
  const fresh = s.freshness;
  parts.push(
    el("h3", { text: "Pipeline" }),
    el(
      "ul",
      { className: "facts" },
      el("li", { text: s.running ? `Run ${s.running.number} is going (since ${when(s.running.startedAt)})` : "No run is going" }),
      el("li", { text: s.lastRun ? `Last run: ${s.lastRun.number}, ${s.lastRun.status} (${s.lastRun.mode}), ended ${when(s.lastRun.finishedAt)}` : "No run yet" }),
      el("li", { id: "freshness", text: fresh.updatedAt ? `Data read ${when(fresh.updatedAt)}${fresh.stale ? " — stale" : " — fresh"} (schedule ${fresh.schedule})` : `No data yet (schedule ${fresh.schedule})` }),
      el("li", { text: `Service ${d.health.status}, database ${d.health.database ? "answers" : "does not answer"}, version ${d.health.version}` }),
    ),
    el("h3", { text: "Connections" }),
    table("Connections", ["Upstream", "State", "Budget", "Last success", "Last error"], d.upstreams.map(connection)),
    el("p", { id: "outbox-backlog", text: d.outbox.backlog ? `Outbox: ${d.outbox.backlog} waiting for delivery (see Tickets).` : "Outbox: nothing waiting." }),
    el("h3", { text: "Counts" }),
    el(
      "div",
      { className: "stats" },
      count("count-leads", "Leads", c.leads),
      count("count-events", "Calendly events", c.calendlyEvents),
      count("count-invitees", "Calendly invitees", c.calendlyInvitees),
      count("count-event-types", "Event types", c.calendlyEventTypes),
      count("count-users", "Calendly users", c.calendlyUsers),
      count("count-memberships", "Memberships", c.calendlyMemberships),
    ),
    el("h3", { text: "Leads per group" }),
    c.leadGroups.length
      ? barChart("Leads per group", c.leadGroups.map((g) => [g.title, g.count]))
      : empty("No data yet: start the pipeline."),
  );
  if (c.leadGroups.length) {
    parts.push(
      table(
        "Leads per group",
        ["Group", "Leads"],
        c.leadGroups.map((g) => row(g.title, String(g.count))),
      ),
    );
  }
  const weeks = el("div", { id: "weeks" }, el("p", { text: "Counting meetings…" }));
  parts.push(el("h3", { text: "Meetings booked per week" }), weeks);
  fill(body, ...parts);
  try {
    const per = await meetingsPerWeek();
    fill(weeks, per.length ? barChart("Meetings per week", per.map(([w, n]) => [`week of ${w}`, n])) : empty("No meetings yet: start the pipeline."));
  } catch (e) {
    showError(weeks, e);
  }
}
