/**
 * Starts the matrix fixture on whatever runtime runs this file (node, deno or bun) on
 * 127.0.0.1 and an ephemeral port, and prints `PORT <n>` once it listens.
 */
import { runtime, serveAny } from "../../examples/serve_any.ts";
import { fixtureApp } from "./fixture_app.ts";

const { app, fetch } = fixtureApp(runtime);
const server = await serveAny(app, { port: 0, hostname: "127.0.0.1", fetch });
console.log(`PORT ${server.port}`);
