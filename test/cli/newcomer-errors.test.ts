// A newcomer's mistakes with the compile-side commands, through the real
// binary on a copy of the bundled example: each is `✕ <message>` naming the
// flag or path, exit 1, and leaves what was recorded before untouched.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";

const created: string[] = [];
after(() => Promise.all(created.map((d) => rm(d, { recursive: true, force: true }))));

/** A fresh copy of examples/platform (without any .orun/ or dist/ of the checkout). */
async function exampleCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-newcomer-"));
  created.push(dir);
  await copyExample("platform", dir);
  return dir;
}

describe("orun plan -o and the plan store", () => {
  test("-o naming an existing directory is refused up front, naming --output, and writes nothing", async () => {
    const dir = await exampleCopy();
    await mkdir(path.join(dir, "out"));
    const result = await runOrun(["plan", "-o", "out"], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /^✕ --output: out is a directory; name the plan file, e.g. out\/plan\.json\n$/);
    assert.deepEqual(await readdir(path.join(dir, "out")), []);
    assert.ok(!(await readdir(dir)).some((f) => f.endsWith(".tmp")), "no temp file is left beside it");
  });

  test("-f yaml without -o is refused (the store keeps JSON), naming --format; nothing is stored; -f json is accepted as in v2.3", async () => {
    const dir = await exampleCopy();
    const result = await runOrun(["plan", "-f", "yaml"], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "✕ --format: applies to -o/--output FILE only (stored plans are JSON); add -o plan.yaml\n");
    await assert.rejects(readdir(path.join(dir, ".orun")), { code: "ENOENT" });
    const json = await runOrun(["plan", "-f", "json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    assert.ok((await readdir(path.join(dir, ".orun", "plans"))).includes("latest.json"));
  });

  test("--name with -o: a warning says the name is not stored and which file to run", async () => {
    const dir = await exampleCopy();
    const result = await runOrun(["plan", "-o", "out.json", "--name", "nightly"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "⚠ warning: --name nightly is not stored with -o (only out.json is written); run it with: orun run out.json\n");
    assert.doesNotMatch(result.stdout, /orun run nightly/);
    assert.match(result.stdout, /│ file: out\.json\n\n {2}→ orun run out\.json\n/);
    await assert.rejects(readdir(path.join(dir, ".orun")), { code: "ENOENT" });
  });

  test("a plan store that cannot be written names .orun/plans and the reason, not a temp file", async () => {
    const dir = await exampleCopy();
    // A file where the plans directory belongs (what a permission problem also looks like to a root user).
    await mkdir(path.join(dir, ".orun"));
    await writeFile(path.join(dir, ".orun/plans"), "not a directory\n");
    const result = await runOrun(["plan"], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /✕ cannot write the plan to \.orun\/plans: a part of the path is a file, not a directory\n$/);
    assert.doesNotMatch(result.stderr, /\.tmp|EEXIST|ENOTDIR/);
    assert.equal(await readFile(path.join(dir, ".orun/plans"), "utf8"), "not a directory\n");
  });

  test("when .orun itself is a file, the lock file warning and the error both say why in words", async () => {
    const dir = await exampleCopy();
    await writeFile(path.join(dir, ".orun"), "a file\n");
    const result = await runOrun(["plan"], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(
      result.stderr,
      "⚠ warning: cannot write the composition lock file .orun/compositions.lock.yaml: a part of the path is a file, not a directory\n" +
        "✕ cannot write the plan to .orun/plans: a part of the path is not a directory\n",
    );
    const lock = await runOrun(["compositions", "lock"], { cwd: dir });
    assert.equal(lock.code, 1, lock.stdout);
    assert.equal(lock.stderr, "✕ cannot write the composition lock file to .orun/compositions.lock.yaml: a part of the path is a file, not a directory\n");
    assert.equal(await readFile(path.join(dir, ".orun"), "utf8"), "a file\n");
  });
});

describe("orun get jobs --plan", () => {
  let dir: string;
  before(async () => {
    dir = await exampleCopy();
    const plan = await runOrun(["plan", "--name", "release"], { cwd: dir });
    assert.equal(plan.code, 0, plan.stderr);
  });

  test("a --plan that does not exist is an error naming it (as describe plan and run say), not an empty listing", async () => {
    const result = await runOrun(["get", "jobs", "--plan", "relase", "-o", "json"], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    // -o json: the error as the JSON error object on stdout too (schemas/output/error.schema.json), the text on stderr.
    assert.deepEqual(JSON.parse(result.stdout), { error: { message: "plan not found: relase" } });
    assert.equal(result.stderr, "✕ plan not found: relase\n");
  });

  test("a --plan that exists (name, ID prefix or latest) still lists its jobs", async () => {
    for (const ref of ["release", "latest"]) {
      const result = await runOrun(["get", "jobs", "--plan", ref, "-o", "json"], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as unknown[]).length, 10);
    }
  });
});

describe("orun plan -e / --component with a value naming nothing", () => {
  // `orun plan -e "$TARGET"` with TARGET unset planned every environment, production included.
  test("is refused naming the flag, and no plan is stored", async () => {
    const dir = await exampleCopy();
    for (const args of [["-e", ""], ["-e", " , "], ["--component", ""], ["-e", "dev", "--component", ","]]) {
      const result = await runOrun(["plan", ...args], { cwd: dir });
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}`);
      const flag = args.includes("--component") ? "--component <name>" : "-e, --env <list>";
      assert.equal(result.stderr, `✕ option '${flag}' argument '${args.at(-1)}' is invalid. it names nothing; leave the flag out to select everything.\n`);
    }
    // Blanks are empty too (`orun plan "$COMPONENT "`).
    for (const component of ["", "  "]) {
      const empty = await runOrun(["plan", component], { cwd: dir });
      assert.equal(empty.code, 1, empty.stdout);
      assert.equal(empty.stderr, "✕ the component argument is empty; leave it out to plan every component\n", JSON.stringify(component));
    }
    await assert.rejects(readdir(path.join(dir, ".orun/plans")), { code: "ENOENT" });
  });

  test("a list with one real name in it still plans just that", async () => {
    const dir = await exampleCopy();
    const result = await runOrun(["plan", "-e", "dev,", "--component", "api"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /2 components × 1 env → 2 jobs/);
  });
});

describe("orun describe job <prefix>", () => {
  // api-gw@… sorts before api@… ('-' < '@'), so "first ID starting with api" was api-gw's job.
  test("a component.env prefix means that component and environment, not a longer name sharing it; a prefix several jobs share is refused", async () => {
    const dir = await exampleCopy();
    await mkdir(path.join(dir, "services/api-gw"));
    const manifest = await readFile(path.join(dir, "services/api/component.yaml"), "utf8");
    await writeFile(path.join(dir, "services/api-gw/component.yaml"), manifest.replace(/name: api$/m, "name: api-gw"));
    await writeFile(path.join(dir, "services/api-gw/main.txt"), "gateway\n");
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    for (const [ref, id] of [["api.dev", "api@dev.build"], ["api@staging", "api@staging.build"], ["api-gw.prod", "api-gw@production.build"], ["api@dev.build", "api@dev.build"]]) {
      const result = await runOrun(["describe", "job", ref!], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^\\nJob: ${id!.replace(/\./g, "\\.")}\\n`), ref);
    }
    // A prefix several jobs share is refused, listing them (it was the first of them, silently): api's three, not api-gw's.
    for (const [ref, jobs] of [["api", "api@dev.build, api@production.build, api@staging.build"], ["api-g", "api-gw@dev.build, api-gw@production.build, api-gw@staging.build"]]) {
      const result = await runOrun(["describe", "job", ref!], { cwd: dir });
      assert.equal(result.code, 1, result.stdout);
      assert.equal(result.stdout, "");
      assert.ok(result.stderr.startsWith(`✕ job ID prefix ${ref} is ambiguous: it matches 3 jobs: `), result.stderr);
      assert.deepEqual(/matches 3 jobs: (.*) \(give/.exec(result.stderr)?.[1]?.split(", ").sort().join(", "), jobs, result.stderr);
      assert.match(result.stderr, /give the whole job ID \(component@environment\.job\)/);
    }
  });
});

describe("a mistyped template key", () => {
  test("names component, job, step and key, and offers the near key (.env, .parameters, .orun) where one exists (user29)", async () => {
    const dir = await exampleCopy();
    const file = path.join(dir, "compositions/compositions/package/compositions.yaml");
    const original = await readFile(file, "utf8");
    for (const [typed, meant] of [
      [".parameters.entrypont", ".parameters.entrypoint"],
      [".orun.component.nmae", ".orun.component.name"],
      [".env.REGON", ".env.REGION"],
      [".env.ZZZZZZZZ", undefined],
      // A top-level key: the path stops at it (mut30b's T2).
      [".Paramters", ".parameters"],
    ] as const) {
      await writeFile(file, original.replace("{{ .orun.component.name }} ({{", `{{ ${typed} }} ({{`));
      const result = await runOrun(["plan"], { cwd: dir });
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, /component shared-lib, job shared-lib@dev\.build, step compile \(run\): missing key /, typed);
      assert.ok(result.stderr.includes(`missing key ${typed}:`), result.stderr);
      if (meant) assert.ok(result.stderr.endsWith(`; did you mean ${meant}?\n`), result.stderr);
      else assert.doesNotMatch(result.stderr, /did you mean/, typed);
    }
  });
});
