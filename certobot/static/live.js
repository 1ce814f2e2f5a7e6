// Live updates for the console: GET /api/events, server-sent events read with fetch() so that the
// token travels in the Authorization header (EventSource cannot send one, and a token in a URL ends
// up in access logs). Each event only says what changed; the page then asks the API as before.
// Heartbeats every 15 s; a silent stream is dropped after 45 s; reconnects with backoff; while the
// stream is down the page polls every 5 s as it used to.
// Loaded before console.js: it only defines functions, and uses console.js's `key`, `refresh` and
// `logout` when called.
"use strict";
const LIVE = {ctrl: null, retry: 0, poll: null, timer: null, watchdog: null, debounce: null, stopped: true, up: false};
const LIVE_POLL_MS = 5000, LIVE_SILENCE_MS = 45000, LIVE_MAX_BACKOFF_MS = 30000;

function startLive() { stopLive(); LIVE.stopped = false; connectLive(); }
function stopLive() {
  LIVE.stopped = true; LIVE.ctrl?.abort();
  clearTimeout(LIVE.timer); clearTimeout(LIVE.watchdog); clearTimeout(LIVE.debounce);
  clearInterval(LIVE.poll); LIVE.poll = null;
}
function liveStatus(up) {
  LIVE.up = up;
  const s = document.getElementById("liveStatus");
  if (s) s.textContent = up ? "Ao vivo: atualiza sozinho quando algo muda." : "Sem conexão ao vivo: atualizando a cada 5 segundos.";
}
function liveAlive(ctrl) { clearTimeout(LIVE.watchdog); LIVE.watchdog = setTimeout(() => ctrl.abort(), LIVE_SILENCE_MS); }

async function connectLive() {
  const ctrl = new AbortController(); LIVE.ctrl = ctrl;
  try {
    const r = await fetch("/api/events", {headers: {"Authorization": "Bearer " + key, "Accept": "text/event-stream"}, signal: ctrl.signal, cache: "no-store"});
    if (r.status === 401) { logout(); return; }
    if (!r.ok || !r.body) throw new Error("stream " + r.status);
    LIVE.retry = 0; clearInterval(LIVE.poll); LIVE.poll = null; liveStatus(true); liveAlive(ctrl);
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      liveAlive(ctrl);
      buf = (buf + value).replace(/\r\n/g, "\n");
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) { liveDispatch(buf.slice(0, end)); buf = buf.slice(end + 2); }
    }
  } catch (_) { /* aborted, refused or broken: handled below */ }
  clearTimeout(LIVE.watchdog);
  if (LIVE.stopped || LIVE.ctrl !== ctrl) return;
  liveStatus(false);
  if (!LIVE.poll) LIVE.poll = setInterval(refresh, LIVE_POLL_MS);  // the old way, until the stream is back
  const wait = Math.min(LIVE_MAX_BACKOFF_MS, 1000 * 2 ** LIVE.retry++) * (0.5 + Math.random() / 2);
  LIVE.timer = setTimeout(connectLive, wait);
}

// One SSE block: "event: x" and "data: y" lines; lines starting with ":" are heartbeats.
function liveDispatch(block) {
  let kind = "message", data = "";
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const i = line.indexOf(":"), field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") kind = value; else if (field === "data") data += (data ? "\n" : "") + value;
  }
  if (kind === "message" && !data) return;
  let detail = {};
  try { detail = data ? JSON.parse(data) : {}; } catch (_) { return; }
  document.dispatchEvent(new CustomEvent("console:live", {detail: {kind, ...detail}}));
  // A burst (a turn of three replies, a campaign) redraws once.
  clearTimeout(LIVE.debounce); LIVE.debounce = setTimeout(refresh, 150);
}
