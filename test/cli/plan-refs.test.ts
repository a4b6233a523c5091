// Plan references (`orun run <ref>`, `describe plan <ref>`, `get jobs --plan <ref>`)
// through the built CLI: a prefix of a stored plan's NAME, or a too-short ID
// prefix, is no reference, so `orun run api` compiles component api instead of
// running a stored plan that happens to be called `api-everything`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const BODY = `environments:
  dev: {}
  prod: {}
components:
  - name: api
    type: svc
    subscribe: { environments: [dev, prod] }
  - name: web
    type: svc
    subscribe: { environments: [dev, prod] }
`;

const planIdOf = (stdout: string): string => /│ plan: ([0-9a-f]{12})\n/.exec(stdout)![1]!;

describe("a component name that starts a stored plan's name", () => {
  test("orun run api runs component api, not the stored plan api-everything", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const stored = await runOrun(["plan", "--name", "api-everything"], { cwd: dir });
    assert.equal(stored.code, 0, stored.stderr);
    const run = await runOrun(["run", "api", "--dry-run"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Scope: +1 component · 2 jobs/, run.stdout);
    assert.doesNotMatch(run.stdout, /web/);
    for (const args of [["describe", "plan", "api"], ["get", "jobs", "--plan", "api-every"]]) {
      const r = await runOrun(args, { cwd: dir });
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
      assert.equal(r.stderr, `✕ plan not found: ${args.at(-1)}\n`);
    }
    // The whole name still names the plan.
    const whole = await runOrun(["get", "jobs", "--plan", "api-everything", "-o", "json"], { cwd: dir });
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal((JSON.parse(whole.stdout) as unknown[]).length, 4);
  });
});

describe("plan ID prefixes", () => {
  test("a prefix two stored plans share is refused naming both; 4+ digits or the full checksum pick one", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const first = await runOrun(["plan", "-e", "dev"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const id = planIdOf(first.stdout);
    const plans = path.join(dir, ".orun", "plans");
    // A second stored plan whose ID shares the first 6 digits (a copy stored under a made-up ID).
    const twin = `${id.slice(0, 6)}${id.slice(6) === "000000" ? "111111" : "000000"}`;
    await fs.copyFile(path.join(plans, `${id}.json`), path.join(plans, `${twin}.json`));
    const ambiguous = await runOrun(["describe", "plan", id.slice(0, 6)], { cwd: dir });
    assert.equal(ambiguous.code, 1, ambiguous.stdout);
    const both = [id, twin].sort().join(", ");
    assert.match(ambiguous.stderr, new RegExp(`^✕ plan ID prefix ${id.slice(0, 6)} is ambiguous: it matches ${both} \\(give more digits of the plan ID\\)\n$`));
    const run = await runOrun(["run", id.slice(0, 6), "--dry-run"], { cwd: dir });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /is ambiguous/);
    assert.equal(run.stdout, "", "nothing was previewed");
    const checksum = (JSON.parse(await fs.readFile(path.join(plans, `${id}.json`), "utf8")) as { metadata: { checksum: string } }).metadata.checksum;
    for (const ref of [id, checksum]) {
      const r = await runOrun(["get", "jobs", "--plan", ref, "-o", "json"], { cwd: dir });
      assert.equal(r.code, 0, `${ref}: ${r.stderr}`);
      assert.equal((JSON.parse(r.stdout) as unknown[]).length, 2);
    }
  });

  test("a prefix of fewer than 4 hex digits is no reference, and the refusal says a prefix needs 4 (get jobs, describe, run)", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const planned = await runOrun(["plan", "-e", "dev"], { cwd: dir });
    assert.equal(planned.code, 0, planned.stderr);
    const short = planIdOf(planned.stdout).slice(0, 3);
    const note = `if ${short} is meant as a plan ID, a prefix needs at least 4 hex digits (it has 3): orun get plans lists the stored plans' IDs`;
    for (const args of [["get", "jobs", "--plan", short], ["describe", "plan", short], ["get", "jobs", "--plan", `sha256-${short}`]]) {
      const r = await runOrun(args, { cwd: dir });
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
      assert.equal(r.stderr, `✕ plan not found: ${args.at(-1)} (${note})\n`);
    }
    // orun run <ref> reads it as a component after no plan: the refusal ends saying so too.
    const run = await runOrun(["run", short, "--dry-run"], { cwd: dir });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, new RegExp(`^✕ ${short} is neither a stored plan nor a component\n`));
    assert.ok(run.stderr.endsWith(`\n${note}\n`), run.stderr);
    // Not said of a word that cannot be an ID prefix, nor of 4 digits (a prefix that matches nothing).
    for (const ref of ["api-every", "31bz", "0000"]) assert.doesNotMatch((await runOrun(["get", "jobs", "--plan", ref], { cwd: dir })).stderr, /at least 4 hex/);
  });
});

describe("a file in the working directory named like a component", () => {
  test("orun run api next to an api binary or script runs component api; a bare-named plan file still runs", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    for (const content of [Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), Buffer.from("#!/bin/sh\necho api\n")]) {
      await fs.writeFile(path.join(dir, "api"), content, { mode: 0o755 });
      const run = await runOrun(["run", "api", "--dry-run"], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Scope: +1 component · 2 jobs/, run.stdout);
    }
    const planned = await runOrun(["plan", "-o", "myplan"], { cwd: dir });
    assert.equal(planned.code, 0, planned.stderr);
    const described = await runOrun(["describe", "plan", "myplan"], { cwd: dir });
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Jobs: +4\n/);
  });
});
