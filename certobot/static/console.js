// The collection team's console. No framework, no CDN: the page must work with no internet and
// under a CSP that forbids inline script and style. Every number comes from the operator API.
"use strict";
let key = sessionStorage.getItem("certobot-key") || "", current = null, page = 1, timer = null;
const $ = id => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const money = v => v == null ? "—" : Number(v).toLocaleString("pt-BR", {style: "currency", currency: "BRL"});
const fmt = s => s ? new Date(s).toLocaleString("pt-BR", {timeZone: "America/Sao_Paulo"}) : "—";
const secs = v => v == null ? "—" : `${Number(v).toLocaleString("pt-BR")} s`;
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; };

function showError(msg) { const b = $("error"); b.textContent = msg; b.hidden = !msg; }
// Every call goes through here: a refusal is shown with the API's Portuguese detail, never swallowed.
async function api(path, opts = {}) {
  const headers = {"Authorization": "Bearer " + key};
  if (opts.body && !(opts.body instanceof FormData)) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {...opts, headers});
  if (r.status === 401) { logout(); throw new Error("Sessão expirada: entre de novo."); }
  if (!r.ok) {
    let detail = `Erro ${r.status}`;
    try { const b = await r.json(); detail = typeof b.detail === "string" ? b.detail : (b.detail?.[0]?.msg || detail); } catch (_) { /* not JSON */ }
    throw new Error(r.status === 403 ? "Seu perfil não tem permissão para isso." : detail);
  }
  return r;
}
const guard = fn => async (...args) => { try { await fn(...args); } catch (e) { showError(e.message); } };

function logout() {
  sessionStorage.removeItem("certobot-key"); key = ""; clearInterval(timer); stopLive();
  $("app").hidden = true; $("logout").hidden = true; $("login").hidden = false;
}
$("loginForm").onsubmit = async e => {
  e.preventDefault(); key = $("key").value.trim();
  const user = $("user").value.trim();
  if (user) {  // a person: trade the password for a short-lived token; the service key is for machines
    const login = await fetch("/api/auth/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({username: user, password: key})});
    if (!login.ok) { $("loginError").textContent = login.status === 429 ? "Muitas tentativas; aguarde alguns minutos." : "Usuário ou senha incorretos."; return; }
    key = (await login.json()).access_token;
  }
  const r = await fetch("/api/conversations?page_size=1", {headers: {"Authorization": "Bearer " + key}});
  if (!r.ok) { $("loginError").textContent = "Chave recusada."; return; }
  sessionStorage.setItem("certobot-key", key); $("loginError").textContent = ""; start();
};
$("logout").onclick = logout;

function start() {
  $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false;
  show(location.hash.slice(1) || "dashboard");
  refresh(); clearInterval(timer); startLive();  // live.js: server-sent events, polling only while they are down
}
function show(tab) {
  for (const b of document.querySelectorAll(".tab")) {
    if (b.dataset.tab === tab) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  }
  for (const s of document.querySelectorAll("main > section.panel")) s.hidden = s.id !== tab;
  history.replaceState(null, "", "#" + tab);
  showError(""); refresh();
  document.dispatchEvent(new CustomEvent("console:tab", {detail: tab}));  // pages with their own script listen
}
for (const b of document.querySelectorAll(".tab")) b.onclick = () => show(b.dataset.tab);
function refresh() {
  if (!key) return;
  channel().catch(() => {});
  if (!$("dashboard").hidden) guard(dashboard)();
  if (!$("inbox").hidden) { guard(inbox)(); if (current) guard(open)(current, true); }
  if (!$("campaigns").hidden && typeof campaignList === "function") guard(campaignList)();  // campaigns.js
  document.dispatchEvent(new Event("console:refresh"));  // pages in their own scripts (review.js)
}
async function channel() {
  // WAHA: a session waiting for its QR code (or failed) sends nothing; the operator must see it.
  const c = await (await api("/api/whatsapp/channel")).json(), pill = $("channel");
  pill.hidden = c.provider !== "waha";
  pill.className = "pill " + (c.working ? "up" : "down");
  pill.textContent = c.working ? "WhatsApp (WAHA): conectado"
    : c.status === "SCAN_QR_CODE" ? "WhatsApp (WAHA): leia o QR code no painel do WAHA"
    : "WhatsApp (WAHA): " + (c.status || "sem resposta");
}

// ---------- Dashboard ----------
function periodQuery() {
  const range = $("range").value;
  if (range === "custom") return withFilters(new URLSearchParams({from: $("from").value, to: $("to").value}));
  const today = new Date(new Date().toLocaleString("en-US", {timeZone: "America/Sao_Paulo"}));
  const start = new Date(today); start.setDate(today.getDate() - Number(range));
  const iso = d => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return withFilters(new URLSearchParams({from: iso(start), to: iso(today)}));
}
// The dashboard's creditor and segment (dashfilters.js fills their options) go with every period.
function withFilters(q) {
  for (const id of ["creditor", "segment"]) if ($(id)?.value) q.set(id, $(id).value);
  return q.toString();
}
$("range").onchange = () => { $("customRange").hidden = $("range").value !== "custom"; if ($("range").value !== "custom") guard(dashboard)(); };
$("period").onsubmit = e => { e.preventDefault(); guard(dashboard)(); };
async function dashboard() {
  if (typeof dashFilters === "function") dashFilters().catch(() => {});  // dashfilters.js: creditor and segment options
  const s = await (await api("/api/metrics/summary?" + periodQuery())).json();
  const cards = [["Contatados", s.contacted], ["Responderam", s.answered], ["Identidade confirmada", s.identity_confirmed],
    ["Acordos", s.agreements], ["Valor negociado", money(s.amount_negotiated)], ["Valor recuperado", money(s.amount_recovered)],
    ["Com atendente", s.handoffs], ["Pediram para sair", s.opt_outs],
    ["Mediana 1ª resposta", secs(s.median_first_response_seconds)], ["Mediana das respostas", secs(s.median_reply_seconds)],
    ["Mediana resposta do devedor", secs(s.median_debtor_reply_seconds)]];
  $("cards").replaceChildren(...cards.map(([label, v]) => { const c = el("div", null, "card"); c.append(el("span", label), el("strong", String(v))); return c; }));
  const max = Math.max(1, s.contacted), funnel = $("funnel");
  funnel.replaceChildren(...s.funnel.map(step => {
    const row = el("div", null, "bar"), fill = el("div", null, "fill");
    fill.style.width = (100 * step.count / max) + "%";  // CSSOM, allowed by the CSP (no style attribute)
    const track = el("div", null, "track"); track.append(fill);
    row.append(el("span", step.label), track, el("b", String(step.count))); return row;
  }));
  drawConversion(s.funnel.slice(1));
}
// A bar chart in SVG built here: no chart library, nothing fetched from outside.
function drawConversion(steps) {
  const w = 360, h = 180, pad = 28, bw = (w - pad * 2) / Math.max(1, steps.length);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h + 40}`); svg.setAttribute("class", "chart");
  const add = (tag, attrs, text) => { const n = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text) n.textContent = text; svg.append(n); return n; };
  add("line", {x1: pad, y1: h, x2: w - pad, y2: h, class: "axis"});
  steps.forEach((step, i) => {
    const rate = step.rate == null ? 0 : Number(step.rate), bh = (h - 20) * rate, x = pad + i * bw + 8;
    add("rect", {x, y: h - bh, width: bw - 16, height: bh, class: "col"});
    const pct = step.rate == null ? "—" : `${(rate * 100).toLocaleString("pt-BR", {maximumFractionDigits: 1})}%`;
    add("text", {x: x + (bw - 16) / 2, y: h - bh - 5, "text-anchor": "middle", class: "val"}, pct);
    add("text", {x: x + (bw - 16) / 2, y: h + 16, "text-anchor": "middle", class: "lbl"}, step.label);
  });
  $("chart").replaceChildren(svg);
}
$("exportCsv").onclick = guard(async () => {
  // The API wants the token in a header, so the file is fetched here and handed to the browser.
  const r = await api("/api/metrics/summary.csv?" + periodQuery());
  const a = el("a"); a.href = URL.createObjectURL(await r.blob());
  a.download = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "certobot.csv";
  document.body.append(a); a.click(); a.remove();
});

// ---------- Inbox ----------
$("search").onsubmit = e => { e.preventDefault(); page = 1; guard(inbox)(); };
$("status").onchange = $("outcome").onchange = () => { page = 1; guard(inbox)(); };
$("prev").onclick = () => { if (page > 1) { page--; guard(inbox)(); } };
$("next").onclick = () => { page++; guard(inbox)(); };
let inboxDrawn = "";
async function inbox() {
  // POST: a CPF or phone typed in the search goes in the body, never in a URL or an access log.
  const body = {q: $("q").value.trim(), status: $("status").value || null, outcome: $("outcome").value || null, page, page_size: 15};
  const p = await (await api("/api/inbox/search", {method: "POST", body: JSON.stringify(body)})).json();
  const pages = Math.max(1, Math.ceil(p.total / p.page_size));
  if (page > pages) { page = pages; return inbox(); }
  // Unchanged since the last drawing (a live event about another page, a poll): leave the rows be,
  // so a keyboard or screen-reader user walking the list is not put on new elements under them.
  const drawn = JSON.stringify([p, current]);
  if (drawn === inboxDrawn && $("conversations").children.length) return;
  inboxDrawn = drawn;
  const rows = p.items.map(c => {
    const tr = el("tr", null, "row" + (c.session_id === current ? " sel" : "")); tr.tabIndex = 0; tr.dataset.id = c.session_id;
    tr.append(el("td", c.debtor_name || "—"), el("td", c.cpf || "—"), el("td", c.phone), el("td", money(c.amount)));
    const st = el("td"); st.append(el("span", c.status_label, "pill " + c.status));
    // A person in crisis nobody has answered: listed first by the API, and said in words, not only in colour.
    if (c.attention) { tr.classList.add("attention"); st.append(" ", el("span", "⚠ " + c.attention_label, "pill crisis")); }
    tr.append(st, el("td", c.outcome_label));
    const go = guard(() => open(c.session_id));
    tr.onclick = go; tr.onkeydown = e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } };
    return tr;
  });
  if (!rows.length) { const tr = el("tr"); const td = el("td", "Nenhuma conversa encontrada.", "muted"); td.colSpan = 6; tr.append(td); rows.push(tr); }
  // Polling redraws the list: keep a keyboard user's place instead of dropping focus to the page.
  const focused = document.activeElement?.closest?.("#conversations tr.row")?.dataset.id;
  $("conversations").replaceChildren(...rows);
  if (focused) rows.find(r => r.dataset.id === focused)?.focus();
  $("pageInfo").textContent = p.total ? `Página ${page} de ${pages} · ${p.total} conversas` : "";
  $("prev").disabled = page <= 1; $("next").disabled = page >= pages;
}
const STATUS = {active: "Com a assistente", handoff: "Com atendente", completed: "Encerrada", failed: "Falhou", abandoned: "Sem resposta"};
const AUTHOR = {debtor: "Devedor", bot: "Assistente", operator: "Atendente", system: "Sistema"};
async function open(id, quiet) {
  const changed = current !== id; current = id;
  const d = await (await api("/api/conversations/" + id)).json();
  const ag = d.agreement ? ` · acordo ${{active: "ativo", paid: "quitado", broken: "rompido", cancelled: "cancelado"}[d.agreement.status]} · pago ${Number(d.agreement.paid_amount).toLocaleString("pt-BR", {style: "currency", currency: "BRL"})} · em aberto ${Number(d.agreement.open_amount).toLocaleString("pt-BR", {style: "currency", currency: "BRL"})}` : "";
  $("convTitle").textContent = `${d.debtor_cpf || d.phone} · ${STATUS[d.status] || d.status}${ag}`;
  $("actions").hidden = false;
  $("takeover").hidden = d.status !== "active";
  $("handback").hidden = d.status !== "handoff";
  $("write").hidden = d.status !== "handoff";
  $("noteForm").hidden = false;
  $("attention").hidden = d.attention !== "crisis";
  const box = $("transcript");
  box.replaceChildren(...d.transcript.map(l => {
    const div = el("div", null, "line " + l.direction + (l.author === "operator" ? " operator" : ""));
    div.append(el("span", `${AUTHOR[l.author] || l.author} · ${fmt(l.at)}`, "who"), document.createTextNode(l.text));
    return div;
  }));
  if (!quiet) box.scrollTop = box.scrollHeight;
  if (changed) {
    const row = [...document.querySelectorAll("#conversations tr.row")].find(r => r.dataset.id === id);
    for (const r of document.querySelectorAll("#conversations tr.row")) r.classList.toggle("sel", r === row);
    $("note").value = ""; $("noteSaved").textContent = "";
    $("note").value = (await (await api(`/api/inbox/${id}/note`)).json()).note || "";
  }
}
$("takeover").onclick = guard(async () => { await api(`/api/conversations/${current}/handoff`, {method: "POST", body: "{}"}); showError(""); await open(current); $("message").focus(); });
$("handback").onclick = guard(async () => { await api(`/api/conversations/${current}/handback`, {method: "POST"}); showError(""); await open(current); });
$("write").onsubmit = guard(async e => {
  e.preventDefault(); const input = $("message"); const text = input.value.trim(); if (!text) return;
  await api(`/api/conversations/${current}/messages`, {method: "POST", body: JSON.stringify({text})});
  input.value = ""; showError(""); setTimeout(guard(() => open(current)), 500);
});
$("cared").onclick = guard(async () => {
  await api(`/api/inbox/${current}/cared`, {method: "POST"}); showError(""); inboxDrawn = ""; await open(current); await inbox();
});
$("noteForm").onsubmit = guard(async e => {
  e.preventDefault();
  const n = await (await api(`/api/inbox/${current}/note`, {method: "PUT", body: JSON.stringify({note: $("note").value})})).json();
  $("noteSaved").textContent = `Salva às ${fmt(n.note_at)}.`;
});

if (key) start();
