// `orun status` and a resume of a record whose metadata.json is not JSON (empty, torn, garbage): shown (resumed)
// without it, with a warning naming the file, as a record without one is (docs/running.md) — they refused the
// record. Without readable metadata, the plan's name, ID and job count come from the record's manifest.json (status
// showed `▲ orun plan`, `Plan: —` and counted only the jobs state.json holds). Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const JOBS = [
  { id: "app@dev.build", steps: [{ run: "echo built" }] },
  { id: "app@dev.deploy", steps: [{ run: "echo deployed" }] },
];

test("status shows a record whose metadata.json is not JSON with a warning naming it, and its plan from manifest.json", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-meta-unreadable-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "U", "--job", "app@dev.build"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "U", "metadata.json");
  const planId = (JSON.parse(await readFile(file, "utf8")) as { planId: string }).planId;
  const whole = await readFile(file, "utf8");
  for (const content of ["garbage", "", whole.slice(0, 30)]) {
    await writeFile(file, content);
    const status = await runOrun(["status", "--exec-id", "U"], { cwd: dir, env: { NO_COLOR: "1" } });
    assert.equal(status.code, 0, `${JSON.stringify(content)}: ${status.stderr}`);
    assert.ok(status.stdout.includes(`! its metadata.json cannot be read (${file}: invalid JSON (`), status.stdout);
    assert.match(status.stdout, /fix or delete the file/);
    assert.match(status.stdout, /▲ orun meta\n/);
    assert.ok(status.stdout.includes(`Plan: ${planId}  ·  Run: U`), status.stdout);
    assert.match(status.stdout, /\(2 in plan\)/);
    assert.match(status.stdout, /✓ build/);
    const json = await runOrun(["status", "--exec-id", "U", "--json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    assert.ok(((JSON.parse(json.stdout) as { metadataUnreadable?: string }).metadataUnreadable ?? "").startsWith(file), json.stdout);
  }
});

test("status of a record without metadata.json names its plan and counts its jobs from manifest.json, and says the file is missing", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-meta-unreadable-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "M", "--job", "app@dev.build"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "M", "metadata.json");
  const planId = (JSON.parse(await readFile(file, "utf8")) as { planId: string }).planId;
  await rm(file);
  const status = await runOrun(["status", "--exec-id", "M"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /▲ orun meta\n/);
  assert.ok(status.stdout.includes(`Plan: ${planId}  ·  Run: M`), status.stdout);
  assert.match(status.stdout, /\(2 in plan\)/);
  // State unknown says why: the file missing, and where it was looked for.
  assert.match(status.stdout, /State: unknown/);
  assert.ok(status.stdout.includes(`! its metadata.json is missing (${file}): how its run ended and when are not recorded`), status.stdout);
  const json = await runOrun(["status", "--exec-id", "M", "--json"], { cwd: dir });
  assert.equal((JSON.parse(json.stdout) as { metadataMissing?: string }).metadataMissing, file, json.stdout);
});

test("a resume of a record whose metadata.json is not JSON runs, says so naming the file, and writes it anew", async (t) => {
  const dir = await planDir(t, JOBS, { name: "meta" }, "orun-meta-unreadable-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "R", "--job", "app@dev.build"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "R", "metadata.json");
  await writeFile(file, "{\"execId\": \"R\", \"sta");
  const resume = await runOrun(["run", "plan.json", "--exec-id", "R"], { cwd: dir });
  assert.equal(resume.code, 0, resume.stderr);
  assert.ok(resume.stderr.includes(`the record's metadata.json cannot be read (${file}: invalid JSON (`), resume.stderr);
  assert.match(resume.stdout, /⚡ build {2}already completed\n {4}✓ deploy/);
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { status: string }).status, "completed");
});
