import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluateCondition, interpolate, splitTemplate, type ExpressionScope } from "../../../src/runners/github-actions/expressions.js";

function scope(overrides: Partial<ExpressionScope["status"]> = {}): ExpressionScope {
  return {
    contexts: {
      github: { ref: "refs/heads/main", event_name: "push", event: { commits: [{ id: "a" }, { id: "b" }] } },
      env: { NAME: "World", COUNT: "3" },
      steps: { build: { outputs: { ok: "true", list: "x" }, outcome: "success", conclusion: "success" } },
      inputs: { flag: "false" },
      secrets: {},
      matrix: null,
    },
    status: { failed: false, cancelled: false, ...overrides },
  };
}

describe("github-actions expressions", () => {
  it("interpolates expressions inside text with GitHub's functions and case-insensitive lookups", () => {
    const s = scope();
    assert.equal(interpolate("Hello ${{ env.NAME }}!", s), "Hello World!");
    assert.equal(interpolate("${{ ENV.NAME }}/${{ github.REF }}/${{ Steps.BUILD.Outputs.OK }}", s), "World/refs/heads/main/true");
    assert.equal(interpolate("${{ format('{0}-{1}', env.NAME, 2) }}", s), "World-2");
    assert.equal(interpolate("${{ startsWith(github.ref, 'refs/heads/') && 'branch' || 'tag' }}", s), "branch");
    assert.equal(interpolate("${{ toJSON(github.event.commits.*.id) }}", s), '[\n  "a",\n  "b"\n]');
    assert.equal(interpolate("n=${{ fromJSON(env.COUNT) > 2 }}", s), "n=true");
    assert.equal(interpolate("[${{ secrets.MISSING }}]", s), "[]");
    assert.equal(interpolate("${{ github.event.commits }}", s), '[{"id":"a"},{"id":"b"}]');
    assert.equal(interpolate("no expressions here", s), "no expressions here");
  });

  it("looks env variables up case-sensitively, as GitHub's Linux runner does; every other context is case-insensitive", { skip: process.platform === "win32" ? "env is case-insensitive on Windows" : undefined }, () => {
    const s = scope();
    s.contexts.env = { FOO: "upper", Foo: "mixed", constructor: "ctor" };
    s.contexts.inputs = { constructor: "in", Flag: "on" };
    assert.equal(interpolate("[${{ env.foo }}][${{ env.FOO }}][${{ env.Foo }}]", s), "[][upper][mixed]");
    // Keys named like Object's prototype members are ordinary keys.
    assert.equal(interpolate("${{ env.constructor }}/${{ inputs.CONSTRUCTOR }}/${{ inputs.flag }}", s), "ctor/in/on");
    assert.equal(interpolate("${{ toJSON(env) }}", s), '{\n  "FOO": "upper",\n  "Foo": "mixed",\n  "constructor": "ctor"\n}');
    assert.equal(interpolate("${{ join(env.*, ',') }}", s), "upper,mixed,ctor");
  });

  it("finds the end of an expression even with }} inside a string literal", () => {
    assert.deepEqual(splitTemplate("a ${{ 'x}}y' }} b"), [{ literal: "a " }, { expression: " 'x}}y' " }, { literal: " b" }]);
    assert.equal(interpolate("${{ 'it''s }}' }}", scope()), "it's }}");
  });

  it("reports unknown contexts, syntax errors and unclosed expressions clearly", () => {
    assert.throws(() => interpolate("${{ nope.x }}", scope()), /invalid expression \$\{\{ nope\.x \}\}/);
    assert.throws(() => interpolate("${{ env.NAME == }}", scope()), /invalid expression/);
    assert.throws(() => interpolate("x ${{ env.NAME", scope()), /^ExpressionFailure: invalid expression "\$\{\{ env\.NAME": no closing \}\}$/);
    // An if: is reported as written, not with the implicit success() && (…) around it.
    assert.throws(() => evaluateCondition("github.ref ==", scope()), (err: Error) => err.message === "invalid expression ${{ github.ref == }}: Unexpected end of expression: '=='");
  });

  it("evaluates if: with an implicit success() unless a status function is used", () => {
    assert.equal(evaluateCondition("steps.build.outputs.ok == 'true'", scope()), true);
    assert.equal(evaluateCondition("${{ steps.build.outputs.ok == 'TRUE' }}", scope()), true, "string comparison ignores case");
    assert.equal(evaluateCondition("${{ inputs.flag == 'true' }}", scope()), false);
    assert.equal(evaluateCondition("true", scope({ failed: true })), false, "implicit success() after a failure");
    assert.equal(evaluateCondition("failure()", scope({ failed: true })), true);
    assert.equal(evaluateCondition("always() && env.NAME == 'world'", scope({ failed: true })), true);
    assert.equal(evaluateCondition("cancelled()", scope({ cancelled: true })), true);
    assert.equal(evaluateCondition(undefined, scope({ failed: true })), false);
    assert.equal(evaluateCondition(undefined, scope({ failed: true }), "always()"), true);
    assert.equal(evaluateCondition("", scope()), true);
    assert.equal(evaluateCondition(false, scope()), false);
  });

  it("reads an if: of text around ${{ }} as one string, whatever quotes the text or the values hold", () => {
    const s = scope();
    s.contexts.env = { NAME: "O'Brien" };
    assert.equal(evaluateCondition("it's ${{ env.NAME }}", s), true);
    assert.equal(evaluateCondition("${{ env.NAME }}'s turn", scope({ failed: true })), false, "still behind the implicit success()");
  });

  it("lets a composite action's own status decide success(), whatever the job's", () => {
    // step-runner.ts passes `success` (the action's own status) to the steps inside a composite action.
    assert.equal(evaluateCondition("success()", scope({ cancelled: true, success: true })), true);
    assert.equal(evaluateCondition(undefined, scope({ failed: false, success: false })), false);
  });
});

describe("github-actions hashFiles()", () => {
  it("hashes matching workspace files like GitHub (sorted, sha256 of sha256s, ! excludes, '' when none)", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { createHash } = await import("node:crypto");
    const os = await import("node:os");
    const path = await import("node:path");
    const { hashFiles } = await import("../../../src/runners/github-actions/hash-files.js");
    const ws = await mkdtemp(path.join(os.tmpdir(), "orun-gha-hash-"));
    try {
      await mkdir(path.join(ws, "a/b"), { recursive: true });
      await mkdir(path.join(ws, ".orun"), { recursive: true });
      await writeFile(path.join(ws, "package-lock.json"), "root");
      await writeFile(path.join(ws, "a/b/package-lock.json"), "nested");
      await writeFile(path.join(ws, ".orun/package-lock.json"), "ignored");
      const sha = (s: string): Buffer => createHash("sha256").update(s).digest();
      const expected = createHash("sha256").update(sha("nested")).update(sha("root")).digest("hex");
      assert.equal(hashFiles(ws, ["**/package-lock.json"]), expected);
      assert.equal(hashFiles(ws, ["**/package-lock.json", "!a/**"]), createHash("sha256").update(sha("root")).digest("hex"));
      assert.equal(hashFiles(ws, ["**/*.nothing"]), "");
      // A folder pattern covers the files below it, as @actions/glob's implicit descendants do; in excludes too.
      assert.equal(hashFiles(ws, ["a"]), createHash("sha256").update(sha("nested")).digest("hex"));
      assert.equal(hashFiles(ws, ["a/b/", "package-lock.json"]), expected);
      assert.equal(hashFiles(ws, ["**/package-lock.json", "!a"]), createHash("sha256").update(sha("root")).digest("hex"));
      const s = scope();
      s.functions = new Map([["hashfiles", (await import("../../../src/runners/github-actions/hash-files.js")).hashFilesFunction(ws)]]);
      assert.equal(interpolate("key-${{ hashFiles('**/package-lock.json') }}", s), `key-${expected}`);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  it("hashes files in dot folders too, and takes patterns written with ./", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { createHash } = await import("node:crypto");
    const os = await import("node:os");
    const path = await import("node:path");
    const { hashFiles } = await import("../../../src/runners/github-actions/hash-files.js");
    const ws = await mkdtemp(path.join(os.tmpdir(), "orun-gha-hash-dot-"));
    try {
      await writeFile(path.join(ws, "f.lock"), "plain");
      await mkdir(path.join(ws, ".config"));
      await writeFile(path.join(ws, ".config", "app.lock"), "dot");
      const sha = (text: string): Buffer => createHash("sha256").update(text).digest();
      const inOrder = (texts: string[]): string => texts.reduce((hash, text) => hash.update(sha(text)), createHash("sha256")).digest("hex");
      assert.equal(hashFiles(ws, ["**/*.lock"]), inOrder(["dot", "plain"]));
      assert.equal(hashFiles(ws, ["./f.lock"]), inOrder(["plain"]));
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
