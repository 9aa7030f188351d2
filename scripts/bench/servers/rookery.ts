/**
 * Rookery's bench server, on whichever runtime runs it (node, deno or bun).
 * `--redis URL` shares the topics through a Redis broker (the scale-out scenario).
 * `--deflate` turns on permessage-deflate (the compression scenarios).
 * `--tls-cert FILE --tls-key FILE [--http2]` serves over TLS, HTTP/2 too (the http2 scenario).
 */
import "./gc_hook.ts";
import { Rookery } from "../../../mod.ts";
import { args, flag, serveAny, tlsFlags } from "../../../examples/serve_any.ts";

/**
 * Every message compressed (the scenarios send 1 KiB, right at the default threshold, so 0 makes
 * that choice explicit); level 1, memLevel 8, 15-bit windows, context takeover: the defaults, and
 * what ws_node.ts sets. On Bun the runtime compresses, with no level or memLevel
 * (adapters/bun/deflate.ts).
 */
const DEFLATE = { threshold: 0, level: 1 };

const redisUrl = flag("redis", "");
const broker = redisUrl ? (await import("../../../adapters/redis.ts")).redisBroker({ url: redisUrl }) : undefined;
const app = new Rookery({ ...(broker ? { broker } : {}), ...(args.includes("--deflate") ? { perMessageDeflate: DEFLATE } : {}) });
app.ws("/echo").onmessage((conn, message) => void conn.send(message));
app.ws("/sub").onopen((conn) => conn.subscribe("fan"));
app.ws("/pub").onmessage((_conn, message) => app.publish("fan", message));
await broker?.ready();
// `--tls-cert FILE --tls-key FILE [--http2]`: wss://, and WebSockets over HTTP/2 (the http2 scenario).
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", ...(await tlsFlags()) });
console.log(`PORT ${server.port}`);
