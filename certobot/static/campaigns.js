// Campaigns: a validated file, or a segment of the CRM's portfolio (previewed before creating),
// once or again every day or week. Loaded after console.js, whose helpers ($, api, el, guard, fmt) it uses.
"use strict";
let lastUpload = null, lastSegment = null, creditorsLoading = null;
const CAMPAIGN = {loading: "Carregando", running: "Em andamento", paused: "Pausada", done: "Concluída", cancelled: "Cancelada", waiting: "Aguardando a próxima execução"};
const LINE = {ok: "ok", invalid_cpf: "bad", unknown_debtor: "bad", opted_out: "bad", prescribed: "bad", paid: "bad", duplicated: "bad"};
const WEEKDAYS = ["seg", "ter", "qua", "qui", "sex", "sáb", "dom"];
const RUN = {evaluating: "lendo o segmento", sending: "enviando", done: "concluída", failed: "falhou"};
const brl = v => (v / 100).toLocaleString("pt-BR", {style: "currency", currency: "BRL"});

$("uploadForm").onsubmit = guard(async e => {
  e.preventDefault();
  const file = $("file").files[0]; if (!file) return;
  const form = new FormData(); form.append("file", file);
  const r = await (await api("/api/campaigns/uploads", {method: "POST", body: form})).json();
  lastUpload = r; showError("");
  $("reportBox").hidden = false;
  $("reportSummary").textContent = `${r.total} linhas: ${r.valid} prontas para envio, ${r.invalid} com problema.`;
  $("report").replaceChildren(...r.lines.map(l => {
    const tr = el("tr", null, LINE[l.status]);
    tr.append(el("td", String(l.line)), el("td", l.cpf), el("td", l.name || "—"), el("td", l.reason)); return tr;
  }));
  $("campName").value = file.name.replace(/\.[^.]+$/, "");
  $("createForm").querySelector("button").disabled = r.valid === 0;
});
$("createForm").onsubmit = guard(async e => {
  e.preventDefault(); if (!lastUpload) return;
  const body = {name: $("campName").value.trim() || "Campanha", upload_id: lastUpload.id, per_minute: Number($("perMinute").value)};
  if ($("startAt").value) body.start_at = new Date($("startAt").value).toISOString();
  await api("/api/campaigns", {method: "POST", body: JSON.stringify(body)});
  $("reportBox").hidden = true; lastUpload = null; $("uploadForm").reset(); showError("");
  await campaignList();
});

// ---------- Segments ----------
function segmentBody() {
  const n = id => $(id).value === "" ? null : Number($(id).value);
  const cents = id => $(id).value === "" ? null : Math.round(Number($(id).value) * 100);
  const seg = {name: $("segName").value.trim() || null, creditor: $("segCreditor").value || null,
    ufs: $("segUf").value ? [$("segUf").value] : [], min_days_past_due: n("segMinDays"), max_days_past_due: n("segMaxDays"),
    min_amount_cents: cents("segMinAmount"), max_amount_cents: cents("segMaxAmount"), last_contact: $("segLast").value};
  if (seg.last_contact === "older_than") seg.last_contact_days = n("segLastDays");
  return seg;
}
function creditorsInto(select) {  // once per page, even when refreshes overlap
  creditorsLoading = creditorsLoading || (async () => {
    const f = await (await api("/api/metrics/filters")).json();
    select.append(...f.creditors.map(c => el("option", c)));
  })().catch(e => { creditorsLoading = null; throw e; });
  return creditorsLoading;
}
$("segLast").onchange = () => { $("segLastDays").required = $("segLast").value === "older_than"; };
$("segmentForm").onsubmit = guard(async e => {
  e.preventDefault();
  const seg = segmentBody();
  const p = await (await api("/api/campaigns/segments/preview", {method: "POST", body: JSON.stringify({segment: seg})})).json();
  lastSegment = seg; showError("");
  const left = Object.entries(p.skipped).map(([k, v]) => `${p.skipped_labels[k]}: ${v}`).join("; ");
  $("segCount").textContent = `${p.count} devedores serão contatados` + (left ? ` (${p.matched} no segmento; ficam de fora — ${left}).` : ".");
  $("segSample").replaceChildren(...p.sample.map(d => {
    const tr = el("tr");
    tr.append(el("td", d.name), el("td", d.cpf), el("td", d.uf || "—"), el("td", `${d.days_past_due} dias`), el("td", brl(d.amount_cents)), el("td", d.creditor));
    return tr;
  }));
  $("segBox").hidden = false;
  if (!$("segCampName").value) $("segCampName").value = seg.name || "Campanha por segmento";
});
$("segRepeat").onchange = () => {
  const repeat = $("segRepeat").value;
  $("segDays").hidden = repeat !== "weekly";
  $("segAt").hidden = $("segAtLabel").hidden = !repeat;
};
$("segCreate").onsubmit = guard(async e => {
  e.preventDefault(); if (!lastSegment) return;
  const body = {name: $("segCampName").value.trim() || "Campanha", segment: lastSegment, per_minute: Number($("segPerMinute").value)};
  const repeat = $("segRepeat").value;
  if (repeat) {
    body.recurrence = {every: repeat, at: $("segAt").value || "10:00"};
    if (repeat === "weekly") body.recurrence.weekdays = [...$("segDays").querySelectorAll("input:checked")].map(i => Number(i.value));
  }
  if ($("segStart").value) body.start_at = new Date($("segStart").value).toISOString();
  await api("/api/campaigns", {method: "POST", body: JSON.stringify(body)});
  $("segBox").hidden = true; lastSegment = null; $("segmentForm").reset(); $("segCreate").reset(); $("segRepeat").onchange();
  showError(""); await campaignList();
});

function repetition(c) {
  if (!c.recurrence) return "—";
  const r = c.recurrence, at = r.at.slice(0, 5);
  const rule = r.every === "daily" ? `Todo dia às ${at}` : `${r.weekdays.map(d => WEEKDAYS[d]).join(", ")} às ${at}`;
  return c.next_run_at ? `${rule} · próxima: ${fmt(c.next_run_at)}` : rule;
}
function runsOf(c) {
  if (!c.runs.length) return null;
  const box = el("details"), list = el("ul", null, "runs");
  box.append(el("summary", `Execuções (${c.runs.length})`));
  list.append(...c.runs.map(r => {
    const skipped = Object.values(r.skipped).reduce((a, b) => a + b, 0);
    return el("li", `${fmt(r.started_at)}: ${RUN[r.status] || r.status} · ${r.matched} no segmento, ${r.queued} na fila, ${r.sent} enviadas, ${skipped} puladas` + (r.error ? ` · ${r.error}` : ""));
  }));
  box.append(list); return box;
}
let campaignsDrawn = "";
async function campaignList() {
  creditorsInto($("segCreditor")).catch(() => {});
  const p = await (await api("/api/campaigns?page_size=50")).json();
  // Nothing changed since the last drawing: the same elements stay (nobody is moved under a keyboard).
  const drawn = JSON.stringify(p.items);
  if (drawn === campaignsDrawn && $("campaignList").children.length) return;
  campaignsDrawn = drawn;
  // Redrawing every 5 s must not close a list of runs someone opened, nor drop a keyboard user's focus.
  const open = new Set([...document.querySelectorAll("#campaignList details[open]")].map(d => d.dataset.id));
  const active = document.activeElement, inList = active?.closest?.("#campaignList");
  const focusKey = !inList ? null : active.tagName === "SUMMARY" ? "runs:" + active.parentElement.dataset.id : active.getAttribute("aria-label");
  $("campaignList").replaceChildren(...p.items.map(c => {
    const tr = el("tr");
    const status = c.paused_reason && c.status === "running" ? c.paused_reason : (CAMPAIGN[c.status] || c.status);
    const rep = el("td", repetition(c)), runs = runsOf(c);
    if (runs) { runs.dataset.id = c.id; runs.open = open.has(c.id); rep.append(runs); }
    tr.append(el("td", c.name), el("td", status), el("td", fmt(c.start_at)), rep, el("td", String(c.total)),
      el("td", String(c.progress.sent)), el("td", String(c.progress.replied)), el("td", String(c.progress.agreed)));
    const actions = el("td");
    for (const [action, label, when] of [["pause", "Pausar", ["loading", "running", "waiting"]], ["resume", "Retomar", ["paused"]], ["cancel", "Cancelar", ["loading", "running", "paused", "waiting"]]]) {
      if (!when.includes(c.status)) continue;
      const b = el("button", label, action === "cancel" ? "secondary" : ""); b.setAttribute("aria-label", `${label} ${c.name}`);
      b.onclick = guard(async () => { await api(`/api/campaigns/${c.id}/${action}`, {method: "POST"}); await campaignList(); });
      actions.append(b, " ");
    }
    tr.append(actions); return tr;
  }));
  if (focusKey) {
    const again = focusKey.startsWith("runs:")
      ? $("campaignList").querySelector(`details[data-id="${focusKey.slice(5)}"] summary`)
      : [...$("campaignList").querySelectorAll("button")].find(b => b.getAttribute("aria-label") === focusKey);
    again?.focus();
  }
}
if (key && !$("campaigns").hidden) guard(campaignList)();
