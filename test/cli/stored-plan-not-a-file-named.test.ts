// A folder, FIFO or dangling link where the plan store keeps `latest.json`, `<name>.json` or `<id>.json` was passed
// over as no plan at all: `orun run latest` said "latest is neither a stored plan nor a component", `describe plan`
// "no plan found; run 'orun plan' first", `get jobs` "No jobs found." with exit 0, and `run <id>` Node's "EISDIR:
// illegal operation on a directory". Each now names the file and what is in its place, exit 1, and a FIFO is never
// waited on. Real orun processes in a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { makePlan, removeDir, tempDir } from "../runtime/helpers.js";

test("a directory, FIFO or dangling link in a stored plan's place is named, exit 1, by run, describe plan and get jobs", async (t) => {
  const dir = await tempDir("orun-plan-store-nonfile-");
  t.after(() => removeDir(dir));
  const plans = path.join(dir, ".orun/plans");
  await mkdir(plans, { recursive: true });
  const latest = path.join(plans, "latest.json");
  const named = path.join(plans, "nightly.json");
  const byId = path.join(plans, "abcd1234ef56.json");
  await mkdir(byId);
  await symlink(path.join(dir, "nowhere.json"), named);
  const refusal = (file: string, what: string): string => `✕ ${file}: cannot read the stored plan: it is ${what}; move it away and run orun plan again\n`;

  const cases: { args: string[]; file: string; what: string }[] = [
    { args: ["run", "abcd"], file: byId, what: "a directory" },
    { args: ["run", "abcd1234ef56"], file: byId, what: "a directory" },
    { args: ["run", "nightly"], file: named, what: "a symbolic link to nothing" },
  ];
  for (const [make, what] of [
    [() => mkdir(latest), "a directory"],
    [() => execFileSync("mkfifo", [latest]), "not a regular file (a FIFO, socket or device)"],
  ] as const) {
    await removeDir(latest);
    await make();
    for (const args of [["run", "latest"], ["describe", "plan"], ["get", "jobs"]]) {
      const result = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stderr, refusal(latest, what), args.join(" "));
    }
  }
  for (const { args, file, what } of cases) {
    const result = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    assert.equal(result.stderr, refusal(file, what), args.join(" "));
  }
});

test("a stored plan that is truncated, not JSON or of the wrong shape is named, with the orun plan command that writes it anew (user29)", async (t) => {
  const dir = await tempDir("orun-plan-store-corrupt-");
  t.after(() => removeDir(dir));
  const plans = path.join(dir, ".orun/plans");
  await mkdir(plans, { recursive: true });
  const latest = path.join(plans, "latest.json");
  const named = path.join(plans, "nightly.json");
  // A plan stored by its ID (orun plan writes <id>.json beside latest.json): orun plan, not orun plan --name <id>.
  const byId = path.join(plans, "0123456789ab.json");
  for (const content of ['{"apiVersion": "orun.io/v1", "kind": "Pl', "not json {", '{"a": 1}', "[]"]) {
    await writeFile(latest, content);
    await writeFile(named, content);
    await writeFile(byId, content);
    for (const [args, file, command] of [
      [["run", "latest"], latest, "orun plan"],
      [["describe", "plan"], latest, "orun plan"],
      [["get", "jobs"], latest, "orun plan"],
      [["run", "nightly"], named, "orun plan --name nightly"],
      [["run", "0123456789ab"], byId, "orun plan"],
    ] as const) {
      const result = await runOrun([...args], { cwd: dir });
      assert.equal(result.code, 1, `${args.join(" ")} (${content}): ${result.stdout}`);
      assert.ok(result.stderr.startsWith(`✕ ${file}`), `${args.join(" ")} (${content}): ${result.stderr}`);
      assert.ok(result.stderr.includes(`(orun writes this file: run ${command} again to write it anew)`), `${args.join(" ")} (${content}): ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
    }
  }
});

// The advice above is for errors that have none: a stored plan edited since orun plan wrote it has its checksum's own
// hint, which also offers running it as a hand-written plan — not replaced by "run orun plan again" (mut30b's P1).
test("a stored plan edited after orun plan wrote it keeps the checksum's hint, not the stored-plan advice", async (t) => {
  const dir = await tempDir("orun-plan-store-edited-");
  t.after(() => removeDir(dir));
  const plans = path.join(dir, ".orun/plans");
  await mkdir(plans, { recursive: true });
  const plan = makePlan([{ id: "a@dev.build", steps: [{ run: "echo planned" }] }]);
  plan.metadata = { ...plan.metadata, checksum: computePlanChecksum(plan) };
  plan.jobs[0]!.steps[0]!.run = "echo edited";
  await writeFile(path.join(plans, "latest.json"), JSON.stringify(plan, null, 2));
  const result = await runOrun(["run", "latest"], { cwd: dir });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /latest\.json \(metadata\.checksum\): plan content does not match its checksum/);
  assert.ok(result.stderr.includes("(the plan was edited after `orun plan` wrote it; run `orun plan` again, or remove metadata.checksum to run it as a hand-written plan)"), result.stderr);
  assert.doesNotMatch(result.stderr, /orun writes this file/);
});
