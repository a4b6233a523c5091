// rev31 review: the github-actions runner hands a line over 1 MiB on in pieces (LineSplitter, MAX_LINE) and masks
// each piece alone (CommandProcessor.line). A secret the cut falls inside is in neither piece whole, so neither
// masks it: both halves are shown, written to the step log and (under remote state) uploaded. fix30b moved that cut
// after the last CR that fits, for mask commands; masked values are still cut through. The local runner's uploads
// hold back such a cut with Masker.safeCut (JobLog.uploadableEnd); this cut does not.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";
import { spawnOrun, writePlan } from "../remote/processes.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

const SECRET = "tok-SECRET-0123456789";

describe("rev31: orun run --gha, a secret the 1 MiB line cut falls inside", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev31-gha-cut");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("is masked in the output and the step log", async () => {
    // The secret through the secrets context (ORUN_SECRET_TOKEN), as a workflow hands one to a step.
    // 1 MiB less 6 characters, then the secret (the cut falls 6 characters into it), then more of the line.
    const run = `head -c ${1024 * 1024 - 6} /dev/zero | tr '\\0' x; printf '%s' '\${{ secrets.TOKEN }}'; echo ' and the rest'`;
    await writeFile(path.join(ws, "cut.json"), JSON.stringify(makePlan([makeJob("app@dev.cut", [{ id: "print", run }])], "cut")));
    const r = await runOrun(["run", "cut.json", "--gha", "--exec-id", "cut"], { cwd: ws, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_TOKEN: SECRET }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const logs = path.join(ws, ".orun/executions/cut/logs");
    const [jobDir] = await readdir(logs);
    const log = await readFile(path.join(logs, jobDir!, "print.log"), "utf8");
    assert.ok(log.includes(" and the rest"), "the whole line was logged");
    // The pieces as one text again: what a reader of the log (or of the uploaded log) puts back together.
    const rejoined = log.replace(/\n/g, "");
    assert.ok(!rejoined.includes(SECRET), `the secret is in the step log in clear, in two pieces: …${rejoined.slice(1024 * 1024 - 20, 1024 * 1024 + 30)}…`);
    assert.ok(!r.stdout.replace(/\n/g, "").includes(SECRET), "the secret is in the output in clear, in two pieces");
  });
});

describe("rev31: orun run --gha --remote-state, a secret the 1 MiB line cut falls inside", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev31gha-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("is not uploaded in clear (its two halves, one per line, are the value whole to any reader)", { timeout: 120_000 }, async () => {
    const run = `head -c ${1024 * 1024 - 6} /dev/zero | tr '\\0' x; printf '%s' '\${{ secrets.TOKEN }}'; echo ' and the rest'`;
    const plan = await writePlan(bed.dir, "ghacut", [{ id: "a@dev.cut", run }]);
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_TOKEN: SECRET };
    const result = await spawnOrun(["run", plan, "--gha", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "ghacut"], { cwd: bed.dir, env }).done;
    assert.equal(result.code, 0, result.output);
    const log = await (await fetch(`${bed.backend.url}/v1/runs/ghacut/logs/a%40dev.cut`, { headers: { Authorization: `Bearer ${bed.token}` } })).text();
    const rejoined = log.replace(/\n/g, "");
    const at = rejoined.indexOf(SECRET);
    assert.equal(at, -1, `on the backend: …${log.slice(Math.max(0, log.indexOf(SECRET.slice(0, 6)) - 10), log.indexOf(SECRET.slice(0, 6)) + 40)}…`);
  });
});
