// rev29b: 78003e6 withholds, inside GitHub Actions, the text of a job whose log (the values its steps masked) the
// backend fails to serve — but only its error (statusShaper.shown replaces lastError). The other text status prints
// of a job, and reads that log's masks for (printsJobText), is why its success is no promotion evidence: its reason
// quotes the revision the runner reported (coordinator.ts reportedRevision, up to 64 characters of the runner's
// text). With the log unreadable that reason is printed as it is, a value the job's step masked in clear; with the
// log readable it is `***`. Expected: withheld like the error. A real backend on loopback driven through its HTTP
// API; a relay in front of it fails the log reads only; real `orun status` processes.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { api, enc, logFailingRelay, planOf, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { runOrun } from "../support/cli.js";

const REV = "1111111111111111111111111111111111111111";
const SECRET = "hunter2-masked-value";

let dir: string;
let db: TestDatabase;
let backend: TestBackend;
let relay: Awaited<ReturnType<typeof logFailingRelay>>;
let token: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev29b-evidence-reason-"));
  db = (await testDatabase("sqlite")) as TestDatabase;
  backend = await startTestBackend(db.url);
  relay = await logFailingRelay(backend.url);
  token = await tokenFor(backend.store, "acme/widgets");
});
after(async () => {
  await relay?.close();
  await backend?.stop();
  await db?.cleanup();
  await fs.rm(dir, { recursive: true, force: true });
});

it("status inside GitHub Actions withholds a no-evidence reason when the job's log cannot be read for its masks", { timeout: 60_000 }, async () => {
  const call = (method: string, urlPath: string, body?: unknown) => api(backend.url, token, method, urlPath, body);
  const job = enc("web@qa.test");
  assert.equal((await call("POST", "/v1/runs", { plan: { ...planOf({ "web@qa.test": [] }), revision: REV }, runId: "reason-run" })).status, 201);
  assert.equal((await call("POST", `/v1/runs/reason-run/jobs/${job}/claim`, { runnerId: "r" })).body.claimed, true);
  // The job's step masked the value (its log holds the ::add-mask:: line), and the runner reported it as its revision.
  assert.equal((await call("POST", `/v1/runs/reason-run/logs/${job}?runnerId=r`, `::add-mask::${SECRET}\nbuilt\n`)).status < 300, true);
  const updated = await call("POST", `/v1/runs/reason-run/jobs/${job}/update`, { runnerId: "r", status: "success", revision: SECRET });
  assert.equal(updated.status, 200, updated.text);

  const read = (url: string) =>
    runOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", "reason-run"], {
      cwd: dir,
      env: { ORUN_TOKEN: token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "true", ORUN_BACKEND_RETRY_MS: "300" },
    });
  const readable = await read(backend.url);
  assert.equal(readable.code, 0, readable.stdout + readable.stderr);
  assert.match(readable.stdout, /no promotion evidence/, readable.stdout);
  assert.doesNotMatch(readable.stdout, new RegExp(SECRET), `with its log read, the value its step masked is hidden:\n${readable.stdout}`);

  const unreadable = await read(relay.url);
  assert.equal(unreadable.code, 0, unreadable.stdout + unreadable.stderr);
  assert.doesNotMatch(unreadable.stdout, new RegExp(SECRET), `its log unread, the value its step masked is printed in clear:\n${unreadable.stdout}`);
  assert.match(unreadable.stdout, /not shown: its log, which holds the values its steps masked, could not be read/, unreadable.stdout);
});
