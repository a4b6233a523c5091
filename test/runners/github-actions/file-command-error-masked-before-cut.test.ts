// rev30b — d46a011 quotes a malformed GITHUB_ENV line cut at 80 characters in the step's error, and the step's error
// is masked only after (step-runner.ts: state.masker.mask(outcome.error)): a secret the cut falls inside is no longer
// the masked value, so its first part goes into the run's output and state.json in clear. Before, the whole line
// was quoted and the secret masked whole. Fixed: parseKeyValueFile masks the line with the job's masker before it cuts it.
// Fixed: a GITHUB_ENV name or GITHUB_PATH entry holding a NUL byte was quoted whole in the step's error, so a 2 MB line
// went whole into the run's output and state.json (rev31 #4); it is masked then cut the same way (shownInError).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../../support/cli.js";
import { makeJob, makePlan, tempDir } from "./helpers.js";

const SECRET = "Sup3rSecretValue0123456789abcdef";

describe("rev30b: a malformed GITHUB_ENV line holding a secret, quoted cut short", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev30b-env-secret");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("shows no part of the secret in the run's output or its record", async () => {
    // 60 characters, then the secret: the 80-character cut falls inside it.
    const run = `printf '%s\\n' "$(printf 'x%.0s' $(seq 60))\${{ secrets.TOKEN }}" >> "$GITHUB_ENV"`;
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([makeJob("app@dev.x", [{ id: "w", run }])], "leak")));
    const r = await runOrun(["run", "plan.json", "--gha", "--exec-id", "leak"], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_TOKEN: SECRET }, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /GITHUB_ENV line 1: invalid file-command assignment/);
    const state = await readFile(path.join(ws, ".orun/executions/leak/state.json"), "utf8");
    for (const [where, text] of [["output", r.stdout + r.stderr], ["state.json", state]] as const) {
      assert.ok(!text.includes(SECRET.slice(0, 8)), `${where} shows the secret's start: ${/x{10,}[^"\s]*/.exec(text)?.[0]}`);
    }
  });
});

describe("a huge GITHUB_ENV name or GITHUB_PATH entry with a NUL byte", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev31-gha-nul");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("is quoted cut short in the step's error, as a malformed line is", async () => {
    const huge = "$(yes x | head -c 2000000 | tr -d '\\n')";
    const cases = [
      ["envname", `printf '%s\\0%s=v\\n' "${huge}" x >> "$GITHUB_ENV"`, /GITHUB_ENV: "x+… has a NUL byte in its name/],
      ["pathentry", `printf '%s\\0\\n' "${huge}" >> "$GITHUB_PATH"`, /GITHUB_PATH: "x+… has a NUL byte/],
    ] as const;
    const sizes: string[] = [];
    for (const [name, run, shown] of cases) {
      await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, [{ id: "w", run }])], name)));
      const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "" }, timeoutMs: 60_000 });
      assert.equal(r.code, 1, `${name}: ${r.stderr.slice(0, 500)}`);
      assert.match(r.stdout, shown, name);
      const state = await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8");
      if (r.stdout.length >= 10_000 || state.length >= 10_000) sizes.push(`${name}: ${r.stdout.length} characters of output, state.json ${state.length}`);
    }
    assert.deepEqual(sizes, []);
  });

  it("shows no part of a secret the cut falls inside", async () => {
    const run = `printf '%s\\0\\n' "$(printf 'x%.0s' $(seq 60))\${{ secrets.TOKEN }}" >> "$GITHUB_PATH"`;
    await writeFile(path.join(ws, "nulsecret.json"), JSON.stringify(makePlan([makeJob("app@dev.nulsecret", [{ id: "w", run }])], "nulsecret")));
    const r = await runOrun(["run", "nulsecret.json", "--gha", "--exec-id", "nulsecret"], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_TOKEN: SECRET }, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /GITHUB_PATH: "x{60}\*\*\*\\u\{0\}" has a NUL byte/);
    const state = await readFile(path.join(ws, ".orun/executions/nulsecret/state.json"), "utf8");
    for (const [where, text] of [["output", r.stdout + r.stderr], ["state.json", state]] as const) assert.ok(!text.includes(SECRET.slice(0, 8)), where);
  });
});
