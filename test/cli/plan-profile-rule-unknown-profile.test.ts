// A profileRules entry naming a profile that does not exist is refused by plan
// and validate, at the rule's line, whether or not its trigger fired: it used
// to pass both and fail only when the trigger matched (in CI, on the release),
// and then the error pointed at the subscription's own profile.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const body = (ruleProfile: string): string => `automation:
  triggerBindings:
    push-main:
      on: { provider: github, event: push, branches: [main] }
environments:
  dev:
    activation: { triggerRefs: [push-main] }
components:
  - name: net
    type: tf
    subscribe:
      environments:
        - name: dev
          profile: verify
          profileRules:
            - profile: ${ruleProfile}
              when: { triggerRef: push-main }
`;

test("a rule's unknown or mistyped profile fails plan, validate and the triggered plan at the rule", async () => {
  for (const [ruleProfile, problem] of [
    ["aply", 'profile "aply" does not exist in composition tf executionProfiles (available: apply, verify)'],
    ["svc.apply", 'component has type tf but references profile "svc.apply" (type prefix mismatch)'],
  ] as const) {
    const dir = await writeRepo(baseRepo(body(ruleProfile)));
    const line = body(ruleProfile).split("\n").findIndex((l) => l.includes(`profile: ${ruleProfile}`)) + 1 + 9; // HEADER is 9 lines
    const expected = `✕ intent.yaml:${line}: components[0].subscribe.environments[0].profileRules[0].profile: failed to expand intent: component net environment dev: ${problem}\n`;
    for (const args of [["plan"], ["plan", "--trigger", "push-main"]]) {
      const run = await runOrun(args, { cwd: dir });
      assert.equal(run.code, 1, `${args.join(" ")}: ${run.stdout}`);
      assert.equal(run.stderr, expected, args.join(" "));
    }
    const validate = await runOrun(["validate"], { cwd: dir });
    assert.equal(validate.code, 1, validate.stdout);
    assert.ok(validate.stderr.endsWith(expected), validate.stderr);
  }
  // Spelled right, the rule applies only when its trigger fires.
  const dir = await writeRepo(baseRepo(body("apply")));
  const plain = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual((JSON.parse(plain.stdout) as { jobs: { profile: string }[] }).jobs.map((j) => j.profile), ["tf.verify"]);
  const fired = await runOrun(["plan", "-o", "-", "--trigger", "push-main"], { cwd: dir });
  assert.equal(fired.code, 0, fired.stderr);
  assert.deepEqual([...new Set((JSON.parse(fired.stdout) as { jobs: { profile: string }[] }).jobs.map((j) => j.profile))], ["tf.apply"]);
});
