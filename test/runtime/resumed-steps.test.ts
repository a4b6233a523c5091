// Where a resume picks a job up (resumed-steps.ts), on every shape of record: the phase rule and the runners.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resumeOf, whyNoStepSkipped } from "../../src/runtime/resumed-steps.js";
import type { JobState, StepStatus } from "../../src/runtime/records/state.js";
import { makePlan } from "./helpers.js";

const job = makePlan([
  {
    id: "app@dev.build",
    steps: [
      { id: "clean", phase: "post" },
      { id: "setup", phase: "pre" },
      { id: "one" },
      { id: "two", onFailure: "continue" },
      { id: "three" },
    ],
  },
]).jobs[0]!;

const recorded = (steps: Record<string, StepStatus>): JobState => ({ status: "failed", steps });
const picked = (steps?: Record<string, StepStatus>) => {
  const resume = resumeOf(job, steps && recorded(steps));
  return { skipped: [...resume.skipped], from: resume.from, setUpAgain: resume.setUpAgain };
};

test("a job picks up at its first step not completed; completed steps after it run again, and so does its set-up when that is a main step", () => {
  // `two` failed and continued: `three` completed after it, and runs again after `two` (it may need its work).
  assert.deepEqual(picked({ setup: "completed", one: "completed", two: "failed", three: "completed", clean: "completed" }), { skipped: ["one"], from: "two", setUpAgain: ["setup"] });
  // Killed in `one`: the set-up runs again, nothing is skipped.
  assert.deepEqual(picked({ setup: "completed", one: "running", two: "pending", three: "pending", clean: "pending" }), { skipped: [], from: "one", setUpAgain: ["setup"] });
});

test("a job that failed in its clean-up picks up there, its set-up and work skipped; one that failed in its set-up runs whole", () => {
  assert.deepEqual(picked({ setup: "completed", one: "completed", two: "completed", three: "completed", clean: "failed" }), { skipped: ["setup", "one", "two", "three"], from: "clean", setUpAgain: [] });
  assert.deepEqual(picked({ setup: "failed", one: "skipped", two: "skipped", three: "skipped", clean: "completed" }), { skipped: [], from: "setup", setUpAgain: [] });
  // Failed in its second set-up step: the first, completed, is skipped — only a main step to pick up at sets up again.
  const twoSetUps = makePlan([{ id: "app@dev.build", steps: [{ id: "login", phase: "pre" }, { id: "start", phase: "pre" }, { id: "one" }] }]).jobs[0]!;
  const resume = resumeOf(twoSetUps, recorded({ login: "completed", start: "failed", one: "skipped" }));
  assert.deepEqual({ skipped: [...resume.skipped], from: resume.from, setUpAgain: resume.setUpAgain }, { skipped: ["login"], from: "start", setUpAgain: [] });
});

test("nothing recorded skips nothing; every step completed skips them all; a skipped (not run) step is not completed", () => {
  assert.deepEqual(picked(undefined), { skipped: [], from: "setup", setUpAgain: [] });
  assert.deepEqual(picked({}), { skipped: [], from: "setup", setUpAgain: [] });
  assert.deepEqual(picked({ setup: "completed", one: "completed", two: "completed", three: "completed", clean: "completed" }), { skipped: ["setup", "one", "two", "three", "clean"], from: undefined, setUpAgain: [] });
  assert.deepEqual(picked({ setup: "completed", one: "completed", two: "skipped", three: "completed", clean: "completed" }).from, "two");
});

test("only a local resume of a local record skips steps: other runners, another runner's record and remote state run jobs whole", () => {
  assert.equal(whyNoStepSkipped("local", "local", false), undefined);
  assert.match(whyNoStepSkipped("local", "local", true) ?? "", /remote state/);
  assert.match(whyNoStepSkipped("docker", "docker", false) ?? "", /container/);
  assert.match(whyNoStepSkipped("github-actions", "github-actions", false) ?? "", /GITHUB_ENV/);
  assert.match(whyNoStepSkipped("local", "docker", false) ?? "", /ran under the docker runner/);
  assert.match(whyNoStepSkipped("local", undefined, false) ?? "", /does not say/);
});
