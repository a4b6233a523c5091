// A request to a backend that accepts the connection and never answers must fail within the client's request
// timeout even when the caller passes its own signal and the garbage collector runs meanwhile. On Node 20,
// AbortSignal.any([signal, AbortSignal.timeout(ms)]) holds the timeout signal weakly: after a collection it never
// fired, and a status request hung for the 300 s of undici's headers timeout. The client runs in a child process
// started with --expose-gc, which collects every 20 ms while the request waits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

const clientModule = new URL("../../src/remote/client.js", import.meta.url).href;
const timersModule = new URL("../../src/util/timers.js", import.meta.url).href;
const dir = mkdtempSync(path.join(os.tmpdir(), "orun-gc-timeout-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// The child prints one JSON line: how the call ended and after how long.
const script = `
import net from "node:net";
const silent = net.createServer(() => {});
await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
const baseUrl = "http://127.0.0.1:" + silent.address().port;
const collect = setInterval(() => globalThis.gc(), 20);
const caller = new AbortController();
const started = Date.now();
let outcome;
try {
  if (process.argv[2] === "client") {
    const { BackendClient } = await import(${JSON.stringify(clientModule)});
    const client = new BackendClient({ baseUrl, auth: { kind: "token", token: async () => "t" }, requestTimeoutMs: 700, retryBudgetMs: 0, onRetrying: () => undefined });
    await client.jobStatus("r", "lib@dev.check", { signal: caller.signal, budgetMs: 0 });
  } else {
    const { deadlineSignal } = await import(${JSON.stringify(timersModule)});
    const bound = deadlineSignal(caller.signal, 700);
    await fetch(baseUrl, { signal: bound.signal }).finally(bound.clear);
  }
  outcome = { ended: "answered" };
} catch (err) {
  outcome = { ended: "failed", message: String(err && err.message), ms: Date.now() - started };
}
clearInterval(collect);
silent.close();
console.log(JSON.stringify(outcome));
process.exit(0);
`;
const scriptFile = path.join(dir, "silent-backend.mjs");
writeFileSync(scriptFile, script);

/** Runs the child; one still waiting after `limitMs` is killed (no outcome: "no outcome" and its stderr). */
function runChild(mode: string, limitMs: number): Promise<{ ended: string; message?: string; ms?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", scriptFile, mode], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(limit);
      if (!out.trim()) resolve({ ended: `no outcome (killed after ${limitMs} ms, or it crashed)${err ? `: ${err}` : ""}` });
      else resolve(JSON.parse(out.trim()) as { ended: string; message?: string; ms?: number });
    });
  });
}

describe("a request timeout with a caller's signal survives garbage collection", () => {
  it("the client gives up on a backend that never answers within its request timeout", async () => {
    // The child is killed after 2 min, and must give up within 1 (its timeout is 0.7 s): both far from undici's 5. Under
    // load its start alone outlasted 15 s, and with a collection every 20 ms it gave up 10-23 s after its request.
    const outcome = await runChild("client", 120_000);
    assert.equal(outcome.ended, "failed", JSON.stringify(outcome));
    assert.match(outcome.message ?? "", /orun backend at http:\/\/127\.0\.0\.1:\d+ is unavailable: The operation was aborted due to timeout/);
    assert.ok((outcome.ms ?? Infinity) < 60_000, `gave up after ${outcome.ms} ms`);
  });

  it("deadlineSignal aborts a plain fetch after its time", async () => {
    const outcome = await runChild("fetch", 120_000);
    assert.equal(outcome.ended, "failed", JSON.stringify(outcome));
    assert.match(outcome.message ?? "", /due to timeout/);
    assert.ok((outcome.ms ?? Infinity) < 60_000, `gave up after ${outcome.ms} ms`);
  });
});
