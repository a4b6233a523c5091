// `orun status --remote-state --watch` to a log (not a terminal) of a run that exists on the backend but that no
// runner has started (no job claimed): it printed the same frame at every poll, only its duration moved on. It now
// prints the run once and again only when something in it changes (a job claimed, one ended), with --json too.
// Real `orun backend serve` (SQLite) and real orun processes; the watcher's polls are counted at a loopback relay.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { api, enc, planOf } from "./helpers.js";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, type OrunProcess } from "./processes.js";
import { startAnswerDroppingRelay, type AnswerDroppingRelay } from "./answer-dropping-relay.js";
import { until } from "../support/wait.js";

describe("orun status --watch of a remote run no runner has started", () => {
  const served = servedBackend("sqlite");
  const relays: AnswerDroppingRelay[] = [];
  after(() => relays.forEach((relay) => relay.close()));

  /** A watcher of `runId` through its own relay (its polls are counted there). */
  const watcher = async (runId: string, extra: string[] = []): Promise<{ watch: OrunProcess; polls: () => number }> => {
    const relay = await startAnswerDroppingRelay(() => served.backend.url);
    relays.push(relay);
    const watch = spawnOrun(["status", "--remote-state", "--exec-id", runId, "--watch", "--interval", "200ms", ...extra], { env: served.env({ ORUN_BACKEND_URL: relay.url }) });
    return { watch, polls: () => relay.requests.filter((request) => request === `GET /v1/runs/${runId}`).length };
  };
  const call = (method: string, path: string, body?: unknown) => api(served.backend.url, served.token, method, path, body);

  it("prints the run once while nothing changes, then a frame per change, none repeated", async () => {
    const runId = "unstarted";
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"] }), runId })).status, 201);
    const text = await watcher(runId);
    const json = await watcher(runId, ["--json"]);
    const frames = (output: string): string[] => output.split(/(?=▲ orun remote run )/).filter((frame) => frame.startsWith("▲"));
    const documents = (output: string): number => (output.match(/^\{$/gm) ?? []).length;
    await until(() => text.polls() >= 6 && json.polls() >= 6, "six polls of each watcher");
    assert.equal(frames(text.watch.output()).length, 1, `one frame for six polls of an unchanged run:\n${text.watch.output()}`);
    assert.match(text.watch.output(), /State: running[\s\S]*○ 2 queued[\s\S]*○ a@dev\.x +pending/);
    assert.equal(documents(json.watch.output()), 1, `one JSON document for six polls:\n${json.watch.output()}`);

    // A runner claims a: the change is printed (once more polls went by unchanged).
    assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r1" })).status, 200);
    await until(() => /● a@dev\.x +running/.test(text.watch.output()), "the claim to be shown");
    for (const job of ["a@dev.x", "b@dev.x"]) {
      if (job !== "a@dev.x") assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: "r1" })).status, 200);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: "r1", status: "success" })).status, 200);
    }
    const [shown, shownJson] = await Promise.all([text.watch.done, json.watch.done]);
    assert.equal(shown.code, 0, shown.output);
    assert.equal(shownJson.code, 0, shownJson.output);
    const all = frames(shown.output);
    assert.match(all.at(-1)!, /State: completed/);
    // Without the clock (what grows each poll), no frame is the one before it again.
    const still = all.map((frame) => frame.replace(/Duration: \S*|\d+(\.\d+)?m?s\b/g, ""));
    for (let i = 1; i < still.length; i++) assert.notEqual(still[i], still[i - 1], `frame ${i} repeats the one before:\n${shown.output}`);
    assert.ok(documents(shownJson.output) <= all.length + 1, `JSON documents only on change:\n${shownJson.output}`);
  });
});
