// closedPort() stands for a backend, proxy or engine that refuses connections. It bound a port and released it, so
// another test (in this process or another) could be handed it by listen(0) before the test connected, and the
// connection then reached that test's server instead of being refused. The port now stays held, and nobody can
// listen on it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { describe, it } from "node:test";
import { closedPort, RESTART_HOST, restartablePort } from "./wait.js";

/** The error code of listening on `port` at `host` (undefined: none), from a separate process as another test's would be. */
async function listenErrorElsewhere(port: number, host?: string): Promise<string> {
  const script = `const s = require("node:net").createServer();
s.on("error", (e) => { process.stdout.write(e.code); process.exit(0); });
s.listen(${port}, ${host === undefined ? "undefined" : JSON.stringify(host)}, () => { process.stdout.write("listening"); s.close(); });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on("close", resolve));
  return out;
}

describe("closedPort", () => {
  it("refuses connections and stays taken: no other process can listen on it", async () => {
    const port = await closedPort();
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    assert.equal(refused, "ECONNREFUSED");
    assert.equal(await listenErrorElsewhere(port, "127.0.0.1"), "EADDRINUSE");
    assert.equal(await listenErrorElsewhere(port), "EADDRINUSE", "nor on every address");
  });

  it("restartablePort: a server on RESTART_HOST can stop and listen again, and meanwhile no other process can take the port", async () => {
    const port = await restartablePort();
    for (let round = 0; round < 2; round++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, RESTART_HOST, resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      assert.equal(await listenErrorElsewhere(port, "127.0.0.1"), "EADDRINUSE", `round ${round}`);
      assert.equal(await listenErrorElsewhere(port), "EADDRINUSE", `round ${round}: nor on every address`);
    }
  });
});
