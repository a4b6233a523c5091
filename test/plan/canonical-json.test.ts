import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Plan } from "../../src/model/plan.js";
import { encodeGoJson, goJsonString, compareUtf8, struct } from "../../src/plan/canonical-json.js";
import { encodePlanCompact, encodePlanJson, planShape, decodePlan } from "../../src/plan/format.js";
import { encodePlanYaml } from "../../src/plan/format-yaml.js";
import { goldenPlan } from "./golden.js";
import { jobDisplayName, jobUid, stampPlan, computePlanChecksum, checksumPayload, verifyPlanChecksum } from "../../src/plan/checksum.js";

// Spec 12 §4.6: bytes produced by orun v2.3's Go renderer for a fixed plan.
const GOLDEN_COMPACT = "{\"apiVersion\":\"orun.io/v1\",\"kind\":\"Plan\",\"metadata\":{\"name\":\"demo\",\"generatedAt\":\"2026-01-01T00:00:00Z\"},\"execution\":{\"concurrency\":4,\"failFast\":true},\"spec\":{\"jobBindings\":{\"helm\":\"helm-jobs\"}},\"jobs\":[{\"id\":\"db.dev.deploy\",\"name\":\"deploy\",\"component\":\"db\",\"environment\":\"dev\",\"composition\":\"helm\",\"jobRegistry\":\"helm-jobs\",\"job\":\"deploy\",\"path\":\"./\",\"steps\":[{\"id\":\"migrate\",\"name\":\"migrate\",\"phase\":\"main\",\"run\":\"run-migrations --env dev\"}],\"timeout\":\"10m\",\"retries\":2},{\"id\":\"api.dev.deploy\",\"name\":\"deploy\",\"component\":\"api\",\"environment\":\"dev\",\"composition\":\"helm\",\"profile\":\"helm.default\",\"profileSource\":\"composition-default\",\"jobRegistry\":\"helm-jobs\",\"job\":\"deploy\",\"path\":\"services/api\",\"steps\":[{\"id\":\"checkout\",\"name\":\"checkout\",\"phase\":\"pre\",\"order\":1,\"run\":\"git fetch\"},{\"id\":\"deploy\",\"name\":\"deploy\",\"phase\":\"main\",\"run\":\"helm upgrade api ./chart --namespace dev\",\"with\":{\"a\":2,\"z\":\"1\"}},{\"id\":\"step-3\",\"phase\":\"post\",\"use\":\"actions/cache@v4\"}],\"dependsOn\":[\"db.dev.deploy\"],\"timeout\":\"10m\",\"env\":{\"A\":\"\\u003cb\\u003e\\u0026\",\"REGION\":\"eu-west-1\"},\"labels\":{\"team\":\"core\"},\"parameters\":{\"ratio\":1.5,\"replicas\":2}},{\"id\":\"api.prod.deploy\",\"name\":\"deploy\",\"component\":\"api\",\"environment\":\"prod\",\"composition\":\"helm\",\"profile\":\"helm.release\",\"profileSource\":\"subscription-rule\",\"profileRuleTriggerRef\":\"release-tag\",\"jobRegistry\":\"helm-jobs\",\"job\":\"deploy\",\"path\":\"services/api\",\"steps\":[{\"id\":\"deploy\",\"name\":\"deploy\",\"phase\":\"main\",\"run\":\"helm upgrade api ./chart --namespace prod\"}],\"gates\":[{\"type\":\"environment-promotion\",\"environment\":\"dev\",\"component\":\"api\",\"condition\":\"success\",\"match\":{\"revision\":\"source\"}}]}]}";
const GOLDEN_SHA = "c7806e6a6b2966e3ab335dad6be1993be9430ac8d2719cf206a366efefcca767";
const GOLDEN_PRETTY = "{\n  \"apiVersion\": \"orun.io/v1\",\n  \"kind\": \"Plan\",\n  \"metadata\": {\n    \"name\": \"demo\",\n    \"generatedAt\": \"2026-01-01T00:00:00Z\",\n    \"checksum\": \"sha256-c7806e6a6b2966e3ab335dad6be1993be9430ac8d2719cf206a366efefcca767\"\n  },\n  \"execution\": {\n    \"concurrency\": 4,\n    \"failFast\": true\n  },\n  \"spec\": {\n    \"jobBindings\": {\n      \"helm\": \"helm-jobs\"\n    }\n  },\n  \"jobs\": [\n    {\n      \"id\": \"db.dev.deploy\",\n      \"uid\": \"job_c7806e6_59180bb4f2c9\",\n      \"displayName\": \"Deploy\",\n      \"checkName\": \"db \u00b7 dev \u00b7 Deploy\",\n      \"name\": \"deploy\",\n      \"component\": \"db\",\n      \"environment\": \"dev\",\n      \"composition\": \"helm\",\n      \"jobRegistry\": \"helm-jobs\",\n      \"job\": \"deploy\",\n      \"path\": \"./\",\n      \"steps\": [\n        {\n          \"id\": \"migrate\",\n          \"name\": \"migrate\",\n          \"phase\": \"main\",\n          \"run\": \"run-migrations --env dev\"\n        }\n      ],\n      \"timeout\": \"10m\",\n      \"retries\": 2\n    },\n    {\n      \"id\": \"api.dev.deploy\",\n      \"uid\": \"job_c7806e6_ac8d62ce822e\",\n      \"displayName\": \"Deploy\",\n      \"checkName\": \"api \u00b7 dev \u00b7 Deploy\",\n      \"name\": \"deploy\",\n      \"component\": \"api\",\n      \"environment\": \"dev\",\n      \"composition\": \"helm\",\n      \"profile\": \"helm.default\",\n      \"profileSource\": \"composition-default\",\n      \"jobRegistry\": \"helm-jobs\",\n      \"job\": \"deploy\",\n      \"path\": \"services/api\",\n      \"steps\": [\n        {\n          \"id\": \"checkout\",\n          \"name\": \"checkout\",\n          \"phase\": \"pre\",\n          \"order\": 1,\n          \"run\": \"git fetch\"\n        },\n        {\n          \"id\": \"deploy\",\n          \"name\": \"deploy\",\n          \"phase\": \"main\",\n          \"run\": \"helm upgrade api ./chart --namespace dev\",\n          \"with\": {\n            \"a\": 2,\n            \"z\": \"1\"\n          }\n        },\n        {\n          \"id\": \"step-3\",\n          \"phase\": \"post\",\n          \"use\": \"actions/cache@v4\"\n        }\n      ],\n      \"dependsOn\": [\n        \"db.dev.deploy\"\n      ],\n      \"timeout\": \"10m\",\n      \"env\": {\n        \"A\": \"\\u003cb\\u003e\\u0026\",\n        \"REGION\": \"eu-west-1\"\n      },\n      \"labels\": {\n        \"team\": \"core\"\n      },\n      \"parameters\": {\n        \"ratio\": 1.5,\n        \"replicas\": 2\n      }\n    },\n    {\n      \"id\": \"api.prod.deploy\",\n      \"uid\": \"job_c7806e6_fb91dbfa5d8e\",\n      \"displayName\": \"Deploy\",\n      \"checkName\": \"api \u00b7 prod \u00b7 Deploy\",\n      \"name\": \"deploy\",\n      \"component\": \"api\",\n      \"environment\": \"prod\",\n      \"composition\": \"helm\",\n      \"profile\": \"helm.release\",\n      \"profileSource\": \"subscription-rule\",\n      \"profileRuleTriggerRef\": \"release-tag\",\n      \"jobRegistry\": \"helm-jobs\",\n      \"job\": \"deploy\",\n      \"path\": \"services/api\",\n      \"steps\": [\n        {\n          \"id\": \"deploy\",\n          \"name\": \"deploy\",\n          \"phase\": \"main\",\n          \"run\": \"helm upgrade api ./chart --namespace prod\"\n        }\n      ],\n      \"gates\": [\n        {\n          \"type\": \"environment-promotion\",\n          \"environment\": \"dev\",\n          \"component\": \"api\",\n          \"condition\": \"success\",\n          \"match\": {\n            \"revision\": \"source\"\n          }\n        }\n      ]\n    }\n  ]\n}";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

test("golden vector: compact Go-JSON bytes match v2.3 byte for byte", () => {
  const bytes = encodePlanCompact(goldenPlan());
  assert.equal(bytes, GOLDEN_COMPACT);
  assert.equal(sha256(bytes), GOLDEN_SHA);
});

test("golden vector: job uids derive from the digest and the job ID", () => {
  assert.equal(jobUid(GOLDEN_SHA, "db.dev.deploy"), "job_c7806e6_59180bb4f2c9");
  assert.equal(jobUid(GOLDEN_SHA, "api.dev.deploy"), "job_c7806e6_ac8d62ce822e");
  assert.equal(jobUid(GOLDEN_SHA, "api.prod.deploy"), "job_c7806e6_fb91dbfa5d8e");
});

test("golden vector: the stored (indented) file matches v2.3 byte for byte", () => {
  const plan = goldenPlan();
  plan.metadata.checksum = `sha256-${GOLDEN_SHA}`;
  for (const job of plan.jobs) {
    job.uid = jobUid(GOLDEN_SHA, job.id);
    job.displayName = jobDisplayName(job.name);
    job.checkName = `${job.component} · ${job.environment} · ${job.displayName}`;
  }
  assert.equal(encodePlanJson(plan), GOLDEN_PRETTY);
});

test("Go string escaping: HTML characters and U+2028/2029 are escaped, others kept", () => {
  assert.equal(goJsonString("<no value> & co"), '"\\u003cno value\\u003e \\u0026 co"');
  assert.equal(goJsonString("a\u2028b\u2029c"), '"a\\u2028b\\u2029c"');
  assert.equal(goJsonString("tab\tquote\"é"), '"tab\\tquote\\"é"');
});

test("map keys are sorted by bytes, including integer-like keys JS would put first", () => {
  const text = encodeGoJson({ "9": 1, "10": 2, b: 3, B: 4, "é": 5, a: { z: 1, y: [{ d: 1, c: 2 }] } });
  assert.equal(text, '{"10":2,"9":1,"B":4,"a":{"y":[{"c":2,"d":1}],"z":1},"b":3,"é":5}');
  assert.ok(compareUtf8("Z", "a") < 0);
  assert.ok(compareUtf8("\uffff", "\u{1F600}") < 0, "code point order, not UTF-16 order");
});

test("omitempty drops empty values but keeps always-present fields", () => {
  const plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "", description: "" }, execution: { concurrency: 4, failFast: false }, spec: {}, jobs: [] } as unknown as Plan;
  assert.equal(encodePlanCompact(plan), '{"apiVersion":"orun.io/v1","kind":"Plan","metadata":{"name":""},"execution":{"concurrency":4,"failFast":false},"spec":{},"jobs":[]}');
  assert.equal(encodeGoJson({ jobs: [] }, planShape, "  ").includes('"jobs": []'), true);
});

test("floats print like Go (shortest form) and non-finite numbers are refused", () => {
  assert.equal(encodeGoJson({ a: 1.5, b: 3, c: 1e21, d: 1e-7, e: 100 }), '{"a":1.5,"b":3,"c":1e+21,"d":1e-7,"e":100}');
  assert.throws(() => encodeGoJson({ a: Infinity }), /unsupported value/);
});

test("checksum ignores generatedAt and the identity fields, and is stable", () => {
  const a = goldenPlan();
  const b = goldenPlan();
  b.metadata.generatedAt = "2030-06-01T12:00:00Z";
  assert.equal(computePlanChecksum(a), computePlanChecksum(b));
  assert.equal(checksumPayload(a), GOLDEN_COMPACT.replace(',"generatedAt":"2026-01-01T00:00:00Z"', ""));
  const stamped = stampPlan(a);
  assert.match(stamped.metadata.checksum!, /^sha256-[0-9a-f]{64}$/);
  assert.equal(stamped.jobs[0]!.displayName, "Deploy");
  assert.equal(stamped.jobs[1]!.checkName, "api · dev · Deploy");
  assert.ok(verifyPlanChecksum(stamped));
  // Any content change changes the checksum.
  const c = goldenPlan();
  c.jobs[0]!.steps[0]!.run = "run-migrations --env prod";
  assert.notEqual(computePlanChecksum(c), computePlanChecksum(a));
  const tampered = { ...stamped, jobs: stamped.jobs.map((j, i) => (i === 0 ? { ...j, timeout: "99m" } : j)) };
  assert.equal(verifyPlanChecksum(tampered), false);
});

test("displayName: dashes become spaces and the first letter is upper-cased", () => {
  assert.equal(jobDisplayName("terraform-plan"), "Terraform plan");
  assert.equal(jobDisplayName("verify-deploy"), "Verify deploy");
});

test("YAML output keeps the JSON key names and order and reads back to the same plan", async () => {
  const plan = goldenPlan();
  const yaml = encodePlanYaml(plan);
  assert.match(yaml, /^apiVersion: orun.io\/v1\nkind: Plan\nmetadata:\n {4}name: demo\n/);
  assert.ok(yaml.indexOf("    - id: db.dev.deploy") > 0, "sequences indented under their key, 4 spaces");
  const back = (await decodePlan(yaml, "plan.yaml")) as Plan;
  assert.equal(encodePlanCompact(back), GOLDEN_COMPACT);
});

test("the fast path for plain strings agrees with full escaping on every special character class", () => {
  const samples = ["plain text", 'a"b', "c\\d", "\u0001\u001f", "<x>&", "é ü", "\u2028\u2029", "\ud83d\ude00", "\ud800 lone", "tab\tnew\nline", "\u007f"];
  for (const s of samples) {
    const reference = JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    assert.equal(goJsonString(s), reference, JSON.stringify(s));
  }
});

test("omitempty drops false, 0, empty strings, lists and maps, in compact and indented output, at every depth", () => {
  const shape = struct("no?", "zero?", "blank?", "none?", "nothing?", "kept");
  const empty = { no: false, zero: 0, blank: "", none: [], nothing: {}, kept: false };
  // At the top (the general writer) and one level down (the JSON.stringify path).
  assert.equal(encodeGoJson(empty, shape), '{"kept":false}');
  assert.equal(encodeGoJson({ v: empty }, struct(["v", shape])), '{"v":{"kept":false}}');
  assert.equal(encodeGoJson(empty, shape, "  "), '{\n  "kept": false\n}');
  assert.equal(encodeGoJson({ v: empty }, struct(["v", shape]), "  "), '{\n  "v": {\n    "kept": false\n  }\n}');
  const full = { no: true, zero: 1, blank: "x", none: [0], nothing: { a: 0 }, kept: true };
  assert.equal(encodeGoJson({ v: full }, struct(["v", shape])), '{"v":{"no":true,"zero":1,"blank":"x","none":[0],"nothing":{"a":0},"kept":true}}');
});

test("below the top level, integer-like and __proto__ keys are written in Go's byte order, none dropped", () => {
  // Checked against the bytes Go writes: the JSON.stringify path would put "9" before "10" and lose "__proto__".
  assert.equal(encodeGoJson({ v: { "9": 2, "10": 1, b: 3 } }), '{"v":{"10":1,"9":2,"b":3}}');
  assert.equal(encodeGoJson({ w: { x: { "9": 2, "10": 1 } } }), '{"w":{"x":{"10":1,"9":2}}}');
  const withProto = JSON.parse('{"v":{"__proto__":{"a":1},"b":2}}') as unknown;
  assert.equal(encodeGoJson(withProto), '{"v":{"__proto__":{"a":1},"b":2}}');
});

test("code-point key order: a key that is a prefix of another comes first, with characters beyond U+FFFF too", () => {
  assert.ok(compareUtf8("\u{1F600}", "\u{1F600}a") < 0);
  assert.ok(compareUtf8("\u{1F600}a", "\u{1F600}") > 0);
  assert.equal(compareUtf8("\u{1F600}", "\u{1F600}"), 0);
  assert.equal(encodeGoJson({ "\u{1F600}a": 1, "\u{1F600}": 2 }), '{"\u{1F600}":2,"\u{1F600}a":1}');
});
