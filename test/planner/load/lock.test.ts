import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { writeCompositionLock } from "../../../src/planner/load/index.js";
import { load, repoS } from "./helpers.js";

test("compositions.lock.yaml records each source's digest and sorted exports, written atomically", async () => {
  const dir = await repoS("");
  const ws = await load(dir);
  const file = await writeCompositionLock(ws);
  assert.equal(file, path.join(dir, ".orun/compositions.lock.yaml"));
  const text = await fs.readFile(file, "utf8");
  assert.deepEqual(parse(text), {
    apiVersion: "sourceplane.io/v1alpha1",
    kind: "CompositionLock",
    sources: [{ name: "local", kind: "dir", path: "./comps", resolvedDigest: ws.sources[0]!.resolvedDigest, exports: ["svc", "tf"] }],
  });
  assert.match(text, /^sources:\n {4}- name: local\n {6}kind: dir\n {6}path: \.\/comps\n {6}resolvedDigest: sha256:[0-9a-f]{64}\n {6}exports:\n/m, text);
  assert.deepEqual(await fs.readdir(path.join(dir, ".orun")), ["compositions.lock.yaml"], "no temp file left behind");
  // Rewriting replaces the file whole.
  await fs.writeFile(file, "garbage");
  await writeCompositionLock(ws);
  assert.equal(await fs.readFile(file, "utf8"), text);
});
