// `shell:` for run steps, with GitHub's templates: `{0}` is the script file.
import { accessSync, constants } from "node:fs";
import path from "node:path";

const TEMPLATES: Record<string, { words: string[]; ext: string }> = {
  bash: { words: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"], ext: ".sh" },
  sh: { words: ["sh", "-e", "{0}"], ext: ".sh" },
  python: { words: ["python", "{0}"], ext: ".py" },
  pwsh: { words: ["pwsh", "-command", ". '{0}'"], ext: ".ps1" },
  powershell: { words: ["pwsh", "-command", ". '{0}'"], ext: ".ps1" },
};

export interface ShellCommand {
  program: string;
  args: string[];
  extension: string;
}

/** Finds an executable on a PATH string; undefined when absent. */
export function which(program: string, pathValue: string | undefined): string | undefined {
  if (program.includes("/")) return isExecutable(program) ? program : undefined;
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves the command line for a script; throws a clear message for unknown or missing shells. */
export function resolveShell(shell: string | undefined, scriptPath: (ext: string) => string, pathValue: string | undefined): ShellCommand {
  let name = shell?.trim() ?? "";
  if (name === "") name = which("bash", pathValue) ? "bash" : "sh";
  if (name === "cmd") throw new Error(`shell "cmd" is only available on Windows runners`);
  const known = TEMPLATES[name];
  // A custom shell is a command line; without {0} the script path goes last.
  const words = known?.words ?? name.split(/\s+/).filter(Boolean);
  const extension = known?.ext ?? ".sh";
  const [first, ...rest] = words;
  // GitHub's template says `python`; many Linux machines only have `python3`.
  const program = name === "python" && !which(first!, pathValue) && which("python3", pathValue) ? "python3" : first!;
  const file = scriptPath(extension);
  const args = words.some((w) => w.includes("{0}")) ? rest.map((a) => a.replaceAll("{0}", file)) : [...rest, file];
  const resolved = which(program, pathValue);
  if (!resolved) throw new Error(`shell "${name}": ${program} not found in PATH`);
  return { program: resolved, args, extension };
}
