// The recorded checksum is verified, never trusted (decision 7), and the
// JSON.stringify path of the compact writer gives the general writer's bytes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeGoJson } from "../../src/plan/canonical-json.js";
import { computePlanChecksum, jobUid, stampPlan } from "../../src/plan/checksum.js";
import { encodePlanJson } from "../../src/plan/format.js";
import { loadPlanFile } from "../../src/plan/store.js";
import { canonicalizePlan, planChecksum } from "../../src/runtime/graph.js";
import { goldenPlan } from "./golden.js";

const GOLDEN_DIGEST = "c7806e6a6b2966e3ab335dad6be1993be9430ac8d2719cf206a366efefcca767";

let dir = "";
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "orun-verify-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

test("planChecksum refuses a recorded checksum that does not match the content, and computes one when there is none", () => {
  const stamped = stampPlan(goldenPlan());
  assert.equal(planChecksum(stamped), stamped.metadata.checksum);
  const edited = { ...stamped, jobs: stamped.jobs.map((job, i) => (i === 0 ? { ...job, timeout: "99m" } : job)) };
  assert.throws(() => planChecksum(edited), (err: Error) => {
    assert.match(err.message, /^metadata\.checksum: plan content does not match its checksum/);
    assert.ok(err.message.includes(`metadata.checksum is ${stamped.metadata.checksum}, the content hashes to ${computePlanChecksum(edited)}`));
    return true;
  });
  const unsigned = { ...edited, metadata: { ...edited.metadata, checksum: undefined } };
  assert.equal(planChecksum(unsigned), computePlanChecksum(edited));
});

test("a v2.3 plan file verifies at load, and the run records its own checksum after the IDs are canonicalised", async () => {
  const plan = goldenPlan();
  plan.metadata.checksum = `sha256-${GOLDEN_DIGEST}`;
  for (const job of plan.jobs) job.uid = jobUid(GOLDEN_DIGEST, job.id);
  const file = await write("v2.json", encodePlanJson(plan));
  const loaded = await loadPlanFile(file, { verifyChecksum: true });
  assert.equal(loaded.jobs[0]!.id, "db@dev.deploy");
  assert.equal(planChecksum(canonicalizePlan(loaded)), `sha256-${GOLDEN_DIGEST}`);

  // Not loaded for running (e.g. `orun describe plan`): readable, but not trusted by the runtime.
  const tampered = await write("v2-edited.json", encodePlanJson({ ...plan, jobs: plan.jobs.slice(0, 2) }));
  const described = await loadPlanFile(tampered);
  assert.equal(described.jobs.length, 2);
  assert.throws(() => planChecksum(described), /plan content does not match its checksum/);
  await assert.rejects(loadPlanFile(tampered, { verifyChecksum: true }), new RegExp(`v2-edited\\.json \\(metadata\\.checksum\\): plan content does not match its checksum: metadata\\.checksum is sha256-${GOLDEN_DIGEST}`));
});

test("a YAML plan verifies like its JSON twin", async () => {
  const { encodePlanYaml } = await import("../../src/plan/format-yaml.js");
  const stamped = stampPlan(goldenPlan());
  const loaded = await loadPlanFile(await write("p.yaml", encodePlanYaml(stamped)), { verifyChecksum: true });
  assert.equal(planChecksum(loaded), stamped.metadata.checksum);
});

test("compact Go-JSON: the JSON.stringify path writes the general writer's bytes for awkward values", () => {
  // Values at depth 1–2 take the JSON.stringify path; the same value three levels deeper is written
  // piece by piece, so wrapping compares the two.
  const awkward: unknown[] = [
    { "10": 1, "9": 2, b: 3, B: 4, "é": 5, "\u{1F600}": 6, "\uffff": 7 },
    { html: "<b>&</b>", sep: "\u2028\u2029", lone: "\ud800x", quote: '"\\', ctl: "\u0001\n" },
    { zero: -0, big: 1e21, small: 1e-7, frac: 1.5, nul: null, undef: undefined, arr: [undefined, null, 1] },
    { __proto__key: { "0": "x" }, date: new Date(Date.UTC(2026, 0, 1)), nested: [{ z: 1, a: [{ "1": true }] }] },
    ["a", { y: 1, x: 2 }, []],
    {},
    "plain",
  ];
  for (const value of awkward) {
    const shallow = encodeGoJson({ v: value });
    const deep = encodeGoJson({ w: { x: { v: value } } });
    assert.equal(`{"w":{"x":${shallow}}}`, deep, JSON.stringify(value));
  }
  assert.throws(() => encodeGoJson({ v: { n: Infinity } }), /unsupported value/);
  const withProto = JSON.parse('{"v":{"__proto__":{"a":1},"b":2}}') as unknown;
  assert.equal(encodeGoJson(withProto), encodeGoJson({ w: { x: withProto } }).slice('{"w":{"x":'.length, -2));
});
