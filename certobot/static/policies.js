// The "Política" tab: the creditors' negotiation policies, their edit form and who changed what.
// Uses console.js's helpers ($, el, api, fmt, money). Loaded only when its tab is shown, never by the
// 5-second polling: a refresh must not wipe a form the admin is filling in.
"use strict";
(() => {
  let editing = null;  // the policy being edited (its version goes back with the save), or null for a new one
  const pct = v => v == null ? "metade do à vista" : `${Number(v).toLocaleString("pt-BR")} %`;
  const range = (lo, hi, f) => hi == null ? (Number(lo) ? `a partir de ${f(lo)}` : "qualquer") : `${f(lo)} a ${f(hi)}`;
  const reais = cents => money(cents / 100);
  // "1.234,56", "1234,56" and "1234.56" are all R$ 1.234,56: typed by people, read exactly (no float sums).
  function cents(text) {
    const t = String(text).trim().replace(/\s|R\$/g, "");
    if (!t) return null;
    const norm = t.includes(",") ? t.replace(/\./g, "").replace(",", ".") : t;
    if (!/^\d+(\.\d{1,2})?$/.test(norm)) throw new Error(`Valor em reais inválido: "${text}".`);
    const [whole, frac = ""] = norm.split(".");
    return Number(whole) * 100 + Number(frac.padEnd(2, "0"));
  }
  const percent = text => { const t = String(text).trim().replace(",", "."); return t === "" ? null : t; };
  const int = text => String(text).trim() === "" ? null : Number(text);
  const toReais = c => c == null ? "" : (c / 100).toFixed(2).replace(".", ",");

  async function load() {
    const list = await (await api("/api/policies")).json();
    $("polCreditors").replaceChildren(...[...new Set(list.map(p => p.creditor))].map(c => { const o = el("option"); o.value = c; return o; }));
    $("policyList").replaceChildren(...list.map(p => {
      const tr = el("tr");
      tr.append(el("td", p.creditor === "*" ? "* (todos os credores)" : p.creditor), el("td", p.segment),
        el("td", range(p.days_min, p.days_max, String)), el("td", range(p.amount_min_cents, p.amount_max_cents, reais)),
        el("td", pct(p.max_discount_cash_pct)), el("td", pct(p.max_discount_installments_pct)),
        el("td", `até ${p.max_installments}x`), el("td", reais(p.min_installment_cents)),
        el("td", (p.down_payment_required ? "obrigatória" : "opcional") + `, mín. ${pct(p.down_payment_min_pct)}` + (p.down_payment_min_cents ? ` e ${reais(p.down_payment_min_cents)}` : "")),
        el("td", `${p.first_due_min_days}–${p.first_due_max_days} dias (padrão ${p.first_due_default_days})`),
        el("td", `v${p.version}`));
      const td = el("td"), b = el("button", "Editar", "secondary");
      b.setAttribute("aria-label", `Editar ${p.creditor} ${p.segment}`);
      b.onclick = () => fill(p);
      td.append(b); tr.append(td);
      return tr;
    }));
    if (!list.length) { const tr = el("tr"), td = el("td", "Nenhuma política salva: valem os limites do CRM de cada devedor.", "muted"); td.colSpan = 12; tr.append(td); $("policyList").replaceChildren(tr); }
    await history();
  }

  const FIELDS = {
    max_discount_cash_pct: "desconto à vista", max_discount_installments_pct: "desconto no parcelado",
    min_installment_cents: "parcela mínima", max_installments: "parcelas", down_payment_required: "entrada obrigatória",
    down_payment_min_pct: "entrada mínima (%)", down_payment_min_cents: "entrada mínima (R$)",
    first_due_min_days: "1º vencimento mín.", first_due_default_days: "1º vencimento padrão", first_due_max_days: "1º vencimento máx.",
    days_min: "atraso mín.", days_max: "atraso máx.", amount_min_cents: "valor mín.", amount_max_cents: "valor máx.",
  };
  const show = (k, v) => k.endsWith("_pct") ? pct(v) : v == null ? "—" : k.endsWith("_cents") ? reais(v) : typeof v === "boolean" ? (v ? "sim" : "não") : String(v);
  async function history() {
    const rows = await (await api("/api/policies/history?limit=30")).json();
    $("policyHistory").replaceChildren(...rows.map(h => {
      const before = h.detail?.before, after = h.detail?.after || {};
      const changes = before == null ? ["criada"] : Object.keys(FIELDS).filter(k => before[k] !== after[k])
        .map(k => `${FIELDS[k]}: ${show(k, before[k])} → ${show(k, after[k])}`);
      const tr = el("tr");
      tr.append(el("td", fmt(h.at)), el("td", h.actor), el("td", `${h.target} (v${h.detail?.version ?? "?"})`), el("td", changes.join("; ") || "sem mudança"));
      return tr;
    }));
  }

  function fill(p, focus = true) {
    editing = p;
    $("policyFormTitle").textContent = p ? `Editando: ${p.creditor} · ${p.segment} (v${p.version})` : "Nova política";
    const v = (id, value) => { $(id).value = value == null ? "" : String(value); };
    v("polCreditor", p?.creditor ?? ""); v("polSegment", p?.segment ?? "todos");
    v("polDaysMin", p?.days_min ?? 0); v("polDaysMax", p?.days_max);
    v("polAmountMin", toReais(p?.amount_min_cents ?? 0)); v("polAmountMax", toReais(p?.amount_max_cents));
    const comma = x => x == null ? null : String(x).replace(".", ",");
    v("polCash", comma(p?.max_discount_cash_pct) ?? ""); v("polInst", comma(p?.max_discount_installments_pct));
    v("polMinInst", p ? toReais(p.min_installment_cents) : ""); v("polMaxInst", p?.max_installments ?? "");
    $("polDownReq").checked = !!p?.down_payment_required;
    v("polDownPct", comma(p?.down_payment_min_pct) ?? "10"); v("polDownCents", toReais(p?.down_payment_min_cents ?? 0));
    v("polDueMin", p?.first_due_min_days ?? 1); v("polDueDefault", p?.first_due_default_days ?? 3); v("polDueMax", p?.first_due_max_days ?? 30);
    $("policyError").hidden = true; $("policySaved").textContent = "";
    if (focus) $("polCreditor").focus();
  }

  function body() {
    const b = {
      creditor: $("polCreditor").value, segment: $("polSegment").value,
      days_min: int($("polDaysMin").value) ?? 0, days_max: int($("polDaysMax").value),
      amount_min_cents: cents($("polAmountMin").value) ?? 0, amount_max_cents: cents($("polAmountMax").value),
      max_discount_cash_pct: percent($("polCash").value), max_discount_installments_pct: percent($("polInst").value),
      min_installment_cents: cents($("polMinInst").value), max_installments: int($("polMaxInst").value),
      down_payment_required: $("polDownReq").checked, down_payment_min_pct: percent($("polDownPct").value) ?? "0",
      down_payment_min_cents: cents($("polDownCents").value) ?? 0,
      first_due_min_days: int($("polDueMin").value), first_due_default_days: int($("polDueDefault").value),
      first_due_max_days: int($("polDueMax").value),
    };
    // The version edited goes back: if someone saved in between, the API refuses instead of overwriting.
    const same = editing && editing.creditor === b.creditor.trim() && editing.segment === b.segment.trim();
    if (same) b.version = editing.version;
    if (b.max_discount_cash_pct == null) throw new Error("Informe o desconto máximo à vista.");
    if (b.min_installment_cents == null) throw new Error("Informe a parcela mínima.");
    if (b.max_installments == null) throw new Error("Informe o máximo de parcelas.");
    return b;
  }

  $("policyForm").onsubmit = async e => {
    e.preventDefault();
    const err = $("policyError");
    try {
      const saved = await (await api("/api/policies", {method: "PUT", body: JSON.stringify(body())})).json();
      err.hidden = true; showError("");
      await load();
      fill(saved, false);
      $("policySaved").textContent = `Salva (v${saved.version}) às ${fmt(saved.updated_at)}: vale a partir da próxima oferta.`;
    } catch (x) {
      err.textContent = x.message; err.hidden = false; $("policySaved").textContent = "";
    }
  };
  $("policyNew").onclick = () => fill(null);
  const open = () => load().catch(x => showError(x.message));
  document.addEventListener("console:tab", e => { if (e.detail === "policies") open(); });
  if (!$("policies").hidden && key) open();  // the page was opened on #policies
})();
