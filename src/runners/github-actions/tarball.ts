// Safe unpacking of a repository tarball: entries are checked first (no
// absolute paths, no `..`, no links pointing outside the root, only files,
// directories and links), then extracted with the first path component
// stripped, as GitHub's tarballs wrap everything in `<owner>-<repo>-<sha>/`.
import path from "node:path";
import * as tar from "tar";

const ALLOWED = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

function stripFirst(entryPath: string): string {
  const parts = entryPath.split("/").filter((p) => p !== "" && p !== ".");
  return parts.slice(1).join("/");
}

function escapes(relative: string): boolean {
  const normal = path.posix.normalize(relative);
  return normal === ".." || normal.startsWith("../") || path.posix.isAbsolute(normal);
}

/** Throws a clear error naming the first unsafe entry. */
export async function checkTarball(file: string): Promise<void> {
  const problems: string[] = [];
  await tar.t({
    file,
    onReadEntry: (entry) => {
      const raw = entry.path;
      if (problems.length) return;
      if (path.posix.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw)) problems.push(`absolute path "${raw}"`);
      else if (raw.split(/[\\/]/).includes("..")) problems.push(`path "${raw}" leaves the archive root`);
      else if (!ALLOWED.has(entry.type)) problems.push(`unsupported entry type ${entry.type} for "${raw}"`);
      else if (entry.type === "SymbolicLink") {
        const link = entry.linkpath ?? "";
        const target = path.posix.join(path.posix.dirname(stripFirst(raw)), link);
        if (path.posix.isAbsolute(link) || escapes(target)) problems.push(`symlink "${raw}" -> "${link}" points outside the action`);
      } else if (entry.type === "Link") {
        const link = entry.linkpath ?? "";
        if (path.posix.isAbsolute(link) || link.split("/").includes("..")) problems.push(`hard link "${raw}" -> "${link}" points outside the action`);
      }
    },
  });
  if (problems.length) throw new Error(`unsafe action tarball: ${problems[0]}`);
}

export async function extractTarball(file: string, dest: string): Promise<void> {
  await checkTarball(file);
  await tar.x({ file, cwd: dest, strip: 1, strict: true, preserveOwner: false, filter: (_p, entry) => ALLOWED.has((entry as tar.ReadEntry).type) });
}
