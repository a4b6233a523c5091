// Many steps at once behind a slow reader of orun's stdout (`orun run --verbose | slow-reader`, concurrency above
// 10): every step that waits for the console used to add its own drain/close/error listeners to orun's stdout, and
// from the 11th Node printed "MaxListenersExceededWarning: Possible EventEmitter memory leak detected" on orun's
// stderr. The steps now share one wait on the console (src/runners/process/console-wait.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

const STEPS = 12;
/**
 * Each step's output, well past the 8 MB the console may queue in all, so every step ends up waiting for it: a direct
 * spawn on its paused pipes; one through the helper once it has ended with over 4 MB still unread in its file.
 */
const EACH = { direct: 1536 * 1024, helper: 5 * 1024 * 1024 };

const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

for (const spawner of ["direct", "helper"] as const) {
  test(`${spawner} spawns: ${STEPS} steps waiting for a stalled console print no MaxListenersExceededWarning, and all output arrives`, async (t) => {
    const jobs = Array.from({ length: STEPS }, (_, i) => ({
      id: `c${i}@dev.print`,
      steps: [{ id: "print", run: `yes 0123456789abcdefghijklmnopqrstuvwxyz0123 | head -c ${EACH[spawner]}; touch done.${i}` }],
    }));
    const dir = await planDir(t, jobs, { concurrency: STEPS });
    const env = { ...process.env, NO_COLOR: "1", ...(spawner === "direct" ? { ORUN_LOCAL_SPAWNER: "direct" } : {}) };
    if (spawner === "helper") delete env.ORUN_LOCAL_SPAWNER;
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "w", "--verbose"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => void child.kill("SIGKILL"));
    child.stdout.pause(); // the reader takes nothing for now
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const logs = jobs.map((job) => path.join(dir, `.orun/executions/w/logs/${job.id}/print.log`));
    const logged = (): number => logs.reduce((sum, file) => sum + sizeOf(file), 0);

    // Direct: the steps block on their paused pipes. Helper: they write to files and end, then wait to be read.
    if (spawner === "helper") await until(() => jobs.every((_, i) => existsSync(path.join(dir, `done.${i}`))), "the steps to end");
    else await until(() => logged() > 0, "the steps to print");
    // Steady: nothing more is read over half a second, so every step is waiting for the console. (The helper's
    // step logs are whole at once; what is shown stalls, and the ended steps wait to be read.)
    for (let size = -1, shown = -1; size !== logged() || shown !== child.stdout.readableLength; ) {
      size = logged();
      shown = child.stdout.readableLength;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (spawner === "direct") assert.ok(logged() < STEPS * EACH.direct, `orun read everything while nobody read its output (${logged()} bytes)`);

    let bytes = 0;
    child.stdout.on("data", (chunk: Buffer) => (bytes += chunk.length));
    child.stdout.resume();
    assert.equal(await closed, 0, stderr);
    assert.doesNotMatch(stderr, /MaxListenersExceeded|memory leak/);
    assert.equal(logged(), STEPS * EACH[spawner], "every step's output is logged");
    assert.ok(bytes >= STEPS * EACH[spawner], `all output shown (${bytes} bytes)`);
  });
}
