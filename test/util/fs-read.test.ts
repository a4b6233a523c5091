// The async and the sync reader of a file orun keeps for itself give the same answer for each kind of thing that
// may stand in its place: the text, missing, a link (refused unless followed), a directory, a FIFO (refused without
// blocking), a file over the bound, and a read error. Real files in a temp folder.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { readOwnFile, readOwnFileSync, type OwnFileOptions, type OwnFileRead } from "../../src/util/fs-read.js";

describe("reading a file orun keeps for itself, async and sync alike", () => {
  let dir: string;
  /** `name` in the temp folder (an absolute path as it is). */
  const at = (name: string) => path.resolve(dir, name);
  /** Both readers' answer, asserted to be the same. */
  const read = async (name: string, options: OwnFileOptions): Promise<OwnFileRead> => {
    const answer = await readOwnFile(at(name), options);
    assert.deepEqual(readOwnFileSync(at(name), options), answer, `the sync reader answers ${name} as the async one does`);
    return answer;
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-fs-read-"));
    await fs.writeFile(at("record.json"), '{"ok":true}');
    await fs.writeFile(at("big.txt"), "x".repeat(200 * 1024));
    await fs.symlink(at("record.json"), at("link.json"));
    await fs.mkdir(at("folder"));
    execFileSync("mkfifo", [at("fifo")]);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("reads a regular file within the bound, in several chunks", async () => {
    assert.deepEqual(await read("record.json", { maxBytes: 100 }), { kind: "text", text: '{"ok":true}' });
    const big = await read("big.txt", { maxBytes: 1024 * 1024 });
    assert.equal(big.kind === "text" && big.text.length, 200 * 1024);
  });

  it("says missing, and refuses a link unless told to follow it, a directory, a FIFO and a file over the bound", async () => {
    assert.deepEqual(await read("none.json", { maxBytes: 100 }), { kind: "missing" });
    assert.deepEqual(await read("link.json", { maxBytes: 100 }), { kind: "refused", reason: "a symbolic link", code: "ELOOP" });
    assert.deepEqual(await read("link.json", { maxBytes: 100, followLinks: true }), { kind: "text", text: '{"ok":true}' });
    assert.deepEqual(await read("folder", { maxBytes: 100 }), { kind: "refused", reason: "a directory" });
    assert.deepEqual(await read("fifo", { maxBytes: 100 }), { kind: "refused", reason: "not a regular file (a FIFO, socket or device)" });
    assert.deepEqual(await read("big.txt", { maxBytes: 1000 }), { kind: "refused", reason: "larger than 1000 bytes" });
  });

  it("refuses a file it cannot open or read, naming the error", async () => {
    // A path through a regular file: its open fails with ENOTDIR, neither missing nor a link.
    const unopened = await read("record.json/inner", { maxBytes: 100 });
    assert.equal(unopened.kind === "refused" && unopened.code, "ENOTDIR");
    // A regular file whose first read fails: this process's memory at address 0 (EIO).
    const unread = await read("/proc/self/mem", { maxBytes: 100 });
    assert.equal(unread.kind === "refused" && unread.code, "EIO");
  });
});
