// A job's script folder (host side of the read-only /__orun/scripts mount) is written through a descriptor
// of the very folder orun made: one swapped for a link to another folder gets no script (rev16ci #5). Steps
// can no longer reach the folder (the record is read-only in the container), so the swap is made here.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { lstatSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink } from "node:fs/promises";
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
    // As on GitHub, the script ends in a newline (a last heredoc line or `read` needs one), and any container user reads it.
    const written = await withContainerScript("cat <<EOF\nx\nEOF", { dir, identity, extension: ".sh" }, async (name) => {
      const file = path.join(dir, name);
      return { text: await readFile(file, "utf8"), mode: (await stat(file)).mode & 0o777 };
    });
    assert.deepEqual(written, { text: "cat <<EOF\nx\nEOF\n", mode: 0o644 });
    assert.equal(await withContainerScript("echo one\n", { dir, identity, extension: ".sh" }, async (name) => readFile(path.join(dir, name), "utf8")), "echo one\n");

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
