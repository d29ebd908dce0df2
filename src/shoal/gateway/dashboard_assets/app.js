// Shoal dashboard: plain JS, no build step, no network beyond this gateway's /v1/dashboard API.
// Every text reaches the page through textContent (never innerHTML), so logged values cannot inject markup.
"use strict";

const PAGES = [
  ["overview", "Overview"], ["spend", "Spend"], ["routing", "Routing"], ["privacy", "Privacy"],
  ["requests", "Requests"], ["evals", "Evals"], ["feedback", "Feedback"], ["models", "Models"],
  ["tco", "Cost of ownership"],
];
const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#4b5563"];
const state = { key: sessionStorage.getItem("shoal-key"), me: null, tcoOverrides: {} };

// --- DOM helpers -----------------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
const fmt = {
  n: (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 0 })),
  usd: (v) => (v === null || v === undefined ? "–" : "$" + Number(v).toLocaleString("en-US",
    { minimumFractionDigits: 2, maximumFractionDigits: Math.abs(v) < 1 ? 4 : 2 })),
  pct: (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"),
  ms: (v) => (v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US") + " ms"),
  q: (v) => (v === null || v === undefined ? "–" : Number(v).toFixed(3)),
  t: (ts) => new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19),
};
function card(label, value) { return el("div", { class: "card" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value)); }
function panel(title, ...body) { return el("section", { class: "panel" }, title ? el("h3", {}, title) : null, ...body); }
function table(headers, rows, opts) {
  const head = el("tr", {}, headers.map((h) => el("th", { class: h.num ? "num" : null }, h.label ?? h)));
  const body = rows.map((r) => {
    const tr = el("tr", opts && opts.onclick ? { class: "clickable", onclick: () => opts.onclick(r.raw) } : {},
      r.cells.map((c, i) => el("td", { class: headers[i].num ? "num" : null, dataset: r.data ? r.data[i] : undefined }, c)));
    return tr;
  });
  return el("table", opts && opts.id ? { id: opts.id } : {}, el("thead", {}, head), el("tbody", {}, body));
}
function bar(value, max) {
  const b = el("span", { class: "bar" });
  b.style.width = max > 0 ? Math.max(1, Math.round(120 * value / max)) + "px" : "0px";
  return b;
}
function meter(frac) {
  const inner = el("span");
  inner.style.width = Math.min(100, Math.round(100 * (frac || 0))) + "%";
  return el("span", { class: "meter" + (frac >= 1 ? " over" : frac >= 0.8 ? " warn" : "") }, inner);
}

// --- charts: small SVG line and bar charts ----------------------------------------------------------
function lineChart(series, opts) {
  // series: [{name, points: [[x, y], ...]}]; x are numbers (time or threshold)
  const W = 640, H = 200, L = 56, R = 12, T = 10, B = 28;
  const all = series.flatMap((s) => s.points).filter((p) => p[1] !== null && p[1] !== undefined);
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "chart" });
  if (!all.length) { root.append(svg("text", { x: W / 2 - 30, y: H / 2 }, "no data")); return root; }
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  let x0 = Math.min(...xs), x1 = Math.max(...xs); if (x0 === x1) { x0 -= 1; x1 += 1; }
  let y0 = opts.yMin !== undefined ? opts.yMin : Math.min(0, ...ys), y1 = Math.max(...ys); if (y0 === y1) y1 = y0 + 1;
  const sx = (x) => L + (W - L - R) * (x - x0) / (x1 - x0), sy = (y) => H - B - (H - T - B) * (y - y0) / (y1 - y0);
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4;
    root.append(svg("line", { x1: L, x2: W - R, y1: sy(y), y2: sy(y), stroke: "#e5e7eb" }));
    root.append(svg("text", { x: 2, y: sy(y) + 4 }, (opts.yFmt || ((v) => v.toPrecision(3)))(y)));
  }
  for (let i = 0; i <= 4; i++) {
    const x = x0 + (x1 - x0) * i / 4;
    root.append(svg("text", { x: Math.min(W - 60, sx(x) - 20), y: H - 8 }, (opts.xFmt || ((v) => v.toFixed(2)))(x)));
  }
  series.forEach((s, k) => {
    const pts = s.points.filter((p) => p[1] !== null && p[1] !== undefined);
    if (!pts.length) return;
    const color = s.color || COLORS[k % COLORS.length];
    root.append(svg("polyline", { fill: "none", stroke: color, "stroke-width": 2,
      points: pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ") }));
    if (opts.dots) for (const p of pts) root.append(svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: color },
      svg("title", {}, `${(opts.xFmt || String)(p[0])}: ${(opts.yFmt || String)(p[1])}`)));
  });
  return root;
}
function legend(names) {
  return el("div", { class: "legend" }, names.map((n, k) => { const i = el("i"); i.style.background = COLORS[k % COLORS.length]; return el("span", {}, i, n); }));
}
const timeFmt = (v) => new Date(v * 1000).toISOString().slice(5, 16).replace("T", " ");

// --- API ----------------------------------------------------------------------------------------------
async function api(path, params) {
  const q = new URLSearchParams();
  const days = Number(document.getElementById("range").value || 7);
  const now = Date.now() / 1000;
  q.set("since", String(Math.floor(now - days * 86400)));
  q.set("until", String(Math.ceil(now + 60)));
  const team = document.getElementById("team").value;
  if (team) q.set("team", team);
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  const res = await fetch(`/v1/dashboard/${path}?${q}`, { headers: { authorization: `Bearer ${state.key}` } });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) { logout(); throw new Error("session expired"); }
  if (!res.ok) throw new Error((body.error && body.error.message) || `HTTP ${res.status}`);
  return body;
}

// --- pages --------------------------------------------------------------------------------------------
const render = {
  async overview(main) {
    const d = await api("overview");
    const t = d.totals, pts = d.points;
    main.append(el("h2", {}, "Overview"), el("div", { class: "cards" },
      card("requests", fmt.n(t.requests)), card("spend (recorded)", fmt.usd(t.cost_usd)),
      card("tokens", fmt.n(t.prompt_tokens + t.completion_tokens)), card("latency p50", fmt.ms(t.latency_ms_p50)),
      card("latency p95", fmt.ms(t.latency_ms_p95)), card("first token p50", fmt.ms(t.ttft_ms_p50)),
      card("first token p95", fmt.ms(t.ttft_ms_p95)), card("error rate", fmt.pct(t.error_rate))));
    const ts = (key) => pts.map((p) => [p.t, p[key]]);
    main.append(el("div", { class: "grid2" },
      panel(`requests per ${d.grain}`, lineChart([{ name: "requests", points: ts("requests") }], { xFmt: timeFmt, yFmt: fmt.n })),
      panel(`spend per ${d.grain}`, lineChart([{ name: "spend", points: ts("cost_usd") }], { xFmt: timeFmt, yFmt: fmt.usd })),
      panel("latency", legend(["p50", "p95"]), lineChart([{ name: "p50", points: ts("latency_ms_p50") },
        { name: "p95", points: ts("latency_ms_p95") }], { xFmt: timeFmt, yFmt: fmt.ms })),
      panel(`tokens per ${d.grain}`, lineChart([
        { name: "tokens", points: pts.map((p) => [p.t, p.prompt_tokens + p.completion_tokens]) }], { xFmt: timeFmt, yFmt: fmt.n })),
      panel("error rate", lineChart([{ name: "error rate", color: COLORS[2], points: pts.map((p) => [p.t, p.requests ? p.errors / p.requests : 0]) }],
        { xFmt: timeFmt, yFmt: fmt.pct, yMin: 0 })),
      panel(`time to first token (${fmt.n(t.streamed || 0)} streamed requests)`, t.streamed
        ? [legend(["p50", "p95"]), lineChart([{ name: "p50", points: ts("ttft_ms_p50").filter((p) => p[1] !== null) },
          { name: "p95", points: ts("ttft_ms_p95").filter((p) => p[1] !== null) }], { xFmt: timeFmt, yFmt: fmt.ms })]
        : el("p", { class: "muted" }, "No streamed requests in this window."))));
  },

  async spend(main) {
    const d = await api("spend");
    main.append(el("h2", {}, "Spend"));
    const a = d.allocated;
    main.append(panel(`by team — self-hosted models charged by provisioned time (${a.hours.toFixed(1)} h, shared by tokens)`,
      table([{ label: "team" }, { label: "recorded", num: true }, { label: "with self-hosted allocation", num: true }],
        a.teams.map((r) => ({ cells: [r.team || "–", fmt.usd(r.recorded_usd), fmt.usd(r.allocated_usd)] }))),
      a.idle_usd ? el("p", { class: "muted" }, `idle self-hosted capacity: ${fmt.usd(a.idle_usd)}`) : null));
    const grid = el("div", { class: "grid2" });
    for (const [by, rows] of Object.entries(d.groups)) {
      const max = Math.max(0, ...rows.map((r) => r.cost_usd));
      grid.append(panel(`by ${by}`, table([{ label: by }, { label: "requests", num: true }, { label: "tokens", num: true },
        { label: "cost", num: true }, { label: "" }],
        rows.map((r) => ({ cells: [r.group || "–", fmt.n(r.requests), fmt.n(r.prompt_tokens + r.completion_tokens),
          fmt.usd(r.cost_usd), bar(r.cost_usd, max)] })))));
    }
    main.append(grid);
    main.append(panel("budgets", d.budgets.length ? table([{ label: "scope" }, { label: "name" }, { label: "today", num: true },
      { label: "of daily" }, { label: "this month", num: true }, { label: "of monthly" }],
      d.budgets.map((b) => ({ cells: [b.scope, b.name, fmt.usd(b.spent_today),
        b.usd_per_day ? el("span", {}, meter(b.day_used), " ", fmt.pct(b.day_used), " of ", fmt.usd(b.usd_per_day)) : "–",
        fmt.usd(b.spent_month),
        b.usd_per_month ? el("span", {}, meter(b.month_used), " ", fmt.pct(b.month_used), " of ", fmt.usd(b.usd_per_month)) : "–"] })))
      : el("p", { class: "muted" }, "no key or team has a USD budget")));
  },

  async routing(main) {
    const d = await api("routing");
    const s = d.savings, r = d.router;
    main.append(el("h2", {}, "Routing"), el("div", { class: "cards" },
      card("actual cost", fmt.usd(s.actual_usd)),
      card(`all on ${s.baseline_model || "frontier"}`, fmt.usd(s.baseline_usd)),
      card("saved vs all-frontier", s.baseline_usd ? `${fmt.usd(s.saved_usd)} (${fmt.pct(s.saved_usd / s.baseline_usd)})` : "–"),
      card("router-decided", fmt.n(r.decided)), card("escalation rate", fmt.pct(r.escalation_rate))));
    const max = Math.max(0, ...d.mix.map((m) => m.requests));
    main.append(el("div", { class: "grid2" },
      panel("mix by model and route", table([{ label: "model" }, { label: "route" }, { label: "requests", num: true },
        { label: "cost", num: true }, { label: "" }],
        d.mix.map((m) => ({ cells: [m.model || "–", m.route || "–", fmt.n(m.requests), fmt.usd(m.cost_usd), bar(m.requests, max)] })))),
      panel("reasons", table([{ label: "reason" }, { label: "requests", num: true }],
        d.reasons.map((x) => ({ cells: [x.reason, fmt.n(x.requests)] })))),
      panel(`router scores (p_ok) — ${r.cheap_model || "?"} above the threshold, ${r.strong_model || "?"} below`,
        lineChart(groupScores(r.scores), { dots: true, yFmt: fmt.n, xFmt: (v) => v.toFixed(2) }),
        legend([...new Set(r.scores.map((x) => x.model || "–"))]))));
  },

  async privacy(main) {
    const d = await api("privacy");
    main.append(el("h2", {}, "Privacy"), el("p", { class: "muted" }, "Counts and reasons only: this page never shows request content."),
      el("div", { class: "cards" }, card("sensitive requests", fmt.n(d.sensitive_requests)),
        card("kept on self-hosted", fmt.n(d.kept_self_hosted)), card("sent outside", fmt.n(d.sent_outside)),
        card("refused or failed", fmt.n(d.refused_or_failed))));
    const max = Math.max(0, ...d.reasons.map((x) => x.requests));
    main.append(el("div", { class: "grid2" },
      panel("by sensitivity", table([{ label: "level" }, { label: "requests", num: true }, { label: "self-hosted", num: true },
        { label: "external", num: true }, { label: "refused / failed", num: true }],
        d.levels.map((l) => ({ cells: [el("span", { class: "tag " + l.level }, l.level), fmt.n(l.requests), fmt.n(l.self_hosted),
          fmt.n(l.external), fmt.n(l.refused)] })))),
      panel("top reasons", table([{ label: "reason" }, { label: "requests", num: true }, { label: "" }],
        d.reasons.map((x) => ({ cells: [x.reason, fmt.n(x.requests), bar(x.requests, max)] }))))));
  },

  async requests(main) {
    main.append(el("h2", {}, "Requests"));
    const f = {};
    const inputs = ["model", "route", "sensitivity", "status", "user"].map((name) => {
      const i = el("input", { name, placeholder: name, size: 12 }); f[name] = i; return i;
    });
    const body = el("div");
    const detail = el("div", { id: "request-detail" });
    let next = null;
    const load = async (more) => {
      const params = {};
      for (const [k, i] of Object.entries(f)) params[k] = i.value.trim();
      if (more && next) Object.assign(params, next);
      const d = await api("requests", params);
      next = d.next;
      const rows = d.data.map((r) => ({ raw: r, cells: [fmt.t(r.ts), r.team || "–", r.user || "–", r.model || "–", r.route || "–",
        el("span", { class: "tag " + (r.sensitivity || "") }, r.sensitivity || "–"), String(r.status),
        fmt.n(r.prompt_tokens + r.completion_tokens), fmt.usd(r.cost_usd), fmt.ms(r.latency_ms)] }));
      const t = table([{ label: "time (UTC)" }, { label: "team" }, { label: "user" }, { label: "model" }, { label: "route" },
        { label: "sensitivity" }, { label: "status" }, { label: "tokens", num: true }, { label: "cost", num: true },
        { label: "latency", num: true }], rows, { id: "requests-table", onclick: (r) => showRequest(r.request_id, detail) });
      if (!more) body.replaceChildren();
      body.append(t);
      moreBtn.hidden = !next;
    };
    const moreBtn = el("button", { class: "secondary", type: "button", onclick: () => load(true).catch(showError) }, "Load more");
    main.append(el("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); load(false).catch(showError); } },
      inputs, el("button", { type: "submit" }, "Filter")), el("div", { class: "grid2" }, panel("", body, moreBtn), panel("detail", detail)));
    await load(false);
  },

  async evals(main) {
    const d = await api("evals");
    main.append(el("h2", {}, "Evals"));
    if (!d.runs.length) { main.append(panel("", el("p", { class: "muted" }, "No eval runs yet: `shoal eval run SPEC`."))); return; }
    if (d.recommendation) main.append(panel(`recommendation (run ${d.recommendation.run_id})`,
      el("div", { class: "detail" }, d.recommendation.lines.join("\n"))));
    for (const run of d.runs) {
      main.append(panel(`${run.run_id} — ${run.spec} (${run.items} items, ${run.created})`,
        table([{ label: "target" }, { label: "models" }, { label: "quality", num: true }, { label: "p50 s", num: true },
          { label: "p95 s", num: true }, { label: "$ / 1k requests", num: true }, { label: "errors", num: true }],
          run.targets.map((t) => ({ cells: [t.target, (t.models || []).join(", "), fmt.q(t.quality),
            t.latency_p50_s === null ? "–" : t.latency_p50_s.toFixed(2), t.latency_p95_s === null ? "–" : t.latency_p95_s.toFixed(2),
            fmt.usd(t.cost_per_1k_usd), fmt.pct(t.error_rate)] })))));
    }
  },

  async feedback(main) {
    const d = await api("feedback");
    main.append(el("h2", {}, "Feedback"), el("div", { class: "cards" }, card("total", fmt.n(d.total)),
      card("pending review", fmt.n(d.counts.pending || 0)), card("accepted", fmt.n(d.counts.accepted || 0)),
      card("rejected", fmt.n(d.counts.rejected || 0))));
    main.append(el("div", { class: "grid2" },
      panel("recent", table([{ label: "time (UTC)" }, { label: "request" }, { label: "team" }, { label: "rating", num: true },
        { label: "correction" }, { label: "status" }],
        d.recent.map((f) => ({ cells: [fmt.t(f.ts), f.request_id, f.team || "–", f.rating ?? "–", f.has_correction ? "yes" : "", f.status] })))),
      panel("dataset versions", d.datasets.length ? table([{ label: "dataset" }, { label: "version", num: true }, { label: "examples", num: true }],
        d.datasets.map((x) => ({ cells: [x.name, x.version, x.examples ?? "–"] }))) : el("p", { class: "muted" }, "none yet"))));
  },

  async models(main) {
    const d = await api("models");
    main.append(el("h2", {}, "Models"), panel("configured", table([{ label: "name" }, { label: "provider" }, { label: "locality" },
      { label: "$ in / out per 1M", num: true }, { label: "$ per GPU-hour", num: true }, { label: "GPUs", num: true }, { label: "context", num: true }],
      d.models.map((m) => ({ cells: [m.name, m.provider, m.locality, m.hourly_usd !== null ? "–" : `${m.input_per_mtok} / ${m.output_per_mtok}`,
        m.hourly_usd ?? "–", m.gpus ?? "–", fmt.n(m.context_window)] })))));
    if (!d.registry.models.length) { main.append(panel("registry", el("p", { class: "muted" }, "No registered versions yet (`shoal tune lora`)."))); return; }
    for (const m of d.registry.models) {
      const aliases = Object.entries(m.aliases).map(([a, v]) => `${a}: v${v}`).join(" · ") || "no aliases";
      main.append(panel(`${m.name} — ${aliases}`,
        table([{ label: "version", num: true }, { label: "base" }, { label: "dataset" }, { label: "created (UTC)" }],
          m.versions.map((v) => ({ cells: [v.version, v.base_model, v.dataset || "–", fmt.t(v.created_at)] }))),
        el("h3", {}, "promotions and rollbacks"),
        table([{ label: "when" }, { label: "action" }, { label: "detail" }],
          m.history.map((h) => ({ cells: [h.ts ? fmt.t(h.ts) : "–", h.action || "–", JSON.stringify(h)] })))));
    }
  },

  async tco(main) {
    const d = await api("tco", Object.fromEntries(Object.entries(state.tcoOverrides).map(([k, v]) => ["a." + k, v])));
    const o = d.options, obs = d.observed;
    main.append(el("h2", {}, "Cost of ownership"), el("p", { class: "muted" },
      `A month of the observed traffic: ${fmt.n(obs.requests)} requests over ${obs.hours.toFixed(1)} h (×${d.month_factor.toFixed(2)}), ` +
      `peak ${obs.peak_tokens_per_s.toFixed(1)} tokens/s. ` + (d.eval_run ? `Quality from eval run ${d.eval_run}.` : "No eval run yet: quality unknown.")));
    const rows = [["monthly running cost", "monthly_usd", fmt.usd], ["one-off setup", "setup_usd", fmt.usd],
      ["confidential requests sent outside", "confidential_outside_share", fmt.pct], ["quality (latest eval)", "quality", fmt.q],
      ["GPUs", "gpus", fmt.n]];
    const head = el("tr", {}, el("th"), o.map((x) => el("th", {}, x.name[0].toUpperCase() + x.name.slice(1), el("br"),
      el("small", { class: "muted" }, x.models.join(", ")))));
    const body = rows.map(([label, key, f]) => el("tr", {}, el("th", {}, label),
      o.map((x) => el("td", { dataset: { option: x.name, field: key } }, f(x[key])))));
    main.append(panel("", el("table", { id: "tco-table", class: "tco" }, el("thead", {}, head), el("tbody", {}, body))));
    main.append(el("div", { class: "grid2" }, o.map((x) => panel(x.name[0].toUpperCase() + x.name.slice(1),
      el("ul", {}, x.lines.map((l) => el("li", {}, `${l.label}: `, el("b", {}, fmt.usd(l.usd)))),
        x.notes.map((n) => el("li", { class: "muted" }, n)))))));
    if (d.what_if) {
      const w = d.what_if;
      main.append(panel(`what-if: router threshold (${fmt.n(w.requests)} router-decided requests; ${w.cheap_model} vs ${w.strong_model})`,
        el("div", { class: "grid2" },
          lineChart([{ name: "monthly cost", points: w.points.map((p) => [p.threshold, p.monthly_usd]) }], { dots: true, yFmt: fmt.usd, title: "cost by threshold" }),
          lineChart([{ name: "estimated quality", color: COLORS[1], points: w.points.map((p) => [p.threshold, p.quality ?? p.quality_delta]) }],
            { dots: true, yMin: w.points[0].quality === null ? undefined : 0, yFmt: (v) => v.toFixed(3), title: "quality by threshold" })),
        el("p", { class: "muted" }, "x: threshold on p_ok; left: monthly cost of the router-decided traffic; right: " +
          (w.points[0].quality === null ? `estimated change in quality score vs everything on ${w.strong_model} (no eval run yet)`
            : `estimated quality (${w.strong_model}'s latest eval score + the router's predicted differences)`))));
    }
    const inputs = {};
    const form = el("form", { id: "assumptions", class: "assumptions", onsubmit: (e) => {
      e.preventDefault();
      state.tcoOverrides = {};
      for (const [name, i] of Object.entries(inputs)) if (i.value !== i.dataset.initial) state.tcoOverrides[name] = i.value;
      show("tco");
    } });
    const arows = d.assumptions.map((a) => {
      const i = el("input", { name: a.name, value: a.value ?? "", dataset: { initial: String(a.value ?? "") } });
      inputs[a.name] = i;
      return { cells: [a.name, i, a.from || (a.default ? "default" : "shoal.yaml"), a.source] };
    });
    form.append(table([{ label: "assumption" }, { label: "value" }, { label: "from" }, { label: "source of the default" }], arows),
      el("p", {}, el("button", { type: "submit", id: "recalculate" }, "Recalculate"), " ",
        el("button", { type: "button", class: "secondary", onclick: () => { state.tcoOverrides = {}; show("tco"); } }, "Reset"),
        el("span", { class: "muted" }, "  What-if only: changes here are not saved to shoal.yaml.")));
    main.append(panel("assumptions", form));
  },
};

function groupScores(scores) {
  const by = {};
  for (const s of scores) (by[s.model || "–"] = by[s.model || "–"] || []).push([s.score, s.requests]);
  return Object.entries(by).map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
}

async function showRequest(id, target) {
  target.replaceChildren(el("p", { class: "muted" }, "loading…"));
  try {
    const r = await fetch(`/v1/dashboard/requests/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${state.key}` } });
    const d = await r.json();
    if (!r.ok) throw new Error(d.error ? d.error.message : `HTTP ${r.status}`);
    const facts = [["request", d.request_id], ["time (UTC)", fmt.t(d.ts)], ["team / user", `${d.team || "–"} / ${d.user || "–"}`],
      ["model", `${d.model || "–"} (${d.served_model_id || "–"})`], ["route", `${d.route || "–"}: ${(d.route_reasons || []).join(", ")}`],
      ["sensitivity", `${d.sensitivity || "–"}: ${(d.sensitivity_reasons || []).join(", ")}`], ["status", `${d.status} ${d.error || ""}`],
      ["tokens", `${d.prompt_tokens} in, ${d.completion_tokens} out`], ["cost", fmt.usd(d.cost_usd)], ["latency", fmt.ms(d.latency_ms)],
      ["first token", d.stream ? fmt.ms(d.ttft_ms) : "not streamed"]];
    target.replaceChildren(table([{ label: "" }, { label: "" }], facts.map((f) => ({ cells: f }))));
    if (d.content_visible) {
      const msgs = (d.request_messages || []).map((m) => `${m.role}: ${m.content}`).join("\n\n");
      target.append(el("h3", {}, "request"), el("div", { class: "detail" }, msgs || "(content logging off)"),
        el("h3", {}, "response"), el("div", { class: "detail" }, d.response_text || "(content logging off)"));
    } else target.append(el("p", { class: "muted" }, d.content_note));
  } catch (e) { target.replaceChildren(el("p", { class: "error" }, e.message)); }
}

// --- shell --------------------------------------------------------------------------------------------
function showError(e) { document.getElementById("page").append(el("p", { class: "error", role: "alert" }, e.message)); }

async function show(page) {
  if (!render[page]) page = "overview";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  const main = document.getElementById("page");
  main.replaceChildren(el("p", { class: "muted" }, "loading…"));
  const fresh = el("div", { id: "page-" + page });
  try { await render[page](fresh); main.replaceChildren(fresh); } catch (e) { main.replaceChildren(fresh); showError(e); }
  main.dataset.ready = page;
}

function current() { return (location.hash || "#/overview").slice(2) || "overview"; }

async function enter() {
  const res = await fetch("/v1/dashboard/whoami", { headers: { authorization: `Bearer ${state.key}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || `HTTP ${res.status}`);
  state.me = body;
  const teamSel = document.getElementById("team");
  teamSel.replaceChildren(...(body.admin ? [el("option", { value: "" }, "all teams"), ...body.teams.map((t) => el("option", { value: t }, t))]
    : [el("option", { value: body.team }, body.team)]));
  teamSel.disabled = !body.admin;
  document.getElementById("who").textContent = body.admin ? "admin" : `team ${body.team}`;
  document.getElementById("login").hidden = true;
  document.getElementById("shell").hidden = false;
  await show(current());
}

function logout() {
  sessionStorage.removeItem("shoal-key");
  state.key = null;
  document.getElementById("shell").hidden = true;
  document.getElementById("login").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("nav").append(...PAGES.map(([id, label]) => el("a", { href: "#/" + id, dataset: { page: id } }, label)));
  window.addEventListener("hashchange", () => { if (state.me) show(current()); });
  const range = document.getElementById("range");
  if (sessionStorage.getItem("shoal-range")) range.value = sessionStorage.getItem("shoal-range");
  range.addEventListener("change", () => { sessionStorage.setItem("shoal-range", range.value); show(current()); });
  document.getElementById("team").addEventListener("change", () => show(current()));
  document.getElementById("logout").addEventListener("click", logout);
  document.getElementById("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    state.key = document.getElementById("key").value.trim();
    try { await enter(); sessionStorage.setItem("shoal-key", state.key); }
    catch (err) { document.getElementById("login-error").textContent = err.message; state.key = null; }
  });
  if (state.key) enter().catch(() => logout()); else logout();
});
