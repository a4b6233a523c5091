import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveShell } from "../../../src/runners/github-actions/shell.js";

function binDir(programs: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "orun-gha-shell-"));
  for (const name of programs) {
    const file = path.join(dir, name);
    writeFileSync(file, "#!/bin/sh\n");
    chmodSync(file, 0o755);
  }
  return dir;
}

test("shell: python falls back to python3 when only python3 is on PATH", () => {
  const dir = binDir(["python3"]);
  try {
    const cmd = resolveShell("python", (ext) => `/tmp/script${ext}`, dir);
    assert.equal(cmd.program, path.join(dir, "python3"));
    assert.deepEqual(cmd.args, ["/tmp/script.py"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shell: python is used as GitHub's template says when it exists", () => {
  const dir = binDir(["python", "python3"]);
  try {
    assert.equal(resolveShell("python", (ext) => `/tmp/s${ext}`, dir).program, path.join(dir, "python"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shell: a missing interpreter is a clear error", () => {
  const dir = binDir([]);
  try {
    assert.throws(() => resolveShell("python", (ext) => `/tmp/s${ext}`, dir), /shell "python": python not found in PATH/);
    symlinkSync("/bin/sh", path.join(dir, "sh"));
    assert.equal(resolveShell(undefined, (ext) => `/tmp/s${ext}`, dir).program, path.join(dir, "sh"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
