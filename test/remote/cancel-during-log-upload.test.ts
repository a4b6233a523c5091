// Ctrl-C while a job's log upload hangs (a backend that took the request and never answers): the runner still
// exits 130 within the cancel grace, and says how many bytes of the job's log did not reach the backend — once,
// not a line per piece — instead of losing them in silence. A loopback relay holds every log append unanswered.
// A step that failed on its own before the Ctrl-C came during its log's upload keeps its verdict: recorded failed
// on the backend and in the local record, not given back as canceled.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { api, enc, startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { until } from "../support/wait.js";

describe("Ctrl-C while a log upload hangs", () => {
  let bed: RemoteTestbed;
  let relay: http.Server;
  let relayUrl: string;
  let appendsHeld = 0;
  /** The log appends held so far, each sent on to the backend when called. */
  const held: (() => void)[] = [];
  const releaseAppends = () => held.splice(0).forEach((send) => send());
  before(async () => {
    bed = await startRemoteTestbed("orun-rev16rem-cancel-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    const target = new URL(bed.backend.url);
    const forward = (req: http.IncomingMessage, res: http.ServerResponse, body?: Buffer) => {
      const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on("error", () => res.destroy());
      if (body) out.end(body);
      else req.pipe(out);
    };
    relay = http.createServer((req, res) => {
      if (req.method === "POST" && req.url?.includes("/logs/")) {
        appendsHeld++;
        // Read whole, held unanswered: sent on by releaseAppends (never, in the first test).
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => held.push(() => forward(req, res, Buffer.concat(chunks))));
        return;
      }
      forward(req, res);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  after(async () => {
    relay?.closeAllConnections();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await bed?.close();
  });

  it("exits 130 within the grace and counts the log bytes the stop kept from the backend", { timeout: 180_000 }, async () => {
    const printed = path.join(bed.dir, "printed");
    // Lines before and after the first live upload (2 s): one piece in flight, more pending behind it.
    const plan = await writePlan(bed.dir, "hang", [{ id: "h@dev.deploy", run: `echo first; sleep 3; echo second; echo third; touch ${printed}; sleep 60` }]);
    const run = spawnOrun(["run", plan, "--remote-state", "--backend-url", relayUrl, "--exec-id", "hang"], {
      cwd: bed.dir,
      env: { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" },
    });
    await until(async () => appendsHeld >= 1 && (await fs.stat(printed).then(() => true, () => false)), "the first upload held and later output printed", 120_000);
    const stoppedAt = Date.now();
    run.child.kill("SIGINT");
    const result = await run.done;
    assert.equal(result.code, 130, result.output);
    // The cancel grace is 5 s; the runner does not wait out the client's 2-minute retry budget.
    assert.ok(result.exitedAt - stoppedAt < 15_000, `exited ${result.exitedAt - stoppedAt} ms after SIGINT`);
    const notes = result.output.split("\n").filter((l) => l.includes("log of h@dev.deploy") || l.includes("log upload for h@dev.deploy"));
    assert.equal(notes.length, 1, result.output);
    const bytes = Number(/log of h@dev\.deploy: (\d+) bytes not uploaded: canceled/.exec(notes[0]!)?.[1]);
    // Everything the step printed, under its header: "=== main ===\nfirst\nsecond\nthird\n".
    assert.equal(bytes, Buffer.byteLength("=== main ===\nfirst\nsecond\nthird\n"), notes[0]);
  });

  it("a step that failed before the Ctrl-C keeps its verdict: recorded failed, not released", { timeout: 180_000 }, async () => {
    const before = appendsHeld;
    const started = path.join(bed.dir, "sibling-started");
    const stopped = path.join(bed.dir, "sibling-stopped");
    // The sibling's step tells when the runner has taken the Ctrl-C in: it stops the step, whose trap says so.
    const plan = await writePlan(bed.dir, "fails", [
      { id: "f@dev.deploy", run: "echo boom; exit 3" },
      { id: "s@dev.deploy", run: `trap 'touch ${stopped}; exit 1' INT TERM; touch ${started}; sleep 60 & wait` },
    ]);
    const run = spawnOrun(["run", plan, "--remote-state", "--backend-url", relayUrl, "--exec-id", "fails"], {
      cwd: bed.dir,
      env: { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" },
    });
    const executions = path.join(bed.dir, ".orun", "executions");
    const localJob = async (): Promise<{ status?: string; steps?: Record<string, string> } | undefined> => {
      const record = (await fs.readdir(executions).catch(() => [])).find((d) => d.startsWith("fails."));
      const text = record && (await fs.readFile(path.join(executions, record, "state.json"), "utf8").catch(() => ""));
      return text ? (JSON.parse(text) as { jobs: Record<string, { status?: string; steps?: Record<string, string> }> }).jobs["f@dev.deploy"] : undefined;
    };
    const exists = (file: string) => fs.stat(file).then(() => true, () => false);
    // The step's failure is recorded and its output's upload hangs: the Ctrl-C comes after the verdict, during the upload.
    await until(async () => appendsHeld > before && (await exists(started)) && (await localJob())?.steps?.main === "failed", "the step failed and its log upload held", 120_000);
    run.child.kill("SIGINT");
    await until(() => exists(stopped), "the runner took the Ctrl-C in", 60_000);
    // The upload the Ctrl-C came during then goes through, as a slow one does.
    releaseAppends();
    const result = await run.done;
    assert.notEqual(result.code, 0, result.output);
    assert.doesNotMatch(result.output, /↷ f·dev\/deploy|job f@dev\.deploy was canceled/, result.output);
    const remote = await api(bed.backend.url, bed.token, "GET", `/v1/runs/fails/jobs/${enc("f@dev.deploy")}/status`);
    assert.deepEqual([remote.body.status, remote.body.lastError], ["failed", "step main: exit status 3"], remote.text);
    assert.equal((await localJob())?.status, "failed");
  });
});
