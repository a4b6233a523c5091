// hashFiles(pattern, ...) as GitHub computes it: the files under the
// workspace matching the patterns (`!` excludes; a folder stands for the files
// below it), sorted by path, each
// hashed with SHA-256, and the digests hashed again; '' when nothing matches.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { data } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { minimatch } from "minimatch";

/** Folders never worth hashing (VCS data, orun's own records). */
const SKIP = new Set([".git", ".orun"]);

function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  walk(root);
  return files;
}

export function hashFiles(workspace: string, patterns: string[]): string {
  const include = patterns.filter((p) => p.trim() && !p.trim().startsWith("!")).map((p) => p.trim());
  const exclude = patterns.filter((p) => p.trim().startsWith("!")).map((p) => p.trim().slice(1));
  const toRelative = (p: string): string => (path.isAbsolute(p) ? path.relative(workspace, p) : p).replace(/^\.\//, "");
  // As @actions/glob (implicitDescendants): a pattern naming a folder matches every file below it, in includes and excludes alike.
  const matches = (file: string, globs: string[]): boolean =>
    globs.some((g) => {
      const glob = toRelative(g).replace(/\/+$/, "");
      return minimatch(file, glob, { dot: true }) || (!glob.endsWith("**") && minimatch(file, `${glob}/**`, { dot: true }));
    });
  const selected = listFiles(workspace)
    .map((f) => path.relative(workspace, f).split(path.sep).join("/"))
    .filter((rel) => matches(rel, include) && !matches(rel, exclude))
    .sort();
  if (!selected.length) return "";
  const result = createHash("sha256");
  for (const rel of selected) result.update(createHash("sha256").update(readFileSync(path.join(workspace, rel))).digest());
  return result.digest("hex");
}

export function hashFilesFunction(workspace: string): FunctionDefinition {
  return {
    name: "hashFiles",
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => new data.StringData(hashFiles(workspace, args.map((a) => a.coerceString()))),
  };
}
