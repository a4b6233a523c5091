// Writing plan files. A file the user named (`orun plan -o`): a temp-file +
// rename keeps a regular file whole, but renamed over a device, a FIFO or a
// symlink it replaces them — `-o /dev/null` run as root turned the machine's
// /dev/null into a regular file. orun's own files under `.orun/` (the plan
// store, the composition lock) are another matter: a symlink at such a file's
// own path was put there by someone else (a cloned repository that commits
// `.orun/`), and written through it overwrote whatever it named (`/etc/passwd`
// as root). Only that last path segment is protected: a symlinked `.orun` or
// `.orun/plans` folder (a shared cache) is written through, by design, so the
// file names orun writes (latest.json, <id>.json, compositions.lock.yaml…) land
// in whatever folder such a link names.
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../util/fs-atomic.js";
import { OrunError } from "../util/errors.js";
import { hasControlCharacter } from "./validate.js";
import { plannerWarnOnStderr } from "../util/warning.js";

/**
 * Writes `content` to `file`: in place for a device or FIFO (/dev/null, /dev/stdout, a pipe) and for a
 * path whose links lead into /dev or /proc; through symlinks (the link stays, its target is written,
 * created if missing); atomically (temp + rename) for a regular or new file.
 */
export async function writeTargetFile(file: string, content: string | Uint8Array): Promise<void> {
  const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined; // new, or a link to a file not yet there
    throw err;
  });
  if (stat?.isDirectory()) throw new OrunError(`cannot write ${file}: it is a directory`);
  if (stat && (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isFIFO())) return fs.writeFile(file, content);
  if (stat && !stat.isFile()) throw new OrunError(`cannot write ${file}: it is not a regular file, a device or a FIFO`);
  const target = await followLinks(file);
  if (target === undefined) return fs.writeFile(file, content);
  await writeFileAtomic(target, content);
}

/** The path `file`'s symlinks lead to (the file itself when it is none); undefined when they lead into /dev or /proc. */
async function followLinks(file: string): Promise<string | undefined> {
  let current = path.resolve(file);
  for (let hops = 0; hops <= 40; hops++) {
    if (/^\/(dev|proc)\//.test(current)) return undefined; // magic links (/dev/stdout → /proc/self/fd/1): write through the open file
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat?.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), await fs.readlink(current));
  }
  throw new OrunError(`cannot write ${file}: too many levels of symbolic links`);
}

/**
 * Writes one of orun's own files under `.orun/` (a stored plan, the composition lock) atomically. A symlink at the
 * file's own path is replaced, never written through, with a warning naming where it led (a user's own link loses
 * its meaning; a planted one is worth knowing of); a directory, FIFO or device there is refused (`what` names the
 * action in the message). The folders on the way are followed as they are (see the header).
 */
export async function writeOwnFile(
  file: string,
  content: string | Uint8Array,
  what: string,
  warn: (message: string) => void = plannerWarnOnStderr,
): Promise<void> {
  await assertOwnFileWritable(file, what);
  const replacedLink = await fs.readlink(file).catch(() => undefined);
  await writeFileAtomic(file, content);
  if (replacedLink !== undefined) {
    const shown = [...replacedLink].map((c) => (hasControlCharacter(c) ? "?" : c)).join("");
    warn(`replaced the symbolic link ${file} (→ ${shown}) with a file of its own; the link's target is left as it was`);
  }
}

/** Refuses a directory, FIFO, socket or device where an orun-owned file goes; a symlink or regular file may be replaced. */
export async function assertOwnFileWritable(file: string, what: string): Promise<void> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (stat && !stat.isFile() && !stat.isSymbolicLink()) {
    throw new OrunError(`${what}: ${file} is ${stat.isDirectory() ? "a directory" : "not a regular file"}; move it away and try again`);
  }
}
