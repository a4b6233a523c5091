// `orun backend serve --max-connections N --request-timeout D`: a client that trickles its headers (slowloris)
// is cut off with 408 once the headers timeout passes, and connections past N are dropped at once instead of
// each holding a file descriptor until a timeout — so a flood of slow clients cannot exhaust the process.
// Once the slow ones are gone, the backend answers again.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { startTestBackend, testDatabase, type TestDatabase } from "../helpers.js";
import { killAllChildren, startBackendProcess } from "../processes.js";

interface Slow {
  /** What the server sent before the connection closed. */
  closed: Promise<string>;
}

/** Connects and sends an unfinished request head, then one more header line now and then, never the blank line. */
async function slowloris(port: number): Promise<Slow> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
  let n = 0;
  const trickle = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: y\r\n`), 200);
  let out = "";
  socket.on("data", (d: Buffer) => (out += d.toString()));
  socket.on("error", () => undefined);
  const closed = new Promise<string>((resolve) =>
    socket.once("close", () => {
      clearInterval(trickle);
      resolve(out);
    }),
  );
  return { closed };
}

/** Sends `head` (a request's head, its blank line or not) on a new connection; what came back when the server closed it. */
async function sendHead(port: number, head: string): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  let out = "";
  socket.on("data", (d: Buffer) => (out += d.toString()));
  socket.on("error", () => undefined);
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(out)));
  socket.write(head);
  return closed;
}

/** A GET / head of `lines` header lines in all (Host and Connection: close among them), ended. */
const headOf = (lines: number): string =>
  `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${Array.from({ length: lines - 2 }, (_, i) => `X-Extra-${i}: y\r\n`).join("")}\r\n`;

describe("orun backend serve: connection limits", () => {
  let db: TestDatabase;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
  });
  after(async () => {
    killAllChildren();
    await db?.cleanup();
  });

  it("drops connections past --max-connections and cuts a slowloris off with 408 after the headers timeout", async () => {
    const server = await startBackendProcess(db.url, ["--max-connections", "3", "--request-timeout", "2s"]);
    try {
      // Connected one after another, they are accepted in this order: the fourth finds three open.
      const slow = [await slowloris(server.port), await slowloris(server.port), await slowloris(server.port)];
      const extra = await slowloris(server.port);
      assert.equal(await extra.closed, "", "the connection past the cap is closed unanswered");
      for (const [i, s] of slow.entries()) assert.match(await s.closed, /^HTTP\/1\.1 408 /, `slow client ${i + 1} is cut off`);
      const res = await fetch(`${server.url}/`);
      assert.equal(res.status, 200, "served again once the slow clients are gone");
    } finally {
      await server.stop();
    }
  });

  it("refuses a request of more than 100 header lines with 431 — never reads it with the lines past 100 dropped (Authorization among them)", async () => {
    const server = await startBackendProcess(db.url, []);
    try {
      assert.match(await sendHead(server.port, headOf(100)), /^HTTP\/1\.1 200 /);
      const refused = await sendHead(server.port, headOf(101));
      assert.match(refused, /^HTTP\/1\.1 431 /, refused);
      assert.match(refused, /more than 100 header lines/, refused);
    } finally {
      await server.stop();
    }
  });

  // The headers timeout is 15 s in service; shrunk here (an internal option), so the test waits on the close, not a clock.
  // Were the headers given the whole request timeout (10 min here), the test's own timeout ends it, failed.
  it("cuts off a client that sent half its headers at the headers timeout, well inside the request timeout that a slow body gets", { timeout: 30_000 }, async (t) => {
    const backend = await startTestBackend(db.url, { requestTimeoutMs: 10 * 60_000, headersTimeoutMs: 300 });
    const port = Number(new URL(backend.url).port);
    const sockets: net.Socket[] = [];
    const connect = async (): Promise<net.Socket> => {
      const socket = net.connect(port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => undefined);
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      return socket;
    };
    // Run even when the test times out: the sockets would hold the process for the request timeout.
    t.after(async () => {
      for (const socket of sockets) socket.destroy();
      await backend.stop();
    });
    // All its headers, then a body that never finishes: only the request timeout bounds it.
    const body = await connect();
    let bodyClosed = false;
    body.once("close", () => (bodyClosed = true));
    body.write("POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    const half = await connect();
    let answer = "";
    half.on("data", (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => half.once("close", () => resolve()));
    half.write("GET / HTTP/1.1\r\nHost: x\r\n");
    await closed;
    assert.match(answer, /^HTTP\/1\.1 408 /, `cut off with a 408: ${JSON.stringify(answer)}`);
    assert.equal(bodyClosed, false, "the slow body is not cut at the headers timeout");
  });
});
