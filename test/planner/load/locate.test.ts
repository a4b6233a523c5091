import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { locateIntent } from "../../../src/planner/load/index.js";
import { makeRepo } from "./helpers.js";

test("walks up from a nested directory to the nearest intent.yaml", async () => {
  const dir = await makeRepo({ "intent.yaml": "kind: Intent\n", "apps/api/src/x.ts": "" });
  assert.equal(await locateIntent({ cwd: path.join(dir, "apps/api/src") }), path.join(dir, "intent.yaml"));
});

test("intent.yml is found when there is no intent.yaml; intent.yaml wins when both exist", async () => {
  const yml = await makeRepo({ "intent.yml": "kind: Intent\n", "a/b": "" });
  assert.equal(await locateIntent({ cwd: path.join(yml, "a") }), path.join(yml, "intent.yml"));
  const both = await makeRepo({ "intent.yml": "", "intent.yaml": "" });
  assert.equal(await locateIntent({ cwd: both }), path.join(both, "intent.yaml"));
});

test("the walk stops at the git root and says where it looked", async () => {
  const dir = await makeRepo({ "intent.yaml": "kind: Intent\n", "inner/README": "" }, { git: false });
  await fs.mkdir(path.join(dir, "inner/.git"));
  await assert.rejects(locateIntent({ cwd: path.join(dir, "inner") }), (err: Error) => {
    assert.equal(err.message, `no intent.yaml found between ${path.join(dir, "inner")} and ${path.join(dir, "inner")} (run orun inside a repository with an intent.yaml, or pass -i/--intent <file>)`);
    return true;
  });
});

test("an explicit --intent path is used as given, relative to cwd, and must exist", async () => {
  const dir = await makeRepo({ "config/platform.yaml": "kind: Intent\n" });
  assert.equal(await locateIntent({ cwd: dir, intentPath: "config/platform.yaml" }), path.join(dir, "config/platform.yaml"));
  await assert.rejects(locateIntent({ cwd: dir, intentPath: "nope.yaml" }), /intent file not found: nope\.yaml/);
  await assert.rejects(locateIntent({ cwd: dir, intentPath: "config" }), /intent path is not a file: config/);
});

test("a symlinked working directory is resolved before walking up", async () => {
  const dir = await makeRepo({ "repo/intent.yaml": "kind: Intent\n", "repo/apps/x": "" });
  await fs.symlink(path.join(dir, "repo/apps"), path.join(dir, "link"));
  assert.equal(await locateIntent({ cwd: path.join(dir, "link") }), path.join(dir, "repo/intent.yaml"));
});
