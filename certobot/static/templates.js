// "Modelos": the texts the bot sends, edited by the team with a live preview and a version history.
// Uses console.js's helpers (api, guard, el, $, fmt, showError); loaded after it.
"use strict";
(() => {
  let all = [], chosen = null, previewTimer = null, previewSeq = 0;
  const box = $("tplError");
  const problem = msg => { box.textContent = msg || ""; box.hidden = !msg; };

  async function loadList() {
    all = await (await api("/api/templates")).json();
    drawList();
    if (chosen) { const again = all.find(t => t.key === chosen.key); if (again) chosen = again; }
  }
  function drawList() {
    const q = $("tplFilter").value.trim().toLowerCase(), body = $("tplList");
    body.replaceChildren();
    for (const t of all) {
      if (q && !(t.label + " " + t.key + " " + t.group).toLowerCase().includes(q)) continue;
      const tr = el("tr", null, "row" + (chosen && chosen.key === t.key ? " sel" : ""));
      tr.tabIndex = 0; tr.dataset.key = t.key;
      tr.append(el("td", t.label), el("td", t.group), el("td", t.version ? `v${t.version}` : "padrão"));
      const go = guard(() => open(t.key));
      tr.onclick = go; tr.onkeydown = e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } };
      body.append(tr);
    }
  }

  async function open(key) {
    const t = await (await api(`/api/templates/${encodeURIComponent(key)}`)).json();
    chosen = t; drawList();
    $("tplEditor").hidden = false;
    $("tplLabel").textContent = `${t.label} (${t.key})`;
    $("tplLegal").textContent = t.legal || ""; $("tplLegal").hidden = !t.legal;
    $("tplHelp").textContent = t.kind === "whatsapp"
      ? "Nome do modelo aprovado pela Meta (letras minúsculas, números e _). Os parâmetros são preenchidos pelo sistema: "
        + t.parameters.map((p, i) => `{{${i + 1}}} ${p}`).join("; ") + "."
      : `Até ${t.max_length} caracteres por variação. Pra o bot alternar frases, separe as variações com uma linha só com ---.`
        + (t.required.length ? " Obrigatório: " + t.required.map(p => `{${p}}`).join(", ") + "." : "");
    const chips = $("tplChips"); chips.replaceChildren();
    for (const p of t.placeholders) {
      const b = el("button", `{${p.name}}`, "chip"); b.type = "button"; b.title = p.description;
      b.setAttribute("aria-label", `Inserir {${p.name}}: ${p.description}`);
      b.onclick = () => insert(`{${p.name}}`);
      chips.append(b, el("span", p.description, "muted chip-desc"));
    }
    $("tplBody").value = t.body; $("tplNote").value = ""; $("tplSaved").textContent = "";
    drawVersions(t); problem(""); await preview();
  }
  function insert(text) {
    const a = $("tplBody"), at = a.selectionStart ?? a.value.length;
    a.value = a.value.slice(0, at) + text + a.value.slice(a.selectionEnd ?? at);
    a.focus(); a.selectionStart = a.selectionEnd = at + text.length; schedulePreview();
  }
  function drawVersions(t) {
    const body = $("tplVersions"); body.replaceChildren();
    for (const v of t.versions) {
      const tr = el("tr"); const act = el("td");
      if (v.version !== t.version) {
        const b = el("button", `Restaurar v${v.version}`, "secondary"); b.type = "button";
        b.onclick = guard(() => revert(v.version)); act.append(b);
      } else act.append(el("span", "em vigor", "pill active"));
      tr.append(el("td", `v${v.version}`), el("td", v.author), el("td", fmt(v.created_at)), el("td", v.note || "—"), act);
      body.append(tr);
    }
    if (!t.versions.length) { const tr = el("tr"); const td = el("td", "Ainda sem edições: o bot usa o texto padrão.", "muted"); td.colSpan = 5; tr.append(td); body.append(tr); }
  }

  // The preview is asked of the API, which validates as the save will: what it refuses is shown here.
  async function preview() {
    if (!chosen) return;
    const seq = ++previewSeq, out = $("tplPreview");
    $("tplCount").textContent = `${$("tplBody").value.length} caracteres no editor`;
    const r = await fetch("/api/templates/preview", {method: "POST",
      headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
      body: JSON.stringify({key: chosen.key, body: $("tplBody").value})});
    if (seq !== previewSeq) return;  // a newer keystroke already asked
    const b = await r.json().catch(() => ({}));
    if (!r.ok) {
      problem(typeof b.detail === "string" ? b.detail : (b.detail?.[0]?.msg || `Erro ${r.status}`));
      out.classList.add("stale"); return;
    }
    problem(""); out.classList.remove("stale"); out.replaceChildren();
    if (b.kind === "whatsapp") {
      out.append(el("div", `[modelo ${b.template_name}] ` + b.parameters.map((p, i) => `{{${i + 1}}} = ${p}`).join(" · "), "line out"));
    } else {
      b.variants.forEach((v, i) => {
        const line = el("div", null, "line out");
        if (b.variants.length > 1) line.append(el("span", `Variação ${i + 1}`, "who"));
        line.append(document.createTextNode(v)); out.append(line);
      });
    }
  }
  function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(() => preview().catch(e => problem(e.message)), 250); }

  async function save(body, note) {
    const r = await fetch(`/api/templates/${encodeURIComponent(chosen.key)}`, {method: "PUT",
      headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
      body: JSON.stringify({body, note: note || null, base_version: chosen.version})});
    const b = await r.json().catch(() => ({}));
    if (!r.ok) {
      throw new Error(r.status === 403 ? "Só quem é admin pode alterar os modelos."
        : (typeof b.detail === "string" ? b.detail : (b.detail?.[0]?.msg || `Erro ${r.status}`)));
    }
    return b;
  }
  async function after(t, message) {
    chosen = t; await loadList(); await open(t.key); $("tplSaved").textContent = message;
  }
  async function revert(version) {
    const r = await api(`/api/templates/${encodeURIComponent(chosen.key)}/revert`, {method: "POST", body: JSON.stringify({version})});
    const t = await r.json(); await after(t, version ? `Versão ${version} restaurada como v${t.version}.` : `Texto padrão restaurado (v${t.version}).`);
  }

  $("tplForm").onsubmit = async e => {
    e.preventDefault();
    try { const t = await save($("tplBody").value, $("tplNote").value.trim()); await after(t, `Salvo como v${t.version}. Vale a partir da próxima mensagem.`); }
    catch (err) { problem(err.message); }
  };
  $("tplDefault").onclick = async () => { try { await revert(0); } catch (err) { problem(err.message); } };
  $("tplBody").oninput = schedulePreview;
  $("tplFilter").oninput = drawList;
  const enter = () => guard(loadList)();
  document.addEventListener("console:tab", e => { if (e.detail === "templates") enter(); });
  if (!$("templates").hidden && key) enter();
})();
