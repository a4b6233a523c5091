// The direct spawner's orphan guard (src/runners/process/orphan-guard.ts) is one process per orun process: many
// orun processes at once (a CI machine running a matrix, `orun run --background` several times) each have one,
// so it must stay small. It was a second Node process (about 40 MB resident); it is a POSIX sh loop now.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { processEnded, until } from "../support/wait.js";

/** Children of `pid` with their resident memory (kB), read from /proc. */
function childrenOf(pid: number): { pid: number; rssKb: number; command: string }[] {
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== pid) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      found.push({ pid: Number(name), rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0), command });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("direct spawns: the orphan guard is a small process, and it ends with orun", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.wait", steps: [{ run: "touch started; while [ ! -f done ]; do sleep 0.05; done" }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "g"], { cwd: dir, env: { ...process.env, NO_COLOR: "1", ORUN_LOCAL_SPAWNER: "direct" }, stdio: "ignore" });
  t.after(() => void child.kill("SIGKILL"));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  await until(() => existsSync(path.join(dir, "started")), "the step to start");
  // The guard: orun's child that is not the step's shell (which runs the loop above).
  const guards = childrenOf(child.pid!).filter((c) => !c.command.includes("while [ ! -f done ]"));
  assert.equal(guards.length, 1, JSON.stringify(guards));
  const guard = guards[0]!;
  assert.ok(guard.rssKb < 8 * 1024, `the guard holds ${guard.rssKb} kB: ${guard.command.slice(0, 60)}`);
  await writeFile(path.join(dir, "done"), "");
  assert.equal(await closed, 0);
  await until(() => processEnded(guard.pid), "the guard to end once orun has ended", 10_000);
});
