// `orun backend serve` stopped (SIGTERM, a rolling deploy) while runners hold long-polls: it exits 0 at once and
// quietly. The long-polls woken by their closed connections used to re-read the run after the store had closed,
// and each printed a stack trace ("The database connection is not open" on SQLite, a pool used after end on
// PostgreSQL). The runner then carries on against the backend's next instance.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import type { StoreKind } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { backendProcessBed } from "./backend-process-bed.js";
import { until } from "../support/wait.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`orun backend serve on ${kind} stopped while runners wait in long-polls`, () => {
    const open = backendProcessBed(kind, "stop");

    it("exits 0 promptly without errors, and the waiting runners finish on its next instance", { timeout: 300_000 }, async (t) => {
      const bed = await open(t);
      if (!bed) return;
      const { dir, token, backend } = bed;
      const go = path.join(dir, "go");
      const planFile = await writePlan(dir, "stop", [
        { id: "a@dev.build", run: `while [ ! -f ${go} ]; do sleep 0.05; done` },
        ...[1, 2, 3].map((i) => ({ id: `w${i}@dev.build`, deps: ["a@dev.build"], run: "echo waited" })),
      ]);
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: `stop-${kind}`, GITHUB_ACTIONS: "", ORUN_BACKEND_RETRY_MS: "60000" };
      const runners = ["a@dev.build", "w1@dev.build", "w2@dev.build", "w3@dev.build"].map((job) => spawnOrun(["run", planFile, "--remote-state", "--job", job], { cwd: dir, env }));
      await until(() => runners.slice(1).every((r) => /waiting for dependencies/.test(r.output())), "the three waiting runners hold long-polls", 120_000);
      await new Promise((resolve) => setTimeout(resolve, 300));

      const sent = Date.now();
      backend.proc.child.kill("SIGTERM");
      const stopped = await backend.proc.done;
      assert.equal(stopped.code, 0, stopped.output);
      // Well before the runners' 25 s long-polls would end on their own (7.4 s was seen beside the 50-runner test).
      assert.ok(stopped.exitedAt - sent < 15_000, `stopped ${stopped.exitedAt - sent} ms after SIGTERM`);
      assert.doesNotMatch(stopped.output, /Error|not open|after calling end|\n\s+at /, stopped.output);

      await bed.restart();
      await fs.writeFile(go, "");
      for (const runner of runners) {
        const result = await runner.done;
        assert.equal(result.code, 0, result.output);
      }
    });
  });
}
