// Privacidade: a supervisor or an admin answers a data-subject request (LGPD art. 18) — exports
// everything both services hold about a CPF as a JSON file, or anonymises it after a confirmation.
// The API decides who may (export: supervisor; erase: admin) and writes the audit log; this screen
// only hides what the signed-in role cannot do. The CPF goes in the body, never in a URL.
// Uses console.js's globals: key, api, guard, $, el.
"use strict";
(() => {
  const RANK = {operator: 1, supervisor: 2, admin: 3};

  // The role a person's token claims (cbt1.<payload>.<signature>); the service key acts as admin.
  function role() {
    if (!key.startsWith("cbt1.")) return "admin";
    try {
      const payload = key.slice(5).split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).role || "operator";
    } catch (_) { return "operator"; }
  }
  const may = needed => (RANK[role()] || 0) >= RANK[needed];

  function say(msg, isError) {
    const p = $("privacyResult"); p.textContent = msg; p.className = isError ? "error" : "muted";
  }
  const cpf = () => $("privacyCpf").value.trim();
  const digits = v => v.replace(/\D/g, "");

  function check() {
    if (digits(cpf()).length !== 11) { say("Informe o CPF com 11 dígitos.", true); return false; }
    return true;
  }
  async function call(what) {
    try {
      return await api("/api/data-subject/" + what, {method: "POST", body: JSON.stringify({cpf: cpf()})});
    } catch (e) { say(e.message, true); return null; }
  }

  function prepare() {
    $("privacyTab").hidden = !may("supervisor");
    $("privacyErase").hidden = !may("admin");
    $("privacyConfirm").hidden = true;
  }

  $("privacyForm").onsubmit = async e => {
    e.preventDefault();
    if (!check()) return;
    say("Buscando os dados…");
    const r = await call("export");
    if (!r) return;
    const body = await r.json();
    const a = el("a");
    a.href = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], {type: "application/json"}));
    a.download = `titular-${digits(cpf()).slice(-2)}-${new Date().toISOString().slice(0, 10)}.json`;
    document.body.append(a); a.click(); a.remove();
    const n = body.atendimento?.conversas?.length || 0;
    say(`Exportado: cadastro do CRM ${body.crm ? "incluído" : "não encontrado"}, ${n} conversa(s). O pedido ficou registrado na auditoria.`);
  };

  $("privacyErase").onclick = () => {
    if (!check()) return;
    $("privacyConfirmText").textContent =
      `Anonimizar o titular do CPF terminado em ${digits(cpf()).slice(-2)}? Nome, CPF, telefone e mensagens ` +
      "saem do bot e do CRM; acordos e valores ficam. Não dá para desfazer.";
    $("privacyConfirm").hidden = false;
    $("privacyConfirmYes").focus();
  };
  $("privacyConfirmNo").onclick = () => { $("privacyConfirm").hidden = true; say("Nada foi apagado."); };
  $("privacyConfirmYes").onclick = async () => {
    $("privacyConfirm").hidden = true;
    say("Anonimizando…");
    const r = await call("erase");
    if (!r) return;
    const body = await r.json();
    $("privacyCpf").value = "";
    say(`Titular anonimizado: ${body.conversas} conversa(s) no bot${body.crm ? " e o cadastro no CRM" : ""}. O pedido ficou registrado na auditoria.`);
  };

  // The tab exists once the page is signed in; the role may change with the next sign-in.
  $("privacyTab").addEventListener("click", prepare);  // console.js owns .onclick (it shows the panel)
  new MutationObserver(prepare).observe($("app"), {attributes: true, attributeFilter: ["hidden"]});
  prepare();
})();
