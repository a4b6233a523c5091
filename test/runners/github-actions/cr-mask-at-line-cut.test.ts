// rev30b — fix30 (194cacd) reads a lone CR as a line end for workflow commands, as GitHub's runner does, but the
// github-actions runner still cuts a line at 1 MiB regardless of its CRs (process.ts: LineSplitter without
// crEndsLine) and takes the piece after the cut as a continuation, never a command. A progress meter's line grows
// past 1 MiB of CR-ended parts: an `::add-mask::` part the cut falls inside is not read, and the value goes into
// the local step log (and the console) in clear — while the upload scanner (step-masks.ts, CR-aware) masks it.
// Fixed: the runner's LineSplitter cuts an overlong line after its last CR that fits, and the piece after such a
// cut starts a CR-part (workflow-commands.ts), fix30b.
// Fixed: a masked value the cut fell inside was in neither piece whole, each masked alone, so both halves were shown,
// logged and uploaded in clear (rev31 #2). The runner's LineSplitter now cuts where the masker's safeCut says no
// value lies across the cut.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Masker } from "../../../src/runners/github-actions/masker.js";
import { LineSplitter } from "../../../src/runners/github-actions/workflow-commands.js";
import { runOrun } from "../../support/cli.js";
import { startRemoteTestbed, type RemoteTestbed } from "../../remote/helpers.js";
import { spawnOrun, writePlan } from "../../remote/processes.js";
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

const SECRET = "tok-SECRET-0123456789";
// 1 MiB less 6 characters, then the secret (the cut falls 6 characters into it), then more of the line.
const CUT_THROUGH_SECRET = `head -c ${1024 * 1024 - 6} /dev/zero | tr '\\0' x; printf '%s' '\${{ secrets.TOKEN }}'; echo ' and the rest'`;

describe("a masked value the runner's 1 MiB line cut falls inside", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev31-gha-cut");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("LineSplitter given the masker's safeCut cuts before the value; the piece after a cut that moved off a CR continues its part", () => {
    const masker = new Masker();
    masker.add("SECRET");
    const line = `${"a".repeat(16)}SECRET${"b".repeat(10)}`;
    for (const crEndsLine of [false, true]) {
      const got: [string, boolean][] = [];
      const s = new LineSplitter((l, continuation) => got.push([l, continuation]), 20, crEndsLine, (text) => masker.safeCut(text));
      s.push(`${line}\n`);
      // Held back as far as the masker's longest form could reach: the value is whole in the second piece.
      assert.equal(got.map(([l]) => l).join(""), line);
      assert.match(got[0]![0], /^a+$/);
      assert.deepEqual(got.slice(1), [[got[1]![0], true]]);
      assert.ok(got[1]![0].endsWith(`SECRET${"b".repeat(10)}`), JSON.stringify(got));
    }
    const got: [string, boolean][] = [];
    const s = new LineSplitter((l, continuation) => got.push([l, continuation]), 20, false, (text) => masker.safeCut(text));
    s.push(`${"p".repeat(12)}\rqqSECRETrrrr\n`);
    // The cut after the CR is held back too (a value may hold a CR): the CR-part after it is still read whole.
    assert.deepEqual(got, [["p".repeat(6), false], [`${"p".repeat(6)}\rqqSECRETrrrr`, true]], "a cut moved off a CR");
  });

  it("orun run --gha: is masked in the output and the step log", async () => {
    // The secret through the secrets context (ORUN_SECRET_TOKEN), as a workflow hands one to a step.
    await writeFile(path.join(ws, "cut.json"), JSON.stringify(makePlan([makeJob("app@dev.cut", [{ id: "print", run: CUT_THROUGH_SECRET }])], "cut")));
    const r = await runOrun(["run", "cut.json", "--gha", "--exec-id", "cut"], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_TOKEN: SECRET }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const logs = path.join(ws, ".orun/executions/cut/logs");
    const [jobDir] = await readdir(logs);
    const log = await readFile(path.join(logs, jobDir!, "print.log"), "utf8");
    assert.ok(log.includes(" and the rest"), "the whole line was logged");
    // The pieces as one text again: what a reader of the log (or of the uploaded log) puts back together.
    const rejoined = log.replace(/\n/g, "");
    assert.ok(!rejoined.includes(SECRET), `the secret is in the step log in clear, in two pieces: …${rejoined.slice(1024 * 1024 - 20, 1024 * 1024 + 30)}…`);
    assert.ok(rejoined.includes("xxx*** and the rest"), rejoined.slice(-60));
    assert.ok(!r.stdout.replace(/\n/g, "").includes(SECRET), "the secret is in the output in clear, in two pieces");
  });
});

describe("orun run --gha --remote-state, a masked value the runner's 1 MiB line cut falls inside", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev31gha-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("is not uploaded in clear (two halves, one per line, would be the value whole to any reader)", { timeout: 120_000 }, async () => {
    const plan = await writePlan(bed.dir, "ghacut", [{ id: "a@dev.cut", run: CUT_THROUGH_SECRET }]);
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_TOKEN: SECRET };
    const result = await spawnOrun(["run", plan, "--gha", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "ghacut"], { cwd: bed.dir, env }).done;
    assert.equal(result.code, 0, result.output);
    const log = await (await fetch(`${bed.backend.url}/v1/runs/ghacut/logs/a%40dev.cut`, { headers: { Authorization: `Bearer ${bed.token}` } })).text();
    const rejoined = log.replace(/\n/g, "");
    const at = log.indexOf(SECRET.slice(0, 6));
    assert.equal(rejoined.indexOf(SECRET), -1, `on the backend: …${log.slice(Math.max(0, at - 10), at + 40)}…`);
    assert.ok(rejoined.includes("xxx*** and the rest"), rejoined.slice(-60));
  });
});
