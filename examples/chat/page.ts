/**
 * The chat page: plain HTML, CSS and a few lines of browser JavaScript, no build step.
 *
 * What the page tells apart (the status line says which, `data-state` names it for styling and tests):
 * - a join the server refused: the socket asks with `refusal=close`, so the server closes it
 *   with `4000 + status` and its own text before any welcome (see app.ts), shown as "could not join: ...";
 * - a join that never reached the server: closed before any welcome without such a code;
 * - a connection lost after joining (1001 shutdown, 1006 drop, 1011-1014): reconnects with
 *   backoff under the same nickname and room, and says so;
 * - a deliberate end (the server sending you away, 1000/1008/4xxx, or the Leave button): no reconnect.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rookery chat</title>
<style>
  [hidden] { display: none !important; }
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f4f1ea; }
  body { margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(640px, 94vw); background: #fff; border-radius: 12px; box-shadow: 0 6px 24px #0002; overflow: hidden; }
  header { background: #24324a; color: #fff; padding: 14px 18px; display: flex; justify-content: space-between; align-items: baseline; gap: 12px; }
  header h1 { font-size: 18px; margin: 0; white-space: nowrap; }
  header span { font-size: 13px; opacity: .8; min-width: 0; overflow-wrap: anywhere; text-align: right; }
  form { display: flex; gap: 8px; padding: 12px 18px; border-top: 1px solid #e6e2d8; }
  /* min-width: 0, or an input's intrinsic width pushes the buttons out of a narrow card. */
  input { flex: 1; min-width: 0; padding: 8px 10px; border: 1px solid #c9c3b6; border-radius: 6px; font: inherit; }
  input:disabled { background: #f4f1ea; }
  button { padding: 8px 14px; border: 0; border-radius: 6px; background: #c8553d; color: #fff; font: inherit; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  button.quiet { background: #e6e2d8; color: #24324a; }
  #log { list-style: none; margin: 0; padding: 12px 18px; height: 340px; overflow-y: auto; }
  #log li { padding: 3px 0; display: flex; align-items: baseline; gap: 10px; }
  /* One unbroken word (a URL, a held key) must wrap inside the card, not widen it: "anywhere",
     unlike "break-word", also lowers the line's minimum width, so the flex item can shrink. */
  #log li .text { flex: 1; min-width: 0; overflow-wrap: anywhere; }
  #log li.notice { color: #7a7468; font-style: italic; font-size: 14px; }
  #log li.local { color: #9a9385; }
  #log b { color: #24324a; }
  /* The clock is generated content: a line's text stays what was said (copying a line copies
     the words, not the time) and the datetime attribute carries the exact instant. */
  #log time { flex: none; font-size: 11px; font-style: normal; color: #a8a192; font-variant-numeric: tabular-nums; }
  #log time::before { content: attr(data-hhmm); }
  #status { padding: 0 18px 10px; font-size: 13px; color: #7a7468; min-height: 1em; overflow-wrap: anywhere; }
  #status[data-state="refused"], #status[data-state="failed"], #status[data-state="disconnected"] { color: #a33; }
  #status[data-state="lost"], #status[data-state="reconnecting"] { color: #9a6a00; }
  #status[data-state="back"] { color: #2f7a46; }
  #served { padding: 0 18px 10px; font-size: 12px; color: #7a7468; }
</style>
</head>
<body>
<main>
  <header><h1>Rookery chat</h1><span id="where">not connected</span></header>
  <form id="join">
    <input id="nick" placeholder="nickname" maxlength="24" required>
    <input id="room" placeholder="room" value="lobby" maxlength="32" required>
    <button>Join</button>
  </form>
  <ul id="log" aria-live="polite"></ul>
  <form id="say" hidden>
    <input id="text" placeholder="say something" maxlength="500" autocomplete="off">
    <button id="send">Send</button>
    <button id="leave" type="button" class="quiet">Leave</button>
  </form>
  <div id="status" role="status"></div>
  <div id="served"></div>
</main>
<script>
const $ = (id) => document.getElementById(id);
const two = (n) => String(n).padStart(2, "0");
// A fixed hh:mm in the reader's own time zone (a locale's format may add seconds or AM/PM).
const hhmm = (at) => { const d = new Date(at); return two(d.getHours()) + ":" + two(d.getMinutes()); };
const line = (text, notice, at, local) => {
  const li = document.createElement("li");
  const body = document.createElement("span");
  body.className = "text";
  if (notice) { li.className = local ? "notice local" : "notice"; body.textContent = text; }
  else { const b = document.createElement("b"); b.textContent = text[0] + ": "; body.append(b, text[1]); }
  const time = document.createElement("time");
  time.dateTime = new Date(at).toISOString();
  time.dataset.hhmm = hhmm(at);
  time.title = new Date(at).toLocaleString();
  li.append(body, time);
  const log = $("log");
  // Follow the conversation only if the reader was already at the bottom: someone scrolled up
  // to read is not yanked down by every new line.
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  if (atBottom) log.scrollTop = log.scrollHeight;
};
const setStatus = (state, text) => { $("status").dataset.state = state; $("status").textContent = text; };

let me = "", room = "", members = new Set();
const where = () => { $("where").textContent = me + " in #" + room + " (" + members.size + " here)"; };
// Lines already shown: a rejoin to the same server replays the room's history, which overlaps
// what this page showed before the drop.
let seen = new Set();
const key = (e) => [e.type, e.at, e.nick, e.text ?? ""].join("|");
const show = (e, live) => {
  // Only the replay is checked: a live line is new even if it repeats one word for word.
  if (!live && seen.has(key(e))) return;
  seen.add(key(e));
  if (e.type === "message") line([e.nick, e.text], false, e.at);
  else if (e.type === "join") { line(e.nick + " joined", true, e.at); if (live) members.add(e.nick); }
  else if (e.type === "leave") { line(e.nick + " left", true, e.at); if (live) members.delete(e.nick); }
  where();
};

// Backoff after a lost connection: 0.5 s doubling to 8 s, each wait drawn between half and all
// of it, so that every page dropped by one server restart does not come back in the same instant.
const BASE_MS = 500, CAP_MS = 8000;
// Refused while rejoining (409, 503): most likely this page's own old connection, which the
// server has not yet seen go, still holds the nickname. Worth a few tries, not forever.
const REFUSED_TRIES = 6;
// Closes after joining that mean the connection broke, not that the server sent us away.
const LOST = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);

let ws, want = null, phase = "idle", attempt = 0, refusedTries = 0, retryTimer = 0, tickTimer = 0, retryAt = 0, backTimer = 0;
const stopTimers = () => { clearTimeout(retryTimer); clearInterval(tickTimer); clearTimeout(backTimer); };
const showJoinForm = () => { $("join").hidden = false; $("say").hidden = true; $("where").textContent = "not connected"; };
const enableSay = (on) => { $("text").disabled = !on; $("send").disabled = !on; };
const why = (c) => c.reason ? c.reason : "code " + c.code;

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const sock = new WebSocket(scheme + "://" + location.host + "/chat/" + encodeURIComponent(want.room) +
    "?nick=" + encodeURIComponent(want.nick) + "&refusal=close");
  ws = sock;
  let joined = false;
  sock.onmessage = (m) => {
    if (sock !== ws) return;
    const e = JSON.parse(m.data);
    if (e.type === "welcome") {
      joined = true;
      const rejoined = phase === "reconnecting";
      stopTimers();
      attempt = 0; refusedTries = 0;
      if (!rejoined) { $("log").replaceChildren(); seen = new Set(); }
      phase = "joined";
      $("join").hidden = true; $("say").hidden = false; enableSay(true); $("text").focus();
      me = e.nick; room = e.room; members = new Set(e.members);
      $("served").textContent = e.worker ? "served by " + e.worker : "";
      // What the handshake agreed (compression), for the curious and for the browser test.
      $("served").dataset.extensions = sock.extensions;
      e.history.forEach((h) => show(h, false));
      where();
      if (rejoined) {
        line("back in #" + room, true, Date.now(), true);
        setStatus("back", "Back in #" + room);
        backTimer = setTimeout(() => { if (phase === "joined") setStatus("", ""); }, 5000);
      } else setStatus("", "");
    } else show(e, true);
  };
  sock.onclose = (c) => {
    if (sock !== ws || phase === "left") return;
    if (joined) {
      if (LOST.has(c.code)) {
        line("connection lost", true, Date.now(), true);
        phase = "reconnecting";
        enableSay(false);
        $("where").textContent = me + " · reconnecting to #" + room;
        retry("Connection lost (" + why(c) + ")");
      } else {
        // The server ended this connection on purpose (too many messages...): say why, stay out.
        phase = "idle";
        setStatus("disconnected", "Disconnected" + (c.reason ? ": " + c.reason : c.code === 1000 ? "" : " (" + c.code + ")"));
        showJoinForm();
      }
      return;
    }
    const refused = c.code >= 4000 && c.code < 5000;
    if (phase === "reconnecting") {
      // Transient refusals (the nickname still held, the server full) get a bounded number of
      // tries; a server still down gets the backoff for as long as the page stays.
      const transient = c.code === 4409 || c.code === 4503;
      if (!refused) return retry("Still no connection");
      if (transient && ++refusedTries < REFUSED_TRIES) return retry("Rejoining #" + want.room + ": " + c.reason);
      phase = "idle";
      setStatus("refused", "could not rejoin: " + why(c));
      showJoinForm();
      return;
    }
    // A first join that did not get in: say why, and let the person change what they asked for.
    phase = "idle";
    if (refused) setStatus("refused", "could not join: " + c.reason);
    else setStatus("failed", "could not join: no answer from the server (" + why(c) + ")");
    showJoinForm();
    if (c.code === 4409) $("nick").select();
  };
}

function retry(prefix) {
  stopTimers();
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** attempt++);
  const wait = ceiling / 2 + Math.random() * ceiling / 2;
  retryAt = Date.now() + wait;
  const tick = () => {
    const s = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
    setStatus("reconnecting", prefix + ": reconnecting in " + s + " s…");
  };
  tick();
  tickTimer = setInterval(tick, 250);
  retryTimer = setTimeout(() => { clearInterval(tickTimer); setStatus("reconnecting", prefix + ": reconnecting…"); connect(); }, wait);
}

// Back online (as far as the browser knows): no point waiting out the rest of the backoff.
addEventListener("online", () => { if (phase === "reconnecting" && retryAt > Date.now()) { stopTimers(); connect(); } });

$("join").onsubmit = (ev) => {
  ev.preventDefault();
  stopTimers();
  if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  want = { nick: $("nick").value.trim(), room: $("room").value.trim() };
  phase = "joining"; attempt = 0; refusedTries = 0;
  setStatus("joining", "joining #" + want.room + "…");
  connect();
};
$("say").onsubmit = (ev) => {
  ev.preventDefault();
  if ($("text").value.trim() && ws.readyState === WebSocket.OPEN) ws.send($("text").value);
  $("text").value = "";
};
$("leave").onclick = () => {
  phase = "left";
  stopTimers();
  if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "bye");
  setStatus("left", want ? "You left #" + want.room : "");
  showJoinForm();
};
</script>
</body>
</html>
`;
