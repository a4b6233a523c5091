// `orun logs` of a record whose metadata.json is damaged (a field of the wrong shape, not JSON, a FIFO in its place)
// prints the step logs with a warning naming the file: the logs do not depend on it. It refused the record (rev24
// finding 3); only a corrupt state.json is refused (the steps' outcomes are not known). Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const JOBS = [
  { id: "app@dev.build", steps: [{ id: "main", run: "echo built" }] },
  { id: "app@dev.deploy", dependsOn: ["app@dev.build"], steps: [{ id: "main", run: "echo deployed" }] },
];

test("logs of a record whose metadata.json is damaged are shown, with a warning naming the file", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-logs-meta-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "G"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "G", "metadata.json");
  const whole = await readFile(file, "utf8");
  const damages: [string, () => Promise<void>, string][] = [
    ["a field of the wrong shape", () => writeFile(file, whole.replace('"status": "completed"', '"status": 5')), `${file} (status): corrupt execution metadata: expected a string`],
    ["not JSON", () => writeFile(file, "garbage"), `${file}: invalid JSON (`],
    ["a FIFO", async () => {
      await rm(file);
      execFileSync("mkfifo", [file]);
    }, `${file}: cannot read execution metadata: it is not a regular file`],
  ];
  for (const [what, damage, said] of damages) {
    await damage();
    for (const args of [[], ["--job", "deploy"], ["--follow"]]) {
      const logs = await runOrun(["logs", "--exec-id", "G", ...args], { cwd: dir, env: { NO_COLOR: "1" }, timeoutMs: 30_000 });
      assert.equal(logs.code, 0, `${what} ${args.join(" ")}: ${logs.stderr}`);
      assert.ok(logs.stderr.includes(`warning: the record's metadata.json cannot be read (${said}`), `${what}: ${logs.stderr}`);
      assert.match(logs.stderr, /its logs are shown without it; fix or delete the file/);
      assert.match(logs.stdout, /── app@dev\.deploy › main[^\n]*\ndeployed\n/, `${what} ${args.join(" ")}`);
      if (args.length === 0) assert.match(logs.stdout, /── app@dev\.build › main {2}\(completed\)\nbuilt\n/);
    }
  }
  // A corrupt state.json is still refused: the steps' outcomes are not known.
  await rm(file);
  await writeFile(recordFile(dir, "G", "state.json"), "{");
  const refused = await runOrun(["logs", "--exec-id", "G"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout);
  assert.ok(refused.stderr.includes(recordFile(dir, "G", "state.json")), refused.stderr);
});
