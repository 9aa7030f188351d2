// TEMP (not committed): handshake load against one server.
import { Client, frame } from "./raw_ws.ts";
import { cpuSeconds } from "./paired.ts";
const port = Number(process.argv[2]); const seconds = Number(process.argv[3] ?? 5); const pid = Number(process.argv[4]);
const CLOSE = frame(8, Uint8Array.of(0x03, 0xe8)); const TEXT32 = frame(1, Buffer.from("x".repeat(32)));
let done = 0; const end = performance.now() + seconds * 1000; const c0 = cpuSeconds(pid); const t0 = performance.now();
const worker = async () => { while (performance.now() < end) { const c = await Client.open(port, "/echo"); await new Promise<void>((resolve, reject) => { c.socket.once("error", reject); c.onFrame = () => { c.onFrame = undefined; c.socket.once("close", () => resolve()); c.socket.end(CLOSE); }; c.socket.write(TEXT32); }); done++; } };
await Promise.all(Array.from({ length: 8 }, worker));
const dt = (performance.now() - t0) / 1000; const cpu = cpuSeconds(pid) - c0;
console.log(`hs/s ${(done / dt).toFixed(0)} cpu µs/hs ${(cpu / done * 1e6).toFixed(1)}`);
process.exit(0);
