// A step's script file for the container's read-only script mount (shells that read a file: `bash`,
// `python`, `sh {0}`…). Its host folder lives in the execution record, inside the workspace every step sees
// (/workspace/.orun/…): a step may have swapped the folder, or one above it, for a link to a host folder,
// and a script written by path would land there — in /etc/profile.d, say, when orun runs as root. So it is
// written through a descriptor of the folder, which must be the very folder orun made (same device and
// inode, no link at its end).
import { constants, type Stats } from "node:fs";
import { open, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";

/** The folder's identity, taken when orun created it (before any step ran). */
export interface FolderIdentity {
  dev: number;
  ino: number;
}

export function folderIdentity(stats: Stats): FolderIdentity {
  return { dev: stats.dev, ino: stats.ino };
}

/** Linux: a descriptor's folder as a path that no later swap of the folder's own path can redirect. */
const FD_DIR = "/proc/self/fd";

/**
 * Writes `script` (newline-terminated, as on GitHub) to `<dir>/<random><extension>`, runs `use` with the
 * file's name and removes the file afterwards. Throws when `dir` is no longer the folder `identity` names.
 */
export async function withContainerScript<T>(
  script: string,
  folder: { dir: string; identity: FolderIdentity; extension: string },
  use: (name: string) => Promise<T>,
): Promise<T> {
  const handle = await open(folder.dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`docker runner: the job's script folder ${folder.dir} is gone or was replaced (${err.code ?? err.message}); a step may have changed it through the workspace`);
  });
  try {
    const now = await handle.stat();
    if (now.dev !== folder.identity.dev || now.ino !== folder.identity.ino) {
      throw new Error(`docker runner: the job's script folder ${folder.dir} was replaced (a step may have changed it through the workspace); the script is not written`);
    }
    // Without /proc (not Linux) the checked path is used as it is.
    const base = existsSync(`${FD_DIR}/${handle.fd}`) ? `${FD_DIR}/${handle.fd}` : folder.dir;
    const name = `${randomBytes(6).toString("hex")}${folder.extension}`;
    // "wx": never through a file or link already there. Readable by whichever user the container's steps run as.
    await writeFile(`${base}/${name}`, script.endsWith("\n") ? script : `${script}\n`, { mode: 0o644, flag: "wx" });
    try {
      return await use(name);
    } finally {
      await rm(`${base}/${name}`, { force: true });
    }
  } finally {
    await handle.close();
  }
}
