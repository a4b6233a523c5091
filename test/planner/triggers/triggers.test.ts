import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import {
  buildTriggerContext,
  matchAnyPattern,
  matchBinding,
  normalizeGithubEvent,
  profileRuleProblems,
  resolveDotPath,
  resolveTriggers,
  selectProfileRule,
  triggerInfo,
  triggerRefProblems,
  validateTriggers,
  type BindingLike,
  type TriggerIntent,
} from "../../../src/planner/triggers/index.js";
import { tempDir } from "../changes/git-repo.js";
import { jsonErrorOffset } from "../../../src/planner/triggers/json-position.js";

function binding(on: Partial<BindingLike["on"]> & { event: string }, plan: BindingLike["plan"] = {}): BindingLike {
  return { on: { provider: "github", actions: [], branches: [], baseBranches: [], tags: [], ...on }, plan };
}

/** Intent "T" of the planner spec's conformance cases. */
const T: TriggerIntent = {
  automation: {
    triggerBindings: {
      pr: binding({ event: "pull_request", actions: ["opened", "synchronize"], baseBranches: ["main"] }, { scope: "changed", base: "pull_request.base.sha", head: "pull_request.head.sha" }),
      "push-main": binding({ event: "push", branches: ["main"] }, { scope: "full" }),
      tag: binding({ event: "push", tags: ["v*"] }),
      orphan: binding({ event: "workflow_dispatch" }),
    },
  },
  environments: {
    dev: { activation: { triggerRefs: ["pr", "push-main"] } },
    staging: { activation: { triggerRefs: ["push-main"] } },
    prod: { activation: { triggerRefs: ["tag"] } },
  },
};

const PR = { action: "synchronize", pull_request: { base: { ref: "main", sha: "aaa111" }, head: { ref: "feature/x", sha: "bbb222" } } };

const dir = tempDir("orun-triggers-");
after(() => rmSync(dir, { recursive: true, force: true }));
function eventFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("patterns", () => {
  test("v2.3 glob semantics", () => {
    assert.equal(matchAnyPattern("main", ["main"]), true);
    assert.equal(matchAnyPattern("v1.2.0", ["v*"]), true);
    assert.equal(matchAnyPattern("release/1.0", ["release/*"]), true);
    assert.equal(matchAnyPattern("release/a/b", ["release/*"]), true);
    assert.equal(matchAnyPattern("anything", ["*"]), true);
    assert.equal(matchAnyPattern("develop", ["main", "release/*"]), false);
    assert.equal(matchAnyPattern("", ["*"]), false);
    assert.equal(matchAnyPattern("main", []), false);
    assert.equal(matchAnyPattern("v1-rc", ["v*-rc"]), true);
    assert.equal(matchAnyPattern("v1-rc.1", ["v*-rc"]), false);
  });

  test("dot-paths into the event payload", () => {
    const payload = { before: "aaa", number: 7, pull_request: { base: { sha: "base-sha" } } };
    assert.equal(resolveDotPath(payload, "before"), "aaa");
    assert.equal(resolveDotPath(payload, "pull_request.base.sha"), "base-sha");
    assert.equal(resolveDotPath(payload, "number"), "7");
    assert.equal(resolveDotPath(payload, "nonexistent"), undefined);
    assert.equal(resolveDotPath(payload, "pull_request"), undefined);
    assert.equal(resolveDotPath(payload, ""), undefined);
  });
});

describe("GitHub event normalisation", () => {
  test("pull_request, push to a branch, push of a tag, other refs", () => {
    const pr = normalizeGithubEvent({ ...PR, repository: { full_name: "acme/shop" }, sender: { login: "ana" } }, "pull_request", "e.json");
    assert.deepEqual(pr, {
      provider: "github",
      event: "pull_request",
      action: "synchronize",
      refType: "pull_request",
      baseBranch: "main",
      baseSHA: "aaa111",
      branch: "feature/x",
      headSHA: "bbb222",
      repository: "acme/shop",
      actor: "ana",
    });
    const push = normalizeGithubEvent({ ref: "refs/heads/main", before: "c1", after: "c2" }, "push", "e.json");
    assert.deepEqual([push.refType, push.branch, push.baseSHA, push.headSHA], ["branch", "main", "c1", "c2"]);
    const tag = normalizeGithubEvent({ ref: "refs/tags/v1.5.0", before: "0000", after: "c3" }, "push", "e.json");
    assert.deepEqual([tag.refType, tag.tag, tag.branch], ["tag", "v1.5.0", undefined]);
    assert.equal(normalizeGithubEvent({ ref: "refs/notes/x", before: "a", after: "b" }, "push", "e.json").refType, "unknown");
  });

  test("binding matching: provider, event, actions, branches, base branches, tags", () => {
    const pr = normalizeGithubEvent(PR, "pull_request", "e.json");
    const b = T.automation.triggerBindings;
    assert.equal(matchBinding(b.pr!, pr), true);
    assert.equal(matchBinding(b.pr!, { ...pr, action: "closed" }), false);
    assert.equal(matchBinding(b.pr!, { ...pr, baseBranch: "develop" }), false);
    assert.equal(matchBinding(b.pr!, { ...pr, event: "pull_request_target" }), false);
    assert.equal(matchBinding(b["push-main"]!, pr), false);
    assert.equal(matchBinding(binding({ event: "push", branches: ["main"] }), { provider: "github", event: "push", refType: "tag", tag: "v1" }), false);
  });
});

describe("trigger context from flags", () => {
  test("named trigger, event file, event name from GITHUB_EVENT_NAME or inferred", async () => {
    assert.deepEqual(await buildTriggerContext({ trigger: "pr" }, { cwd: dir }), { mode: "named-trigger", name: "pr" });
    assert.deepEqual(await buildTriggerContext({}, { cwd: dir }), { mode: "none" });
    const file = eventFile("pr.json", PR);
    const inferred = await buildTriggerContext({ fromCi: "github", eventFile: "pr.json" }, { cwd: dir, env: {} });
    assert.equal(inferred.mode === "event-file" && inferred.event.event, "pull_request");
    const named = await buildTriggerContext({ fromCi: "GitHub", eventFile: file }, { cwd: "/", env: { GITHUB_EVENT_NAME: "pull_request_target" } });
    assert.equal(named.mode === "event-file" && named.event.event, "pull_request_target");
    const fromEnv = await buildTriggerContext({ fromCi: "github" }, { cwd: "/", env: { GITHUB_EVENT_PATH: file } });
    assert.equal(fromEnv.mode === "event-file" && fromEnv.file, file);
  });

  test("flag errors", async () => {
    await assert.rejects(buildTriggerContext({ trigger: "x", eventFile: "f", fromCi: "github" }, { cwd: dir }), /--trigger and --event-file are mutually exclusive/);
    await assert.rejects(buildTriggerContext({ eventFile: "f" }, { cwd: dir }), /--from-ci is required when using --event-file/);
    await assert.rejects(buildTriggerContext({ fromCi: "gitlab", eventFile: "f" }, { cwd: dir }), /unsupported event provider: gitlab \(supported: github\)/);
    await assert.rejects(buildTriggerContext({ fromCi: "github" }, { cwd: dir, env: {} }), /needs --event-file/);
  });

  test("malformed event files name the file and what is wrong", async () => {
    await assert.rejects(buildTriggerContext({ fromCi: "github", eventFile: "missing.json" }, { cwd: dir, env: {} }), /failed to read event file missing\.json: .*ENOENT/);
    eventFile("broken.json", '{\n  "action": "opened",\n  "pull_request": {\n}}}\n');
    await assert.rejects(
      buildTriggerContext({ fromCi: "github", eventFile: "broken.json" }, { cwd: dir, env: {} }),
      (err: Error) => /^broken\.json:4:3: malformed event file: not valid JSON \(unexpected "}"\)/.test(err.message),
    );
    eventFile("array.json", "[1, 2]");
    await assert.rejects(buildTriggerContext({ fromCi: "github", eventFile: "array.json" }, { cwd: dir, env: {} }), /array\.json: malformed event file: expected a JSON object, got an array/);
    eventFile("nopr.json", { action: "opened" });
    await assert.rejects(
      buildTriggerContext({ fromCi: "github", eventFile: "nopr.json" }, { cwd: dir, env: { GITHUB_EVENT_NAME: "pull_request" } }),
      /nopr\.json \(pull_request\): pull_request event has no "pull_request" object/,
    );
    eventFile("badref.json", { ref: 42, before: "a", after: "b" });
    await assert.rejects(buildTriggerContext({ fromCi: "github", eventFile: "badref.json" }, { cwd: dir, env: {} }), /badref\.json \(ref\): expected a string, got number 42/);
    eventFile("empty.json", "");
    await assert.rejects(buildTriggerContext({ fromCi: "github", eventFile: "empty.json" }, { cwd: dir, env: {} }), /empty\.json:1:1: malformed event file: not valid JSON \(unexpected end of input\)/);
  });
});

describe("binding resolution (intent T)", () => {
  test("PR event → dev, changed scope, refs from the payload", async () => {
    const ctx = await buildTriggerContext({ fromCi: "github", eventFile: eventFile("pr.json", PR) }, { cwd: dir, env: {} });
    const r = resolveTriggers(T, ctx)!;
    assert.deepEqual(triggerInfo(r), {
      mode: "event-file",
      provider: "github",
      event: "pull_request",
      action: "synchronize",
      matchedBindings: ["pr"],
      activeEnvironments: ["dev"],
      activatedBy: { dev: ["pr"] },
      scope: "changed",
      base: "aaa111",
      head: "bbb222",
    });
  });

  test("push to main → dev and staging, full; tag → prod; a branch-creating push has no usable base", async () => {
    const push = resolveTriggers(T, await buildTriggerContext({ fromCi: "github", eventFile: eventFile("push.json", { ref: "refs/heads/main", before: "c1", after: "c2" }) }, { cwd: dir, env: {} }))!;
    assert.deepEqual([push.matchedBindings, push.activeEnvironments, push.scope, push.base, push.head], [["push-main"], ["dev", "staging"], "full", "c1", "c2"]);
    assert.deepEqual(push.activatedBy, { dev: ["push-main"], staging: ["push-main"] });
    const tag = resolveTriggers(T, await buildTriggerContext({ fromCi: "github", eventFile: eventFile("tag.json", { ref: "refs/tags/v1.5.0", before: "0".repeat(40), after: "c3" }) }, { cwd: dir, env: {} }))!;
    assert.deepEqual([tag.matchedBindings, tag.activeEnvironments, tag.scope, tag.base, tag.head], [["tag"], ["prod"], "full", undefined, "c3"]);
  });

  test("several bindings matching one event: union of environments, who activated what", async () => {
    const intent: TriggerIntent = {
      automation: { triggerBindings: { a: binding({ event: "push", branches: ["main"] }, { scope: "changed" }), b: binding({ event: "push", branches: ["ma*"] }) } },
      environments: { x: { activation: { triggerRefs: ["a"] } }, y: { activation: { triggerRefs: ["a", "b"] } } },
    };
    const ctx = await buildTriggerContext({ fromCi: "github", eventFile: eventFile("p.json", { ref: "refs/heads/main", before: "1", after: "2" }) }, { cwd: dir, env: {} });
    const r = resolveTriggers(intent, ctx)!;
    assert.deepEqual([r.matchedBindings, r.activeEnvironments, r.activatedBy, r.scope], [["a", "b"], ["x", "y"], { x: ["a"], y: ["a", "b"] }, "changed"]);
    intent.automation.triggerBindings.b!.plan.scope = "full";
    assert.throws(() => resolveTriggers(intent, ctx), /multiple trigger bindings matched this event but define conflicting plan scopes: a=changed, b=full/);
  });

  test("named trigger → activated environments; --env narrows them", () => {
    const r = resolveTriggers(T, { mode: "named-trigger", name: "push-main" })!;
    assert.deepEqual([r.mode, r.matchedBindings, r.activeEnvironments, r.scope, r.base], ["named-trigger", ["push-main"], ["dev", "staging"], "full", undefined]);
    assert.deepEqual(resolveTriggers(T, { mode: "named-trigger", name: "push-main" }, { envFilter: "staging, qa" })!.activeEnvironments, ["staging"]);
    // A binding without plan.scope: recorded as written (spec 12 §6.1, conformance case 22), planned in full.
    assert.equal(resolveTriggers(T, { mode: "named-trigger", name: "tag" })!.scope, "");
    assert.equal(resolveTriggers(T, { mode: "none" }), undefined);
  });

  test("resolution errors", async () => {
    assert.throws(() => resolveTriggers(T, { mode: "named-trigger", name: "push-mian" }), /trigger binding "push-mian" was not found in automation\.triggerBindings \(did you mean "push-main"\?; available: orphan, pr, push-main, tag\)/);
    assert.throws(() => resolveTriggers(T, { mode: "named-trigger", name: "orphan" }), /trigger binding "orphan" matched, but no environment references it in activation\.triggerRefs/);
    assert.throws(() => resolveTriggers(T, { mode: "named-trigger", name: "push-main" }, { envFilter: "prod" }), /environment prod is not activated by trigger push-main/);
    const closed = await buildTriggerContext({ fromCi: "github", eventFile: eventFile("closed.json", { ...PR, action: "closed" }) }, { cwd: dir, env: {} });
    assert.throws(() => resolveTriggers(T, closed), /no trigger binding matched github event pull_request action closed into main on branch feature\/x/);
    const target = await buildTriggerContext({ fromCi: "github", eventFile: eventFile("pr2.json", PR) }, { cwd: dir, env: { GITHUB_EVENT_NAME: "pull_request_target" } });
    assert.throws(() => resolveTriggers(T, target), /no trigger binding matched github event pull_request_target action synchronize/);
    assert.throws(() => resolveTriggers({ automation: { triggerBindings: {} }, environments: {} }, target), /no trigger bindings defined in automation\.triggerBindings/);
    const pr = await buildTriggerContext({ fromCi: "github", eventFile: eventFile("pr3.json", PR) }, { cwd: dir, env: {} });
    assert.throws(() => resolveTriggers(T, pr, { envFilter: "prod" }), /environment prod is not activated by any matched trigger/);
  });
});

describe("static trigger checks", () => {
  const sub = (name: string, profile: string | undefined, rules: { profile?: string; triggerRef?: string }[]) => ({
    name,
    ...(profile ? { profile } : {}),
    profileRules: rules.map((r) => ({ ...(r.profile ? { profile: r.profile } : {}), when: r.triggerRef ? { triggerRef: r.triggerRef } : {} })),
  });

  test("profileRules need a fallback profile, a rule profile and an existing triggerRef", () => {
    const components = [{ name: "a", subscribe: { environments: [sub("dev", undefined, [{ triggerRef: "x" }])] } }];
    assert.deepEqual(profileRuleProblems(components, Object.keys(T.automation.triggerBindings)), [
      'component "a" subscription "dev": profile is required when profileRules is defined',
      'component "a" subscription "dev": profileRules[0].profile is required',
      'component "a" subscription "dev": profileRules[0].when.triggerRef "x" does not exist in automation.triggerBindings',
    ]);
    const ok = [{ name: "net", subscribe: { environments: [sub("dev", "verify", [{ profile: "tf.apply", triggerRef: "push-main" }]), sub("prod", "apply", [])] } }];
    assert.doesNotThrow(() => validateTriggers(T, ok));
    assert.throws(() => validateTriggers(T, [{ name: "b", subscribe: { environments: [sub("dev", "p", [{ profile: "q" }])] } }]), (err: Error) => /^trigger validation failed:\n {2}component "b" subscription "dev": profileRules\[0\]\.when\.triggerRef is required$/.test(err.message));
  });

  test("environments must reference declared bindings once", () => {
    const intent: TriggerIntent = { automation: T.automation, environments: { dev: { activation: { triggerRefs: ["pr", "pr", "push-mian"] } } } };
    assert.deepEqual(triggerRefProblems(intent), [
      'environment "dev" has duplicate triggerRef "pr"',
      'environment "dev" references unknown trigger binding "push-mian" (did you mean "push-main"?)',
    ]);
  });

  test("the first profileRule whose trigger matched wins", () => {
    const rules = [{ profile: "one", when: { triggerRef: "a" } }, { profile: "two", when: { triggerRef: "b" } }, { profile: "three", when: { triggerRef: "a" } }];
    assert.equal(selectProfileRule(rules, ["b", "a"])?.profile, "one");
    assert.equal(selectProfileRule(rules, ["b"])?.profile, "two");
    assert.equal(selectProfileRule(rules, ["c"]), undefined);
    assert.equal(selectProfileRule(rules, []), undefined);
  });
});

test("JSON error positions agree with JSON.parse on what is valid", () => {
  const valid = ['{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"], "b": {}}', "[]", ' "s" ', "0", '{"a":{"b":[{}]}}'];
  for (const text of valid) {
    JSON.parse(text);
    assert.equal(jsonErrorOffset(text), undefined, text);
  }
  const invalid: [string, number][] = [
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ["[1 2]", 3],
    ['{"a": tru}', 6],
    ['"abc', 4],
    ["01", 1],
    ['{"a": 1} x', 9],
    ["", 0],
  ];
  for (const [text, offset] of invalid) {
    assert.throws(() => JSON.parse(text));
    assert.equal(jsonErrorOffset(text), offset, text);
  }
});
