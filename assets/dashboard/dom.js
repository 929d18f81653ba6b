// Building the page without HTML strings: every value from the data goes in
// as text (textContent, attributes), so a name like `<img onerror=…>` stays
// a name.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "on") for (const [ev, f] of Object.entries(v)) node.addEventListener(ev, f);
    else if (k === "className") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function fill(parent, ...children) {
  parent.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

/** A table with a caption-less header row and one row per item. */
export function table(label, headers, rows) {
  return el(
    "table",
    { "aria-label": label },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows),
  );
}

export function row(...cells) {
  return el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: c ?? "" }))));
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function empty(text) {
  return el("p", { className: "empty", text });
}

/** Shows an error's message (never a stack) in a live region. */
export function showError(where, e) {
  fill(where, el("p", { className: "error", role: "alert", text: e && e.message ? e.message : String(e) }));
}

/** A horizontal SVG bar chart of `[label, value]`. */
export function barChart(label, data) {
  const max = Math.max(1, ...data.map(([, v]) => v));
  const rowH = 26;
  const labelW = 130;
  const width = 520;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${Math.max(rowH, data.length * rowH)}`,
    role: "img",
    "aria-label": label,
    class: "chart",
  });
  data.forEach(([name, value], i) => {
    const y = i * rowH;
    const w = Math.round(((width - labelW - 60) * value) / max);
    chart.append(
      svg("text", { x: 0, y: y + 17, class: "chart-label", text: name }),
      svg("rect", { x: labelW, y: y + 4, width: Math.max(w, 1), height: rowH - 8, class: "chart-bar" }),
      svg("text", { x: labelW + w + 6, y: y + 17, class: "chart-value", text: String(value) }),
    );
  });
  return chart;
}
