// A resume reads its record's metadata.json once, for all its checks (the state's plan against the record's, the
// revision of earlier results, the runner-record guard), and so does a dry-run of it: a resume read it twice
// (loadState's checksum check, then executePlan's own read), a dry-run three times (loadState, previewedResume,
// previewGates). The whole runtime (executePlan), real files; ExecutionStore.readMetadataLeniently, the reads of the
// record being resumed, counted (a gate's search for evidence reads every record's through store.list, the resumed
// one's included: that is the gate's read, not the resume's).
import { test } from "node:test";
import assert from "node:assert/strict";
import { executePlan, type ExecuteOptions } from "../../src/runtime/execute.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";

const REV = "0123456789abcdef0123456789abcdef01234567";
const gate = { type: "environment-promotion" as const, environment: "staging", component: "web", condition: "success", match: { revision: "source" } };

test("a resume and a dry-run of it read the record's metadata.json once each", async (t) => {
  const dir = await tempDir("orun-metadata-once-");
  t.after(() => removeDir(dir));
  // A gated job: the dry-run judges its gate by the execution's own results, stamped with the record's revision.
  const plan = makePlan([{ id: "web@staging.deploy", steps: [{ run: "true" }] }, { id: "web@prod.deploy", dependsOn: ["web@staging.deploy"], gates: [gate], steps: [{ run: "true" }] }], { revision: REV });
  const options: ExecuteOptions = {
    plan,
    storeDir: dir,
    workspaceDir: dir,
    runner: { name: "local", source: "default" },
    execId: "e1",
    renderer: { handle: () => undefined, close: () => undefined },
    warn: () => undefined,
  };
  assert.equal((await executePlan({ ...options, job: "web@staging.deploy" })).exitCode, 0);

  const read = ExecutionStore.prototype.readMetadataLeniently;
  t.after(() => void (ExecutionStore.prototype.readMetadataLeniently = read));
  let reads = 0;
  ExecutionStore.prototype.readMetadataLeniently = function (this: ExecutionStore, ...args: Parameters<typeof read>) {
    if (args[0] === "e1") reads++;
    return read.apply(this, args);
  };
  const preview = await executePlan({ ...options, dryRun: true });
  assert.equal(preview.exitCode, 0);
  assert.equal(reads, 1, "the dry-run's reads of metadata.json");
  reads = 0;
  const resumed = await executePlan(options);
  assert.equal(resumed.exitCode, 0);
  assert.equal(resumed.summary.counts.cached, 1, "the resume skipped what the execution completed");
  assert.equal(reads, 1, "the resume's reads of metadata.json");
});
