import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { stampPlan } from "../../src/plan/checksum.js";
import { encodePlanJson } from "../../src/plan/format.js";
import { encodePlanYaml } from "../../src/plan/format-yaml.js";
import { hasControlCharacter } from "../../src/plan/validate.js";
import { assertPlanName, listStoredPlans, loadPlanFile, loadPlanRef, parsePlan, plansDir, resolvePlanRef, savePlan, writePlanFile } from "../../src/plan/store.js";
import { goldenPlan } from "./golden.js";

let root = "";
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "orun-store-"));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function freshRoot(name: string): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

test("savePlan writes <id>.json, latest.json and <name>.json with identical bytes, atomically", async () => {
  const dir = await freshRoot("save");
  const plan = stampPlan(goldenPlan());
  const saved = await savePlan(dir, plan, { name: "nightly" });
  assert.equal(saved.id, plan.metadata.checksum!.slice(7, 19));
  const files = (await fs.readdir(plansDir(dir))).sort();
  assert.deepEqual(files, [`${saved.id}.json`, "latest.json", "nightly.json"], "no temp files left behind");
  const texts = await Promise.all(files.map((f) => fs.readFile(path.join(plansDir(dir), f), "utf8")));
  assert.ok(texts.every((t) => t === encodePlanJson(plan)));
  assert.ok(!texts[0]!.endsWith("\n"));
  await fs.access(path.join(dir, ".orun", "executions"));
});

test("plansDir accepts the store root, its .orun directory or the plans directory", () => {
  assert.equal(plansDir("/r"), path.resolve("/r/.orun/plans"));
  assert.equal(plansDir("/r/.orun"), path.resolve("/r/.orun/plans"));
  assert.equal(plansDir("/r/.orun/plans"), path.resolve("/r/.orun/plans"));
});

test("resolvePlanRef: latest, full ID, name, unique prefix, file path; clear errors otherwise", async () => {
  const dir = await freshRoot("resolve");
  await assert.rejects(resolvePlanRef(dir, undefined), { message: "no plan found; run 'orun plan' first" });
  const first = stampPlan(goldenPlan());
  const other = goldenPlan();
  other.metadata.name = "second";
  const second = stampPlan(other);
  const a = await savePlan(dir, first, { name: "release" });
  const b = await savePlan(dir, second);
  const pd = plansDir(dir);
  assert.equal(await resolvePlanRef(dir, "latest"), path.join(pd, "latest.json"));
  assert.equal(await resolvePlanRef(dir, ""), path.join(pd, "latest.json"));
  assert.equal(await resolvePlanRef(dir, a.id), path.join(pd, `${a.id}.json`));
  assert.equal(await resolvePlanRef(dir, "release"), path.join(pd, "release.json"));
  assert.equal(await resolvePlanRef(dir, b.id.slice(0, 6)), path.join(pd, `${b.id}.json`));
  assert.equal(await resolvePlanRef(dir, b.id.slice(0, 4)), path.join(pd, `${b.id}.json`));
  assert.equal(await resolvePlanRef(dir, second.metadata.checksum!), path.join(pd, `${b.id}.json`), "the full sha256- checksum");
  assert.equal(await resolvePlanRef(dir, second.metadata.checksum!.replace("sha256-", "")), path.join(pd, `${b.id}.json`));
  const wrongTail = `${second.metadata.checksum!.slice(0, -1)}${second.metadata.checksum!.endsWith("0") ? "1" : "0"}`;
  await assert.rejects(resolvePlanRef(dir, wrongTail), { message: `plan not found: ${wrongTail}` }, "a checksum differing after the ID is another plan");
  // A name is matched whole: its prefix is no reference (it may be a component's name: `orun run rel`).
  await assert.rejects(resolvePlanRef(dir, "rel"), { message: "plan not found: rel" });
  // Fewer than 4 hex digits are no reference either (`orun run db` means component db): the error says a prefix needs 4.
  const short = b.id.slice(0, 3);
  await assert.rejects(resolvePlanRef(dir, short), {
    message: `plan not found: ${short} (if ${short} is meant as a plan ID, a prefix needs at least 4 hex digits (it has 3): orun get plans lists the stored plans' IDs)`,
  });
  const outside = path.join(dir, "elsewhere.json");
  await writePlanFile(outside, first);
  assert.equal(await resolvePlanRef(dir, outside), outside);
  await assert.rejects(resolvePlanRef(dir, "zzz"), { message: "plan not found: zzz" });
  // path-like refs never reach outside the store unless they name an existing file
  await assert.rejects(resolvePlanRef(dir, "../no/such/plan"), { message: "plan not found: ../no/such/plan" });
  await assert.rejects(resolvePlanRef(dir, ".hidden"), { message: "plan not found: .hidden" });
  const { plan } = await loadPlanRef(dir, "release");
  assert.equal(plan.metadata.checksum, first.metadata.checksum);
});

test("resolvePlanRef refuses an ID prefix shared by several stored plans instead of taking the first", async () => {
  const dir = await freshRoot("ambiguous");
  const pd = plansDir(dir);
  await fs.mkdir(pd, { recursive: true });
  const plan = stampPlan(goldenPlan());
  const text = await fs.readFile(path.join(pd, `${(await savePlan(dir, plan)).id}.json`));
  for (const id of ["abcd11111111", "abcd22222222"]) await fs.writeFile(path.join(pd, `${id}.json`), text);
  await assert.rejects(resolvePlanRef(dir, "abcd"), { message: /^plan ID prefix abcd is ambiguous: it matches abcd11111111, abcd22222222/ });
  assert.equal(await resolvePlanRef(dir, "abcd2"), path.join(pd, "abcd22222222.json"));
});

test("loadPlanFile canonicalises v2 dotted job IDs (decision 1) and reads YAML plans", async () => {
  const dir = await freshRoot("load");
  const plan = stampPlan(goldenPlan());
  const jsonFile = path.join(dir, "v2.json");
  await fs.writeFile(jsonFile, encodePlanJson(plan));
  const loaded = await loadPlanFile(jsonFile);
  assert.deepEqual(loaded.jobs.map((j) => j.id), ["db@dev.deploy", "api@dev.deploy", "api@prod.deploy"]);
  assert.deepEqual(loaded.jobs[1]!.dependsOn, ["db@dev.deploy"]);
  const yamlFile = path.join(dir, "plan.yaml");
  await fs.writeFile(yamlFile, encodePlanYaml(plan));
  const fromYaml = await loadPlanFile(yamlFile);
  assert.deepEqual(fromYaml.jobs.map((j) => j.id), loaded.jobs.map((j) => j.id));
  assert.equal(fromYaml.jobs[1]!.steps[1]!.with!.a, 2);
});

test("corrupt or hostile plan files are refused with the file and field named", async () => {
  const dir = await freshRoot("corrupt");
  const write = async (name: string, text: string): Promise<string> => {
    const file = path.join(dir, name);
    await fs.writeFile(file, text);
    return file;
  };
  await assert.rejects(loadPlanFile(await write("trunc.json", '{"apiVersion": "orun.io/v1", "kind": "Pl')), /trunc\.json:1:41: failed to parse plan: Unterminated string in JSON$/);
  // JSON.parse's "at position N" becomes the file's line and column.
  await assert.rejects(loadPlanFile(await write("comma.json", '{\n  "apiVersion": "orun.io/v1",\n  "kind": "Plan",,\n}')), (err: Error) => {
    assert.match(err.message, /comma\.json:3:18: failed to parse plan: Expected double-quoted property name in JSON$/);
    assert.doesNotMatch(err.message, /position/);
    return true;
  });
  // A file that is not a plan at all (a binary): the YAML error's line and column, none of the file's bytes.
  await assert.rejects(loadPlanFile(await write("binary", "\u007fELF\u0002\u0001\u0001\u0000\u0000: x: y\n\u001b[2J")), (err: Error) => {
    assert.match(err.message, /binary:1:\d+: failed to parse plan: [^\n]+$/);
    assert.ok(!hasControlCharacter(err.message), err.message);
    return true;
  });
  await assert.rejects(loadPlanFile(await write("kind.json", '{"apiVersion":"orun.io/v1","kind":"Other","metadata":{},"jobs":[]}')), /kind\.json \(kind\): invalid plan/);
  const base = JSON.parse(encodePlanJson(stampPlan(goldenPlan()))) as Plan;
  const dangling = structuredClone(base);
  dangling.jobs[1]!.dependsOn = ["ghost.dev.deploy"];
  await assert.rejects(loadPlanFile(await write("dangling.json", JSON.stringify(dangling))), /dangling\.json \(jobs\[1\]\.dependsOn\): invalid plan: unknown job ghost@dev\.deploy/);
  const duplicate = structuredClone(base);
  duplicate.jobs[2]!.id = "db@dev.deploy";
  await assert.rejects(loadPlanFile(await write("dup.json", JSON.stringify(duplicate))), /duplicate job ID db@dev\.deploy/);
  const noSteps = structuredClone(base) as unknown as { jobs: Record<string, unknown>[] };
  delete noSteps.jobs[0]!.steps;
  await assert.rejects(loadPlanFile(await write("nosteps.json", JSON.stringify(noSteps))), /jobs\[0\]\.steps/);
  await assert.rejects(loadPlanFile(path.join(dir, "missing.json")), /missing\.json: failed to read plan/);
  // Control characters in names and IDs (an ANSI escape, a newline) would rewrite what describe/run print.
  const hostile: [string, (p: Plan) => void][] = [
    ["jobs[0].id", (p) => void (p.jobs[0]!.id = "db@dev.deploy\u001b[2J")],
    ["jobs[1].dependsOn[0]", (p) => void (p.jobs[1]!.dependsOn = ["db@dev.deploy\nforged"])],
    ["jobs[0].component", (p) => void (p.jobs[0]!.component = "db\r")],
    ["jobs[0].steps[0].name", (p) => void (p.jobs[0]!.steps[0]!.name = "step\u009b31m")],
  ];
  for (const [field, edit] of hostile) {
    const plan = structuredClone(base);
    edit(plan);
    delete plan.metadata.checksum;
    await assert.rejects(loadPlanFile(await write("control.json", JSON.stringify(plan))), (err: Error) => {
      assert.ok(err.message.includes(`control.json (${field}): invalid plan: must not contain control characters, got "`), err.message);
      assert.ok(!hasControlCharacter(err.message.replace(/\n/g, "")), "the message itself carries no control character");
      return true;
    });
  }
  const multiline = structuredClone(base);
  multiline.jobs[0]!.steps[0]!.run = "echo one\necho two\t";
  delete multiline.metadata.checksum;
  await loadPlanFile(await write("multiline.json", JSON.stringify(multiline)));
});

test("parsePlan names the first structural problem in file order, comparing canonical job IDs", () => {
  const job = (id: unknown, dependsOn?: unknown): Record<string, unknown> => ({ id, steps: [], ...(dependsOn === undefined ? {} : { dependsOn }) });
  const plan = (...jobs: unknown[]): unknown => ({ apiVersion: "orun.io/v1", kind: "Plan", metadata: {}, jobs });
  const problem = (value: unknown): string => {
    try {
      parsePlan(value, "p.json");
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail("expected parsePlan to refuse the plan");
  };
  // The dotted v2 form and the canonical form are the same job.
  assert.equal(problem(plan(job("db@dev.deploy"), job("db.dev.deploy"))), "p.json (jobs[1].id): invalid plan: duplicate job ID db@dev.deploy");
  // A duplicate before a malformed job is reported first, and the other way round.
  assert.equal(problem(plan(job("a@dev.x"), job("a@dev.x"), job(""))), "p.json (jobs[1].id): invalid plan: duplicate job ID a@dev.x");
  assert.equal(problem(plan(job("a@dev.x"), job(7), job("a@dev.x"))), "p.json (jobs[1].id): invalid plan: must be a non-empty string");
  // Shape problems of any job come before unknown dependencies of an earlier one.
  assert.equal(problem(plan(job("a@dev.x", ["ghost@dev.x"]), { id: "b@dev.x" })), "p.json (jobs[1].steps): invalid plan: must be an array");
  // The first unknown dependency: jobs in order, then each job's list in order.
  assert.equal(
    problem(plan(job("a@dev.x"), job("b@dev.x", ["a.dev.x", "ghost.dev.x", "other@dev.x"]), job("c@dev.x", ["nope@dev.x"]))),
    "p.json (jobs[1].dependsOn): invalid plan: unknown job ghost@dev.x",
  );
  // Dependencies may name jobs later in the file; dotted IDs come back canonical.
  const parsed = parsePlan(plan(job("b.dev.x", ["a.dev.x"]), job("a@dev.x")), "p.json");
  assert.deepEqual(
    parsed.jobs.map((j) => [j.id, j.dependsOn]),
    [
      ["b@dev.x", ["a@dev.x"]],
      ["a@dev.x", undefined],
    ],
  );
});

test("listStoredPlans reports v2.3's Name/Path/Checksum/Jobs/CreatedAt fields in file-name order", async () => {
  const dir = await freshRoot("list");
  assert.deepEqual(await listStoredPlans(dir), []);
  const plan = stampPlan(goldenPlan());
  const { id } = await savePlan(dir, plan, { name: "a-name" });
  await fs.writeFile(path.join(plansDir(dir), "broken.json"), "{");
  const entries = await listStoredPlans(dir);
  assert.deepEqual(entries.map((e) => e.Name), [id, "a-name", "broken", "latest"].sort());
  const latest = entries.find((e) => e.Name === "latest")!;
  assert.equal(latest.Checksum, id);
  assert.equal(latest.Jobs, 3);
  assert.equal(entries.find((e) => e.Name === "broken")!.Checksum, "");
});

test("assertPlanName refuses names that would replace or shadow the store's own files", () => {
  for (const name of ["0b71c98918ba", "0B71C98918BA", "beef", "42", "latest", "LATEST", "latest.json", "../x", ".hidden", "a/b"]) {
    assert.throws(() => assertPlanName(name), /invalid plan name/, name);
  }
  for (const name of ["nightly", "release-2024", "v1.2", "plan-0b71c98918ba", "latest-dev"]) assertPlanName(name);
});

test("savePlan refuses a name equal to another stored plan's ID", async () => {
  const dir = await freshRoot("save-id-name");
  const plan = stampPlan(goldenPlan());
  const { id } = await savePlan(dir, plan);
  await assert.rejects(savePlan(dir, plan, { name: id }), /invalid plan name/);
});
