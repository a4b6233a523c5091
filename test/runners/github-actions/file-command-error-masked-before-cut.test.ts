// rev30b — d46a011 quotes a malformed GITHUB_ENV line cut at 80 characters in the step's error, and the step's error
// is masked only after (step-runner.ts: state.masker.mask(outcome.error)): a secret the cut falls inside is no longer
// the masked value, so its first part goes into the run's output and state.json in clear. Before, the whole line
// was quoted and the secret masked whole. Fixed: parseKeyValueFile masks the line with the job's masker before it cuts it.
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
