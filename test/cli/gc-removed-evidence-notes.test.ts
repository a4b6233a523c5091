// .orun/gc-removed-evidence.json only explains a gate's block (src/runtime/removed-evidence.ts). A damaged note made
// `orun run` and its --dry-run fail with a raw TypeError; a notes file gc could not write failed gc (exit 1, EISDIR)
// after it had removed the records, skipping the repair of `latest`; a file gc could not parse was silently replaced;
// two gc runs at once could lose each other's notes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT, runOrun } from "../support/cli.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const gate = (environment: string) => ({ type: "environment-promotion" as const, environment, component: "api", condition: "success", match: { revision: "source" } });

/** A repository whose dev success gc removed with --drop-evidence: its note is in the file. */
async function removedDevSuccess(t: { after(fn: () => void): void }): Promise<{ dir: string; notesFile: string; short: string }> {
  const repo = GitRepo.create({ "deploy.sh": "echo deployed\n", ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  await writePlan(
    repo.dir,
    makePlan(
      [
        { id: "api@dev.deploy", steps: [{ run: "sh deploy.sh" }] },
        { id: "api@prod.deploy", gates: [gate("dev")], steps: [{ run: "sh deploy.sh" }] },
        { id: "api@prod.verify", gates: [gate("dev")], steps: [{ run: "true" }] },
      ],
      { revision: sha },
    ),
  );
  const dev = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", "d1"], { cwd: repo.dir });
  assert.equal(dev.code, 0, dev.stderr);
  const gc = await runOrun(["gc", "--all", "--drop-evidence"], { cwd: repo.dir });
  assert.equal(gc.code, 0, gc.stderr);
  return { dir: repo.dir, notesFile: path.join(repo.dir, ".orun", "gc-removed-evidence.json"), short: sha.slice(0, 12) };
}

test("a damaged note in gc-removed-evidence.json is dropped with one warning naming the file; gated runs and dry-runs go on", async (t) => {
  const { dir, notesFile, short } = await removedDevSuccess(t);
  const sound = JSON.parse(await readFile(notesFile, "utf8")) as { removed: Record<string, unknown>[] };
  assert.equal(sound.removed.length, 1);
  const gcNamed = `orun gc --drop-evidence removed execution d1, its success at this revision, on ${String(sound.removed[0]!.removedAt).slice(0, 10)}`;

  for (const [damage, fault] of [
    [{ removedAt: undefined }, "removedAt: expected a non-empty string"],
    [{ removedAt: 1 }, "removedAt: expected a non-empty string"],
    [{ removedAt: "yesterday" }, "removedAt: expected a date"],
    [{ cause: "whim" }, "cause: expected one of drop-evidence, older-revision"],
    [{ revisions: -1 }, "revisions: expected a whole number"],
  ] as const) {
    // The damaged note first, the sound one after it: only the damaged one goes.
    await writeFile(notesFile, JSON.stringify({ removed: [{ ...sound.removed[0], ...damage, execId: "older" }, sound.removed[0]] }));
    const warning = `warning: ${notesFile}: 1 damaged note ignored (removed[0]: ${fault})\n`;
    for (const dryRun of [true, false]) {
      const run = await runOrun(["run", "plan.json", "--env", "prod", "--exec-id", `p-${fault.split(":")[0]}-${dryRun}`, ...(dryRun ? ["--dry-run"] : [])], { cwd: dir });
      const all = run.stdout + run.stderr;
      assert.doesNotMatch(all, /Cannot read|is not a function|TypeError/, all);
      assert.equal(run.code, dryRun ? 0 : 1, all);
      // Two gated jobs, one warning.
      assert.equal(run.stderr.split(warning).length - 1, 1, run.stderr);
      assert.ok(run.stdout.includes(gcNamed), run.stdout);
      assert.ok(run.stdout.includes(`promotion gate: api must have succeeded in dev at revision ${short}`), run.stdout);
    }
  }

  // Not notes at all: ignored, said once.
  await writeFile(notesFile, "[1, 2]");
  const run = await runOrun(["run", "plan.json", "--env", "prod", "--exec-id", "p-shape", "--dry-run"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, `warning: ${notesFile}: expected {"removed": [...]}; it is ignored, so a promotion gate blocked for want of evidence gc removed does not say so\n`);
});

test("gc that cannot write its notes warns and still repairs `latest`; a notes file it cannot parse is set aside, not replaced", async (t) => {
  const repo = GitRepo.create({ ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  const dir = repo.dir;
  await writePlan(dir, makePlan([{ id: "api@dev.deploy", steps: [{ run: "true" }] }], { revision: sha }));
  const notesFile = path.join(dir, ".orun", "gc-removed-evidence.json");
  for (const id of ["d1", "d2"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);

  await mkdir(notesFile);
  const gc = await runOrun(["gc", "--all", "--drop-evidence"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.equal(gc.stderr, `warning: cannot note the removed promotion evidence in ${notesFile} (it is a directory): a promotion gate blocked at its revision will not say gc removed it\n`);
  assert.match(gc.stdout, /Removed d2/);
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")), [], "`latest` no longer points at the removed d2");
  assert.ok((await lstat(notesFile)).isDirectory(), "a directory in its place is left alone");

  // A file that is not notes: kept aside under another name, and a new one holds the new note.
  await rm(notesFile, { recursive: true });
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "d3"], { cwd: dir })).code, 0);
  await writeFile(notesFile, "{broken");
  const again = await runOrun(["gc", "--all", "--drop-evidence"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const aside = (await readdir(path.join(dir, ".orun"))).filter((name) => name.startsWith("gc-removed-evidence.json.damaged-"));
  assert.equal(aside.length, 1);
  assert.equal(await readFile(path.join(dir, ".orun", aside[0]!), "utf8"), "{broken");
  assert.match(again.stderr, new RegExp(`^warning: ${notesFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: invalid JSON: .*; set aside as ${aside[0]!.replace(/\./g, "\\.")}, and a new one started\n$`));
  const notes = JSON.parse(await readFile(notesFile, "utf8")) as { removed: { execId: string }[] };
  assert.deepEqual(notes.removed.map((note) => note.execId), ["d3"]);
});

test("gc runs noting removed evidence at once keep each other's notes", async (t) => {
  const repo = GitRepo.create({});
  t.after(() => repo.remove());
  await mkdir(path.join(repo.dir, ".orun"));
  const moduleUrl = pathToFileURL(path.join(PROJECT_ROOT, "dist/src/runtime/removed-evidence.js")).href;
  const storeUrl = pathToFileURL(path.join(PROJECT_ROOT, "dist/src/runtime/records/store.js")).href;
  const writer = (name: string) => `
    const { noteRemovedEvidence } = await import(${JSON.stringify(moduleUrl)});
    const { ExecutionStore } = await import(${JSON.stringify(storeUrl)});
    const store = new ExecutionStore(${JSON.stringify(repo.dir)});
    for (let i = 0; i < 25; i++) {
      await noteRemovedEvidence(store, [{ execId: "${name}-" + i, component: "api", environment: "dev", revision: "a".repeat(40), removedAt: new Date().toISOString(), cause: "drop-evidence" }]);
    }`;
  const exits = await Promise.all(
    ["x", "y", "z"].map(
      (name) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ["--input-type=module", "-e", writer(name)], { stdio: ["ignore", "ignore", "pipe"] });
          let stderr = "";
          child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          child.on("close", (code) => resolve({ code, stderr }));
        }),
    ),
  );
  for (const exit of exits) assert.deepEqual(exit, { code: 0, stderr: "" });
  const notes = JSON.parse(await readFile(path.join(repo.dir, ".orun", "gc-removed-evidence.json"), "utf8")) as { removed: { execId: string }[] };
  assert.equal(notes.removed.length, 75, "no gc lost another's notes");
  assert.equal(new Set(notes.removed.map((note) => note.execId)).size, 75);
});

/** A store whose one record holds the dev success `gc --all --drop-evidence` removes, so gc writes a note. */
async function storeWithEvidence(t: { after(fn: () => void): void }): Promise<{ dir: string; lockFile: string }> {
  const repo = GitRepo.create({ ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  await writePlan(repo.dir, makePlan([{ id: "api@dev.deploy", steps: [{ run: "true" }] }], { revision: sha }));
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "d1"], { cwd: repo.dir })).code, 0);
  return { dir: repo.dir, lockFile: path.join(repo.dir, ".orun", "gc-removed-evidence.json.lock") };
}

test("gc whose notes lock another host's gc holds says so, naming the lock file and no execution, without waiting", async (t) => {
  const { dir, lockFile } = await storeWithEvidence(t);
  await writeFile(lockFile, JSON.stringify({ pid: 1, host: "otherhost.example", since: new Date().toISOString() }));
  const started = Date.now();
  const gc = await runOrun(["gc", "--all", "--drop-evidence"], { cwd: dir });
  const took = Date.now() - started;
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.match(gc.stdout, /Removed d1/);
  assert.match(gc.stderr, new RegExp(`\\(${lockFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is held by orun gc on host otherhost\\.example \\(pid 1, since [^)]+\\); remove that file if that gc is gone\\): a promotion gate blocked at its revision will not say gc removed it\\n$`), gc.stderr);
  assert.doesNotMatch(gc.stderr, /execution gc-removed-evidence|--exec-id/, gc.stderr);
  // Another host's lock cannot go stale here: waiting for it (10 s before) only delayed every gc.
  assert.ok(took < 8_000, `gc took ${took} ms`);
});

test("gc whose notes lock a live gc of this host holds waits a moment, then names that gc's pid and the file", async (t) => {
  const { dir, lockFile } = await storeWithEvidence(t);
  const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  t.after(() => holder.kill());
  await new Promise((resolve) => holder.once("spawn", resolve));
  const { hostname } = await import("node:os");
  await writeFile(lockFile, JSON.stringify({ pid: holder.pid, host: hostname(), since: new Date(Date.now() + 1000).toISOString() }));
  const gc = await runOrun(["gc", "--all", "--drop-evidence"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.ok(gc.stderr.includes(`(${lockFile} is held by orun gc (pid ${holder.pid}, since `), gc.stderr);
  assert.match(gc.stderr, /remove that file if that gc is gone\): /, gc.stderr);
  assert.doesNotMatch(gc.stderr, /execution gc-removed-evidence|--exec-id/, gc.stderr);
});

test("gc removes the notes files it set aside once they are older than --max-age, and keeps younger ones", async (t) => {
  const { dir } = await storeWithEvidence(t);
  const orun = path.join(dir, ".orun");
  const old = `gc-removed-evidence.json.damaged-${Date.now() - 40 * 86_400_000}`;
  const young = `gc-removed-evidence.json.damaged-${Date.now() - 86_400_000}`;
  for (const name of [old, young]) await writeFile(path.join(orun, name), "{broken");
  const dry = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.ok((await readdir(orun)).includes(old), "a dry run removes nothing");
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  const left = (await readdir(orun)).filter((name) => name.includes(".damaged-"));
  assert.deepEqual(left, [young]);
  const shorter = await runOrun(["gc", "--all", "--max-age", "12h"], { cwd: dir });
  assert.equal(shorter.code, 0, shorter.stderr);
  assert.deepEqual((await readdir(orun)).filter((name) => name.includes(".damaged-")), []);
});
