import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJobId, parseJobId, formatJobId } from "../../src/model/plan.js";

test("canonical and dotted job IDs mean the same job", () => {
  assert.equal(canonicalJobId("web-app.production.deploy"), "web-app@production.deploy");
  assert.equal(canonicalJobId("web-app@production.deploy"), "web-app@production.deploy");
  assert.deepEqual(parseJobId("api@dev.build.image"), { component: "api", environment: "dev", job: "build.image" });
  assert.deepEqual(parseJobId("api.dev.build.image"), { component: "api", environment: "dev", job: "build.image" });
  assert.equal(formatJobId({ component: "a", environment: "b", job: "c" }), "a@b.c");
});

test("malformed job IDs are not parsed", () => {
  for (const bad of ["", "api", "api.dev", "@dev.x", "api@dev", "api@.x", "api@dev."]) {
    assert.equal(parseJobId(bad), undefined, bad);
  }
});

test("canonicalJobId trims, keeps an ID with an `@` after its first character as it is, and rewrites only the dotted form", () => {
  const cases: [string, string][] = [
    [" api@dev.build ", "api@dev.build"],
    ["a.b@c.d", "a.b@c.d"],
    ["api@dev", "api@dev"],
    ["api@dev.", "api@dev."],
    ["@dev.x.y", "@dev@x.y"],
    ["@dev", "@dev"],
    ["api.dev", "api.dev"],
    ["\tapi.dev.build.image\n", "api@dev.build.image"],
  ];
  for (const [id, canonical] of cases) assert.equal(canonicalJobId(id), canonical, JSON.stringify(id));
});
