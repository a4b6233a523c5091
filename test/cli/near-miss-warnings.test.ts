// Near misses the compiler let pass in silence: a `parameterDefaults."*"` key one letter from a
// parameter some composition type declares (ignored, as documented, so a typo vanished), and
// `plan -v component=wbe` (spec 12's "no jobs found" panel, kept as it is, with no hint of `web`).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, HEADER, STACK, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const repo = (defaults: string): Promise<string> =>
  writeRepo({
    "intent.yaml": `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\n    parameterDefaults:\n      "*":\n${defaults}components:\n  - {name: web, type: svc}\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  });

test('a "*" default a letter from a declared parameter is warned about with its line; other unknown "*" keys stay silent', async () => {
  const dir = await repo("        replicsa: 3\n        region: eu\n        replicas: 2\n");
  const expected = `⚠ warning: intent.yaml:15: environment dev parameterDefaults."*".replicsa: no composition type declares parameter replicsa, so it is ignored (did you mean \`replicas\`?)\n`;
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes(expected), `${args[0]}:\n${result.stderr}`);
    assert.ok(!/region|replicas:/.test(result.stderr), `${args[0]}:\n${result.stderr}`);
  }
  const plan = JSON.parse((await runOrun(["plan", "-o", "-"], { cwd: dir })).stdout.slice(0, -1)) as { jobs: { steps: { run?: string }[] }[] };
  assert.match(plan.jobs[0]!.steps.map((s) => s.run).join("\n"), /r=2/);
});

test("plan -v component=<near miss> keeps the spec's empty panel and suggests the component on stderr", async () => {
  const dir = await repo("        replicas: 2\n");
  const result = await runOrun(["plan", "-v", "component=wbe"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes("│ component: wbe\n│ no jobs found\n└"), result.stdout);
  assert.ok(result.stderr.includes("⚠ warning: -v component=wbe: the plan has no component wbe (did you mean `web`?)\n"), result.stderr);
  const known = await runOrun(["plan", "-v", "component=web"], { cwd: dir });
  assert.equal(known.code, 0, known.stderr);
  assert.ok(!known.stderr.includes("did you mean"), known.stderr);
});

test("a subscription profile on a composition with no executionProfiles is warned about where it is written (accepted and ignored, spec 10 case 27)", async () => {
  const dir = await writeRepo({
    "intent.yaml": `${HEADER}environments:\n  dev: {}\ncomponents:\n  - name: web\n    type: svc\n    subscribe:\n      environments:\n        - name: dev\n          profile: fast\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": SVC,
  });
  const expected = `⚠ warning: intent.yaml:18: components[0].subscribe.environments[0].profile: component web (environment dev) names profile "fast", but composition svc declares no executionProfiles, so the profile is ignored\n`;
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes(expected), `${args[0]}:\n${result.stderr}`);
  }
  const plan = JSON.parse((await runOrun(["plan", "-o", "-"], { cwd: dir })).stdout.slice(0, -1)) as { jobs: { profileSource?: string }[] };
  assert.equal(plan.jobs[0]!.profileSource, "legacy-none");
});

test("a profiles list beside inline executionProfiles is warned about where it is written: v2.3 ignores it (spec 11 §3.3)", async () => {
  const profiles = "  defaultProfile: fast\n  executionProfiles:\n    fast:\n      jobs:\n        deploy: {stepsEnabled: [main-step]}\n  profiles:\n    - name: slow\n      profileRef: {name: svc-slow}\n";
  const dir = await writeRepo({
    "intent.yaml": `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - {name: web, type: svc}\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": `${SVC}${profiles}`,
  });
  const line = SVC.split("\n").length + 5;
  const expected = `⚠ warning: comps/svc/compositions.yaml:${line}: spec.profiles: composition svc defines spec.executionProfiles, so this profiles list is ignored (inline executionProfiles win); move its profiles into executionProfiles or remove one of the two\n`;
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes(expected), `${args[0]}:\n${result.stderr}`);
  }
  // Without the list, nothing to say.
  const quiet = await writeRepo({
    "intent.yaml": `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - {name: web, type: svc}\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": `${SVC}${profiles.replace(/ {2}profiles:[^]*$/, "")}`,
  });
  const result = await runOrun(["plan", "-o", "-"], { cwd: quiet });
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /profiles list/);
});
