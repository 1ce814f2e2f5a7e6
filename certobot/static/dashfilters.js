// The dashboard by creditor and segment, and the conversations' export. Loaded after console.js.
"use strict";
let filtersLoading = null;
// Once per page (refreshes come every 5 s and may overlap): a failed load is tried again next time.
function dashFilters() {
  filtersLoading = filtersLoading || (async () => {
    const f = await (await api("/api/metrics/filters")).json();
    $("creditor").append(...f.creditors.map(c => el("option", c)));
    $("segment").append(...f.segments.map(s => el("option", s)));
  })().catch(e => { filtersLoading = null; throw e; });
  return filtersLoading;
}
$("creditor").onchange = $("segment").onchange = () => guard(dashboard)();
$("exportConversations").onclick = guard(async () => {
  // Supervisors only; the API writes who exported what in the audit log before the file leaves.
  const r = await api("/api/conversations/export?" + periodQuery());
  const a = el("a"); a.href = URL.createObjectURL(await r.blob());
  a.download = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "conversas.csv";
  document.body.append(a); a.click(); a.remove();
});
if (key) dashFilters().catch(() => {});
