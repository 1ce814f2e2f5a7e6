const brl = v => Number(v).toLocaleString("pt-BR", {style: "currency", currency: "BRL"});
let phone = null, lastCount = -1;
async function loadDebtors() {
  const r = await fetch("/simulator/api/debtors");
  const list = document.getElementById("debtors");
  if (!r.ok) { list.innerHTML = "<li>CRM indisponível</li>"; return; }
  const debtors = await r.json();
  list.innerHTML = "";
  for (const d of debtors) {
    const li = document.createElement("li");
    li.dataset.phone = d.phone;
    li.innerHTML = `<b></b><small></small>`;
    li.querySelector("b").textContent = d.name;
    li.querySelector("small").textContent = `${d.phone} · CPF ${d.cpf_hint}… · ${brl(d.debt)} · ${d.days_past_due} dias`;
    li.onclick = () => choose(d, li);
    list.appendChild(li);
  }
}
function choose(d, li) {
  document.querySelectorAll("#debtors li").forEach(x => x.classList.remove("active"));
  li.classList.add("active");
  phone = d.phone; lastCount = -1;
  document.getElementById("who").innerHTML = "";
  document.getElementById("who").append(document.createTextNode(d.name));
  const s = document.createElement("small"); s.textContent = d.phone; document.getElementById("who").append(s);
  document.getElementById("text").disabled = false;
  document.getElementById("send").disabled = false;
  document.getElementById("pay").disabled = false;
  document.getElementById("text").focus();
  refresh();
}
async function refresh() {
  if (!phone) return;
  const r = await fetch("/simulator/api/messages", {method: "POST", headers: {"Content-Type": "application/json"},
                                                   body: JSON.stringify({phone})});
  if (!r.ok) return;
  const msgs = await r.json();
  if (msgs.length === lastCount) return;
  lastCount = msgs.length;
  const chat = document.getElementById("chat");
  chat.innerHTML = msgs.length ? "" : '<div class="empty">Diga "oi" para começar</div>';
  for (const m of msgs) {
    const div = document.createElement("div");
    div.className = "msg " + (m.from === "me" ? "me" : "bot");
    div.dataset.from = m.from;
    if (m.document) {
      const a = document.createElement("a");
      a.className = "doc"; a.href = m.document.url; a.target = "_blank"; a.textContent = m.document.filename;
      div.appendChild(a);
    }
    div.appendChild(document.createTextNode(m.text || ""));
    chat.appendChild(div);
  }
  chat.scrollTop = chat.scrollHeight;
}
document.getElementById("form").onsubmit = async (e) => {
  e.preventDefault();
  const input = document.getElementById("text");
  const text = input.value.trim();
  if (!text || !phone) return;
  input.value = "";
  await fetch("/simulator/api/send", {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify({phone, text})});
  refresh();
};
loadDebtors();
setInterval(refresh, 800);
document.getElementById("pay").onclick = async () => {
  if (!phone) return;
  const r = await fetch("/simulator/api/pay", {method: "POST", headers: {"Content-Type": "application/json"},
                                               body: JSON.stringify({phone, channel: "pix"})});
  const b = await r.json();
  const note = document.createElement("div"); note.className = "empty"; note.textContent = "🏦 " + b.detail;
  document.getElementById("chat").appendChild(note);
};
