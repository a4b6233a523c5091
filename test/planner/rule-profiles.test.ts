// A profile that only a profileRule's trigger selects is rendered by every
// compile, so `orun validate` and a plain `orun plan` catch a template error
// in it, not the first CI run of that trigger (decision 5: validate checks
// everything plan checks, whatever the trigger).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, job, planRepo, TF, writeRepo } from "./support.js";

after(cleanupRepos);

/** Fixture S's tf whose `apply` profile overrides the apply step with a parameter no component sets. */
const TF_MISSING_KEY = TF.replace("run: terraform apply -auto-approve", 'run: "terraform apply -var-file={{ .parameters.varFile }}"');

const intent = (varFile = ""): string => `automation:
  triggerBindings:
    release:
      on: {provider: github, event: push, tags: ["v*"]}
environments:
  dev:
    activation: {triggerRefs: [release]}
components:
  - name: net
    type: tf
${varFile}    subscribe:
      environments:
        - name: dev
          profile: verify
          profileRules:
            - profile: apply
              when: {triggerRef: release}
`;

describe("profiles chosen by profileRules", () => {
  test("validate and plan fail on a missing key in a profile only a trigger selects, naming the trigger", async () => {
    assert.notEqual(TF_MISSING_KEY, TF);
    const dir = await writeRepo(baseRepo(intent(), { "comps/tf/compositions.yaml": TF_MISSING_KEY }));
    const withTrigger = await runOrun(["plan", "-o", "plan.json", "--trigger", "release"], { cwd: dir });
    assert.equal(withTrigger.code, 1, withTrigger.stderr);
    assert.match(withTrigger.stderr, /missing key \.parameters\.varFile/);
    for (const args of [["validate"], ["plan", "-o", "plan.json"]]) {
      const result = await runOrun(args, { cwd: dir });
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /failed to render steps for job net@dev\.plan: .*missing key \.parameters\.varFile/, args.join(" "));
      assert.match(result.stderr, /under trigger release, whose profileRule for net in dev selects profile tf\.apply/, args.join(" "));
    }
  });

  test("a plan without the trigger keeps its own profile once the rule's profile renders", async () => {
    const files = baseRepo(intent("    parameters: {varFile: prod.tfvars}\n"), { "comps/tf/compositions.yaml": TF_MISSING_KEY });
    const plain = await planRepo(files);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(job(plain.plan, "net@dev.plan").profile, "tf.verify");
    assert.deepEqual(job(plain.plan, "net@dev.plan").steps.map((s) => s.id), ["init", "plan", "always"]);
    const released = await planRepo(files, ["--trigger", "release"]);
    assert.equal(released.code, 0, released.stderr);
    assert.equal(job(released.plan, "net@dev.plan").steps.find((s) => s.id === "apply")?.run, "terraform apply -var-file=prod.tfvars");
  });
});

describe("errors in a profile's stepOverrides", () => {
  test("name the override's own line and field, not the step it replaces", async () => {
    const line = TF_MISSING_KEY.split("\n").findIndex((l) => l.includes("-var-file=")) + 1;
    const body = `environments:
  dev: {}
components:
  - name: net
    type: tf
    subscribe:
      environments: [{name: dev, profile: apply}]
`;
    const result = await planRepo(baseRepo(body, { "comps/tf/compositions.yaml": TF_MISSING_KEY }));
    assert.equal(result.code, 1, result.stderr);
    assert.ok(
      result.stderr.includes(`comps/tf/compositions.yaml:${line}: spec.executionProfiles.apply.jobs.plan.stepOverrides.apply.run: failed to render steps for job net@dev.plan`),
      result.stderr,
    );
  });
});

describe("a rule that lost to an earlier one", () => {
  test("is rendered too: an event matching its trigger alone selects it", async () => {
    const body = `automation:
  triggerBindings:
    push:
      on: {provider: github, event: push, branches: [main]}
    release:
      on: {provider: github, event: push, branches: ["ma*"]}
environments:
  dev:
    activation: {triggerRefs: [push, release]}
components:
  - name: net
    type: tf
    subscribe:
      environments:
        - name: dev
          profile: verify
          profileRules:
            - {profile: verify, when: {triggerRef: push}}
            - {profile: apply, when: {triggerRef: release}}
`;
    const dir = await writeRepo({
      ...baseRepo(body, { "comps/tf/compositions.yaml": TF_MISSING_KEY }),
      "event.json": JSON.stringify({ ref: "refs/heads/main", before: "a".repeat(40), after: "b".repeat(40) }),
    });
    // A push to main matches both bindings: the first rule (push → verify) wins and the plan renders verify.
    // A push to master matches release alone and selects apply, whose template fails: this plan must say so.
    const result = await runOrun(["plan", "-o", "plan.json", "--from-ci", "github", "--event-file", "event.json"], { cwd: dir, env: { GITHUB_EVENT_NAME: "push" } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /under trigger release, whose profileRule for net in dev selects profile tf\.apply/);
  });
});
