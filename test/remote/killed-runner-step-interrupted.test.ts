// A remote runner killed (-9) in a step: its local record shows that step interrupted (`! s2  interrupted`), as the
// runner left it, not pending (`○ s2`): the step's start was never written, since nothing else was written before
// the step would have ended (user testing). A real `orun run --remote-state` process, a real backend on loopback.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan } from "../../src/model/plan.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun } from "./processes.js";

describe("a remote runner killed in a step", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-killed-step-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("leaves a record that shows the step it was in interrupted", { timeout: 120_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    let relay: http.Server | undefined;
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const started = path.join(dir, "s2-started");
      const plan: Plan = {
        apiVersion: "orun.io/v1",
        kind: "Plan",
        metadata: { name: "killed" },
        execution: { concurrency: 1, failFast: false },
        spec: {},
        jobs: [
          {
            id: "c@dev.work",
            name: "work",
            component: "c",
            environment: "dev",
            dependsOn: [],
            steps: [
              { id: "s1", phase: "main", run: "echo one" },
              { id: "s2", phase: "main", run: `touch ${started}; sleep 60` },
              { id: "s3", phase: "main", run: "true" },
            ],
          },
        ],
      };
      const file = path.join(dir, "killed.json");
      await fs.writeFile(file, JSON.stringify(plan));
      // Log uploads answered 300 ms late, as from a distant backend: s1's last upload holds s2 back past the record's
      // next write, which then showed s2 pending for as long as it ran.
      relay = http.createServer((req, res) => {
        const forward = () => {
          const target = new URL(req.url ?? "/", backend.url);
          const out = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          req.pipe(out);
        };
        if (req.url?.includes("/logs/")) setTimeout(forward, 300);
        else forward();
      });
      await new Promise<void>((resolve) => relay!.listen(0, "127.0.0.1", resolve));
      const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
      const e = { ORUN_TOKEN: token, ORUN_BACKEND_URL: relayUrl, ORUN_EXEC_ID: "killed-1", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      const runner = spawnOrun(["run", file, "--remote-state"], { cwd: dir, env: e });
      await until(() => existsSync(started), "s2 to start", 60_000);
      // The record's write of the step's start is due within the writer's interval (20 ms here): wait for it on disk.
      const executions = path.join(dir, ".orun", "executions");
      const stateFile = async () => path.join(executions, (await fs.readdir(executions)).find((d) => d.startsWith("killed-1."))!, "state.json");
      const s2 = async () => (JSON.parse(await fs.readFile(await stateFile(), "utf8")) as { jobs: Record<string, { steps: Record<string, string> }> }).jobs["c@dev.work"]?.steps.s2;
      await until(async () => (await s2()) === "running", "the record to say s2 runs", 10_000);
      runner.child.kill("SIGKILL");
      await runner.done;
      const shown = await spawnOrun(["status", "--local", "--detailed"], { cwd: dir, env: { ...e, ORUN_EXEC_ID: "" } }).done;
      assert.match(shown.output, /✓ s1\n\s+! s2 {2}interrupted\n\s+○ s3\n/, shown.output);
    } finally {
      relay?.closeAllConnections();
      relay?.close();
      await backend.stop();
      await db.cleanup();
    }
  });
});
