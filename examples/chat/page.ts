/** The chat page: plain HTML, CSS and a few lines of browser JavaScript, no build step. */
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
  header { background: #24324a; color: #fff; padding: 14px 18px; display: flex; justify-content: space-between; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header span { font-size: 13px; opacity: .8; }
  form { display: flex; gap: 8px; padding: 12px 18px; border-top: 1px solid #e6e2d8; }
  input { flex: 1; padding: 8px 10px; border: 1px solid #c9c3b6; border-radius: 6px; font: inherit; }
  button { padding: 8px 14px; border: 0; border-radius: 6px; background: #c8553d; color: #fff; font: inherit; cursor: pointer; }
  #log { list-style: none; margin: 0; padding: 12px 18px; height: 340px; overflow-y: auto; }
  #log li { padding: 3px 0; }
  #log li.notice { color: #7a7468; font-style: italic; font-size: 14px; }
  #log b { color: #24324a; }
  #status { padding: 0 18px 10px; font-size: 13px; color: #a33; min-height: 1em; }
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
    <button>Send</button>
  </form>
  <div id="status"></div>
  <div id="served"></div>
</main>
<script>
const $ = (id) => document.getElementById(id);
const line = (text, notice) => {
  const li = document.createElement("li");
  if (notice) { li.className = "notice"; li.textContent = text; }
  else { const b = document.createElement("b"); b.textContent = text[0] + ": "; li.append(b, text[1]); }
  $("log").append(li);
  $("log").scrollTop = $("log").scrollHeight;
};
let me = "", room = "", members = new Set();
const where = () => { $("where").textContent = me + " in #" + room + " (" + members.size + " here)"; };
const show = (e, live) => {
  if (e.type === "message") line([e.nick, e.text]);
  else if (e.type === "join") { line(e.nick + " joined", true); if (live) members.add(e.nick); }
  else if (e.type === "leave") { line(e.nick + " left", true); if (live) members.delete(e.nick); }
  where();
};
let ws;
$("join").onsubmit = (ev) => {
  ev.preventDefault();
  const wantNick = $("nick").value.trim(), wantRoom = $("room").value.trim();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(scheme + "://" + location.host + "/chat/" + encodeURIComponent(wantRoom) + "?nick=" + encodeURIComponent(wantNick));
  let joined = false;
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === "welcome") {
      joined = true; $("status").textContent = "";
      $("join").hidden = true; $("say").hidden = false; $("text").focus();
      me = e.nick; room = e.room; members = new Set(e.members);
      $("served").textContent = e.worker ? "served by " + e.worker : "";
      // What the handshake agreed (compression), for the curious and for the browser test.
      $("served").dataset.extensions = ws.extensions;
      e.history.forEach((h) => show(h, false));
    } else show(e, true);
  };
  // The server says why it closed (too many messages, nickname taken...): show the person.
  ws.onclose = (c) => {
    const why = c.reason ? ": " + c.reason : c.code === 1000 || c.code === 1001 ? "" : " (" + c.code + ")";
    $("status").textContent = (joined ? "Disconnected" : "could not join") + why;
    $("join").hidden = false; $("say").hidden = true;
  };
};
$("say").onsubmit = (ev) => {
  ev.preventDefault();
  if ($("text").value.trim()) ws.send($("text").value);
  $("text").value = "";
};
</script>
</body>
</html>
`;
