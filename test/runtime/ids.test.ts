import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { generateExecId, safeSegment, validateExecId } from "../../src/runtime/ids.js";
import { formatDuration, formatTimeout, parseDuration } from "../../src/runtime/duration.js";
import { orderSteps, stepKeys } from "../../src/runtime/steps.js";

test("generated exec IDs: <name>-<YYYYMMDD>-<6 hex>, sanitised", () => {
  const day = new Date(2024, 5, 1, 12);
  assert.match(generateExecId("My Plan", day), /^my-plan-20240601-[0-9a-f]{6}$/);
  assert.match(generateExecId("", day), /^run-20240601-[0-9a-f]{6}$/);
  assert.match(generateExecId("../../etc/passwd", day), /^etc-passwd-20240601-[0-9a-f]{6}$/);
  assert.notEqual(generateExecId("x", day), generateExecId("x", day));
});

test("user-supplied exec IDs must be a single safe path segment", () => {
  assert.equal(validateExecId("ci-1234_5.6", "--exec-id"), "ci-1234_5.6");
  for (const bad of ["../x", "a/b", "..", ".", "", "latest", "x\\y", "-rf", "a b"]) {
    assert.throws(() => validateExecId(bad, "--exec-id"), /invalid exec id/, bad);
  }
});

test("job and step IDs map to file names that cannot leave their folder", () => {
  for (const hostile of ["../../x", "a/b", "..", ".", "a\\b", "c:d", "/abs", "x/../../y"]) {
    const segment = safeSegment(hostile);
    assert.ok(!segment.includes("/") && !segment.includes("\\"), segment);
    assert.notEqual(segment, "..");
    assert.notEqual(segment, ".");
    assert.equal(path.dirname(path.join("/root/logs", segment)), "/root/logs", hostile);
  }
  assert.equal(safeSegment("web-app@production.deploy"), "web-app@production.deploy");
  assert.match(safeSegment("actions/setup-node@v4"), /^actions_setup-node@v4~[0-9a-f]{8}$/);
  // Folding must not make two IDs share one log file.
  assert.notEqual(safeSegment("a/b"), safeSegment("a_b"));
  assert.notEqual(safeSegment("a:b"), safeSegment("a/b"));
  assert.equal(safeSegment("a/b"), safeSegment("a/b"));
});

test("Go durations", () => {
  assert.equal(parseDuration("300ms"), 300);
  assert.equal(parseDuration("15m"), 900_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("2s500ms"), 2500);
  assert.equal(parseDuration("0"), 0);
  for (const bad of ["15 minutes", "10", "m", "", "1x"]) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
  assert.equal(formatTimeout(300), "300ms");
  assert.equal(formatTimeout(2000), "2s");
  assert.equal(formatTimeout(5_400_000), "1h30m");
  assert.equal(formatDuration(1540), "1.5s");
  assert.equal(formatDuration(125_000), "2m5s");
});

test("steps: pre → main → post, then order, then declaration; keys unique", () => {
  const steps = orderSteps([
    { id: "deploy", phase: "main" },
    { id: "cleanup", phase: "post" },
    { id: "second-pre", phase: "pre", order: 2 },
    { id: "first-pre", phase: "pre", order: 1 },
    { id: "verify", phase: "main", order: 5 },
    { id: "build", phase: "main" },
  ]);
  assert.deepEqual(steps.map((s) => s.id), ["first-pre", "second-pre", "deploy", "build", "verify", "cleanup"]);
  assert.deepEqual(stepKeys([{ id: "x", phase: "main" }, { id: "x", phase: "main" }, { id: "", name: "named", phase: "main" }]), ["x", "x-2", "named"]);
});

test("a suffixed step key never takes another step's own name, so every step keeps its own state and log", () => {
  const step = (id: string) => ({ id, phase: "main" as const });
  assert.deepEqual(stepKeys([step("x"), step("x"), step("x-2")]), ["x", "x-3", "x-2"]);
  assert.deepEqual(stepKeys([step("x-2"), step("x"), step("x")]), ["x-2", "x", "x-3"]);
  const keys = stepKeys([step("a"), step("a"), step("a"), step("a-2"), step("a-3")]);
  assert.equal(new Set(keys).size, keys.length, keys.join(", "));
});
