/**
 * The bare echo (bare_echo.ts), unchanged, in a process that has also loaded node:http, as every
 * server built on it has (Rookery's Node adapter upgrades through node:http).
 *
 * node:http and what it loads (tls, http2, zlib, streams) add about 2 MiB to V8's old
 * generation, and every major collection marks it. A workload that makes many major collections
 * (64 KiB binary messages: V8 collects when the external memory of their buffers grows, about
 * every 500 messages) pays that at every one. Rookery against this server shows how much of the
 * gap to the bare echo is Rookery's own work (`npm run bench -- --scenario paired --baseline
 * node-bare-http`).
 */
import "node:http";
import "./bare_echo.ts";
