// CI events against a real git repository: which environments and which
// components a plan would cover for a PR, a push to main, a tag release and a
// named trigger simulated locally with --base/--head.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { resolveCiScope, triggerInfoFor, type BindingLike, type CiPlanningFlags, type TriggerIntent } from "../../../src/planner/triggers/index.js";
import { selectChangedComponents, type ChangeComponent } from "../../../src/planner/changes/index.js";
import { GitRepo, tempDir } from "../changes/git-repo.js";

const bind = (on: Partial<BindingLike["on"]> & { event: string }, plan: BindingLike["plan"]): BindingLike => ({
  on: { provider: "github", actions: [], branches: [], baseBranches: [], tags: [], ...on },
  plan,
});

// The fixture's bindings (orun-v2.3-examples/intent.yaml), trimmed.
const INTENT: TriggerIntent = {
  automation: {
    triggerBindings: {
      "github-pull-request": bind({ event: "pull_request", actions: ["opened", "synchronize"], baseBranches: ["main"] }, { scope: "changed", base: "pull_request.base.sha", head: "pull_request.head.sha" }),
      "github-push-main": bind({ event: "push", branches: ["main"] }, { scope: "changed", base: "before", head: "after" }),
      "github-tag-release": bind({ event: "push", tags: ["v*"] }, { scope: "full" }),
    },
  },
  environments: {
    development: { activation: { triggerRefs: ["github-pull-request"] } },
    staging: { activation: { triggerRefs: ["github-push-main"] } },
    production: { activation: { triggerRefs: ["github-tag-release"] } },
  },
};

const COMPONENTS: ChangeComponent[] = [
  { name: "network", paths: ["infra/network"], sourcePath: "infra/network/component.yaml", dependsOn: [], watches: [] },
  { name: "api", paths: ["apps/api"], sourcePath: "apps/api/component.yaml", dependsOn: ["network"], watches: [] },
  { name: "web", paths: ["apps/web"], sourcePath: "apps/web/component.yaml", dependsOn: ["api"], watches: [] },
  { name: "docs", paths: ["docs"], sourcePath: "docs/component.yaml", dependsOn: [], watches: ["environments"] },
];

/** What a plan would cover: the trigger's environments and, in changed scope, the selected components. */
async function planIn(dir: string, flags: CiPlanningFlags & { env?: string }) {
  const scope = await resolveCiScope(INTENT, flags, { cwd: dir, intentFile: path.join(dir, "intent.yaml"), env: {}, ...(flags.env ? { envFilter: flags.env } : {}) });
  const selection = scope.set
    ? selectChangedComponents({ components: COMPONENTS, changedFiles: scope.set.changedFiles, intentFile: scope.set.intentFile, intentDiff: scope.set.intentDiff, intentImpact: scope.intentImpact })
    : undefined;
  return {
    environments: scope.trigger?.activeEnvironments,
    components: selection?.components,
    selection,
    triggerInfo: scope.trigger ? triggerInfoFor(scope.trigger, scope.set) : undefined,
  };
}

describe("CI-driven planning against a real repository", () => {
  let repo: GitRepo;
  let events: string;
  let v1: string;
  let featureSha: string;
  let mainBefore: string;
  let mainAfter: string;

  const plan = (flags: CiPlanningFlags & { env?: string }) => planIn(repo.dir, flags);
  const event = (name: string, payload: unknown): string => {
    const file = path.join(events, name);
    writeFileSync(file, JSON.stringify(payload));
    return file;
  };

  before(() => {
    events = tempDir("orun-events-");
    repo = GitRepo.create();
    v1 = repo.commit("v1", {
      "intent.yaml": "environments: {development: {}, staging: {}, production: {}}\n",
      "infra/network/component.yaml": "metadata: {name: network}\n",
      "infra/network/main.tf": "# v1\n",
      "apps/api/component.yaml": "metadata: {name: api}\n",
      "apps/api/index.ts": "1\n",
      "apps/web/component.yaml": "metadata: {name: web}\n",
      "apps/web/index.html": "1\n",
      "docs/component.yaml": "metadata: {name: docs}\n",
      "docs/index.md": "1\n",
    });
    repo.git("tag", "v1.0.0");
    mainBefore = v1;
    repo.git("checkout", "-q", "-b", "feature/web");
    featureSha = repo.commit("web change", { "apps/web/index.html": "2\n" });
    repo.git("checkout", "-q", "main");
    mainAfter = repo.commit("api change on main", { "apps/api/index.ts": "2\n", "README.md": "readme\n" });
    repo.git("tag", "v1.1.0");
  });
  after(() => {
    repo.remove();
    rmSync(events, { recursive: true, force: true });
  });

  test("pull request event: development only, the PR's components plus their dependencies", async () => {
    const file = event("pr.json", {
      action: "opened",
      pull_request: { base: { ref: "main", sha: mainAfter }, head: { ref: "feature/web", sha: featureSha } },
    });
    const result = await plan({ fromCi: "github", eventFile: file });
    assert.deepEqual(result.environments, ["development"]);
    assert.deepEqual(result.components, ["api", "network", "web"]);
    assert.deepEqual(result.selection?.reasons.web, [{ kind: "files", files: ["apps/web/index.html"] }]);
    // The merge base is v1: main's own api change is not part of the PR, api is only a dependency.
    assert.deepEqual(result.selection?.reasons.api, [{ kind: "dependency", of: ["web"] }]);
    assert.deepEqual(result.triggerInfo, {
      mode: "event-file",
      provider: "github",
      event: "pull_request",
      action: "opened",
      matchedBindings: ["github-pull-request"],
      activeEnvironments: ["development"],
      activatedBy: { development: ["github-pull-request"] },
      scope: "changed",
      base: mainAfter,
      head: featureSha,
    });
  });

  test("push to main: staging only, the pushed commits' components; files outside components reported", async () => {
    const file = event("push.json", { ref: "refs/heads/main", before: mainBefore, after: mainAfter });
    const result = await plan({ fromCi: "github", eventFile: file });
    assert.deepEqual(result.environments, ["staging"]);
    assert.deepEqual(result.components, ["api", "network"]);
    assert.deepEqual(result.selection?.unownedFiles, ["README.md"]);
    assert.equal(result.triggerInfo?.scope, "changed");
    assert.deepEqual([result.triggerInfo?.base, result.triggerInfo?.head], [mainBefore, mainAfter]);
  });

  test("tag release: production, every component (full scope), no git needed", async () => {
    const file = event("tag.json", { ref: "refs/tags/v1.1.0", before: "0".repeat(40), after: mainAfter });
    const result = await plan({ fromCi: "github", eventFile: file });
    assert.deepEqual(result.environments, ["production"]);
    assert.equal(result.components, undefined, "full scope keeps every component");
    assert.equal(result.selection, undefined);
    assert.deepEqual(result.triggerInfo?.matchedBindings, ["github-tag-release"]);
    assert.equal(result.triggerInfo?.scope, "full");
  });

  test("a push that matches no binding is an error naming the event", async () => {
    const file = event("other.json", { ref: "refs/heads/feature/web", before: v1, after: featureSha });
    await assert.rejects(plan({ fromCi: "github", eventFile: file }), /no trigger binding matched github event push on branch feature\/web/);
  });

  test("named trigger simulated locally with --base/--head", async () => {
    const result = await plan({ trigger: "github-pull-request", base: "main", head: "feature/web" });
    assert.deepEqual(result.environments, ["development"]);
    assert.deepEqual(result.components, ["api", "network", "web"]);
    assert.deepEqual(
      { mode: result.triggerInfo?.mode, base: result.triggerInfo?.base, head: result.triggerInfo?.head, scope: result.triggerInfo?.scope },
      { mode: "named-trigger", base: "main", head: "feature/web" , scope: "changed" },
    );
    const tags = await plan({ trigger: "github-push-main", base: "v1.0.0", head: "v1.1.0" });
    assert.deepEqual([tags.environments, tags.components], [["staging"], ["api", "network"]]);
  });

  test("named full-scope trigger ignores change flags' absence; --changed without a trigger scopes components only", async () => {
    const full = await plan({ trigger: "github-tag-release" });
    assert.deepEqual([full.environments, full.components], [["production"], undefined]);
    const changed = await plan({ changed: true, base: "v1.0.0", head: "feature/web" });
    assert.deepEqual([changed.environments, changed.components, changed.triggerInfo], [undefined, ["api", "network", "web"], undefined]);
    const nothing = await plan({});
    assert.deepEqual(nothing, { environments: undefined, components: undefined, selection: undefined, triggerInfo: undefined });
    const implied = await plan({ files: ["apps/api/index.ts"] });
    assert.deepEqual(implied.components, ["api", "network"], "a change flag alone means changed mode");
  });

  test("--env narrows the trigger's environments", async () => {
    await assert.rejects(plan({ trigger: "github-tag-release", env: "staging" }), /environment staging is not activated by trigger github-tag-release/);
    const ok = await plan({ trigger: "github-tag-release", env: "production" });
    assert.deepEqual(ok.environments, ["production"]);
  });

  test("bad input: unknown trigger, malformed event file, a ref that does not exist, not a git repository", async () => {
    await assert.rejects(plan({ trigger: "github-pull-requests" }), /trigger binding "github-pull-requests" was not found.*did you mean "github-pull-request"/s);
    const broken = path.join(events, "broken.json");
    writeFileSync(broken, '{"ref": "refs/heads/main",');
    await assert.rejects(plan({ fromCi: "github", eventFile: broken }), (err: Error) => err.message.startsWith(`${broken}:1:`) && /malformed event file: not valid JSON/.test(err.message));
    const missingRef = event("pr-missing.json", { action: "opened", pull_request: { base: { ref: "main", sha: "f".repeat(40) }, head: { ref: "x", sha: featureSha } } });
    await assert.rejects(plan({ fromCi: "github", eventFile: missingRef }), new RegExp(`base ref "${"f".repeat(40)}" does not exist`));
    const notRepo = tempDir("orun-norepo-");
    try {
      writeFileSync(path.join(notRepo, "intent.yaml"), "{}\n");
      await assert.rejects(planIn(notRepo, { trigger: "github-push-main" }), /is not inside a git repository/);
    } finally {
      rmSync(notRepo, { recursive: true, force: true });
    }
  });
});
