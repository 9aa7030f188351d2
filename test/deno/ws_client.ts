/**
 * Deno's own WebSocket client, for tests run from Node (test/matrix/http2.test.ts): connects to
 * the URL given, sends one message, prints the reply as `REPLY <text>` and exits. Against an
 * HTTP/2-only server Deno opens the WebSocket as an extended CONNECT stream (RFC 8441).
 */
const ws = new WebSocket(Deno.args[0]!);
ws.onopen = () => ws.send("from deno");
ws.onmessage = (e) => {
  console.log(`REPLY ${e.data}`);
  ws.close();
};
ws.onerror = (e) => {
  console.log(`ERROR ${e instanceof ErrorEvent ? e.message : "WebSocket error"}`);
  Deno.exit(1);
};
ws.onclose = () => Deno.exit(0);
