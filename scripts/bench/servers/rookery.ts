/**
 * Rookery's bench server, on whichever runtime runs it (node, deno or bun).
 * `--redis URL` shares the topics through a Redis broker (the scale-out scenario).
 */
import "./gc_hook.ts";
import { Rookery } from "../../../mod.ts";
import { flag, serveAny } from "../../../examples/serve_any.ts";

const redisUrl = flag("redis", "");
const broker = redisUrl ? (await import("../../../adapters/redis.ts")).redisBroker({ url: redisUrl }) : undefined;
const app = new Rookery(broker ? { broker } : {});
app.ws("/echo").onmessage((conn, message) => void conn.send(message));
app.ws("/sub").onopen((conn) => conn.subscribe("fan"));
app.ws("/pub").onmessage((_conn, message) => app.publish("fan", message));
await broker?.ready();
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1" });
console.log(`PORT ${server.port}`);
