// A job's script folder (host side of the read-only /__orun/scripts mount) is written through a descriptor
// of the very folder orun made: one swapped for a link to another folder gets no script (rev16ci #5). Steps
// can no longer reach the folder (the record is read-only in the container), so the swap is made here.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { lstatSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { folderIdentity, withContainerScript } from "../../../src/runners/docker/script-file.js";

describe("withContainerScript", () => {
  let root = "";
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("writes the script into the folder it made, and refuses one swapped for a link", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "orun-script-file-"));
    const dir = path.join(root, "scripts");
    const target = path.join(root, "target");
    await mkdir(dir);
    await mkdir(target);
    const identity = folderIdentity(lstatSync(dir));
    const seen = await withContainerScript("echo hi", { dir, identity, extension: ".sh" }, async (name) => readdir(dir).then((names) => ({ name, names })));
    assert.match(seen.name, /^[0-9a-f]{12}\.sh$/);
    assert.deepEqual(seen.names, [seen.name]);
    assert.deepEqual(await readdir(dir), [], "removed after use");

    await rename(dir, `${dir}.old`);
    await symlink(target, dir);
    await assert.rejects(withContainerScript("echo hi", { dir, identity, extension: ".sh" }, async () => "ran"), /script folder .* (is gone or was replaced|was replaced)/);
    await mkdir(`${dir}.new`);
    await rm(dir);
    await rename(`${dir}.new`, dir);
    await assert.rejects(withContainerScript("echo hi", { dir, identity, extension: ".sh" }, async () => "ran"), /was replaced/);
    assert.deepEqual(await readdir(target), [], "nothing was written through the link");
  });
});
