// Ctrl-C and SIGTERM stop a remote runner at once, whatever it is waiting on: a backend that refuses
// connections (retry sleeps), one that accepts a request and never answers (a request in flight), or the
// run's dependencies (a long-poll). The exit code is the signal's (130, 143), and a cancel is not reported
// as a backend outage.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { closedPort } from "../support/wait.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan, type BackendProcess, type OrunProcess } from "./processes.js";

/** Resolves once the process printed a line matching `re` (fails if it exits first). */
function printed(proc: OrunProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (re.test(proc.output())) resolve();
    };
    proc.child.stdout?.on("data", check);
    proc.child.stderr?.on("data", check);
    check();
    void proc.done.then(() => (re.test(proc.output()) ? resolve() : reject(new Error(`exited before printing ${re}: ${proc.output()}`))));
  });
}

describe("remote runner: a signal ends it while it retries or waits", () => {
  let dir: string;
  let planFile: string;
  const env = { ORUN_TOKEN: "x", ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", ORUN_BACKEND_RETRY_MS: "60000" };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-cancel-retry-"));
    planFile = await writePlan(dir, "cancel", [
      { id: "api@dev.build", run: "echo built" },
      { id: "api@dev.deploy", deps: ["api@dev.build"], run: "echo deployed" },
    ]);
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${signal} while retrying an unreachable backend exits ${code} at once`, async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const run = spawnOrun(["run", planFile, "--remote-state", "--backend-url", url, "--job", "api@dev.build", "--exec-id", `r-${signal}`], { cwd: dir, env });
      await printed(run, /is not answering \(ECONNREFUSED\); retrying/);
      const sent = Date.now();
      run.child.kill(signal);
      const result = await run.done;
      assert.equal(result.code, code, result.output);
      // The budget is 60 s: stopping well within it follows the signal (4.3 s was seen beside the 50-runner test).
      assert.ok(result.exitedAt - sent < 15_000, `exited ${result.exitedAt - sent} ms after ${signal}: ${result.output}`);
      assert.doesNotMatch(result.output, /is unavailable|gave up after/);
    });
  }

  it("SIGTERM while a request is in flight to a backend that never answers exits 143 at once", async () => {
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    const held = new Set<http.ServerResponse>();
    const silent = http.createServer((_req, res) => {
      held.add(res);
      received();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const run = spawnOrun(["run", planFile, "--remote-state", "--backend-url", url, "--job", "api@dev.build", "--exec-id", "r-silent"], { cwd: dir, env });
      await arrived;
      const sent = Date.now();
      run.child.kill("SIGTERM");
      const result = await run.done;
      assert.equal(result.code, 143, result.output);
      assert.ok(result.exitedAt - sent < 15_000, `exited ${result.exitedAt - sent} ms after SIGTERM (request timeout is 30 s): ${result.output}`);
      assert.doesNotMatch(result.output, /not answering|aborted/);
    } finally {
      for (const res of held) res.destroy();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("Ctrl-C while registering the run with a backend that never answers names that backend", async () => {
    const held = new Set<http.ServerResponse>();
    const silent = http.createServer((_req, res) => void held.add(res));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const run = spawnOrun(["run", planFile, "--remote-state", "--backend-url", url, "--job", "api@dev.build", "--exec-id", "r-silent-int"], { cwd: dir, env });
      await printed(run, /remote state: run r-silent-int/);
      // The run's registration is the request held: wait until it has arrived.
      const deadline = Date.now() + 15_000;
      while (held.size === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(held.size > 0, run.output());
      run.child.kill("SIGINT");
      const result = await run.done;
      assert.equal(result.code, 130, result.output);
      assert.ok(result.output.includes(`✕ remote run r-silent-int: canceled while waiting for the backend at ${url}\n`), result.output);
    } finally {
      for (const res of held) res.destroy();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  describe("waiting for dependencies on a live backend", () => {
    let backend: BackendProcess;
    let token: string;
    before(async () => {
      const database = `sqlite:${path.join(dir, "backend.db")}`;
      backend = await startBackendProcess(database);
      const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/cancel", "--database", database]).done;
      assert.equal(created.code, 0, created.output);
      token = /orun_\S+/.exec(created.output)![0];
    });
    after(() => backend?.stop());

    it("Ctrl-C says the wait was cancelled, not that the backend is not answering", async () => {
      const run = spawnOrun(["run", planFile, "--remote-state", "--backend-url", backend.url, "--job", "api@dev.deploy", "--exec-id", "r-wait"], {
        cwd: dir,
        env: { ...env, ORUN_TOKEN: token },
      });
      await printed(run, /waiting for dependencies of api@dev\.deploy/);
      run.child.kill("SIGINT");
      const result = await run.done;
      assert.equal(result.code, 130, result.output);
      assert.match(result.output, /canceled while waiting for its dependencies/);
      assert.doesNotMatch(result.output, /not answering|This operation was aborted|retrying for up to/);
    });
  });
});
