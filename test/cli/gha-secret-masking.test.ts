// orun run --gha masks secrets (ORUN_SECRET_*, multi-line ones line by line) and ::add-mask:: values
// everywhere they could land: the console (--verbose), the step logs, the job finish log (post hooks) and
// the error recorded in state.json. A real orun process; the record is read from disk.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: masking in the console and the execution record", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha14-masking");
    await mkdir(path.join(ws, "acts/leaky"), { recursive: true });
    await writeFile(path.join(ws, "acts/leaky/action.yml"), "name: leaky\ninputs:\n  pw: { required: true }\nruns:\n  using: node20\n  main: main.cjs\n  post: post.cjs\n");
    await writeFile(path.join(ws, "acts/leaky/main.cjs"), "console.log(`main ${process.env.INPUT_PW}`);\n");
    await writeFile(path.join(ws, "acts/leaky/post.cjs"), "console.log(`post ${process.env.INPUT_PW} and dynamic-mask-77`);\n");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("no secret or added mask reaches the console, the logs, the finish log or state.json", async () => {
    const steps: (Partial<PlanStep> & { if?: string })[] = [
      { id: "mask", run: 'echo "::add-mask::dynamic-mask-77"; echo "value dynamic-mask-77"; echo "::warning::warned dynamic-mask-77"' },
      { id: "multi", run: 'printf "%s\\n" "$DB"; echo "$SINGLE"', env: { DB: "${{ secrets.DB }}", SINGLE: "${{ secrets.SINGLE }}" } },
      { id: "action", use: "./acts/leaky", with: { pw: "${{ secrets.SINGLE }}" } },
      { id: "broken", "working-directory": "/nonexistent/${{ secrets.SINGLE }}", run: "true" },
    ];
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([makeJob("app@dev.mask", steps)], "mask")));
    const env = { GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: "", ORUN_SECRET_DB: "db-line-one-pw\ndb-line-two-pw", ORUN_SECRET_SINGLE: "s1ngle-s3cr3t" };
    const r = await runOrun(["run", "plan.json", "--gha", "--verbose", "--exec-id", "mask-1"], { cwd: ws, env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const secrets = /dynamic-mask-77|db-line-one-pw|db-line-two-pw|s1ngle-s3cr3t/;
    const record = path.join(ws, ".orun/executions/mask-1");
    const logDir = path.join(record, "logs/app@dev.mask");
    const files = await readdir(logDir);
    const texts: Record<string, string> = { console: r.stdout + r.stderr, state: await readFile(path.join(record, "state.json"), "utf8") };
    for (const f of files) texts[f] = (await readFile(path.join(logDir, f), "utf8")).trimEnd();
    for (const [where, text] of Object.entries(texts)) assert.doesNotMatch(text, secrets, `${where} leaks a secret:\n${text}`);
    assert.match(texts["mask.log"]!, /^value \*\*\*\nwarning: warned \*\*\*$/);
    assert.match(texts["multi.log"]!, /^\*\*\*\n\*\*\*\n\*\*\*$/);
    assert.match(texts["action.log"]!, /main \*\*\*/);
    assert.match(texts["~finish.log"]!, /post \*\*\* and \*\*\*/);
    assert.match(texts.state!, /working directory \/nonexistent\/\*\*\* does not exist/);
  });
});
