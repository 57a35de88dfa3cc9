// shulu dashboard: plain JavaScript, no external libraries (works offline).
"use strict";
const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";
let SITES = [];

function el(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function colour(v, lo, hi) { // green (low) -> red (high)
  const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
  return `hsl(${Math.round(120 * (1 - t))},70%,45%)`;
}

function key() { return sessionStorage.getItem("shulu-key") || ""; }

async function api(path, opts = {}) {
  const headers = Object.assign({"Content-Type": "application/json"}, opts.headers || {});
  if (key()) headers["Authorization"] = "Bearer " + key();
  const r = await fetch(path, Object.assign({}, opts, {headers}));
  const body = r.status === 204 ? null : await r.json();
  return {status: r.status, body};
}

async function loadSites() {
  const {body} = await api("/v1/sites");
  SITES = body;
  const svg = $("map");
  svg.textContent = "";
  const lons = SITES.map((s) => s.lon_deg), lats = SITES.map((s) => s.lat_deg);
  const [x0, x1] = [Math.min(...lons) - 2, Math.max(...lons) + 2], [y0, y1] = [Math.min(...lats) - 2, Math.max(...lats) + 2];
  const X = (lon) => 30 + (540 * (lon - x0)) / (x1 - x0), Y = (lat) => 390 - (360 * (lat - y0)) / (y1 - y0);
  const vals = SITES.map((s) => s.intensity_g_per_kwh), cap = Math.max(...SITES.map((s) => s.it_capacity_kw));
  for (let g = Math.ceil(x0 / 5) * 5; g <= x1; g += 5) el("text", {x: X(g), y: 412, class: "tick", "font-size": 10}, svg).textContent = g + "°E";
  const tbody = document.querySelector("#sites tbody");
  tbody.textContent = "";
  for (const s of SITES) {
    const r = 6 + 10 * Math.sqrt(s.it_capacity_kw / cap);
    const c = el("circle", {cx: X(s.lon_deg), cy: Y(s.lat_deg), r, fill: colour(s.intensity_g_per_kwh, Math.min(...vals), Math.max(...vals)),
      stroke: "#1b5e20", "stroke-width": 1 + 5 * s.renewable_share_frac, class: "site", "data-site": s.id}, svg);
    el("title", {}, c).textContent = `${s.id}: ${s.intensity_g_per_kwh.toFixed(0)} g/kWh, CFE ${(100 * s.renewable_share_frac).toFixed(0)}%`;
    el("text", {x: X(s.lon_deg) + r + 2, y: Y(s.lat_deg) + 4, "font-size": 11}, svg).textContent = s.id;
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${s.id}</td><td>${s.intensity_g_per_kwh.toFixed(0)}</td><td>${(100 * s.renewable_share_frac).toFixed(0)}%</td><td>${s.planned_kw.toFixed(1)}</td>`;
    tbody.appendChild(tr);
  }
  const sel = $("site-select");
  if (!sel.options.length) for (const s of SITES) sel.add(new Option(s.id, s.id));
}

async function loadForecast() {
  const site = $("site-select").value;
  if (!site) return;
  const {body} = await api(`/v1/sites/${encodeURIComponent(site)}/forecast?hours=48&window_h=${$("window-h").value || 2}`);
  const svg = $("forecast");
  svg.textContent = "";
  const v = body.intensity_g_per_kwh, n = v.length, lo = Math.min(...v) * 0.95, hi = Math.max(...v) * 1.05;
  const X = (i) => 40 + (550 * i) / Math.max(n - 1, 1), Y = (y) => 200 - (180 * (y - lo)) / (hi - lo || 1);
  const i0 = body.times.indexOf(body.best_window.start);
  let i1 = body.times.indexOf(body.best_window.end);
  if (i1 < 0) i1 = n - 1;
  el("rect", {x: X(i0), y: 10, width: Math.max(X(i1) - X(i0), 3), height: 190, fill: "#c8e6c9", id: "best-rect"}, svg);
  el("polyline", {points: v.map((y, i) => `${X(i)},${Y(y)}`).join(" "), fill: "none", stroke: "#37474f", "stroke-width": 2}, svg);
  el("text", {x: 4, y: 14, "font-size": 10}, svg).textContent = hi.toFixed(0);
  el("text", {x: 4, y: 200, "font-size": 10}, svg).textContent = lo.toFixed(0) + " g/kWh";
  $("best-window").textContent = `Best ${$("window-h").value} h window: ${body.best_window.start} → ${body.best_window.end}, mean ${body.best_window.mean_intensity_g_per_kwh.toFixed(0)} g/kWh`;
}

async function loadAccount() {
  if (!key()) return;
  const {status, body} = await api("/v1/accounts/me");
  const box = $("account");
  if (status !== 200) { box.innerHTML = `<span class="err">${status}: ${JSON.stringify(body.detail || body)}</span>`; return; }
  if (!body.months.length) { box.textContent = `${body.tenant}: no completed jobs yet.`; return; }
  let html = `<p>Tenant <b>${body.tenant}</b></p><table id="account-table"><tr><th>month</th><th>jobs</th><th>kWh</th><th>location kg</th><th>market kg</th><th>SCI kg/job</th></tr>`;
  for (const m of body.months) html += `<tr><td>${m.month}</td><td>${m.jobs}</td><td>${m.energy_kwh.toFixed(2)}</td><td>${m.emissions_location_kg.toFixed(3)}</td><td>${m.emissions_market_kg.toFixed(3)}</td><td>${m.sci_kg_per_job === null ? "–" : m.sci_kg_per_job.toFixed(3)}</td></tr>`;
  box.innerHTML = html + "</table>" + body.warnings.map((w) => `<p class="err">${w}</p>`).join("");
}

async function placeJob(ev) {
  ev.preventDefault();
  const job = {origin: $("origin").value, duration_s: 3600 * +$("duration-h").value, power_kw: +$("power-kw").value,
    slack_s: 3600 * +$("slack-h").value, job_class: $("job-class").value};
  if (window.SHULU_SUBMIT_TIME) job.submit_time = window.SHULU_SUBMIT_TIME;
  const {status, body} = await api("/v1/jobs", {method: "POST", body: JSON.stringify(job),
    headers: {"Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()}});
  const out = $("placement");
  if (status !== 201 && status !== 200) { out.innerHTML = `<p class="err">${status}: ${JSON.stringify(body.detail)}</p>`; return; }
  out.innerHTML = `<p class="ok" id="placed">Placed at <b id="placed-site">${body.site}</b>, start ${body.start_time}; expected ${body.expected_energy_kwh.toFixed(2)} kWh, ${body.expected_emissions_kg.toFixed(3)} kg CO2, latency ${body.latency_ms.toFixed(1)} ms.</p>
    <button id="complete" data-job="${body.id}" data-kwh="${(job.power_kw * job.duration_s / 3600).toFixed(4)}">Mark finished</button>`;
  $("complete").onclick = async (e) => {
    const b = e.target;
    await api(`/v1/jobs/${b.dataset.job}/complete`, {method: "POST", body: JSON.stringify({energy_it_kwh: +b.dataset.kwh})});
    b.disabled = true; b.textContent = "finished";
    await loadAccount(); await loadSites();
  };
  await loadSites();
}

async function init() {
  $("api-key").value = key();
  $("api-key").addEventListener("change", (e) => { sessionStorage.setItem("shulu-key", e.target.value.trim()); loadAccount(); });
  $("job-form").addEventListener("submit", placeJob);
  $("site-select").addEventListener("change", loadForecast);
  $("window-h").addEventListener("change", loadForecast);
  await loadSites();
  const {body: regions} = await api("/v1/regions");
  for (const r of regions) $("origin").add(new Option(r.name, r.id));
  await loadForecast();
  await loadAccount();
  $("clock").textContent = "served horizon, live state · " + new Date().toISOString().slice(0, 16) + "Z";
  document.body.dataset.ready = "1";
}
init().catch((e) => { console.error(e); $("clock").textContent = "error: " + e; });
