// A step's script as a file, for shells that read one (`{0}` in their
// template): written where the runner says, removed once the step is over.
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";

export interface ScriptFileOptions {
  dir: string;
  /** With the dot: `.sh`, `.py`, `.ps1` (pwsh refuses other names). */
  extension: string;
  /** Permission bits: private to the user on the host, readable by a container's user for docker. */
  mode: number;
}

/**
 * Writes `script` to `<dir>/<random><extension>`, newline-terminated as on
 * GitHub, runs `use` with the file's path and removes the file afterwards.
 */
export async function withScriptFile<T>(script: string, options: ScriptFileOptions, use: (file: string) => Promise<T>): Promise<T> {
  await mkdir(options.dir, { recursive: true });
  const file = path.join(options.dir, `${randomBytes(6).toString("hex")}${options.extension}`);
  // "wx": never write through a file or link that is already there.
  await writeFile(file, script.endsWith("\n") ? script : `${script}\n`, { mode: options.mode, flag: "wx" });
  try {
    return await use(file);
  } finally {
    await rm(file, { force: true });
  }
}
