#!/usr/bin/env node
// Compiles the native spawn helper (native/orun-spawn.c) into
// dist/native/orun-spawn. Without a C compiler (or on a platform the helper
// does not support) it warns and succeeds: the local runner then spawns
// through Node's child_process, correct but slower per step.
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, statSync } from "node:fs";

const source = "native/orun-spawn.c";
const target = "dist/native/orun-spawn";

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

if (mtime(target) >= mtime(source)) process.exit(0);
mkdirSync("dist/native", { recursive: true });
const cc = process.env.CC || "cc";
const temp = `${target}.${process.pid}`;
const result = spawnSync(cc, ["-O2", "-std=c11", "-Wall", "-Wextra", "-o", temp, source], { stdio: ["ignore", "inherit", "inherit"] });
if (result.status !== 0) {
  const why = result.error ? result.error.message : `${cc} exited ${result.status}`;
  console.warn(`build-native: could not compile ${source} (${why}); orun will spawn steps through Node (slower per step)`);
  process.exit(0);
}
renameSync(temp, target);
