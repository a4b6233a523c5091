// Finding a program on a PATH value the way execvp would (the step's PATH,
// not necessarily this process's).
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** The executable a PATH lookup finds for `program` (a name with a slash is taken as is); undefined when absent. */
export function which(program: string, pathValue: string | undefined): string | undefined {
  if (program.includes("/")) return isExecutableFile(program) ? program : undefined;
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    // A directory named like the program is not it (execvp skips it too).
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
