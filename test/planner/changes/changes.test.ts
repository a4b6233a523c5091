import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import { detectChangedComponents, collectChanges, type ChangeComponent } from "../../../src/planner/changes/index.js";
import { GitRepo, tempDir } from "./git-repo.js";
import { rmSync } from "node:fs";

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: shop
# environments every component can use
environments:
  dev:
    selectors:
      components: ["*"]
  prod:
    selectors:
      components: ["*"]
components:
  - name: inline-root
    type: svc
    path: ./
    parameters:
      replicas: 1
`;

const COMPONENTS: ChangeComponent[] = [
  { name: "api", paths: ["apps/api"], sourcePath: "apps/api/component.yaml", dependsOn: ["lib"], watches: [] },
  { name: "web", paths: ["apps/web"], sourcePath: "apps/web/component.yaml", dependsOn: ["api"], watches: ["environments"] },
  { name: "lib", paths: ["apps/lib"], sourcePath: "apps/lib/component.yaml", dependsOn: [], watches: [] },
  { name: "inline-root", paths: ["./"], dependsOn: [], watches: [] },
];

/** UTF-16LE with a byte-order mark. */
const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);

function baseFiles(): Record<string, string> {
  return {
    "intent.yaml": INTENT,
    "README.md": "# shop\n",
    ".gitignore": "*.log\n",
    "apps/api/component.yaml": "metadata: {name: api}\n",
    "apps/api/src/x.ts": "export const x = 1;\n",
    "apps/web/component.yaml": "metadata: {name: web}\n",
    "apps/web/index.html": "<p>hi</p>\n",
    "apps/lib/component.yaml": "metadata: {name: lib}\n",
    "apps/lib/src/a.ts": "export const a = 1;\n",
  };
}

describe("change detection in a real git repository", () => {
  let repo: GitRepo;
  let mainSha: string;
  const ctx = () => ({ cwd: repo.dir, intentFile: repo.path("intent.yaml"), env: {} });

  before(() => {
    repo = GitRepo.create();
    mainSha = repo.commit("initial", baseFiles());
    repo.git("checkout", "-q", "-b", "feature/api");
    repo.commit("touch api", { "apps/api/src/x.ts": "export const x = 2;\n" });
    repo.git("checkout", "-q", "main");
    repo.git("checkout", "-q", "-b", "feature/envs");
    repo.commit("change environments", { "intent.yaml": INTENT.replace("  prod:\n", "  prod:\n    env: {REGION: eu}\n") });
    repo.git("checkout", "-q", "main");
    repo.git("checkout", "-q", "-b", "feature/comment");
    repo.commit("reformat", { "intent.yaml": `# a new comment\n${INTENT.replace("components: [\"*\"]", "components:\n        - \"*\"")}` });
    repo.git("checkout", "-q", "main");
    repo.git("checkout", "-q", "-b", "feature/inline");
    repo.commit("inline param", { "intent.yaml": INTENT.replace("replicas: 1", "replicas: 3") });
    repo.git("checkout", "-q", "main");
    // The same intent saved as UTF-16 (as some Windows editors do), then edited in UTF-16.
    repo.git("checkout", "-q", "-b", "feature/utf16");
    writeFileSync(repo.path("intent.yaml"), utf16(INTENT));
    repo.commit("re-encode intent.yaml");
    repo.git("checkout", "-q", "-b", "feature/utf16-envs");
    writeFileSync(repo.path("intent.yaml"), utf16(INTENT.replace("  prod:\n", "  prod:\n    env: {REGION: eu}\n")));
    repo.commit("change environments in UTF-16");
    repo.git("checkout", "-q", "main");
    repo.git("tag", "v1.0.0", mainSha);
    repo.commit("main moves on", { "apps/web/index.html": "<p>main</p>\n" });
  });
  after(() => repo.remove());

  test("--base/--head: a changed file selects its component and the components it depends on", async () => {
    const { selection, explanation } = await detectChangedComponents({ base: "main", head: "feature/api" }, ctx(), COMPONENTS);
    assert.deepEqual(selection.components, ["api", "lib"]);
    assert.deepEqual(selection.changedFiles, ["apps/api/src/x.ts"]);
    assert.deepEqual(selection.reasons.api, [{ kind: "files", files: ["apps/api/src/x.ts"] }]);
    assert.deepEqual(selection.reasons.lib, [{ kind: "dependency", of: ["api"] }]);
    // main moved on after the branch point: the merge base keeps web (changed only on main) out.
    assert.ok(!selection.components.includes("web"));
    assert.match(explanation, /api\s+changed: apps\/api\/src\/x\.ts/);
    assert.match(explanation, /lib\s+dependency of api/);
    assert.match(explanation, /from merge base/);
  });

  test("--base with a tag and --head with a commit SHA", async () => {
    const { selection, set } = await detectChangedComponents({ base: "v1.0.0", head: repo.sha("main") }, ctx(), COMPONENTS);
    assert.deepEqual(selection.components, ["api", "lib", "web"]);
    assert.deepEqual(selection.reasons.web, [{ kind: "files", files: ["apps/web/index.html"] }]);
    assert.equal(set.source.kind, "refs");
  });

  test("intent change in a watched section selects the watchers (and their dependencies) only", async () => {
    const { selection, explanation } = await detectChangedComponents({ base: "main", head: "feature/envs" }, ctx(), COMPONENTS);
    assert.deepEqual(selection.intentDiff?.changedSections, ["environments"]);
    assert.deepEqual(selection.components, ["api", "lib", "web"]);
    assert.deepEqual(selection.reasons.web, [{ kind: "watches", sections: ["environments"] }]);
    assert.deepEqual(selection.reasons.api, [{ kind: "dependency", of: ["web"] }]);
    assert.deepEqual(selection.unownedFiles, [], "intent.yaml is accounted for, not an unowned file");
    assert.match(explanation, /intent file changed: sections environments/);
  });

  test("intent change without watches selects nothing; --intent-impact all selects everything", async () => {
    const noWatch = COMPONENTS.map((c) => ({ ...c, watches: [] }));
    const watchless = await detectChangedComponents({ base: "main", head: "feature/envs" }, ctx(), noWatch);
    assert.deepEqual(watchless.selection.components, []);
    const all = await detectChangedComponents({ base: "main", head: "feature/envs", intentImpact: "all" }, ctx(), noWatch);
    assert.deepEqual(all.selection.components, ["api", "inline-root", "lib", "web"]);
    const none = await detectChangedComponents({ base: "main", head: "feature/envs", intentImpact: "none" }, ctx(), COMPONENTS);
    assert.deepEqual(none.selection.components, []);
  });

  test("comments and formatting in intent.yaml are not a change", async () => {
    const { selection, explanation } = await detectChangedComponents({ base: "main", head: "feature/comment", intentImpact: "all" }, ctx(), COMPONENTS);
    assert.equal(selection.intentChanged, true);
    assert.deepEqual(selection.intentDiff?.changedSections, []);
    assert.deepEqual(selection.components, []);
    assert.match(explanation, /formatting or comments only/);
  });

  test("intent.yaml in UTF-16 with a byte-order mark is compared as text at both revisions", async () => {
    const reencoded = await detectChangedComponents({ base: "main", head: "feature/utf16", intentImpact: "all" }, ctx(), COMPONENTS);
    assert.equal(reencoded.selection.intentDiff?.unreadable, undefined);
    assert.deepEqual(reencoded.selection.intentDiff?.changedSections, [], "a new encoding is not a change");
    assert.deepEqual(reencoded.selection.components, []);
    const edited = await detectChangedComponents({ base: "feature/utf16", head: "feature/utf16-envs" }, ctx(), COMPONENTS);
    assert.equal(edited.selection.intentDiff?.unreadable, undefined);
    assert.deepEqual(edited.selection.intentDiff?.changedSections, ["environments"]);
    assert.deepEqual(edited.selection.components, ["api", "lib", "web"]);
  });

  test("a modified inline component in intent.yaml is selected by name", async () => {
    const { selection } = await detectChangedComponents({ base: "main", head: "feature/inline" }, ctx(), COMPONENTS);
    assert.deepEqual(selection.components, ["inline-root"]);
    assert.deepEqual(selection.reasons["inline-root"], [{ kind: "intent-component", change: "modified" }]);
  });

  test("--uncommitted sees staged and unstaged edits to tracked files, not untracked ones", async () => {
    repo.write({ "apps/lib/src/a.ts": "export const a = 42;\n", "apps/web/new.ts": "new\n" });
    repo.write({ "apps/api/src/x.ts": "staged\n" });
    repo.git("add", "apps/api/src/x.ts");
    try {
      const { selection } = await detectChangedComponents({ uncommitted: true }, ctx(), COMPONENTS);
      assert.deepEqual(selection.changedFiles, ["apps/api/src/x.ts", "apps/lib/src/a.ts"]);
      assert.deepEqual(selection.components, ["api", "lib"]);
      assert.deepEqual(selection.reasons.lib, [{ kind: "files", files: ["apps/lib/src/a.ts"] }, { kind: "dependency", of: ["api"] }]);
    } finally {
      repo.git("reset", "-q", "--hard");
      repo.git("clean", "-qfd");
    }
  });

  test("--untracked sees new files but not ignored ones, nor orun's own .orun/ state", async () => {
    repo.write({ "apps/web/new.ts": "new\n", "apps/lib/debug.log": "ignored\n", ".orun/plans/latest.json": "{}\n" });
    try {
      const { selection } = await detectChangedComponents({ untracked: true }, ctx(), COMPONENTS);
      assert.deepEqual(selection.changedFiles, ["apps/web/new.ts"]);
      assert.deepEqual(selection.components, ["api", "lib", "web"]);
    } finally {
      repo.git("clean", "-qfdx");
    }
  });

  test("--base alone compares with the working tree, including uncommitted and untracked files", async () => {
    repo.write({ "apps/lib/src/a.ts": "dirty\n", "apps/web/fresh.ts": "x\n" });
    try {
      const { selection, set } = await detectChangedComponents({ base: "v1.0.0" }, ctx(), COMPONENTS);
      assert.deepEqual(selection.changedFiles, ["apps/lib/src/a.ts", "apps/web/fresh.ts", "apps/web/index.html"]);
      assert.equal(set.source.kind === "refs" && set.source.head, undefined);
    } finally {
      repo.git("checkout", "-q", "--", ".");
      repo.git("clean", "-qfd");
    }
  });

  test("--files: a manifest change selects the component; files outside every component are reported", async () => {
    const manifest = await detectChangedComponents({ files: ["apps/web/component.yaml"] }, ctx(), COMPONENTS);
    assert.deepEqual(manifest.selection.components, ["api", "lib", "web"]);
    assert.deepEqual(manifest.selection.reasons.web, [{ kind: "manifest", file: "apps/web/component.yaml" }]);

    const outside = await detectChangedComponents({ files: ["README.md,.github/workflows/ci.yml"] }, ctx(), COMPONENTS);
    assert.deepEqual(outside.selection.components, [], "the root component (path ./) is not selected by stray files");
    assert.deepEqual(outside.selection.unownedFiles, [".github/workflows/ci.yml", "README.md"]);
    assert.match(outside.explanation, /files outside every component \(2\):\n {2}\.github\/workflows\/ci\.yml\n {2}README\.md/);
  });

  test("--files are relative to the working directory", async () => {
    const { selection } = await detectChangedComponents({ files: ["src/a.ts"] }, { ...ctx(), cwd: repo.path("apps/lib") }, COMPONENTS);
    assert.deepEqual(selection.changedFiles, ["apps/lib/src/a.ts"]);
    assert.deepEqual(selection.components, ["lib"]);
  });

  test("--files naming intent.yaml: sections unknown, only --intent-impact all selects", async () => {
    const watch = await detectChangedComponents({ files: ["intent.yaml"] }, ctx(), COMPONENTS);
    assert.deepEqual(watch.selection.components, []);
    assert.match(watch.explanation, /which sections is unknown/);
    const all = await detectChangedComponents({ files: ["intent.yaml"], intentImpact: "all" }, ctx(), COMPONENTS);
    assert.deepEqual(all.selection.components, ["api", "inline-root", "lib", "web"]);
  });

  test("a ref that does not exist is a clear error naming the ref", async () => {
    await assert.rejects(detectChangedComponents({ base: "no-such-branch" }, ctx(), COMPONENTS), /base ref "no-such-branch" does not exist in .*fetch-depth/s);
    await assert.rejects(detectChangedComponents({ base: "main", head: "nope/missing" }, ctx(), COMPONENTS), /head ref "nope\/missing" does not exist/);
    // A ref that looks like a git option is never passed to git as one.
    await assert.rejects(detectChangedComponents({ base: "--output=/tmp/orun-pwned" }, ctx(), COMPONENTS), /base ref "--output=\/tmp\/orun-pwned" does not exist/);
  });

  test("flag conflicts and bad values are errors", async () => {
    await assert.rejects(collectChanges({ files: ["a"], base: "main" }, ctx()), /--files conflicts with --uncommitted, --untracked, --base, and --head/);
    await assert.rejects(collectChanges({ uncommitted: true, untracked: true }, ctx()), /--uncommitted conflicts with/);
    await assert.rejects(collectChanges({ untracked: true, base: "main" }, ctx()), /--untracked conflicts with/);
    await assert.rejects(collectChanges({ head: "HEAD" }, ctx()), /--head requires --base/);
    await assert.rejects(collectChanges({ base: "main", intentImpact: "some" }, ctx()), /invalid --intent-impact "some" \(valid: all, watch, none\)/);
  });

  test("CI refs are detected from GitHub Actions variables when no flags are given", async () => {
    const eventDir = tempDir();
    try {
      const eventFile = path.join(eventDir, "event.json");
      writeFileSync(eventFile, JSON.stringify({ ref: "refs/heads/main", before: mainSha, after: repo.sha("main") }));
      const env = { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: eventFile, GITHUB_SHA: repo.sha("main") };
      const { selection, set } = await detectChangedComponents({}, { ...ctx(), env }, COMPONENTS);
      assert.deepEqual(selection.components, ["api", "lib", "web"]);
      assert.deepEqual(set.notes, [`ci: github (push), base: ${mainSha}, head: ${repo.sha("main")}`]);
      unlinkSync(eventFile);
    } finally {
      rmSync(eventDir, { recursive: true, force: true });
    }
  });
});

describe("change detection edge cases", () => {
  test("not a git repository is a clear error (but --files works without git)", async () => {
    const dir = tempDir();
    try {
      writeFileSync(path.join(dir, "intent.yaml"), INTENT);
      const ctx = { cwd: dir, intentFile: path.join(dir, "intent.yaml"), env: {} };
      await assert.rejects(detectChangedComponents({ base: "main" }, ctx, COMPONENTS), /is not inside a git repository.*--files/s);
      await assert.rejects(detectChangedComponents({ uncommitted: true }, ctx, COMPONENTS), /is not inside a git repository/);
      const { selection } = await detectChangedComponents({ files: ["apps/api/src/x.ts"] }, ctx, COMPONENTS);
      assert.deepEqual(selection.components, ["api", "lib"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("intent.yaml in a sub-folder of the repository: paths are relative to the intent", async () => {
    const repo = GitRepo.create();
    try {
      repo.commit("init", { "platform/intent.yaml": INTENT, "platform/apps/api/src/x.ts": "1\n", "other/tool.sh": "echo\n" });
      repo.git("checkout", "-q", "-b", "change");
      repo.commit("edit", { "platform/apps/api/src/x.ts": "2\n", "other/tool.sh": "echo 2\n", "platform/apps/api/my file.ts": "spaces\n" });
      const { selection } = await detectChangedComponents(
        { base: "main", head: "change" },
        { cwd: repo.dir, intentFile: repo.path("platform/intent.yaml"), env: {} },
        COMPONENTS,
      );
      assert.deepEqual(selection.changedFiles, ["../other/tool.sh", "apps/api/my file.ts", "apps/api/src/x.ts"]);
      assert.deepEqual(selection.components, ["api", "lib"]);
      assert.deepEqual(selection.unownedFiles, ["../other/tool.sh"]);
    } finally {
      repo.remove();
    }
  });

  test("a branch created from nothing (unrelated history) still diffs against the base", async () => {
    const repo = GitRepo.create();
    try {
      repo.commit("init", { "intent.yaml": INTENT, "apps/lib/src/a.ts": "1\n" });
      repo.git("checkout", "-q", "--orphan", "island");
      repo.git("rm", "-rq", "--cached", ".");
      repo.commit("island", { "intent.yaml": INTENT, "apps/lib/src/a.ts": "2\n" });
      const { selection, set } = await detectChangedComponents({ base: "main", head: "island" }, { cwd: repo.dir, intentFile: repo.path("intent.yaml"), env: {} }, COMPONENTS);
      assert.deepEqual(selection.components, ["lib"]);
      assert.equal(set.source.kind === "refs" && set.source.from, repo.sha("main"));
    } finally {
      repo.remove();
    }
  });
});
