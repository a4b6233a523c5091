// rev30b — fix30 (194cacd) reads a lone CR as a line end for workflow commands, as GitHub's runner does, but the
// github-actions runner still cuts a line at 1 MiB regardless of its CRs (process.ts: LineSplitter without
// crEndsLine) and takes the piece after the cut as a continuation, never a command. A progress meter's line grows
// past 1 MiB of CR-ended parts: an `::add-mask::` part the cut falls inside is not read, and the value goes into
// the local step log (and the console) in clear — while the upload scanner (step-masks.ts, CR-aware) masks it.
// Fixed: the runner's LineSplitter cuts an overlong line after its last CR that fits, and the piece after such a
// cut starts a CR-part (workflow-commands.ts), fix30b.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../../support/cli.js";
import { makeJob, makePlan, tempDir } from "./helpers.js";

describe("rev30b: a CR-ended ::add-mask:: across the runner's 1 MiB cut", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev30b-cr-piece");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("masks the value in the step's log", async () => {
    // 1 MiB - 5 characters of progress, a CR, then `::add-mask::…` whose first 4 characters end the runner's piece.
    const run = `head -c 1048571 /dev/zero | tr '\\0' p; printf '\\r::add-mask::S3cretvalue42\\rS3cretvalue42 shown\\nnext S3cretvalue42\\n'`;
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([makeJob("app@dev.x", [{ id: "w", run }])], "cr")));
    const r = await runOrun(["run", "plan.json", "--gha", "--exec-id", "cr"], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "" }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const log = await readFile(path.join(ws, ".orun/executions/cr/logs/app@dev.x/w.log"), "utf8");
    assert.ok(!log.includes("S3cretvalue42"), `the step log shows the value: ${JSON.stringify(log.slice(-90))}`);
  });
});
