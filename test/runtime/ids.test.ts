import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { generateExecId, safeSegment, validateExecId } from "../../src/runtime/ids.js";
import { formatDuration, formatTimeout, parseDuration } from "../../src/runtime/duration.js";

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
