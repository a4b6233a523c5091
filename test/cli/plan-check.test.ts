// `orun run` checks a plan before anything runs or is recorded (issue 3):
// every field the runtime reads has the right type, and a plan that carries
// metadata.checksum matches its content. Through the built CLI; each refusal
// is shown to name the file and the field, exit 1, run nothing and leave no
// execution record.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { computePlanChecksum, jobUid } from "../../src/plan/checksum.js";
import { encodePlanJson } from "../../src/plan/format.js";
import { FIXTURES_DIR, PROJECT_ROOT, runOrun } from "../support/cli.js";
import { goldenPlan } from "../plan/golden.js";
import { makePlan, removeDir, tempDir, type StateFile } from "../runtime/helpers.js";

const MARKER = "ran.txt";

/**
 * Two jobs with every checked field set to an accepted value (numbers and
 * booleans in env, a nested `with`, phase and onFailure in another case);
 * every step appends to ran.txt, so "nothing ran" is observable.
 */
function basePlan(): Plan {
  const plan = makePlan(
    [
      {
        id: "a@dev.x",
        timeout: "1m",
        retries: 0,
        env: { STAGE: "dev" },
        steps: [
          { run: `echo a1 >> ${MARKER}`, shell: "sh", "working-directory": ".", env: { N: "1" }, timeout: "30s", retry: 1 },
          { phase: "post", order: 2, onFailure: "Continue", run: `echo a2 >> ${MARKER}`, with: { nested: { kept: ["as", "json"] } } },
        ],
      },
      { id: "b@dev.y", dependsOn: ["a@dev.x"], policies: { requireApproval: "false" }, steps: [{ run: `echo b >> ${MARKER}` }] },
    ],
    { concurrency: 2, failFast: true },
  );
  const raw = plan as unknown as { jobs: { env: Record<string, unknown>; steps: Record<string, unknown>[] }[] };
  Object.assign(raw.jobs[0]!.env, { PORT: 8080, DEBUG: false });
  raw.jobs[0]!.steps[0]!.env = { N: 1 };
  raw.jobs[0]!.steps[1]!.phase = "Post";
  return plan;
}

type Mutation = (plan: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

// [field the error names, the bad value, what the message says]
const BAD_VALUES: [string, Mutation, RegExp][] = [
  ["execution.concurrency", (p) => (p.execution.concurrency = "four"), /must be a whole number, got "four"/],
  ["execution.concurrency", (p) => (p.execution.concurrency = 1.5), /must be a whole number, got number 1\.5/],
  ["execution.failFast", (p) => (p.execution.failFast = "no"), /must be true or false, got "no"/],
  ["execution", (p) => (p.execution = "fast"), /must be a map/],
  ["metadata.workDir", (p) => (p.metadata.workDir = 5), /must be a string, got number 5/],
  // Not hashed, yet it moves where a plan file's steps run: only what `orun plan` writes is accepted.
  ["metadata.workDir", (p) => (p.metadata.workDir = "/usr"), /must be a relative path that stays in the plan's folder/],
  ["metadata.workDir", (p) => (p.metadata.workDir = "../.."), /must be a relative path that stays in the plan's folder/],
  ["metadata.workDir", (p) => (p.metadata.workDir = "infra/../../x"), /must be a relative path that stays in the plan's folder/],
  ["jobs[0].timeout", (p) => (p.jobs[0].timeout = 30), /must be a string, got number 30/],
  ["jobs[0].retries", (p) => (p.jobs[0].retries = -1), /must be a whole number ≥ 0, got number -1/],
  ["jobs[0].retries", (p) => (p.jobs[0].retries = 1.5), /must be a whole number ≥ 0/],
  ["jobs[0].env", (p) => (p.jobs[0].env = ["STAGE=dev"]), /must be a map, got an array/],
  ["jobs[0].env.STAGE", (p) => (p.jobs[0].env.STAGE = { nested: true }), /must be a string, number or boolean, got an object/],
  ["jobs[1].policies.requireApproval", (p) => (p.jobs[1].policies.requireApproval = true), /must be a string, got boolean true/],
  ["jobs[1].dependsOn", (p) => (p.jobs[1].dependsOn = "a@dev.x"), /must be an array of job IDs/],
  ["jobs[1].dependsOn[0]", (p) => (p.jobs[1].dependsOn = [7]), /must be a string, got number 7/],
  ["jobs[0].steps[0].run", (p) => (p.jobs[0].steps[0].run = 5), /must be a string, got number 5/],
  ["jobs[0].steps[0].use", (p) => (p.jobs[0].steps[0].use = ["actions/checkout@v4"]), /must be a string, got an array/],
  ["jobs[0].steps[0].shell", (p) => (p.jobs[0].steps[0].shell = true), /must be a string/],
  ["jobs[0].steps[0].working-directory", (p) => (p.jobs[0].steps[0]["working-directory"] = 1), /must be a string/],
  ["jobs[0].steps[0].timeout", (p) => (p.jobs[0].steps[0].timeout = 30), /must be a string, got number 30/],
  ["jobs[0].steps[0].retry", (p) => (p.jobs[0].steps[0].retry = "2"), /must be a whole number ≥ 0, got "2"/],
  ["jobs[0].steps[0].env.N", (p) => (p.jobs[0].steps[0].env.N = null), /must be a string, number or boolean, got null/],
  ["jobs[0].steps[1].with", (p) => (p.jobs[0].steps[1].with = "ref=main"), /must be a map/],
  ["jobs[0].steps[1].phase", (p) => (p.jobs[0].steps[1].phase = "middle"), /must be pre, main or post, got "middle"/],
  ["jobs[0].steps[1].onFailure", (p) => (p.jobs[0].steps[1].onFailure = "bogus"), /must be continue or stop, got "bogus"/],
  ["jobs[0].steps[1].order", (p) => (p.jobs[0].steps[1].order = "2"), /must be a number, got "2"/],
];

async function assertRefusedUntouched(dir: string, result: { code: number | null; stdout: string; stderr: string }): Promise<void> {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(existsSync(path.join(dir, MARKER)), false, "no step ran");
  assert.equal(existsSync(path.join(dir, ".orun", "executions")), false, "no execution record was written");
}

describe("orun run type-checks the plan before anything is recorded", () => {
  let root = "";
  before(async () => {
    root = await tempDir("orun-plan-check-");
  });
  after(() => removeDir(root));

  test("a plan with every checked field set to an accepted value runs", async () => {
    const dir = path.join(root, "good");
    const plan = basePlan();
    await writePlanIn(dir, plan);
    const result = await runOrun(["run", "plan.json", "--exec-id", "ok"], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual((await readFile(path.join(dir, MARKER), "utf8")).trim().split("\n").sort(), ["a1", "a2", "b"]);
    const state = JSON.parse(await readFile(path.join(dir, ".orun/executions/ok/state.json"), "utf8")) as StateFile;
    assert.equal(state.planChecksum, computePlanChecksum(plan), "a hand-written plan is checksummed at run start");
  });

  // Each bad value in its own directory, four CLI processes at a time.
  const cases = BAD_VALUES.map(([field, mutate, problem], i) => ({ field, mutate, problem, name: `case-${i}` }));
  for (let start = 0; start < cases.length; start += 4) {
    const batch = cases.slice(start, start + 4);
    test(`refused naming file and field: ${batch.map((c) => c.field).join(", ")}`, async () => {
      await Promise.all(
        batch.map(async ({ field, mutate, problem, name }) => {
          const dir = path.join(root, name);
          const plan = JSON.parse(JSON.stringify(basePlan())) as Record<string, unknown>;
          mutate(plan);
          await writePlanIn(dir, plan);
          const result = await runOrun(["run", "plan.json", "--exec-id", "bad"], { cwd: dir });
          const where = `${path.join(dir, "plan.json")} (${field}): invalid plan: `;
          assert.ok(result.stderr.includes(where), `expected "${where}" in: ${result.stderr}`);
          assert.match(result.stderr, problem);
          await assertRefusedUntouched(dir, result);
        }),
      );
    });
  }
});

describe("orun run verifies a plan's recorded checksum", () => {
  let root = "";
  before(async () => {
    root = await tempDir("orun-plan-sum-");
  });
  after(() => removeDir(root));

  const checksummed = (run: string): Plan => {
    const plan = makePlan([{ id: "a@dev.x", steps: [{ run }] }]);
    plan.metadata.checksum = computePlanChecksum(plan);
    return plan;
  };

  test("a plan whose checksum matches runs and is recorded under that checksum", async () => {
    const dir = path.join(root, "match");
    const plan = checksummed(`echo ok >> ${MARKER}`);
    await writePlanIn(dir, plan);
    const result = await runOrun(["run", "plan.json", "--exec-id", "m"], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await readFile(path.join(dir, MARKER), "utf8"), "ok\n");
    const state = JSON.parse(await readFile(path.join(dir, ".orun/executions/m/state.json"), "utf8")) as StateFile;
    assert.equal(state.planChecksum, plan.metadata.checksum);
  });

  test("a plan edited after it was checksummed is refused on its first run, naming file and both checksums", async () => {
    const dir = path.join(root, "edited");
    const plan = checksummed(`echo ORIGINAL >> ${MARKER}`);
    const recorded = plan.metadata.checksum!;
    plan.jobs[0]!.steps[0]!.run = `echo EDITED >> ${MARKER}`;
    await writePlanIn(dir, plan);
    const result = await runOrun(["run", "plan.json", "--exec-id", "e"], { cwd: dir });
    const actual = computePlanChecksum(plan);
    assert.ok(
      result.stderr.includes(`${path.join(dir, "plan.json")} (metadata.checksum): plan content does not match its checksum: metadata.checksum is ${recorded}, the content hashes to ${actual}`),
      result.stderr,
    );
    assert.match(result.stderr, /edited after `orun plan` wrote it/);
    await assertRefusedUntouched(dir, result);
  });

  test("resuming with an edited plan is refused and the record is left as it was", async () => {
    const dir = path.join(root, "resume");
    // The step fails until `ok` exists, leaving a failed record to resume.
    const plan = checksummed(`echo ORIGINAL >> ${MARKER}; test -f ok`);
    await writePlanIn(dir, plan);
    const first = await runOrun(["run", "plan.json", "--exec-id", "r"], { cwd: dir });
    assert.equal(first.code, 1, first.stdout + first.stderr);
    const stateFile = path.join(dir, ".orun/executions/r/state.json");
    const before = await readFile(stateFile, "utf8");
    assert.equal((JSON.parse(before) as StateFile).planChecksum, plan.metadata.checksum);

    await writeFile(path.join(dir, "ok"), "");
    const edited = (await readFile(path.join(dir, "plan.json"), "utf8")).replace("echo ORIGINAL", "echo EDITED");
    await writeFile(path.join(dir, "plan.json"), edited);
    const resumed = await runOrun(["run", "plan.json", "--exec-id", "r"], { cwd: dir });
    assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
    assert.match(resumed.stderr, /plan\.json \(metadata\.checksum\): plan content does not match its checksum/);
    assert.equal(await readFile(stateFile, "utf8"), before, "the record is untouched");
    assert.equal(await readFile(path.join(dir, MARKER), "utf8"), "ORIGINAL\n", "the edited step never ran");

    // Without its checksum the edited plan is a different hand-written plan: the record refuses it.
    const unsigned = JSON.parse(edited) as Plan;
    delete unsigned.metadata.checksum;
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(unsigned));
    const other = await runOrun(["run", "plan.json", "--exec-id", "r"], { cwd: dir });
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.match(other.stderr, /execution r belongs to plan [0-9a-f]{12}, not [0-9a-f]{12}/);
    assert.equal(await readFile(stateFile, "utf8"), before);
  });

  test("a plan file written by orun v2.3 (its checksum covers generatedAt, dotted IDs) verifies; edited, it is refused", async () => {
    const dir = path.join(root, "v2");
    // Spec 12 §4.6: the Go renderer's own output for this plan.
    const digest = "c7806e6a6b2966e3ab335dad6be1993be9430ac8d2719cf206a366efefcca767";
    const plan = goldenPlan();
    plan.metadata.checksum = `sha256-${digest}`;
    for (const job of plan.jobs) job.uid = jobUid(digest, job.id);
    await writePlanIn(dir, encodePlanJson(plan));
    const result = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Preview ready: 3 jobs selected/);

    await writePlanIn(dir, encodePlanJson({ ...plan, metadata: { ...plan.metadata, generatedAt: "2026-01-01T00:00:01Z" } }));
    const edited = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
    assert.equal(edited.code, 1, edited.stdout + edited.stderr);
    assert.match(edited.stderr, /\(metadata\.checksum\): plan content does not match its checksum: metadata\.checksum is sha256-c7806e6a6b29/);
  });
});

describe("plans written by orun plan load and verify", () => {
  let out = "";
  before(async () => {
    out = await tempDir("orun-plan-out-");
  });
  after(() => removeDir(out));

  const sources: [string, string | false][] = [
    ["the v2.3 examples (JSON)", existsSync(FIXTURES_DIR) ? FIXTURES_DIR : false],
    ["examples/platform (YAML)", path.join(PROJECT_ROOT, "examples/platform")],
  ];
  for (const [name, cwd] of sources) {
    test(name, { skip: cwd === false ? "shared fixtures are absent" : false }, async () => {
      const file = path.join(out, name.includes("YAML") ? "platform.yaml" : "v23.json");
      const planned = await runOrun(["plan", "-o", file], { cwd: cwd as string });
      assert.equal(planned.code, 0, planned.stderr);
      const result = await runOrun(["run", file, "--dry-run"], { cwd: out });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /Preview ready: \d+ jobs selected/);
    });
  }
});

async function writePlanIn(dir: string, plan: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "plan.json"), typeof plan === "string" ? plan : JSON.stringify(plan, null, 2));
}
