/** Rookery's bench server, on whichever runtime runs it (node, deno or bun). */
import "./gc_hook.ts";
import { Rookery } from "../../../mod.ts";
import { serveAny } from "../../../examples/serve_any.ts";

const app = new Rookery();
app.ws("/echo").onmessage((conn, message) => void conn.send(message));
app.ws("/sub").onopen((conn) => conn.subscribe("fan"));
app.ws("/pub").onmessage((_conn, message) => app.publish("fan", message));
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1" });
console.log(`PORT ${server.port}`);
