// The package cache is opened once per compile, not once per source: opening it
// checks the folder's owner and mode and sweeps interrupted pulls (a readdir of
// the whole cache), work that is the same for every source.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { resolveSources } from "../../../src/planner/load/compositions/sources.js";
import { decodeIntent } from "../../../src/planner/load/intent.js";
import { parseYamlText } from "../../../src/planner/load/yaml.js";
import { COMPOSITIONS_CACHE, makeRepo, STACK, SVC, TF } from "./helpers.js";

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-cache-once-"));
after(() => fs.rm(tmp, { recursive: true, force: true }));

test("three archive sources of one compile open the package cache once", async () => {
  const dir = await makeRepo({ "a/stack.yaml": STACK, "a/svc/compositions.yaml": SVC, "b/stack.yaml": STACK, "b/tf/compositions.yaml": TF });
  await tar.c({ gzip: true, file: path.join(dir, "a.tgz"), cwd: path.join(dir, "a"), portable: true }, ["stack.yaml", "svc"]);
  await tar.c({ gzip: true, file: path.join(dir, "b.tgz"), cwd: path.join(dir, "b"), portable: true }, ["stack.yaml", "tf"]);
  const text = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: t}
compositions:
  sources:
    - {name: one, kind: archive, path: a.tgz}
    - {name: two, kind: archive, path: b.tgz}
    - {name: three, kind: archive, path: a.tgz}
`;
  const intent = decodeIntent(parseYamlText(text, "intent.yaml", path.join(dir, "intent.yaml"))[0]!);
  let opened = 0;
  const sources = await resolveSources(intent.compositions.sources, { rootDir: dir, cacheRoot: () => (opened++, Promise.resolve(COMPOSITIONS_CACHE)) }, "intent.yaml");
  assert.deepEqual(
    sources.map((s) => [s.record.name, s.record.exports]),
    [
      ["one", ["svc"]],
      ["two", ["tf"]],
      ["three", ["svc"]],
    ],
  );
  assert.equal(opened, 1);
  // Both packages were extracted into that cache.
  for (const s of sources) assert.equal(path.dirname(s.rootDir), COMPOSITIONS_CACHE);
});
