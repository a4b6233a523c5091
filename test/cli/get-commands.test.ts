// `orun get components` / `orun component`, `orun get environments` and
// `--debug` for `plan` and `validate`, through the real binary: on the v2.3
// platform example read in place (15 components, 5 environments, 38 jobs;
// nothing is written there: plans go to a temp file with -o) and on temp
// repositories for the edge and error cases.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { FIXTURES_DIR, runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, THREE_ENVS, writeRepo } from "../planner/support.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const skip = existsSync(FIXTURES_DIR) ? false : "shared fixtures are absent";
let tmp = "";

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-get-commands-"));
});
after(async () => {
  await cleanupRepos();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

const ok = (r: { code: number | null; stderr: string }): void => assert.equal(r.code, 0, r.stderr);

describe("orun get components on the platform example", { skip }, () => {
  test("lists every component sorted by name with its type and the environments the plan gives it", async () => {
    const list = await runOrun(["get", "components"], { cwd: FIXTURES_DIR });
    ok(list);
    const lines = list.stdout.split("\n");
    assert.equal(lines[0], "15 components");
    assert.equal(lines.length, 17, "header, 15 rows and the final newline");
    assert.equal(lines.at(-1), "");
    // The type column is as wide as its longest type (cloudflare-pages-turbo-terraform, 32 characters; 28 in v2.3's
    // format, which ran that row's environments out of line): every row's environments start at one column.
    assert.ok(lines.includes(`  ✓ network-foundation       ${"terraform".padEnd(32)} development,production,staging`));
    assert.ok(lines.includes(`  ✓ web-console-pages        ${"cloudflare-pages-turbo".padEnd(32)} preview,production,staging`));
    assert.ok(lines.includes("  ✓ admin-console-pages-git  cloudflare-pages-turbo-terraform production,staging"));
    assert.deepEqual(new Set(lines.slice(1, -1).map((l) => /^( {2}✓ \S+ +\S+ +)\S/.exec(l)![1]!.length)), new Set([4 + 25 + 33]));
    const names = lines.slice(1, -1).map((l) => /^ {2}✓ (\S+) +/.exec(l)![1]!);
    assert.deepEqual(names, [...names].sort());

    // Cross-check against the compiled plan: each component's environments are exactly those of its jobs.
    const file = path.join(tmp, "example-plan.json");
    ok(await runOrun(["plan", "-o", file], { cwd: FIXTURES_DIR }));
    const plan = JSON.parse(await fs.readFile(file, "utf8")) as Plan;
    const fromPlan = new Map<string, Set<string>>();
    for (const job of plan.jobs) fromPlan.set(job.component, (fromPlan.get(job.component) ?? new Set()).add(job.environment));
    for (const line of lines.slice(1, -1)) {
      const [, name, envs] = /^ {2}✓ (\S+) +\S+ +(\S+)$/.exec(line)!;
      assert.equal(envs, [...fromPlan.get(name!)!].sort().join(","), name);
    }
    assert.equal(fromPlan.size, 15);

    const alias = await runOrun(["component"], { cwd: FIXTURES_DIR });
    assert.equal(alias.stdout, list.stdout, "orun component is the same command");
  });

  test("a name shows only that component; -l adds path, manifest, domain and dependencies", async () => {
    const one = await runOrun(["component", "cluster-addons", "-l"], { cwd: FIXTURES_DIR });
    ok(one);
    assert.equal(
      one.stdout,
      "1 component\n" +
        "  ✓ cluster-addons           terraform                    development,production,staging\n" +
        "      path:       infra/infra-2\n" +
        "      defined in: infra/infra-2/component.yaml\n" +
        "      domain:     platform-foundation\n" +
        "      depends on: network-foundation\n",
    );
  });

  test("a name ending in * lists every component it starts", async () => {
    const some = await runOrun(["component", "cluster-add*"], { cwd: FIXTURES_DIR });
    ok(some);
    assert.match(some.stdout, /^1 component\n {2}✓ cluster-addons /);
  });

  test("an unknown name fails with did-you-mean and the available components", async () => {
    const r = await runOrun(["get", "components", "api-edge-workr"], { cwd: FIXTURES_DIR });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^✕ no component matched "api-edge-workr"\n\ndid you mean:\n {2}api-edge-worker\n\navailable components:\n {2}admin-console-pages-git\n/);
  });

  test("inside a component folder it lists that component (banner on stderr); --all lists all", async () => {
    const cwd = path.join(FIXTURES_DIR, "apps", "api-edge");
    const scoped = await runOrun(["get", "components"], { cwd });
    ok(scoped);
    assert.match(scoped.stdout, /^1 component\n {2}✓ api-edge-worker {10}cloudflare-worker-turbo {6}dev,production,staging\n$/);
    assert.match(scoped.stderr, /^context: auto-scoped to component api-edge-worker\nhint: pass --all to include all components\n$/);
    const all = await runOrun(["get", "components", "--all"], { cwd });
    assert.match(all.stdout, /^15 components\n/);
    assert.equal(all.stderr, "");
    // json/yaml are for machines: the scope holds, the banner stays off stderr (mut30b's G3).
    for (const format of ["json", "yaml"]) {
      const machine = await runOrun(["get", "components", "-o", format], { cwd });
      ok(machine);
      assert.match(machine.stdout, /api-edge-worker/);
      assert.doesNotMatch(machine.stdout, /admin-console-pages-git/, format);
      assert.equal(machine.stderr, "", format);
    }
  });

  test("-o json: one object per component", async () => {
    const r = await runOrun(["get", "components", "-o", "json"], { cwd: FIXTURES_DIR });
    ok(r);
    const rows = JSON.parse(r.stdout) as { name: string; type: string; environments: string[]; manifest?: string; dependsOn: { component: string }[] }[];
    assert.equal(rows.length, 15);
    const net = rows.find((c) => c.name === "commerce-checkout-chart")!;
    assert.equal(net.type, "helm-chart");
    assert.deepEqual(net.environments, ["development", "production"]);
    assert.deepEqual(net.dependsOn, [{ component: "commerce-checkout-values" }]);
  });
});

describe("orun get environments on the platform example", { skip }, () => {
  test("a table: promotion, triggers, how many components apply, policies", async () => {
    const r = await runOrun(["get", "environments"], { cwd: FIXTURES_DIR });
    ok(r);
    const lines = r.stdout.split("\n");
    assert.match(lines[0]!, /^NAME {10}PROMOTES FROM {3}TRIGGERS {14}COMPONENTS {3}POLICIES$/);
    assert.deepEqual(lines.slice(1, 6).map((l) => l.split(/ +/)[0]), ["dev", "development", "preview", "production", "staging"]);
    assert.ok(lines.includes("production    -               github-tag-release    13           requireApproval=true"));
    assert.ok(lines.includes("development   -               github-pull-request   8            requireApproval=false"));
    assert.match(r.stdout, /\n\n5 environments\n$/);
  });

  test("-o json: the intent's environments map", async () => {
    const r = await runOrun(["get", "environments", "-o", "json"], { cwd: FIXTURES_DIR });
    ok(r);
    const envs = JSON.parse(r.stdout) as Record<string, { policies: Record<string, unknown>; activation: { triggerRefs: string[] }; parameterDefaults: Record<string, Record<string, unknown>> }>;
    assert.deepEqual(Object.keys(envs).sort(), ["dev", "development", "preview", "production", "staging"]);
    assert.deepEqual(envs.staging!.policies, { requireApproval: "true" });
    assert.deepEqual(envs.staging!.activation.triggerRefs, ["github-push-main"]);
    assert.deepEqual(envs.preview!.parameterDefaults["*"], { lane: "verify", namespacePrefix: "preview-" });
  });
});

describe("--debug on the platform example", { skip }, () => {
  const STAGES = [
    "Loading intent",
    "Normalizing intent",
    "Validating component parameters",
    "Expanding components × environments",
    "Applying environment and component filters",
    "Binding jobs to compositions",
    "Resolving dependencies and promotion",
    "Materializing steps",
    "Computing checksum",
  ];

  test("orun plan --debug: each stage started and finished, the summary, then the job dump", async () => {
    const file = path.join(tmp, "debug-plan.json");
    const r = await runOrun(["plan", "--debug", "-o", file], { cwd: FIXTURES_DIR });
    ok(r);
    const plan = JSON.parse(await fs.readFile(file, "utf8")) as Plan;
    const lines = r.stdout.split("\n");
    // □ stage / ✓ summary pairs, in pipeline order, before the summary box.
    assert.deepEqual(lines.slice(0, STAGES.length * 2).filter((_, i) => i % 2 === 0), STAGES.map((s) => `□ ${s}...`));
    assert.ok(lines.slice(0, STAGES.length * 2).filter((_, i) => i % 2 === 1).every((l) => l.startsWith("✓ ")));
    assert.equal(lines[1], "✓ intent.yaml: 15 components (15 discovered), 5 environments, 1 composition source, 11 composition types");
    assert.ok(lines.includes("✓ 38 jobs, " + `${plan.jobs.reduce((n, j) => n + j.steps.length, 0)} steps`));
    assert.equal(lines[STAGES.length * 2 - 1], `✓ ${plan.metadata.checksum}`);
    assert.equal(lines[STAGES.length * 2 + 1], "  │ 15 components × 5 envs → 38 jobs");
    const dump = r.stdout.slice(r.stdout.indexOf("\nJobs (38):\n"));
    assert.equal(dump.split("\n").filter((l) => l.startsWith("  ")).length, 38);
    assert.match(dump, /\n {2}cluster-addons@development\.validate \(6 steps\) → network-foundation@development\.validate\n/);
    assert.match(dump, /\n {2}network-foundation@development\.validate \(6 steps\)\n/);
    // The plan is the same as without --debug (apart from generatedAt).
    const plainFile = path.join(tmp, "plain-plan.json");
    const plain = await runOrun(["plan", "-o", plainFile], { cwd: FIXTURES_DIR });
    assert.doesNotMatch(plain.stdout, /□|Jobs \(/);
    assert.equal((JSON.parse(await fs.readFile(plainFile, "utf8")) as Plan).metadata.checksum, plan.metadata.checksum);
  });

  test("orun validate --debug: the validate lines with the stages between them", async () => {
    const r = await runOrun(["validate", "--debug"], { cwd: FIXTURES_DIR });
    ok(r);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 5), [
      "□ Validating intent...",
      "□ Loading intent...",
      "✓ intent.yaml: 15 components (15 discovered), 5 environments, 1 composition source, 11 composition types",
      "✓ Intent is valid",
      "□ Compiling plan...",
    ]);
    assert.deepEqual(lines.filter((l) => l.startsWith("□ ")).slice(3), STAGES.slice(1).map((s) => `□ ${s}...`));
    assert.equal(lines.at(-2), "✓ All validation passed (15 components, 38 jobs)");
  });
});

const BODY = `environments:
  dev:
    selectors: { components: ["*"] }
  staging:
    selectors: { components: ["*"] }
    policies: { requireApproval: "true", owner: platform }
    promotion:
      dependsOn: [{ environment: dev }]
  prod:
    selectors: { components: ["api"] }
    promotion:
      dependsOn: [{ environment: staging, strategy: environment-barrier }]
components:
  - name: api
    type: svc
  - name: old
    type: svc
    enabled: false
  - name: sub
    type: tf
    subscribe:
      environments: [dev, nowhere]
`;

const WEB = `apiVersion: sourceplane.io/v1
kind: Component
metadata:
  name: web
spec:
  type: svc
  subscribe:
    environments: [qa]
  dependsOn:
    - component: api
      environment: prod
`;

describe("orun get components / environments on a temp repository", () => {
  test("disabled components, inline and discovered, no matching environment, environment-pinned dependencies", async () => {
    const dir = await writeRepo(baseRepo(BODY, { "apps/web/component.yaml": WEB }));
    const r = await runOrun(["get", "components", "-l"], { cwd: dir });
    ok(r);
    assert.equal(
      r.stdout,
      "4 components\n" +
        `  ✓ ${"api".padEnd(24)} ${"svc".padEnd(28)} dev,prod,staging\n` +
        "      path:       ./\n      defined in: intent.yaml (inline)\n      depends on: -\n" +
        `  ○ ${"old".padEnd(24)} ${"svc".padEnd(28)} (disabled: enabled: false)\n` +
        "      path:       ./\n      defined in: intent.yaml (inline)\n      depends on: -\n" +
        `  ✓ ${"sub".padEnd(24)} ${"tf".padEnd(28)} dev\n` +
        "      path:       ./\n      defined in: intent.yaml (inline)\n      depends on: -\n" +
        `  ✓ ${"web".padEnd(24)} ${"svc".padEnd(28)} (no environment)\n` +
        "      path:       apps/web\n      defined in: apps/web/component.yaml\n      depends on: api@prod\n",
    );
    await assert.rejects(fs.access(path.join(dir, ".orun")), "listing writes nothing");
  });

  test("a component name longer than 24 characters widens the name column: every row's type and environments stay in line", async () => {
    const long = "payments-reconciliation-worker"; // 30 characters; v2.3's column was 24
    const dir = await writeRepo(baseRepo(BODY.replace("components:\n", `components:\n  - name: ${long}\n    type: svc\n`)));
    const r = await runOrun(["get", "components"], { cwd: dir });
    ok(r);
    const rows = r.stdout.split("\n").slice(1, -1);
    assert.ok(rows.includes(`  ✓ ${"api".padEnd(long.length)} ${"svc".padEnd(28)} dev,prod,staging`), r.stdout);
    assert.ok(rows.includes(`  ✓ ${long} ${"svc".padEnd(28)} dev,staging`), r.stdout);
    // One column for the types, one for the environments, whatever the name's length.
    for (const column of [/^ {2}[✓○] \S+ +/, /^ {2}[✓○] \S+ +\S+ +/]) {
      assert.equal(new Set(rows.map((row) => column.exec(row)![0].length)).size, 1, r.stdout);
    }
  });

  test("environments: promotion (with strategy), policies k=v; -o json keeps the map as written (no defaults)", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const table = await runOrun(["get", "environments"], { cwd: dir });
    ok(table);
    assert.equal(
      table.stdout,
      "NAME      PROMOTES FROM                   TRIGGERS   COMPONENTS   POLICIES\n" +
        "dev       -                               -          2            -\n" +
        "prod      staging (environment-barrier)   -          1            -\n" +
        "staging   dev                             -          1            owner=platform,requireApproval=true\n" +
        "\n3 environments\n",
    );
    const json = await runOrun(["get", "environments", "-o", "json"], { cwd: dir });
    ok(json);
    const envs = JSON.parse(json.stdout) as Record<string, { promotion: { dependsOn: Record<string, unknown>[] }; policies: Record<string, unknown> }>;
    assert.deepEqual(Object.keys(envs), ["dev", "prod", "staging"]);
    assert.deepEqual(envs.staging!.promotion.dependsOn, [{ environment: "dev" }], "normalize's defaults are not filled in");
    assert.deepEqual(envs.staging!.policies, { requireApproval: "true", owner: "platform" });
  });

  test("bad input: the error names file and line, exit 1, nothing written", async () => {
    const broken = await writeRepo(baseRepo("environments:\n  dev: [\n"));
    for (const args of [["get", "components"], ["get", "environments"], ["get", "environments", "-o", "json"], ["component", "x"]]) {
      const r = await runOrun(args, { cwd: broken });
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, /^✕ intent\.yaml:1[0-9]/, `${args.join(" ")}: ${r.stderr}`);
    }
    const badPromotion = await writeRepo(baseRepo("environments:\n  dev:\n    promotion:\n      dependsOn: [{ environment: nope }]\n"));
    const r = await runOrun(["get", "environments"], { cwd: badPromotion });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^✕ intent\.yaml:13.*promotion dependency references non-existent environment "nope"/);
    const badName = await writeRepo(baseRepo("components:\n  - name: x\n    type: nosuch\n"));
    const unknownType = await runOrun(["get", "components"], { cwd: badName });
    assert.equal(unknownType.code, 1);
    assert.match(unknownType.stderr, /^✕ intent\.yaml:1[0-9].*component type not found: nosuch/);
    for (const dir of [broken, badPromotion, badName]) await assert.rejects(fs.access(path.join(dir, ".orun")));
  });

  test("plan --debug stops at the failing stage and writes no plan", async () => {
    const dir = await writeRepo(baseRepo(`${BODY}  - name: bad\n    type: svc\n    parameters: { replicas: many }\n`));
    const r = await runOrun(["plan", "--debug"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\n□ Validating component parameters\.\.\.\n$/, "the last stage line names where it failed");
    assert.match(r.stderr, /intent\.yaml:\d+.*component bad failed validation against type svc/);
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans")));
  });

  test("help lists the new commands and flags", async () => {
    const get = await runOrun(["get", "--help"]);
    assert.match(get.stdout, /components\|component \[options\] \[name\]/);
    assert.match(get.stdout, /environments\|environment \[options\]/);
    assert.match((await runOrun(["plan", "--help"])).stdout, /--debug/);
    assert.match((await runOrun(["validate", "--help"])).stdout, /--debug/);
  });
});

describe("orun component with change flags: the components `orun plan --changed` would plan", () => {
  test("on the platform example: --files selects the changed component and its dependencies, like plan --files", { skip }, async () => {
    const changed = "infra/infra-2/main.tf";
    const r = await runOrun(["component", "--files", changed, "-l"], { cwd: FIXTURES_DIR });
    ok(r);
    assert.equal(r.stderr, "changes: files given with --files\n");
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "2 components");
    assert.ok(lines.includes(`      selected:   changed: ${changed}`), r.stdout);
    assert.ok(lines.includes("      selected:   dependency of cluster-addons"), r.stdout);
    const listed = lines.filter((l) => l.startsWith("  ✓ ")).map((l) => l.split(/ +/)[2]);
    assert.deepEqual(listed, ["cluster-addons", "network-foundation"]);

    // The same set as the components of the plan `plan --files` compiles.
    const file = path.join(tmp, "changed-plan.json");
    ok(await runOrun(["plan", "--files", changed, "-o", file], { cwd: FIXTURES_DIR }));
    const plan = JSON.parse(await fs.readFile(file, "utf8")) as Plan;
    assert.deepEqual([...new Set(plan.jobs.map((j) => j.component))].sort(), listed);

    const json = await runOrun(["get", "components", "--files", changed, "-o", "json"], { cwd: FIXTURES_DIR });
    ok(json);
    assert.equal(json.stderr, "", "json output prints nothing on stderr");
    const rows = JSON.parse(json.stdout) as { name: string; changed: string[] }[];
    assert.deepEqual(
      rows.map((row) => [row.name, row.changed]),
      [
        ["cluster-addons", [`changed: ${changed}`]],
        ["network-foundation", ["dependency of cluster-addons"]],
      ],
    );

    const none = await runOrun(["component", "--files", "README.md", "--explain"], { cwd: FIXTURES_DIR });
    ok(none);
    assert.equal(none.stdout, "0 components\n");
    assert.match(none.stderr, /^changes: files given with --files\nchanged files \(1\):\n {2}README\.md\nselected components \(0 of 15\):\nfiles outside every component \(1\):\n {2}README\.md\n$/);
  });

  test("in a git repository: --changed against main, --uncommitted, a name filter, and bad flag combinations", async () => {
    const web = "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: web\nspec:\n  type: svc\n  dependsOn:\n    - component: api\n";
    const api = "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: api\nspec:\n  type: svc\n";
    const repo = GitRepo.create(baseRepo(`${THREE_ENVS}discovery:\n  roots: [apps/]\n`, { "apps/web/component.yaml": web, "apps/web/index.html": "<p>1</p>\n", "apps/api/component.yaml": api, "apps/api/main.go": "package main\n" }));
    try {
      repo.commit("initial");
      repo.git("checkout", "-q", "-b", "feature");
      repo.commit("web only", { "apps/web/index.html": "<p>2</p>\n" });

      const names = (stdout: string): string[] => stdout.split("\n").filter((l) => l.startsWith("  ✓ ")).map((l) => l.split(/ +/)[2]!);
      const vsMain = await runOrun(["component", "--changed"], { cwd: repo.dir });
      ok(vsMain);
      assert.deepEqual(names(vsMain.stdout), ["api", "web"], "web changed; api is its dependency");
      assert.match(vsMain.stderr, /^changes: base main \([0-9a-f]{7}\) → the working tree/);

      assert.deepEqual(names((await runOrun(["component", "--changed", "--base", "main", "--head", "HEAD", "api"], { cwd: repo.dir })).stdout), ["api"]);
      const clean = await runOrun(["component", "--uncommitted"], { cwd: repo.dir });
      ok(clean);
      assert.equal(clean.stdout, "0 components\n", "nothing uncommitted yet");
      repo.write({ "apps/api/main.go": "package main // edited\n" });
      assert.deepEqual(names((await runOrun(["component", "--uncommitted"], { cwd: repo.dir })).stdout), ["api"]);

      const conflict = await runOrun(["component", "--files", "a", "--base", "main"], { cwd: repo.dir });
      assert.equal(conflict.code, 1);
      assert.match(conflict.stderr, /--files conflicts with --uncommitted, --untracked, --base, and --head/);
      const impact = await runOrun(["component", "--changed", "--intent-impact", "some"], { cwd: repo.dir });
      assert.equal(impact.code, 1);
      assert.match(impact.stderr, /invalid --intent-impact "some" \(valid: all, watch, none\)/);
      await assert.rejects(fs.access(path.join(repo.dir, ".orun")), "listing writes nothing");
    } finally {
      repo.remove();
    }
  });
});
