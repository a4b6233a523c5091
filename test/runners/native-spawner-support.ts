// Shared set-up of the native spawn helper tests: a helper started on a fresh
// temp directory (closed and removed when the test ends) and `sh -c` requests.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { NativeSpawner, nativeSpawnerPath } from "../../src/runners/process/native-spawner.js";
import type { ProcessRequest } from "../../src/runners/process/run-process.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

export const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

/** A helper whose temp files go to a fresh directory, closed after the test. */
export async function setup(t: { after(fn: () => Promise<void> | void): void }): Promise<{ spawner: NativeSpawner; dir: string; outDir: string }> {
  assert.ok(nativeSpawnerPath(), "dist/native/orun-spawn must be built (npm run build)");
  const dir = await tempDir();
  const outDir = path.join(dir, "out");
  await mkdir(outDir);
  const spawner = await NativeSpawner.start(outDir);
  assert.ok(spawner);
  t.after(async () => {
    spawner.close();
    await removeDir(dir);
  });
  return { spawner, dir, outDir };
}

export const sh = (script: string, dir: string, extra: Partial<ProcessRequest> = {}): ProcessRequest => ({ command: "sh", args: ["-c", script], cwd: dir, env, ...extra });
