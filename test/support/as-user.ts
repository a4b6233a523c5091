// orun run as another user than root, for tests of files orun may not read or write: as root (which reads and writes
// anything) orun runs as `nobody` on a tree the test hands to it; otherwise as the test's own user, who is refused by
// file modes.
import { spawn } from "node:child_process";
import { chown, readdir } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, type CliResult } from "./cli.js";

export const NOBODY = 65534;
export const asRoot = process.getuid?.() === 0;

/** orun as the test's user, or (as root) as nobody. */
export function orunAsUser(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ORUN_BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", HOME: cwd },
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Gives `dir` and everything in it to `uid` (its group too). */
export async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // A live run renames its temp files into place while this walks: one gone since the listing is no matter.
    await (entry.isDirectory() ? chownTree(full, uid) : chown(full, uid, uid)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }
}
