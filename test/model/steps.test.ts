import { test } from "node:test";
import assert from "node:assert/strict";
import { orderSteps, stepKeys } from "../../src/model/steps.js";

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
