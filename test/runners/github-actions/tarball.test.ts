import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { extractTarball } from "../../../src/runners/github-actions/tarball.js";
import { tempDir } from "./helpers.js";

describe("github-actions tarball extraction", () => {
  it("unpacks a `git archive` tarball (GitHub's format: pax global header, one top folder) with modes and inner symlinks", async () => {
    const root = await tempDir("tarball");
    try {
      const repo = path.join(root, "repo");
      await mkdir(path.join(repo, "dist"), { recursive: true });
      await writeFile(path.join(repo, "action.yml"), "name: t\nruns: {using: node20, main: dist/index.js}\n");
      await writeFile(path.join(repo, "dist/index.js"), "console.log(1)\n");
      await writeFile(path.join(repo, "run.sh"), "#!/bin/sh\necho hi\n");
      await chmod(path.join(repo, "run.sh"), 0o755);
      await symlink("dist/index.js", path.join(repo, "main.js"));
      const git = (...args: string[]): string => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" });
      git("init", "-q");
      git("add", ".");
      git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init");
      const file = path.join(root, "repo.tar.gz");
      git("archive", "--format=tar.gz", "--prefix=acme-tool-abc1234/", "-o", file, "HEAD");
      const dest = path.join(root, "out");
      await mkdir(dest);
      await extractTarball(file, dest);
      assert.equal(await readFile(path.join(dest, "dist/index.js"), "utf8"), "console.log(1)\n");
      assert.equal(await readlink(path.join(dest, "main.js")), "dist/index.js");
      assert.ok(((await lstat(path.join(dest, "run.sh"))).mode & 0o111) !== 0, "executable bit kept");
      await assert.rejects(lstat(path.join(dest, "acme-tool-abc1234")), "top folder stripped");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
