// Ctrl-C while a job's log upload hangs (a backend that took the request and never answers): the runner still
// exits 130 within the cancel grace, and says how many bytes of the job's log did not reach the backend — once,
// not a line per piece — instead of losing them in silence. A loopback relay holds every log append unanswered.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { until } from "../support/wait.js";

describe("Ctrl-C while a log upload hangs", () => {
  let bed: RemoteTestbed;
  let relay: http.Server;
  let relayUrl: string;
  let appendsHeld = 0;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev16rem-cancel-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    const target = new URL(bed.backend.url);
    relay = http.createServer((req, res) => {
      if (req.method === "POST" && req.url?.includes("/logs/")) {
        appendsHeld++;
        req.resume();
        return;
      }
      const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on("error", () => res.destroy());
      req.pipe(out);
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
});
