// Every error case of the planner spec (10-planner §5, 12 §7, 11 §4) through
// the real `orun plan` binary: a clear `✕ <message>` naming the file/line/field
// where there is one, exit code 1, and nothing written.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { baseRepo, cleanupRepos, HEADER, planRepo, STACK, SVC, TF, writeRepo, type Files } from "../planner/support.js";
import { runOrun } from "../support/cli.js";
import { closedPort } from "../support/wait.js";

after(cleanupRepos);

/** An OCI registry that refuses connections: a port taken from the OS and held, not a fixed one something may use. */
const REFUSING_REGISTRY = `127.0.0.1:${await closedPort()}`;

const DEV = `environments:
  dev:
    selectors:
      components: ["*"]
`;

const DEV_PROD = `environments:
  dev:
    selectors:
      components: ["*"]
  prod:
    selectors:
      components: ["*"]
`;

interface Case {
  name: string;
  files: Files;
  args?: string[];
  expect: RegExp[];
}

const cases: Case[] = [
  {
    name: "malformed YAML in intent.yaml names the file and line",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: [svc\n`),
    expect: [/intent\.yaml:\d+/],
  },
  {
    name: "a value of the wrong type names the field",
    files: baseRepo(`environments:\n  dev:\n    selectors:\n      components: "*"\n`),
    expect: [/intent\.yaml:\d+/, /environments\.dev\.selectors\.components/],
  },
  {
    name: "an unknown key is an error with a did-you-mean hint",
    files: baseRepo(`environmnets:\n  dev: {}\n`),
    expect: [/intent\.yaml:\d+/, /environmnets/, /did you mean.*environments/i],
  },
  {
    name: "unknown composition type",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: nosuch\n`),
    expect: [/component type not found: nosuch/, /intent\.yaml:\d+/],
  },
  {
    name: "component parameters violating the composition schema",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    parameters:\n      replicas: three\n`),
    expect: [/component a failed validation against type svc/, /replicas/, /intent\.yaml:\d+/],
  },
  {
    name: "duplicate component names (inline and discovered)",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n`, {
      "apps/a/component.yaml": "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: a\nspec:\n  type: svc\n",
    }),
    expect: [/duplicate component name: a/],
  },
  {
    name: "a component without a type",
    files: baseRepo(`${DEV}components:\n  - name: a\n`),
    expect: [/type/, /intent\.yaml:\d+/],
  },
  {
    name: "a component without a name",
    files: baseRepo(`${DEV}components:\n  - type: svc\n`),
    expect: [/name/, /intent\.yaml:\d+/],
  },
  {
    name: "missing components: a dependency on an unknown component",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    dependsOn:\n      - component: ghost\n`),
    expect: [/dependency not found: a@dev depends on ghost@dev/, /no component named ghost/, /intent\.yaml:\d+/],
  },
  {
    name: "dangling dependency: the dependency is not planned in that environment (spec case 11)",
    files: baseRepo(
      `environments:\n  dev:\n    selectors:\n      components: ["*"]\n  prod:\n    selectors:\n      components: ["b"]\ncomponents:\n  - name: a\n    type: svc\n  - name: b\n    type: svc\n    dependsOn:\n      - component: a\n`,
    ),
    expect: [/dependency not found: b@prod depends on a@prod/],
  },
  {
    name: "a dependency on a disabled component says it is disabled",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    enabled: false\n  - name: b\n    type: svc\n    dependsOn:\n      - component: a\n`),
    expect: [/dependency not found: b@dev depends on a@dev/, /disabled/],
  },
  {
    name: "a dependency cycle prints the cycle path",
    files: baseRepo(
      `${DEV}components:\n  - name: a\n    type: svc\n    dependsOn:\n      - component: b\n  - name: b\n    type: svc\n    dependsOn:\n      - component: a\n`,
    ),
    expect: [/cycle detected in job dependencies: a@dev\.deploy → b@dev\.deploy → a@dev\.deploy/, /intent\.yaml:\d+/],
  },
  {
    name: "a component depending on itself is a cycle",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    dependsOn:\n      - component: a\n`),
    expect: [/cycle detected in job dependencies: a@dev\.deploy → a@dev\.deploy/],
  },
  {
    name: "a cross-environment cycle through promotion and dependsOn",
    files: baseRepo(
      `environments:\n  dev:\n    selectors:\n      components: ["*"]\n  prod:\n    selectors:\n      components: ["*"]\n    promotion:\n      dependsOn:\n        - environment: dev\ncomponents:\n  - name: a\n    type: svc\n    dependsOn:\n      - component: a\n        environment: prod\n`,
    ),
    expect: [/cycle detected in job dependencies: a@dev\.deploy → a@prod\.deploy → a@dev\.deploy/],
  },
  {
    name: "a missing template key names component, job, step and key",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    overrides:\n      steps:\n        - name: main-step\n          run: "echo {{ .parameters.nope }}"\n`),
    expect: [/component a/, /a@dev\.deploy/, /main-step/, /\.parameters\.nope/, /intent\.yaml:\d+/],
  },
  {
    name: "an unclosed template action is a parse error naming the step",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    overrides:\n      steps:\n        - name: main-step\n          run: "echo {{.parameters.x"\n`),
    expect: [/main-step/, /a@dev\.deploy/, /unclosed action|unexpected|unterminated/i],
  },
  {
    name: "an undefined template function is an error",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    overrides:\n      steps:\n        - name: main-step\n          run: "echo {{ upper .orun.component.name }}"\n`),
    expect: [/function "upper" not defined/, /main-step/],
  },
  {
    name: "ORUN_ keys are reserved in the intent root env",
    files: baseRepo(`env:\n  ORUN_X: "1"\n${DEV}components:\n  - name: a\n    type: svc\n`),
    expect: [/intent root env: env key "ORUN_X" uses reserved ORUN_ prefix/],
  },
  {
    name: "ORUN_ keys are reserved in environment env (case-insensitive)",
    files: baseRepo(`environments:\n  dev:\n    env:\n      orun_x: "1"\n    selectors:\n      components: ["*"]\ncomponents:\n  - name: a\n    type: svc\n`),
    expect: [/environment dev env: env key "orun_x" uses reserved ORUN_ prefix/],
  },
  {
    name: "ORUN_ keys are reserved in component env",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    env:\n      ORUN_RUNNER: x\n`),
    expect: [/component a root env: env key "ORUN_RUNNER" uses reserved ORUN_ prefix/],
  },
  {
    name: "ORUN_ keys are reserved in subscription env",
    files: baseRepo(`environments:\n  dev: {}\ncomponents:\n  - name: a\n    type: svc\n    subscribe:\n      environments:\n        - name: dev\n          env:\n            ORUN_Y: "1"\n`),
    expect: [/component a subscription dev env: env key "ORUN_Y" uses reserved ORUN_ prefix/],
  },
  {
    name: "a promotion dependency on itself",
    files: baseRepo(`environments:\n  dev:\n    promotion:\n      dependsOn:\n        - environment: dev\n`),
    expect: [/environment dev: promotion dependency cannot reference itself/],
  },
  {
    name: "a promotion dependency on an unknown environment",
    files: baseRepo(`environments:\n  prod:\n    promotion:\n      dependsOn:\n        - environment: staging\n`),
    expect: [/environment prod: promotion dependency references non-existent environment "staging"/],
  },
  {
    name: "a promotion cycle prints its path",
    files: baseRepo(
      `environments:\n  dev:\n    promotion:\n      dependsOn:\n        - environment: prod\n  prod:\n    promotion:\n      dependsOn:\n        - environment: dev\n`,
    ),
    expect: [/promotion dependency cycle detected: dev → prod → dev/],
  },
  {
    name: "an invalid change.watches value",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    change:\n      watches: [bogus]\n`),
    expect: [/bogus/, /intent\.yaml:\d+/],
  },
  {
    name: "--env with no match suggests the closest environment (spec case 17)",
    files: baseRepo(`${DEV_PROD}components:\n  - name: a\n    type: svc\n`),
    args: ["--env", "prd"],
    expect: [/no environment matched "prd"\n\ndid you mean:\n {2}prod\n\navailable environments:\n {2}dev\n {2}prod\n/],
  },
  {
    name: "--env cut short suggests the one environment it begins (too many edits for the spec's rule)",
    files: baseRepo(`environments:\n  dev: {}\n  staging: {}\n  prod: {}\ncomponents:\n  - name: a\n    type: svc\n    subscribe:\n      environments: [dev]\n`),
    args: ["--env", "stag"],
    expect: [/no environment matched "stag"\n\ndid you mean:\n {2}staging\n\navailable environments:\n/],
  },
  {
    name: "--component with no match suggests the closest component (spec case 18)",
    files: baseRepo(`${DEV}components:\n  - name: api\n    type: svc\n  - name: web\n    type: svc\n`),
    args: ["--component", "wbe"],
    expect: [/no component matched "wbe"\n\ndid you mean:\n {2}web\n\navailable components:\n {2}api\n {2}web\n/],
  },
  {
    name: "a profile whose type prefix does not match the component type (spec case 27)",
    files: baseRepo(`environments:\n  dev: {}\ncomponents:\n  - name: a\n    type: tf\n    subscribe:\n      environments:\n        - name: dev\n          profile: svc.verify\n`),
    expect: [/component a environment dev: component has type tf but references profile "svc\.verify" \(type prefix mismatch\)/],
  },
  {
    name: "an unknown profile (spec case 27)",
    files: baseRepo(`environments:\n  dev: {}\ncomponents:\n  - name: a\n    type: tf\n    subscribe:\n      environments:\n        - name: dev\n          profile: nope\n`),
    expect: [/profile "nope" does not exist in composition tf executionProfiles/],
  },
  {
    name: "same-plan promotion from an environment that is not in the plan (spec case 25)",
    files: baseRepo(
      `environments:\n  dev:\n    selectors:\n      components: ["*"]\n  prod:\n    selectors:\n      components: ["*"]\n    promotion:\n      dependsOn:\n        - environment: dev\n          satisfy: same-plan\ncomponents:\n  - name: a\n    type: svc\n`,
    ),
    args: ["-e", "prod"],
    expect: [/environment prod requires same-plan promotion from dev, but dev is not active in this plan/],
  },
  {
    name: "an invalid step phase (spec case 31)",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    overrides:\n      steps:\n        - name: zz\n          phase: middle\n          run: echo\n`),
    expect: [/phase/, /middle/],
  },
  {
    name: "a subscription object without a name",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n    subscribe:\n      environments:\n        - profile: x\n`),
    expect: [/name/, /intent\.yaml:\d+/],
  },
  {
    name: "a composition source directory that does not exist",
    files: { "intent.yaml": HEADER.replace("./comps", "./nowhere") + DEV },
    expect: [/nowhere/],
  },
  {
    name: "an oci composition source whose registry cannot be reached",
    files: { "intent.yaml": HEADER.replace("kind: dir\n      path: ./comps", `kind: oci\n      ref: ${REFUSING_REGISTRY}/acme/stack:v1`) + DEV },
    expect: [new RegExp(`failed to resolve oci composition source \\w+: http://${REFUSING_REGISTRY.replaceAll(".", "\\.")}/v2/acme/stack/manifests/v1: .*ECONNREFUSED`)],
  },
  {
    name: "a composition whose defaultJob is not one of its jobs",
    files: {
      "intent.yaml": HEADER + DEV,
      "comps/stack.yaml": STACK,
      "comps/svc/compositions.yaml": SVC.replace("defaultJob: deploy", "defaultJob: ship"),
      "comps/tf/compositions.yaml": TF,
    },
    expect: [/ship/, /svc/],
  },
  {
    name: "a profile selecting a job the composition does not have",
    files: {
      "intent.yaml": HEADER + DEV,
      "comps/stack.yaml": STACK,
      "comps/svc/compositions.yaml": SVC,
      "comps/tf/compositions.yaml": TF.replace("        drift:\n          stepsEnabled: [d1]", "        ghost:\n          stepsEnabled: [d1]"),
    },
    expect: [/ghost/],
  },
  {
    name: "a hostile --name is refused before anything is written",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n`),
    args: ["--name", "../../escape"],
    expect: [/invalid plan name "\.\.\/\.\.\/escape"/],
  },
  {
    name: "an unknown --format",
    files: baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n`),
    args: ["-f", "xml"],
    expect: [/unsupported plan format "xml"/],
  },
];

describe("orun plan error cases", { concurrency: 2 }, () => {
  for (const c of cases) {
    test(c.name, async () => {
      const run = await planRepo(c.files, c.args);
      assert.equal(run.code, 1, `exit code (stderr: ${run.stderr})`);
      assert.match(run.stderr, /^✕ /, "errors print as ✕ <message>");
      for (const re of c.expect) assert.match(run.stderr, re);
      assert.equal(existsSync(path.join(run.dir, "plan.json")), false, "no plan written");
      assert.equal(existsSync(path.join(run.dir, ".orun", "plans")), false, "store untouched");
    });
  }
});

test("a folder where latest.json belongs is refused before any plan file is stored", async () => {
  const dir = await writeRepo(baseRepo(`${DEV}components:\n  - name: a\n    type: svc\n`));
  mkdirSync(path.join(dir, ".orun", "plans", "latest.json"), { recursive: true });
  const run = await runOrun(["plan"], { cwd: dir });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /^✕ cannot store the plan: .*latest\.json is a directory/);
  assert.deepEqual(readdirSync(path.join(dir, ".orun", "plans")), ["latest.json"], "no <id>.json left behind");
});

test("a missing intent.yaml is a clear error", async () => {
  const run = await planRepo({ "README.md": "no intent here\n" });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^✕ .*intent\.yaml/);
});
