// "Não entendidas": the messages the bot did not understand or handed to a person, with the
// conversation around them; a supervisor names the intent each should have been, and the labelled
// ones are exported as the classifier's training data. Also the header's switch "Tudo para pessoas".
// Uses console.js's helpers (api, guard, el, fmt, showError).
"use strict";
const INTENT_PT = {
  accept: "Aceitou a proposta", refuse: "Recusou", hardship: "Dificuldade financeira", installments: "Quer parcelar",
  cash: "À vista / pede desconto", amount: "Propôs um valor", pay_date: "Data de pagamento", already_paid: "Diz que já pagou",
  wrong_person: "Número errado", opt_out: "Não quer mais mensagens", human: "Quer falar com atendente",
  identity_question: "Quem está falando?", bot_question: "É um robô?", promise: "Promete pagar", greeting: "Cumprimento",
  debt_question: "Pergunta sobre a dívida", payment_method: "Forma de pagamento", dispute: "Contesta a dívida",
  prescription: "Fala de prescrição", breakdown: "Quer o detalhamento", legal_threat: "Procon / advogado / processo",
  deceased: "Falecimento do titular", third_party: "Outra pessoa pelo titular", anger: "Irritação",
  later: "Fala depois", cpf_why: "Por que o CPF?", cancel: "Cancelar o acordo", second_copy: "Segunda via",
  recall: "O que foi combinado?", change: "Mudar o acordo", unknown: "Não entendeu", ignorar: "Ignorar (não ensina nada)",
};
const intentPt = code => INTENT_PT[code] || code;
let reviewPage = 1;
let reviewShown = "";  // what the list shows now: a refresh with nothing new leaves it (and a half-chosen label) alone

async function reviewLoad() {
  const status = $("reviewStatus").value;
  const p = await (await api(`/api/review?status=${status}&page=${reviewPage}&page_size=10`)).json();
  const pages = Math.max(1, Math.ceil(p.total / p.page_size));
  if (reviewPage > pages) { reviewPage = pages; return reviewLoad(); }
  const shown = JSON.stringify([status, reviewPage, p]);
  if (shown === reviewShown) return;
  reviewShown = shown;
  const items = p.items.map(item => reviewItem(item, p.intents));
  if (!items.length) items.push(el("li", status === "pending" ? "Nada para rotular: a assistente entendeu tudo por aqui." : "Nenhuma mensagem.", "muted"));
  $("reviewList").replaceChildren(...items);
  $("reviewPageInfo").textContent = p.total ? `Página ${reviewPage} de ${pages} · ${p.total} mensagens` : "";
  $("reviewPrev").disabled = reviewPage <= 1; $("reviewNext").disabled = reviewPage >= pages;
}

function reviewItem(item, intents) {
  const li = el("li", null, "review-item"); li.dataset.id = item.id;
  const head = el("div", null, "review-head");
  head.append(el("span", item.reason_label, "pill " + (item.reason === "handoff" ? "handoff" : "failed")),
    el("span", fmt(item.at), "muted"),
    el("span", item.understood && item.understood !== "unknown" ? `A assistente entendeu: ${intentPt(item.understood)}` : "", "muted"));
  const talk = el("div", null, "review-context");
  talk.append(...item.context.map(l => {
    const div = el("div", null, "line " + l.direction + (l.author === "operator" ? " operator" : "") + (l.target ? " target" : ""));
    div.append(el("span", `${AUTHOR[l.author] || l.author} · ${fmt(l.at)}`, "who"), document.createTextNode(l.text));
    return div;
  }));
  const form = el("form", null, "row-form review-form");
  const id = `label-${item.id}`, select = el("select"); select.id = id;
  select.append(new Option("Escolha a intenção certa…", ""),
    ...[...intents].sort((a, b) => intentPt(a).localeCompare(intentPt(b), "pt-BR")).map(code => new Option(intentPt(code), code)),
    new Option(intentPt("ignorar"), "ignorar"));
  if (item.label) select.value = item.label;
  const label = el("label", "Intenção certa"); label.htmlFor = id;
  const saved = el("span", item.label ? `Rotulada: ${intentPt(item.label)} (${item.labelled_by})` : "", "muted"); saved.setAttribute("aria-live", "polite");
  form.append(label, select, el("button", "Salvar rótulo"), saved);
  form.onsubmit = guard(async e => {
    e.preventDefault(); if (!select.value) { select.focus(); return; }
    const out = await (await api(`/api/review/${item.id}`, {method: "PUT", body: JSON.stringify({label: select.value})})).json();
    saved.textContent = `Rotulada: ${intentPt(out.label)} (${out.labelled_by})`; showError("");
    li.classList.add("done");
  });
  li.append(head, talk, form);
  return li;
}

$("reviewStatus").onchange = () => { reviewPage = 1; guard(reviewLoad)(); };
$("reviewPrev").onclick = () => { if (reviewPage > 1) { reviewPage--; guard(reviewLoad)(); } };
$("reviewNext").onclick = () => { reviewPage++; guard(reviewLoad)(); };
$("reviewExport").onclick = guard(async () => {
  const r = await api("/api/review/export");
  const a = el("a"); a.href = URL.createObjectURL(await r.blob()); a.download = "nao-entendidas.jsonl";
  document.body.append(a); a.click(); a.remove();
});
// Redrawn with the rest of the page (console.js's refresh, the live stream), unless a supervisor is
// in the middle of choosing a label.
let switchShown = false;
function reviewRefresh() {
  if (!key || $("app").hidden) return;
  // The switch is asked for once, then again when the stream says it flipped (or while polling).
  if (!switchShown || !LIVE.up) { switchShown = true; guard(handoffAllLoad)(); }
  if (!$("review").hidden && !$("reviewList").contains(document.activeElement)) guard(reviewLoad)();
}
document.addEventListener("console:refresh", reviewRefresh);
document.addEventListener("console:live", e => { if (["switch", "resync"].includes(e.detail.kind)) guard(handoffAllLoad)(); });

// ---------- "Tudo para pessoas" (header) ----------
function handoffAllShow(s) {
  $("handoffAllBox").hidden = false; $("handoffAll").checked = s.on;
  $("handoffAllBox").classList.toggle("on", s.on);
  $("handoffAllState").textContent = s.on ? "ligado: a equipe atende todas as mensagens novas" : "desligado";
}
async function handoffAllLoad() { handoffAllShow(await (await api("/api/handoff-all")).json()); }
$("handoffAll").onchange = guard(async () => {
  const want = $("handoffAll").checked;
  try {
    handoffAllShow(await (await api("/api/handoff-all", {method: "PUT", body: JSON.stringify({on: want})})).json()); showError("");
  } catch (e) { $("handoffAll").checked = !want; throw e; }
});

reviewRefresh();  // console.js started the page before this script was loaded
