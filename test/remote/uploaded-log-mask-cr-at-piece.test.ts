// rev30: a step's `::add-mask::v` ended by a CR (the runner reads CR as a line end) on a line that reached exactly an
// upload piece (1 MiB characters, 16 pipe reads of 64 KiB) went up before the scanner had read the mask: the line's
// first MiB was uploaded with the value in clear. LineSplitter handed a line on only past MAX_LINE (size > 1 MiB), while
// JobLog flushed at length >= 1 MiB (job-log.ts output / uploadableEnd → Masker.safeCut, which knew no value yet).
// Fixed: the step's scanner reads a line at its CR, and JobLog never uploads past what the scanner has read (and
// flushes past a piece, > 1 MiB, as the scanner reads).
// Fixed: a running step's upload cut through a masked value lying across the scanner's 1 MiB piece, so its halves
// went up in clear, one after the other: the value whole on the backend (rev31 #1). JobLog bounded Masker.safeCut's
// place by the scanner's; it now applies safeCut to what the scanner has read.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";

const SECRET = "s3cr3t-rev30-cr";
const MiB = 1024 * 1024;

async function remoteLog(bed: RemoteTestbed, runId: string, jobId: string): Promise<string> {
  const res = await fetch(`${bed.backend.url}/v1/runs/${runId}/logs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
  return res.status === 200 ? res.text() : "";
}

/** The log the backend holds of a one-step job whose step printed `chunks`, uploaded through RemoteHooks. */
async function uploaded(bed: RemoteTestbed, runId: string, chunks: string[]): Promise<string> {
  const job: PlanJob = { id: "cr@dev.build", name: "build", component: "cr", environment: "dev", dependsOn: [], steps: [{ id: "main", phase: "main", run: "x" }] };
  const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "cr" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
  const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
  const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", say: () => undefined, logSecrets: [bed.token] });
  assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
  for (const chunk of chunks) hooks.onStepOutput(job, "main", chunk);
  await hooks.onStepFinished(job, "main", "", false);
  await hooks.afterJob(job, { status: "completed" });
  await hooks.close();
  return remoteLog(bed, runId, job.id);
}

describe("rev30: a CR-ended add-mask on a line of exactly one upload piece", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev30-cr-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("never uploads the masked value in clear", { timeout: 60_000 }, async () => {
    // A progress line: the mask, then the value, CR-separated, in 64 KiB reads, 16 of them making one MiB exactly.
    const start = `::add-mask::${SECRET}\rusing ${SECRET}\r`;
    const line = start + "#".repeat(MiB - start.length);
    const chunks: string[] = [];
    for (let at = 0; at < MiB; at += 64 * 1024) chunks.push(line.slice(at, at + 64 * 1024));
    const log = await uploaded(bed, "cr-line", [...chunks, "\rdone\n"]);
    assert.ok(!log.includes(SECRET), `the backend holds the masked value in clear: ${JSON.stringify(log.slice(0, 80))}`);
    assert.ok(log === `=== main ===\n${line.split(SECRET).join("***")}\rdone\n`, `the whole log, masked, is uploaded: ${JSON.stringify(log.slice(0, 80))} (${log.length} characters)`);
  });

  it("uploads no part of a line past a CR whose mask command has not ended yet, however long the line", { timeout: 60_000 }, async () => {
    // The line (from its LF) is past a piece, so a part of it goes up while the step runs; its last CR-ended part
    // is a mask whose end (the next CR) has not arrived: the part after that CR waits for it.
    const progress = "#".repeat(MiB - 100);
    const value = `${SECRET}-${"x".repeat(200)}`;
    const log = await uploaded(bed, "cr-pending", [`${progress}\r`, `::add-mask::${value}`, `\rusing ${value}\n`]);
    assert.ok(!log.includes(SECRET), `the backend holds the masked value in clear: ${JSON.stringify(log.slice(MiB - 120, MiB + 40))}`);
    assert.ok(log === `=== main ===\n${progress}\r::add-mask::***\rusing ***\n`, `the whole log, masked, is uploaded (${log.length} characters)`);
  });
});

describe("a masked value lying across the step's mask scanner's 1 MiB piece", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev31cut-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  const secret = "s3cr3t-rev31cut";
  const mask = `::add-mask::${secret}\n`;
  // The line's first MAX_LINE characters end 6 characters into the value (the scanner's piece ends there).
  const upToValue = "x".repeat(MiB - 6);

  it("is never cut through while the step runs, nor at its end without a newline", { timeout: 60_000 }, async () => {
    const cases: [string, string[], string][] = [
      ["line goes on", [mask, `${upToValue}${secret}${"y".repeat(100)}`, " end\n"], `${upToValue}***${"y".repeat(100)} end\n`],
      ["no newline at the step's end", [mask, `${upToValue}${secret}${"y".repeat(100)}`], `${upToValue}***${"y".repeat(100)}\n`],
      ["the chunk ends inside the value", [mask, `${upToValue}${secret.slice(0, 10)}`, secret.slice(10)], `${upToValue}***\n`],
    ];
    for (const [name, chunks, line] of cases) {
      const log = await uploaded(bed, `cut-${cases.findIndex((c) => c[0] === name)}`, chunks);
      const at = log.indexOf(secret.slice(0, 6));
      assert.equal(log, `=== main ===\n::add-mask::***\n${line}`, `${name}: …${log.slice(Math.max(0, at - 10), at + secret.length + 10)}…`);
    }
  });

  it("multibyte text: the value (itself multibyte) is masked and no character is split between uploads", { timeout: 60_000 }, async () => {
    const value = "ключ-🔑-rev31";
    // Emoji are two UTF-16 units each: the piece ends 6 units into the value, inside its 🔑.
    const emoji = "😀".repeat((MiB - 6) / 2);
    const log = await uploaded(bed, "cut-multibyte", [`::add-mask::${value}\n`, `${emoji}${value}${"ü".repeat(100)}`]);
    assert.ok(!log.includes("ключ"), "the value is on the backend in clear");
    assert.ok(log === `=== main ===\n::add-mask::***\n${emoji}***${"ü".repeat(100)}\n`, `the whole log, masked, with no broken character: ${JSON.stringify(log.slice(-140))}`);
  });

  it("`orun run --remote-state`: a host secret the local runner's step prints across the scanner's 1 MiB piece is `***` on the backend", { timeout: 120_000 }, async () => {
    const dir = path.join(bed.dir, "local");
    await fs.mkdir(dir, { recursive: true });
    const hostSecret = "deploy-key-rev31e2e";
    // Written at once (the step's first chunk past a piece holds the value and more), then the line held open.
    await fs.writeFile(path.join(dir, "line.txt"), `${upToValue}${hostSecret}${"y".repeat(100)}`);
    const plan = await writePlan(dir, "local", [{ id: "a@dev.long", run: "cat line.txt; sleep 1; echo ' end'" }]);
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_DEPLOY_KEY: hostSecret };
    const result = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "local"], { cwd: dir, env }).done;
    assert.equal(result.code, 0, result.output);
    const log = await remoteLog(bed, "local", "a@dev.long");
    const at = log.indexOf(hostSecret);
    assert.equal(at, -1, `the host secret is on the backend in clear: …${log.slice(Math.max(0, at - 10), at + hostSecret.length + 10)}…`);
    assert.ok(log.endsWith(`x***${"y".repeat(100)} end\n`), JSON.stringify(log.slice(-140)));
  });
});
