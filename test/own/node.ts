/** The own-server app on the user's own `node:http` server, through `handleUpgrade`. Prints `PORT <n>`. */
import { createServer } from "node:http";
import { handleUpgrade } from "../../adapters/node.ts";
import { ownApp } from "./app.ts";

const { app, plain } = ownApp();
const server = createServer(async (req, res) => {
  const answer = await plain(new Request(`http://127.0.0.1${req.url ?? "/"}`));
  res.writeHead(answer?.status ?? 404, { "content-type": "application/json" }).end(answer ? await answer.text() : "");
});
server.on("upgrade", (req, socket, head) => {
  void handleUpgrade(app, req, socket, head).then((handled) => {
    if (!handled) socket.destroy();
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`PORT ${typeof address === "object" && address ? address.port : 0}`);
});
