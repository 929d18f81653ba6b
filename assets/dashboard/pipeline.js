// Pipeline: start (incremental or full) and cancel a run, its progress per
// stream and its log streamed live over `pipelineProgress`, and the history.

import { gql, token } from "./api.js";
import { subscribe } from "./ws.js";
import { $, el, fill, empty, showError, when, table, row } from "./dom.js";

const RUN_FIELDS = "id number status mode trigger startedAt finishedAt error progress { stream done total }";
const START = `mutation($mode: PipelineMode!) { startPipeline(mode: $mode) { ${RUN_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelPipeline(id: $id) { ${RUN_FIELDS} } }`;
const RUNS = `query { pipelineRuns(first: 20) { nodes { ${RUN_FIELDS} stats { stream fetched inserted updated deleted } } } }`;
const RUN = `query($id: ID!) { pipelineRun(id: $id) { ${RUN_FIELDS} } }`;
const PROGRESS = `subscription($id: ID!) {
  pipelineProgress(runId: $id) { finished run { ${RUN_FIELDS} } log { id at level stream message } }
}`;

let live = null;
let current = null;

export function stop() {
  if (live) live.close();
  live = null;
}

function showRun(run) {
  current = run;
  $("run-number").textContent = String(run.number);
  $("run-status").textContent = run.status;
  $("pipeline-cancel").disabled = run.status !== "RUNNING";
  let done = 0;
  let total = 0;
  let known = true;
  const bars = run.progress.map((p) => {
    done += p.done;
    if (p.total === null || p.total === undefined) known = false;
    else total += p.total;
    const max = p.total ?? Math.max(p.done, 1);
    const id = `progress-${p.stream}`;
    return el(
      "div",
      { className: "bar" },
      el("label", { for: id, text: p.stream }),
      el("progress", { id, max: String(Math.max(max, 1)), value: String(Math.min(p.done, max)) }),
      el("span", { text: p.total === null || p.total === undefined ? `${p.done}` : `${p.done} / ${p.total}` }),
    );
  });
  fill($("progress"), ...bars);
  let pct;
  if (run.status === "SUCCEEDED") pct = 100;
  else if (known && total > 0) pct = Math.min(100, Math.floor((100 * done) / total));
  else pct = null;
  $("progress-overall").textContent = pct === null ? "…" : `${pct}%`;
  if (run.error) showError($("pipeline-error"), new Error(run.error));
}

function logLines(lines) {
  const log = $("log");
  for (const l of lines) {
    log.append(el("li", { className: `log-${l.level.toLowerCase()}`, text: `${new Date(l.at).toLocaleTimeString()} ${l.level} ${l.stream ? `[${l.stream}] ` : ""}${l.message}` }));
  }
  log.scrollTop = log.scrollHeight;
}

function follow(run) {
  stop();
  showRun(run);
  fill($("log"));
  if (run.status !== "RUNNING") return;
  live = subscribe(PROGRESS, { id: run.id }, token(), {
    next(d) {
      const ev = d.pipelineProgress;
      showRun(ev.run);
      logLines(ev.log);
      if (ev.finished) {
        stop();
        history();
      }
    },
    error(m) {
      showError($("pipeline-error"), new Error(m));
      settle(run.id);
    },
    complete() {
      settle(run.id);
    },
  });
}

/** The run as stored, once the live stream has ended either way. */
async function settle(id) {
  try {
    const d = await gql(RUN, { id });
    showRun(d.pipelineRun);
  } catch (e) {
    showError($("pipeline-error"), e);
  }
  history();
}

async function history() {
  const where = $("runs");
  try {
    const d = await gql(RUNS);
    const runs = d.pipelineRuns.nodes;
    if (!runs.length) return fill(where, empty("No runs yet: start the pipeline."));
    const stats = (r) => r.stats.map((s) => `${s.stream}: ${s.fetched} read, +${s.inserted} ~${s.updated} −${s.deleted}`).join("; ");
    fill(
      where,
      table(
        "Run history",
        ["Run", "Status", "Mode", "Trigger", "Started", "Ended", "Stats"],
        runs.map((r) => row(String(r.number), r.status, r.mode, r.trigger, when(r.startedAt), when(r.finishedAt), stats(r) || r.error || "")),
      ),
    );
    if (!current && runs[0]) follow(runs[0]);
  } catch (e) {
    showError(where, e);
  }
}

export function init() {
  $("pipeline-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fill($("pipeline-error"));
    $("pipeline-start").disabled = true;
    try {
      const d = await gql(START, { mode: $("pipeline-mode").value });
      follow(d.startPipeline);
      history();
    } catch (e) {
      showError($("pipeline-error"), e);
    } finally {
      $("pipeline-start").disabled = false;
    }
  });
  $("pipeline-cancel").addEventListener("click", async () => {
    if (!current) return;
    try {
      const d = await gql(CANCEL, { id: current.id });
      showRun(d.cancelPipeline);
    } catch (e) {
      showError($("pipeline-error"), e);
    }
  });
}

export function render() {
  history();
}
