// Step scripts as files: content, permissions, removal after the step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { withScriptFile } from "../../../src/runners/process/script-file.js";

test("writes the script newline-terminated under its folder, hands over the path, removes it afterwards", async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), "orun-script-file-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = path.join(root, "scratch", "scripts");
  const seen = await withScriptFile("echo one\necho two", { dir, extension: ".ps1", mode: 0o700 }, async (file) => {
    assert.equal(path.dirname(file), dir, "the folder is created on demand");
    assert.match(path.basename(file), /^[0-9a-f]{12}\.ps1$/);
    assert.equal(await readFile(file, "utf8"), "echo one\necho two\n");
    assert.equal((await stat(file)).mode & 0o077, 0, "private to the user");
    return file;
  });
  assert.deepEqual(await readdir(dir), [], `${seen} is removed`);
  await withScriptFile("already\n", { dir, extension: ".sh", mode: 0o644 }, async (file) => {
    assert.equal(await readFile(file, "utf8"), "already\n", "no second newline");
    assert.equal((await stat(file)).mode & 0o777, 0o644 & ~process.umask());
  });
});

test("the file goes when the step throws, and two steps never share a file", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-script-file-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const options = { dir, extension: ".sh", mode: 0o700 };
  await assert.rejects(withScriptFile("x", options, () => Promise.reject(new Error("step blew up"))), /step blew up/);
  assert.deepEqual(await readdir(dir), []);
  const files = await Promise.all(Array.from({ length: 20 }, () => withScriptFile("x", options, (file) => readdir(dir).then(() => file))));
  assert.equal(new Set(files).size, 20);
  assert.deepEqual(await readdir(dir), []);
});
