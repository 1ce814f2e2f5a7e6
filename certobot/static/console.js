let key = sessionStorage.getItem("certobot-key") || "", current = null;
const api = async (path, opts = {}) => {
  const r = await fetch(path, {...opts, headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"}});
  if (r.status === 401) { logout(); throw new Error("401"); }
  return r;
};
function logout() { sessionStorage.removeItem("certobot-key"); document.getElementById("app").hidden = true; document.getElementById("login").hidden = false; }
document.getElementById("loginForm").onsubmit = async e => {
  e.preventDefault(); key = document.getElementById("key").value.trim();
  const user = document.getElementById("user").value.trim();
  if (user) {  // a person: trade the password for a short-lived token; the service key is for machines
    const login = await fetch("/api/auth/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({username: user, password: key})});
    if (!login.ok) { document.getElementById("loginError").textContent = login.status === 429 ? "Muitas tentativas; aguarde alguns minutos." : "Usuário ou senha incorretos."; return; }
    key = (await login.json()).access_token;
  }
  const r = await fetch("/api/conversations?page_size=1", {headers: {"Authorization": "Bearer " + key}});
  if (!r.ok) { document.getElementById("loginError").textContent = "Chave recusada."; return; }
  sessionStorage.setItem("certobot-key", key); start();
};
function start() { document.getElementById("login").hidden = true; document.getElementById("app").hidden = false; refresh(); setInterval(refresh, 3000); }
const fmt = s => new Date(s).toLocaleString("pt-BR", {timeZone: "America/Sao_Paulo"});
async function channel() {
  // WAHA: a session waiting for its QR code (or failed) sends nothing; the operator must see it.
  const c = await (await api("/api/whatsapp/channel")).json(), el = document.getElementById("channel");
  el.hidden = c.provider !== "waha";
  el.className = "pill " + (c.working ? "up" : "down");
  el.textContent = c.working ? "WhatsApp (WAHA): conectado"
    : c.status === "SCAN_QR_CODE" ? "WhatsApp (WAHA): leia o QR code no painel do WAHA"
    : "WhatsApp (WAHA): " + (c.status || "sem resposta");
}
async function refresh() {
  channel().catch(() => {});
  const st = document.getElementById("status").value;
  const r = await api("/api/conversations?page_size=100" + (st ? "&status=" + st : ""));
  const page = await r.json();
  const tbody = document.getElementById("conversations"); tbody.innerHTML = "";
  for (const c of page.items) {
    const tr = document.createElement("tr"); tr.className = "row" + (c.session_id === current ? " sel" : ""); tr.dataset.id = c.session_id;
    for (const [val, cls] of [[c.phone], [c.status, "pill " + c.status], [c.phase], [c.outcome_kind || "—"], [fmt(c.created_at)]]) {
      const td = document.createElement("td");
      if (cls) { const s = document.createElement("span"); s.className = cls; s.textContent = val; td.append(s); } else td.textContent = val;
      tr.append(td);
    }
    tr.onclick = () => open(c.session_id); tbody.append(tr);
  }
  const f = await (await api("/api/conversations/stats/funnel")).json();
  const steps = [["Contatados", f.contacted], ["Responderam", f.replied], ["Validados", f.validated], ["Acordos", f.agreed], ["Boleto enviado", f.boleto_sent]];
  const max = Math.max(1, f.contacted);
  document.getElementById("funnel").innerHTML = "";
  for (const [label, n] of steps) {
    const row = document.createElement("div"); row.className = "bar";
    row.innerHTML = `<span></span><div class="fill"></div><b></b>`;
    row.children[0].textContent = label; row.children[1].style.width = (260 * n / max) + "px"; row.children[2].textContent = n;
    document.getElementById("funnel").append(row);
  }
  if (current) open(current, true);
}
async function open(id, quiet) {
  current = id;
  const d = await (await api("/api/conversations/" + id)).json();
  const ag = d.agreement ? ` · acordo ${{active: "ativo", paid: "quitado", broken: "rompido", cancelled: "cancelado"}[d.agreement.status]} · pago ${Number(d.agreement.paid_amount).toLocaleString("pt-BR", {style: "currency", currency: "BRL"})} · em aberto ${Number(d.agreement.open_amount).toLocaleString("pt-BR", {style: "currency", currency: "BRL"})}` : "";
  document.getElementById("convTitle").textContent = `${d.phone} · ${d.status} · ${d.phase}${ag}`;
  document.getElementById("actions").hidden = false;
  document.getElementById("takeover").hidden = d.status !== "active";
  document.getElementById("handback").hidden = d.status !== "handoff";
  document.getElementById("write").hidden = d.status !== "handoff";
  const box = document.getElementById("transcript"); box.innerHTML = "";
  for (const l of d.transcript) {
    const div = document.createElement("div"); div.className = "line " + l.direction + (l.author === "operator" ? " operator" : "");
    const who = document.createElement("span"); who.className = "who"; who.textContent = `${l.author} · ${l.status} · ${fmt(l.at)}`;
    div.append(who, document.createTextNode(l.text)); box.append(div);
  }
  if (!quiet) box.scrollTop = box.scrollHeight;
}
document.getElementById("takeover").onclick = async () => { await api(`/api/conversations/${current}/handoff`, {method: "POST", body: "{}"}); open(current); };
document.getElementById("handback").onclick = async () => { await api(`/api/conversations/${current}/handback`, {method: "POST"}); open(current); };
document.getElementById("write").onsubmit = async e => {
  e.preventDefault(); const input = document.getElementById("message"); const text = input.value.trim(); if (!text) return;
  input.value = ""; await api(`/api/conversations/${current}/messages`, {method: "POST", body: JSON.stringify({text})}); setTimeout(() => open(current), 500);
};
document.getElementById("status").onchange = refresh;
if (key) start();
