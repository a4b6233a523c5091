import { test } from "node:test";
import assert from "node:assert/strict";
import { renderPlanView } from "../../src/plan/views.js";
import { stampPlan } from "../../src/plan/checksum.js";
import { goldenPlan } from "./golden.js";

// Exact outputs of orun v2.3 for the golden-vector plan (spec 12 §5.3), as printed by
// `orun plan --view ...`: "\n" + view + "\n".
const EXPECTED: Record<string, string> = {
  "--view dag": "\n\nComponent graph\n├─ api\n│  ├─ dev [helm.default]\n│  │  └─ default · 10m\n│  │     ├─ (depends on) db.dev.deploy\n│  │     ├─ checkout\n│  │     ├─ deploy\n│  │     └─ \n│  └─ prod [helm.release via release-tag]\n│     └─ release\n│        └─ deploy\n\n└─ db\n   └─ dev\n      └─ deploy · 10m (retry:2x)\n         └─ migrate\n\n\n  components   2\n  jobs         3\n\n",
  "--view dag:long": "\n\nComponent graph\n├─ api\n│  ├─ dev [helm.default]\n│  │  └─ default · 10m\n│  │     ├─ (depends on) db.dev.deploy\n│  │     ├─ checkout\n│  │     │  run: git fetch\n│  │     ├─ deploy\n│  │     │  run: helm upgrade api ./chart --namespace dev\n│  │     └─ \n│  └─ prod [helm.release via release-tag]\n│     └─ release\n│        └─ deploy\n│           run: helm upgrade api ./chart --namespace prod\n\n└─ db\n   └─ dev\n      └─ deploy · 10m (retry:2x)\n         └─ migrate\n            run: run-migrations --env dev\n\n\n  components   2\n  jobs         3\n\n",
  "--view dependencies": "\n┌──────────────────────────────────────────────────────────┐\n│ plan view: dependencies                                  │\n├──────────────────────────────────────────────────────────┤\n│ plan:  demo\n│ jobs:  3\n└──────────────────────────────────────────────────────────┘\n\nDependency graph\n├─ deploy (api/dev)\n  └─ depends-on: db.dev.deploy\n\n├─ deploy (api/prod)\n   └─ no dependencies\n\n└─ deploy (db/dev)\n   └─ no dependencies\n\n\n  jobs         3\n\n",
  "--view component=api": "\n┌──────────────────────────────────────────────────────────┐\n│ plan view: component                                     │\n├──────────────────────────────────────────────────────────┤\n│ plan:  api [helm]\n│ jobs:  2\n└──────────────────────────────────────────────────────────┘\n\nEnvironment breakdown\n├─ dev (1 jobs)\n│  └─ deploy\n│     registry: helm-jobs\n│     job: deploy\n│     timeout: 10m\n│     dependencies:\n│       - db.dev.deploy\n│     steps:\n│       ├─ checkout\n│             run: git fetch\n│       ├─ deploy\n│             run: helm upgrade api ./chart --namespace dev\n│       └─ \n│             use: actions/cache@v4\n\n├─ prod (1 jobs)\n│  └─ deploy\n│     registry: helm-jobs\n│     job: deploy\n│     steps:\n│       └─ deploy\n│             run: helm upgrade api ./chart --namespace prod\n\n\n  jobs         2\n\n",
  "--view component=nope": "\n┌──────────────────────────────────────────────────────────┐\n│ plan view: component                                     │\n├──────────────────────────────────────────────────────────┤\n│ component: nope\n│ no jobs found\n└──────────────────────────────────────────────────────────┘\n"
};

const printed = (view: string, long = false): string => `\n${renderPlanView(stampPlan(goldenPlan()), view, { long })}\n`;

test("--view dag prints the component graph", () => {
  assert.equal(printed("dag"), EXPECTED["--view dag"]);
});

test("--view dag:long (and dag with --long) adds the run commands", () => {
  assert.equal(printed("dag:long"), EXPECTED["--view dag:long"]);
  assert.equal(printed("dag", true), EXPECTED["--view dag:long"]);
});

test("--view dependencies lists each job's dependencies", () => {
  assert.equal(printed("dependencies"), EXPECTED["--view dependencies"]);
});

test("--view component=NAME breaks a component down by environment", () => {
  assert.equal(printed("component=api"), EXPECTED["--view component=api"]);
});

test("--view component=NAME for an unknown component prints the empty panel", () => {
  assert.equal(printed("component=nope"), EXPECTED["--view component=nope"]);
});

test("an unknown view falls back to dag; an empty plan prints the empty dag panel", () => {
  assert.equal(printed("whatever"), EXPECTED["--view dag"]);
  const empty = { ...goldenPlan(), jobs: [] };
  assert.match(renderPlanView(empty, "dag"), /│ plan view: dag {43}│\n├─+┤\n│ no jobs in plan\n└─+┘$/);
});

test("the component view cuts a run over 70 bytes to 67 characters and '...', never inside a character", () => {
  const plan = goldenPlan();
  const db = plan.jobs.find((job) => job.id === "db.dev.deploy")!;
  const seventy = "x".repeat(70);
  const emoji = `${"y".repeat(66)}🚀🚀`; // each 🚀 is two UTF-16 units
  db.steps = [seventy, `${seventy}z`, emoji].map((run, i) => ({ id: `s${i}`, name: `s${i}`, phase: "main" as const, run }));
  const runs = renderPlanView(plan, "component=db").split("\n").filter((line) => line.includes("run: ")).map((line) => line.slice(line.indexOf("run: ") + 5));
  assert.deepEqual(runs, [seventy, `${"x".repeat(67)}...`, `${"y".repeat(66)}🚀...`]);
});

test("the dag view lists a job's dependencies in order, however the plan holds them", () => {
  const plan = goldenPlan();
  plan.jobs.find((job) => job.id === "db.dev.deploy")!.dependsOn = ["web.dev.deploy", "cache.dev.deploy"];
  const deps = renderPlanView(plan, "dag").split("\n").filter((line) => line.includes("(depends on)")).map((line) => line.slice(line.indexOf(")") + 2));
  assert.deepEqual(deps, ["db.dev.deploy", "cache.dev.deploy", "web.dev.deploy"]);
});

test("a multi-line run stays inside the tree: dag:long indents each line, the component view shows the first and '...'", () => {
  const plan = goldenPlan();
  const db = plan.jobs.find((job) => job.id === "db.dev.deploy")!;
  // As a YAML block scalar templated with `{{- if }}` often leaves it: a leading and trailing blank line.
  db.steps = [{ id: "migrate", name: "migrate", phase: "main", run: "\ntest -d dist\nfind dist -type f\n\n" }];
  const long = renderPlanView(plan, "dag:long").split("\n");
  const at = long.findIndex((line) => line.endsWith("└─ migrate"));
  assert.deepEqual(long.slice(at + 1, at + 3), ["            run: test -d dist", "                 find dist -type f"]);
  assert.equal(long[at + 3], "", "the job's tree ends after the command");
  const component = renderPlanView(plan, "component=db").split("\n").filter((line) => line.includes("run: "));
  assert.deepEqual(component, ["│             run: test -d dist ..."]);
});
