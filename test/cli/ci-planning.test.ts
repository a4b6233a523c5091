// CI-driven planning through the real `orun` binary against real git
// repositories: trigger bindings (events, named triggers), change detection,
// profileRules by trigger, presets, `orun run` with change flags, and
// working-directory scoping.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { FIXTURES_DIR, runOrun, SHARED_DIR } from "../support/cli.js";
import { GitRepo, tempDir } from "../planner/changes/git-repo.js";

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: ci-shop}
compositions:
  sources:
    - {name: local, kind: dir, path: ./comps}
discovery:
  roots: [apps, infra]
automation:
  triggerBindings:
    pr:
      on: {provider: github, event: pull_request, actions: [opened, synchronize], baseBranches: [main]}
      plan: {scope: changed, base: pull_request.base.sha, head: pull_request.head.sha}
    push-main:
      on: {provider: github, event: push, branches: [main]}
      plan: {scope: changed, base: before, head: after}
    release:
      on: {provider: github, event: push, tags: ["v*"]}
      plan: {scope: full}
groups:
  shop: {}
environments:
  dev:
    selectors: {components: ["*"]}
    activation: {triggerRefs: [pr]}
  staging:
    selectors: {components: ["*"]}
    activation: {triggerRefs: [push-main]}
  production:
    selectors: {components: ["*"]}
    activation: {triggerRefs: [release]}
`;

const SVC = `apiVersion: sourceplane.io/v1
kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object}
  jobs:
    - name: deploy
      steps:
        - {name: deploy, run: "echo {{.orun.component.name}} > ran-{{.orun.environment.name}}.txt"}
`;

const TF = `apiVersion: sourceplane.io/v1
kind: Composition
metadata: {name: tf}
spec:
  type: tf
  defaultJob: plan
  defaultProfile: verify
  parameterSchema: {type: object}
  jobs:
    - name: plan
      steps:
        - {name: init, capability: tf.init, run: "echo init > ran-{{.orun.environment.name}}.txt"}
        - {name: apply, capability: tf.apply, run: echo apply}
  executionProfiles:
    verify:
      jobs: {plan: {includeCapabilities: [tf.init]}}
    apply:
      jobs: {plan: {stepsEnabled: [init, apply]}}
`;

const component = (name: string, type: string, extra = ""): string => `apiVersion: sourceplane.io/v1
kind: Component
metadata: {name: ${name}}
spec:
  type: ${type}
${extra}`;

function shopFiles(): Record<string, string> {
  return {
    "intent.yaml": INTENT,
    "README.md": "# shop\n",
    "comps/stack.yaml": "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: shop-stack, version: 0.1.0}\n",
    "comps/svc/compositions.yaml": SVC,
    "comps/tf/compositions.yaml": TF,
    "infra/network/component.yaml": component(
      "network",
      "tf",
      "  subscribe:\n    environments:\n      - dev\n      - name: staging\n        profile: verify\n        profileRules:\n          - {profile: apply, when: {triggerRef: push-main}}\n      - production\n",
    ),
    "infra/network/main.tf": "# v1\n",
    "apps/api/component.yaml": component("api", "svc", "  dependsOn:\n    - component: network\n"),
    "apps/api/index.ts": "1\n",
    "apps/web/component.yaml": component("web", "svc", "  dependsOn:\n    - component: api\n  change:\n    watches: [environments]\n"),
    "apps/web/index.html": "1\n",
  };
}

const jobIds = (plan: Plan): string[] => plan.jobs.map((j) => j.id).sort();

describe("orun plan with triggers and change detection (real git repository)", () => {
  let repo: GitRepo;
  let out: string;
  let v1: string;
  let feature: string;
  let afterPush: string;
  let n = 0;

  /** Runs `orun plan … -o <tmp>` and returns the result with the written plan. */
  async function plan(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    const file = path.join(out, `plan-${++n}.json`);
    const result = await runOrun(["plan", ...args, "-o", file], { cwd: options.cwd ?? repo.dir, env: { GITHUB_ACTIONS: "", GITHUB_EVENT_NAME: "", ...options.env } });
    const written = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Plan) : undefined;
    return { ...result, plan: written };
  }
  const event = (name: string, payload: unknown): string => {
    const file = path.join(out, name);
    writeFileSync(file, JSON.stringify(payload));
    return file;
  };

  before(() => {
    out = tempDir("orun-ci-out-");
    repo = GitRepo.create();
    v1 = repo.commit("v1", shopFiles());
    repo.git("tag", "v1.0.0");
    repo.git("checkout", "-q", "-b", "feature/api");
    feature = repo.commit("api change", { "apps/api/index.ts": "2\n" });
    repo.git("checkout", "-q", "main");
    repo.git("checkout", "-q", "-b", "feature/envs");
    repo.commit("environments change", { "intent.yaml": INTENT.replace("  production:\n", "  production:\n    env: {REGION: eu}\n") });
    repo.git("checkout", "-q", "main");
    repo.git("checkout", "-q", "-b", "feature/groups");
    repo.commit("groups change", { "intent.yaml": INTENT.replace("  shop: {}", "  shop: {policies: {owner: team}}") });
    repo.git("checkout", "-q", "main");
    repo.git("checkout", "-q", "-b", "feature/readme");
    repo.commit("docs only", { "README.md": "# shop v2\n", ".github/workflows/ci.yml": "on: push\n" });
    repo.git("checkout", "-q", "main");
    afterPush = repo.commit("network change on main", { "infra/network/main.tf": "# v2\n" });
  });
  after(() => {
    repo.remove();
    rmSync(out, { recursive: true, force: true });
  });

  test("pull_request event: dev only, the changed component and its dependencies, trigger recorded", async () => {
    const file = event("pr.json", { action: "opened", pull_request: { base: { ref: "main", sha: afterPush }, head: { ref: "feature/api", sha: feature } } });
    const r = await plan(["--from-ci", "github", "--event-file", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jobIds(r.plan!), ["api@dev.deploy", "network@dev.plan"]);
    assert.match(r.stdout, /mode: changed-only/);
    assert.deepEqual(r.plan!.metadata.trigger, {
      mode: "event-file",
      provider: "github",
      event: "pull_request",
      action: "opened",
      matchedBindings: ["pr"],
      activeEnvironments: ["dev"],
      activatedBy: { dev: ["pr"] },
      scope: "changed",
      base: afterPush,
      head: feature,
    });
    assert.deepEqual(r.plan!.metadata.scope, { components: ["api", "network"] });
  });

  test("push to main: staging, the pushed component; profileRules pick the profile for the trigger", async () => {
    const file = event("push.json", { ref: "refs/heads/main", before: v1, after: afterPush });
    const r = await plan(["--from-ci", "github", "--event-file", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jobIds(r.plan!), ["network@staging.plan"]);
    const job = r.plan!.jobs[0]!;
    assert.deepEqual([job.profile, job.profileSource, job.profileRuleTriggerRef], ["tf.apply", "subscription-rule", "push-main"]);
    assert.deepEqual(job.steps.map((s) => s.id), ["init", "apply"]);
    // Without the trigger the subscription's own profile applies.
    const plain = await plan(["--component", "network", "-e", "staging"]);
    assert.deepEqual([plain.plan!.jobs[0]!.profile, plain.plan!.jobs[0]!.profileSource], ["tf.verify", "subscription"]);
  });

  test("tag release: production, every component (full scope)", async () => {
    const file = event("tag.json", { ref: "refs/tags/v1.0.0", before: "0".repeat(40), after: v1 });
    const r = await plan(["--from-ci", "github", "--event-file", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jobIds(r.plan!), ["api@production.deploy", "network@production.plan", "web@production.deploy"]);
    assert.equal(r.plan!.metadata.trigger?.scope, "full");
    assert.equal(r.plan!.metadata.scope, undefined);
    assert.doesNotMatch(r.stdout, /changed-only/);
  });

  test("a named trigger whose binding declares no plan.scope records scope \"\" (spec 12 §6.1, case 22), plans the full scope, and the checksum is unchanged", async () => {
    const declared = await plan(["--trigger", "release", "--explain"]);
    assert.equal(declared.code, 0, declared.stderr);
    assert.equal(declared.plan!.metadata.trigger?.scope, "full");
    const intentFile = path.join(repo.dir, "intent.yaml");
    writeFileSync(intentFile, INTENT.replace("      plan: {scope: full}\n", ""));
    try {
      const undeclared = await plan(["--trigger", "release", "--explain"]);
      assert.equal(undeclared.code, 0, undeclared.stderr);
      assert.equal(undeclared.plan!.metadata.trigger?.scope, "");
      assert.match(undeclared.stderr, /scope full \(the binding declares none\)/);
      assert.deepEqual(jobIds(undeclared.plan!), jobIds(declared.plan!));
      // metadata.trigger is outside the checksum (spec 12 §0 step 18): "" or "full" there hash the same.
      const written = undeclared.plan!;
      assert.equal(computePlanChecksum(written), written.metadata.checksum);
      const asFull = { ...written, metadata: { ...written.metadata, trigger: { ...written.metadata.trigger!, scope: "full" as const } } };
      assert.equal(computePlanChecksum(asFull), written.metadata.checksum);
    } finally {
      writeFileSync(intentFile, INTENT);
    }
  });

  test("named trigger with --base/--head simulates the PR locally; --explain says why", async () => {
    const r = await plan(["--trigger", "pr", "--base", "main", "--head", "feature/api", "--explain"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jobIds(r.plan!), ["api@dev.deploy", "network@dev.plan"]);
    assert.deepEqual([r.plan!.metadata.trigger?.mode, r.plan!.metadata.trigger?.base, r.plan!.metadata.trigger?.head], ["named-trigger", "main", "feature/api"]);
    assert.match(r.stderr, /trigger: named trigger pr; matched pr; scope changed/);
    assert.match(r.stderr, /dev {2}activated by pr/);
    assert.match(r.stderr, /\n {2}api +changed: apps\/api\/index\.ts\n {2}network +dependency of api\n/);
  });

  test("intent change: a watched section selects the watchers, an unwatched one selects nothing", async () => {
    const watched = await plan(["--changed", "--base", "main", "--head", "feature/envs", "-e", "dev", "--explain"]);
    assert.equal(watched.code, 0, watched.stderr);
    assert.deepEqual(jobIds(watched.plan!), ["api@dev.deploy", "network@dev.plan", "web@dev.deploy"]);
    assert.match(watched.stderr, /intent file changed: sections environments/);
    assert.match(watched.stderr, /\n {2}web +watches environments/);
    const unwatched = await plan(["--changed", "--base", "main", "--head", "feature/groups", "--explain"]);
    assert.equal(unwatched.code, 0, unwatched.stderr);
    assert.deepEqual(jobIds(unwatched.plan!), []);
    assert.match(unwatched.stderr, /intent file changed: sections groups\nselected components \(0 of 3\)/);
    const all = await plan(["--changed", "--base", "main", "--head", "feature/groups", "--intent-impact", "all", "-e", "dev"]);
    assert.equal(all.plan!.jobs.length, 3);
  });

  test("files outside every component select nothing and are reported", async () => {
    const r = await plan(["--changed", "--base", "main", "--head", "feature/readme", "--explain"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jobIds(r.plan!), []);
    assert.match(r.stdout, /0 components × 3 envs → 0 jobs/);
    assert.match(r.stderr, /files outside every component \(2\):\n {2}\.github\/workflows\/ci\.yml\n {2}README\.md/);
  });

  test("--uncommitted and --untracked", async () => {
    repo.write({ "apps/web/index.html": "dirty\n", "infra/network/new.tf": "# new\n" });
    try {
      const uncommitted = await plan(["--uncommitted", "-e", "dev"]);
      assert.deepEqual(jobIds(uncommitted.plan!), ["api@dev.deploy", "network@dev.plan", "web@dev.deploy"]);
      const untracked = await plan(["--untracked", "-e", "dev"]);
      assert.deepEqual(jobIds(untracked.plan!), ["network@dev.plan"]);
    } finally {
      repo.git("checkout", "-q", "--", ".");
      repo.git("clean", "-qfd");
    }
  });

  test("bad input: unknown trigger, malformed event file, a ref that does not exist, not a git repository", async () => {
    const unknown = await plan(["--trigger", "relase"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^✕ .*trigger binding "relase" was not found in automation\.triggerBindings \(did you mean "release"\?/m);
    const broken = path.join(out, "broken.json");
    writeFileSync(broken, '{\n  "ref": "refs/heads/main",\n  "before": \n}\n');
    const malformed = await plan(["--from-ci", "github", "--event-file", broken]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, new RegExp(`^✕ ${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:4:1: malformed event file: not valid JSON \\(unexpected "}"\\)`, "m"));
    const noRef = await plan(["--changed", "--base", "release/9.9"]);
    assert.equal(noRef.code, 1);
    assert.match(noRef.stderr, /✕ .*base ref "release\/9\.9" does not exist/);
    const provider = await plan(["--from-ci", "gitlab", "--event-file", broken]);
    assert.match(provider.stderr, /unsupported event provider: gitlab/);
    const conflict = await plan(["--trigger", "pr", "--event-file", broken, "--from-ci", "github"]);
    assert.match(conflict.stderr, /--trigger and --event-file are mutually exclusive/);
    assert.ok(!existsSync(path.join(repo.dir, ".orun", "plans")), "failed plans store nothing");

    const plain = tempDir("orun-ci-nogit-");
    try {
      for (const [rel, text] of Object.entries(shopFiles())) {
        const file = path.join(plain, rel);
        rmSync(file, { force: true });
        await import("node:fs").then((fs) => {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, text);
        });
      }
      const noGit = await plan(["--changed", "--base", "main"], { cwd: plain });
      assert.equal(noGit.code, 1);
      assert.match(noGit.stderr, /✕ .* is not inside a git repository/);
      const files = await plan(["--files", "apps/web/index.html", "-e", "dev"], { cwd: plain });
      assert.equal(files.code, 0, files.stderr);
      assert.deepEqual(jobIds(files.plan!), ["api@dev.deploy", "network@dev.plan", "web@dev.deploy"]);
      // `--files "$CHANGED"` with nothing changed: no component changed, so nothing is planned (not everything).
      const none = await plan(["--files", "", "-e", "dev"], { cwd: plain });
      assert.equal(none.code, 0, none.stderr);
      assert.deepEqual(jobIds(none.plan!), []);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  test("orun validate checks profileRules and trigger references", async () => {
    const dir = tempDir("orun-ci-validate-");
    try {
      const fs = await import("node:fs");
      const files = shopFiles();
      files["apps/api/component.yaml"] = component("api", "svc", "  subscribe:\n    environments:\n      - name: dev\n        profileRules:\n          - {profile: x, when: {triggerRef: nope}}\n");
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const r = await runOrun(["validate"], { cwd: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /trigger validation failed:\n {2}.*component "api" subscription "dev": profile is required when profileRules is defined/);
      assert.match(r.stderr, /profileRules\[0\]\.when\.triggerRef "nope" does not exist in automation\.triggerBindings/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("orun run with change flags and working-directory scoping", () => {
  let repo: GitRepo;
  before(() => {
    repo = GitRepo.create();
    repo.commit("v1", shopFiles());
    repo.git("checkout", "-q", "-b", "feature");
    repo.commit("web change", { "apps/web/index.html": "2\n" });
  });
  after(() => repo.remove());
  const env = { GITHUB_ACTIONS: "", ORUN_RUNNER: "", NO_COLOR: "1" };
  const ran = (rel: string) => existsSync(path.join(repo.dir, rel));

  test("orun run --changed runs a fresh plan of the changed component and its dependencies only", async () => {
    const r = await runOrun(["run", "--changed", "--base", "main", "--head", "feature", "-e", "dev", "--runner", "local"], { cwd: repo.dir, env });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(ran("apps/web/ran-dev.txt") && ran("apps/api/ran-dev.txt") && ran("infra/network/ran-dev.txt"));
    assert.ok(!ran("apps/web/ran-staging.txt"), "-e dev keeps other environments out");
    const latest = JSON.parse(readFileSync(path.join(repo.dir, ".orun/plans/latest.json"), "utf8")) as Plan;
    assert.deepEqual(latest.metadata.scope, { components: ["api", "network", "web"] });
    for (const f of ["apps/web/ran-dev.txt", "apps/api/ran-dev.txt", "infra/network/ran-dev.txt"]) rmSync(path.join(repo.dir, f));

    const only = await runOrun(["run", "--files", "infra/network/main.tf", "-e", "staging", "--runner", "local"], { cwd: repo.dir, env });
    assert.equal(only.code, 0, `${only.stdout}\n${only.stderr}`);
    assert.ok(ran("infra/network/ran-staging.txt"));
    assert.ok(!ran("apps/api/ran-staging.txt"), "dependents of a changed component are not selected");
    const refAndFlags = await runOrun(["run", "latest", "--changed"], { cwd: repo.dir, env });
    assert.equal(refAndFlags.code, 1);
    assert.match(refAndFlags.stderr, /cannot be combined with the plan "latest"/);
  });

  test("inside a component folder: run and get jobs scope to it and its dependencies; --all disables; mismatch warns", async () => {
    const api = path.join(repo.dir, "apps/api");
    const scoped = await runOrun(["run", "--dry-run", "-e", "dev"], { cwd: api, env });
    assert.equal(scoped.code, 0, scoped.stderr);
    assert.match(scoped.stderr, /context: auto-scoped to component api \(\+ 1 dependency: network\)\nhint: pass --all to include all components/);
    assert.match(scoped.stdout, /api@dev\.deploy/);
    assert.match(scoped.stdout, /network@dev\.plan/);
    assert.doesNotMatch(scoped.stdout, /web@dev\.deploy/);

    const all = await runOrun(["run", "--dry-run", "-e", "dev", "--all"], { cwd: api, env });
    assert.doesNotMatch(all.stderr, /auto-scoped/);
    assert.match(all.stdout, /web@dev\.deploy/);

    const named = await runOrun(["run", "web", "--dry-run", "-e", "dev"], { cwd: api, env });
    assert.equal(named.code, 0, named.stderr);
    assert.doesNotMatch(named.stderr, /auto-scoped/, "a component named on the command line wins over the folder");
    assert.match(named.stdout, /web@dev\.deploy/);

    const full = await runOrun(["plan"], { cwd: repo.dir, env });
    assert.equal(full.code, 0, full.stderr);
    const jobs = await runOrun(["get", "jobs", "-o", "json"], { cwd: api, env });
    assert.deepEqual((JSON.parse(jobs.stdout) as { id: string }[]).map((j) => j.id.split("@")[0]).sort(), ["api", "api", "api", "network", "network", "network"]);
    const allJobs = await runOrun(["get", "jobs", "-o", "json", "--all"], { cwd: api, env });
    assert.equal((JSON.parse(allJobs.stdout) as unknown[]).length, 9);

    // A plan made for web (web, api, network) run from api's folder (api, network).
    const made = await runOrun(["plan", "web"], { cwd: repo.dir, env });
    assert.equal(made.code, 0, made.stderr);
    const mismatch = await runOrun(["run", "latest", "--dry-run"], { cwd: api, env });
    assert.match(mismatch.stderr, /warning: plan was generated for \[api, network, web\] but current scope is \[api, network\]/);
  });
});

describe("the v2.3 example repository", { skip: !existsSync(SHARED_DIR) }, () => {
  test("--trigger github-tag-release and a tag push event both plan production only", async () => {
    const out = tempDir("orun-ci-fixture-");
    try {
      const named = await runOrun(["plan", "--trigger", "github-tag-release", "-o", path.join(out, "a.json")], { cwd: FIXTURES_DIR });
      assert.equal(named.code, 0, named.stderr);
      const a = JSON.parse(readFileSync(path.join(out, "a.json"), "utf8")) as Plan;
      assert.equal(a.jobs.length, 13);
      assert.ok(a.jobs.every((j) => j.environment === "production"));
      writeFileSync(path.join(out, "tag.json"), JSON.stringify({ ref: "refs/tags/v2.0.0", before: "0".repeat(40), after: "abc" }));
      const fromEvent = await runOrun(["plan", "--from-ci", "github", "--event-file", path.join(out, "tag.json"), "-o", path.join(out, "b.json")], {
        cwd: FIXTURES_DIR,
        env: { GITHUB_EVENT_NAME: "push" },
      });
      assert.equal(fromEvent.code, 0, fromEvent.stderr);
      const b = JSON.parse(readFileSync(path.join(out, "b.json"), "utf8")) as Plan;
      assert.deepEqual(b.jobs.map((j) => j.id), a.jobs.map((j) => j.id));
      assert.deepEqual(b.metadata.trigger?.matchedBindings, ["github-tag-release"]);
      const changed = await runOrun(["plan", "--changed", "--files", "infra/infra-1/main.tf", "-o", path.join(out, "c.json")], { cwd: FIXTURES_DIR });
      assert.equal(changed.code, 0, changed.stderr);
      const c = JSON.parse(readFileSync(path.join(out, "c.json"), "utf8")) as Plan;
      assert.deepEqual(c.jobs.map((j) => j.id).sort(), ["network-foundation@development.validate", "network-foundation@production.validate", "network-foundation@staging.validate"]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("intent presets through orun plan", () => {
  test("a Stack's preset supplies bindings, activation and env; the repository's values win", async () => {
    const dir = tempDir("orun-ci-presets-");
    try {
      const fs = await import("node:fs");
      const files: Record<string, string> = {
        "intent.yaml": [
          "apiVersion: sourceplane.io/v1",
          "kind: Intent",
          "metadata: {name: preset-shop}",
          "compositions:",
          "  sources:",
          "    - {name: platform, kind: dir, path: ./comps}",
          "extends:",
          "  - {source: platform, preset: standard}",
          "env: {OWNER: repo}",
          "environments:",
          "  dev:",
          "    selectors: {components: [\"*\"]}",
          "components:",
          "  - {name: a, type: svc}",
          "",
        ].join("\n"),
        "comps/stack.yaml": "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: platform, version: 1.0.0}\nspec:\n  intentPresets:\n    - {name: standard, path: presets/standard.yaml}\n",
        "comps/svc/compositions.yaml": SVC,
        "comps/presets/standard.yaml": [
          "apiVersion: sourceplane.io/v1",
          "kind: IntentPreset",
          "metadata: {name: standard}",
          "spec:",
          "  env: {OWNER: platform, ORG: acme}",
          "  automation:",
          "    triggerBindings:",
          "      pr: {on: {provider: github, event: pull_request}, plan: {scope: full}}",
          "  environments:",
          "    dev:",
          "      activation: {triggerRefs: [pr]}",
          "    prod:",
          "      selectors: {components: [\"*\"]}",
          "",
        ].join("\n"),
      };
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const full = await runOrun(["plan", "-o", path.join(dir, "full.json")], { cwd: dir });
      assert.equal(full.code, 0, full.stderr);
      const fullPlan = JSON.parse(readFileSync(path.join(dir, "full.json"), "utf8")) as Plan;
      assert.deepEqual(jobIds(fullPlan), ["a@dev.deploy", "a@prod.deploy"], "the preset's prod environment is planned");
      assert.deepEqual(fullPlan.jobs[0]!.env, { ORG: "acme", OWNER: "repo" });
      const pr = await runOrun(["plan", "--trigger", "pr", "-o", path.join(dir, "pr.json")], { cwd: dir });
      assert.equal(pr.code, 0, pr.stderr);
      const prPlan = JSON.parse(readFileSync(path.join(dir, "pr.json"), "utf8")) as Plan;
      assert.deepEqual(jobIds(prPlan), ["a@dev.deploy"]);
      assert.deepEqual(prPlan.metadata.trigger?.activeEnvironments, ["dev"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
