// The plan-side commands through the real binary: storage, get, describe,
// validate, compositions, YAML output, determinism and the git revision.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { loadPlanFile } from "../../src/plan/store.js";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_PROD_API, writeRepo, type Files } from "../planner/support.js";

after(cleanupRepos);

const BODY = `${DEV_PROD_API}    parameters: { replicas: 2 }
  - name: web
    type: svc
    dependsOn: [{ component: api }]
`;

const MANIFEST = (name: string, deps: string[] = []): string =>
  `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: svc\n  parameters:\n    replicas: ${name.length}\n` +
  (deps.length ? `  dependsOn:\n${deps.map((d) => `    - component: ${d}\n`).join("")}` : "");

describe("plan storage, get and describe", () => {
  test("orun plan stores <id>.json, latest.json and <name>.json next to intent.yaml, even when run from a subdirectory", async () => {
    const dir = await writeRepo(baseRepo(BODY, { "services/api/readme.txt": "x\n" }));
    const run = await runOrun(["plan", "--name", "nightly"], { cwd: path.join(dir, "services", "api") });
    assert.equal(run.code, 0, run.stderr);
    const id = /│ plan: ([0-9a-f]{12})\n/.exec(run.stdout)![1]!;
    assert.match(run.stdout, /^\n {2}│ 2 components × 2 envs → 4 jobs\n {2}│ components: api, web\n {2}│ name: nightly\n {2}│ plan: [0-9a-f]{12}\n\n {2}→ orun run [0-9a-f]{12}\n {2}→ orun run nightly\n$/);
    const files = (await fs.readdir(path.join(dir, ".orun", "plans"))).sort();
    assert.deepEqual(files, [`${id}.json`, "latest.json", "nightly.json"]);
    const plan = await loadPlanFile(path.join(dir, ".orun", "plans", "nightly.json"));
    assert.equal(plan.metadata.workDir, undefined, "planned from a subdirectory: no workDir");
    const lock = await fs.readFile(path.join(dir, ".orun", "compositions.lock.yaml"), "utf8");
    assert.match(lock, /kind: CompositionLock/);
  });

  test("get jobs (-o json, tree, wide), get plans and describe plan/job read the stored plan", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    const json = await runOrun(["get", "jobs", "-o", "json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    const jobs = JSON.parse(json.stdout) as PlanJob[];
    assert.deepEqual(jobs.map((j) => j.id), ["api@dev.deploy", "api@prod.deploy", "web@dev.deploy", "web@prod.deploy"]);
    assert.deepEqual(jobs.find((j) => j.id === "web@prod.deploy")!.dependsOn, ["api@prod.deploy", "web@dev.deploy"]);

    const id = JSON.parse(await fs.readFile(path.join(dir, ".orun", "plans", "latest.json"), "utf8")).metadata.checksum.slice(7, 19) as string;
    const byPrefix = await runOrun(["get", "jobs", "--plan", id.slice(0, 5), "-o", "json"], { cwd: dir });
    assert.equal(byPrefix.stdout, json.stdout, "--plan accepts an ID prefix");
    const slashForm = await runOrun(["describe", `plan/${id}`], { cwd: dir });
    assert.match(slashForm.stdout, new RegExp(`Plan ID: {6}${id}\n`));

    const tree = await runOrun(["get", "jobs"], { cwd: dir });
    assert.match(tree.stdout, /^PLAN: s-test \([0-9a-f]{7}\) · 4 jobs\n\napi\n {2}dev\n {4}○ deploy {25}pending\n {2}prod\n/);
    const wide = await runOrun(["get", "jobs", "-o", "wide"], { cwd: dir });
    assert.match(wide.stdout, /^JOB ID {45}COMPONENT {10}ENV {12}STATUS\n○ api@dev\.deploy/);

    const plans = await runOrun(["get", "plans"], { cwd: dir });
    assert.match(plans.stdout, /^REVISION {8}JOBS {4}AGE {7}STATUS\n/);
    assert.match(plans.stdout, /latest {10}4 {7}now {7}● ready\n/);
    assert.match(plans.stdout, /\n2 revision\(s\) · latest: [0-9a-f]{12}\n$/);

    const described = await runOrun(["describe", "plan"], { cwd: dir });
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /^\nPlan: s-test\n─{60}\nPlan ID: {6}[0-9a-f]{12}\n/);
    assert.match(described.stdout, /\nComposition Sources\n {2}├─ local \(dir\)\n/);
    assert.match(described.stdout, / {2}├─ web@prod\.deploy \(4 steps\) → api@prod\.deploy, web@dev\.deploy\n/);

    const job = await runOrun(["describe", "job", "web.prod.deploy"], { cwd: dir });
    assert.equal(job.code, 0, job.stderr);
    assert.match(job.stdout, /Job: web@prod\.deploy\n/);
    assert.match(job.stdout, /Steps \(4\)\n {2}1\. pre-a \[pre\]\n {5}echo pre-a\n/);
    const missing = await runOrun(["describe", "job", "nope@dev.x"], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^✕ job not found: nope@dev\.x/);
    const badRef = await runOrun(["describe", "plan", "zzzz"], { cwd: dir });
    assert.equal(badRef.code, 1);
    assert.match(badRef.stderr, /^✕ plan not found: zzzz/);
  });

  test("get jobs shows each job's status from the latest run of that plan", async () => {
    const dir = await writeRepo(baseRepo(`environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - name: a\n    type: svc\n  - name: b\n    type: svc\n    dependsOn: [{ component: a }]\n`));
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    const before = await runOrun(["get", "jobs", "--view", "compact"], { cwd: dir });
    assert.equal(before.stdout, "○  a                        dev          deploy\n○  b                        dev          deploy\n");
    const run = await runOrun(["run", "--runner", "local"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const after = await runOrun(["get", "jobs", "-o", "wide"], { cwd: dir });
    assert.match(after.stdout, /✓ a@dev\.deploy {37}a {18}dev {12}completed\n✓ b@dev\.deploy/);
  });

  test("without any plan: get plans says so, get jobs says so and exits 0, describe fails", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const plans = await runOrun(["get", "plans", "-o", "json"], { cwd: dir });
    assert.equal(plans.stdout, "No plans yet.\n\n  Generate one with:  orun plan\n");
    const jobs = await runOrun(["get", "jobs"], { cwd: dir });
    assert.equal(jobs.code, 0);
    assert.match(jobs.stdout, /^No jobs found\./);
    const describe = await runOrun(["describe", "plan"], { cwd: dir });
    assert.equal(describe.code, 1);
    assert.match(describe.stderr, /no plan found; run 'orun plan' first/);
  });

  test("-o plan.yaml writes YAML only (no store) and --view prints after the summary", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const run = await runOrun(["plan", "-o", "out/plan.yaml", "-v", "dependencies"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /│ file: out\/plan\.yaml\n/);
    assert.match(run.stdout, /\n\n┌─{58}┐\n│ plan view: dependencies {34}│\n/);
    assert.match(run.stdout, /└─ deploy \(web\/prod\)\n {2}├─ depends-on: api@prod\.deploy\n {2}└─ depends-on: web@dev\.deploy\n/);
    const text = await fs.readFile(path.join(dir, "out", "plan.yaml"), "utf8");
    assert.match(text, /^apiVersion: orun\.io\/v1\nkind: Plan\n/);
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans")));
    const plan = await loadPlanFile(path.join(dir, "out", "plan.yaml"));
    assert.equal(plan.jobs.length, 4);
    const json = await runOrun(["plan", "-o", "out/plan.yaml.txt", "-f", "json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(await fs.readFile(path.join(dir, "out", "plan.yaml.txt"), "utf8")) as Plan).metadata.checksum, plan.metadata.checksum);
  });
});

describe("plan to stdout", () => {
  test("-o - writes the plan to stdout alone (JSON, or YAML with -f yaml or yml), the summary to stderr, and stores nothing", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const run = await runOrun(["plan", "-o", "-"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout) as Plan;
    assert.equal(plan.jobs.length, 4);
    assert.match(run.stderr, /│ file: stdout\n/);
    assert.doesNotMatch(run.stderr, /orun run/, "no hint to run a file that does not exist");
    await assert.rejects(fs.access(path.join(dir, "-")));
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans")));
    const yaml = await runOrun(["plan", "-o", "-", "-f", "yaml"], { cwd: dir });
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^apiVersion: orun\.io\/v1\nkind: Plan\n/);
    assert.match(yaml.stdout, new RegExp(`checksum: ${plan.metadata.checksum}`));
    // `yml`, as the file extension -o takes for YAML (docs/cli.md).
    const yml = await runOrun(["plan", "-o", "-", "-f", "yml"], { cwd: dir });
    assert.equal(yml.code, 0, yml.stderr);
    assert.match(yml.stdout, /^apiVersion: orun\.io\/v1\nkind: Plan\n/);
  });
});

describe("determinism (decision 2)", () => {
  test("the same inputs written in a different file order give byte-identical plans apart from generatedAt", async () => {
    const files: Files = baseRepo(`discovery:\n  roots: [apps, libs]\n${BODY.slice(0, BODY.indexOf("\ncomponents:\n") + 1)}`, {
      "apps/web/component.yaml": MANIFEST("web", ["api", "lib"]),
      "apps/api/component.yaml": MANIFEST("api", ["lib"]),
      "apps/zeta/component.yaml": MANIFEST("zeta"),
      "libs/lib/component.yaml": MANIFEST("lib"),
      "libs/alpha/component.yml": MANIFEST("alpha", ["zeta"]),
    });
    const names = Object.keys(files);
    const a = await writeRepo(files, names);
    const b = await writeRepo(files, [...names].reverse());
    const texts: string[] = [];
    for (const dir of [a, b, a]) {
      const run = await runOrun(["plan", "-o", "plan.json"], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      texts.push((await fs.readFile(path.join(dir, "plan.json"), "utf8")).replace(/"generatedAt": "[^"]*"/, ""));
    }
    assert.equal(texts[1], texts[0]);
    assert.equal(texts[2], texts[0]);
    const plan = JSON.parse(texts[0]!.replace(/,\s*,/, ",")) as Plan;
    assert.equal(plan.jobs.length, 10);
  });
});

describe("metadata.revision", () => {
  test("records the intent repository's git HEAD, and nothing outside a repository", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const outside = await runOrun(["plan", "-o", "plan.json"], { cwd: dir });
    assert.equal(outside.code, 0, outside.stderr);
    assert.equal((JSON.parse(await fs.readFile(path.join(dir, "plan.json"), "utf8")) as Plan).metadata.revision, undefined);
    const git = (...args: string[]): string => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
    git("init", "-q");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "intent.yaml", "comps");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init");
    const head = git("rev-parse", "HEAD");
    const inside = await runOrun(["plan", "-o", "plan2.json"], { cwd: dir });
    assert.equal(inside.code, 0, inside.stderr);
    const plan = JSON.parse(await fs.readFile(path.join(dir, "plan2.json"), "utf8")) as Plan;
    assert.equal(plan.metadata.revision, head);
    const before = JSON.parse(await fs.readFile(path.join(dir, "plan.json"), "utf8")) as Plan;
    assert.notEqual(plan.metadata.checksum, before.metadata.checksum, "the revision is part of the checksum (promotion gates match on it)");
  });
});

describe("orun validate", () => {
  test("passes a valid repository", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const run = await runOrun(["validate"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^□ Validating intent\.\.\.\n✓ Intent is valid\n□ Compiling plan\.\.\.\n✓ All validation passed \(2 components, 4 jobs\)\n$/);
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans")), "validate writes no plan");
  });

  for (const [name, body, expected] of [
    ["an unknown composition type", `${BODY}  - name: x\n    type: nosuch\n`, /component type not found: nosuch/],
    ["a schema violation", `${BODY}  - name: x\n    type: svc\n    parameters: { replicas: many }\n`, /component x failed validation against type svc/],
    ["a cycle", BODY.replace("    parameters: { replicas: 2 }\n", "    dependsOn: [{ component: web }]\n"), /cycle detected in job dependencies: api@dev\.deploy → web@dev\.deploy → api@dev\.deploy/],
    ["a missing template key", `${BODY}  - name: x\n    type: svc\n    overrides:\n      steps: [{ name: main-step, run: "{{ .env.NOPE }}" }]\n`, /x@dev\.deploy.*main-step.*\.env\.NOPE/],
  ] as const) {
    test(`checks everything plan checks: ${name} (decision 5)`, async () => {
      const dir = await writeRepo(baseRepo(body));
      const run = await runOrun(["validate"], { cwd: dir });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^✕ /);
      assert.match(run.stderr, expected);
    });
  }
});

describe("orun compositions", () => {
  test("lists types, describes one, and writes the lock file", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const list = await runOrun(["compositions"], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^TYPE {29}SOURCE {19}JOBS {2}PROFILES\nsvc {30}local {20}2 {5}\ntf {31}local {20}2 {5}apply, verify\n\n2 composition type\(s\)\n$/);
    const tf = await runOrun(["compositions", "tf"], { cwd: dir });
    assert.match(tf.stdout, /Composition: tf\n/);
    assert.match(tf.stdout, /Default profile: verify\n/);
    assert.match(tf.stdout, / {2}├─ plan \(4 steps\)\n/);
    assert.match(tf.stdout, / {2}├─ apply: drift, plan\n {2}└─ verify: plan\n/);
    const unknown = await runOrun(["compositions", "nope"], { cwd: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^✕ composition not found: nope/);
    const lock = await runOrun(["compositions", "lock"], { cwd: dir });
    assert.equal(lock.code, 0, lock.stderr);
    assert.match(lock.stdout, /^✓ Wrote composition lock: \.orun\/compositions\.lock\.yaml\n\nResolved sources:\n {2}└─ local \(dir\) sha256:[0-9a-f]{64} · svc, tf\n$/);
    assert.match(await fs.readFile(path.join(dir, ".orun", "compositions.lock.yaml"), "utf8"), /resolvedDigest: sha256:[0-9a-f]{64}/);
  });
});
