// How a `run:` script becomes a command line for a step's `shell:`, for every
// runner: GitHub Actions' documented templates, where `{0}` is the file the
// script is written to (script-file.ts). What differs between runners is
// explicit at the call sites:
//   - without `shell:`, local and docker run `sh -c <run>` (the seed's rule);
//     github-actions runs GitHub's default, `bash -e {0}` (`sh -e {0}` without bash);
//   - a fallback program (`python` → `python3`) is chosen on the step's PATH
//     (locateShell), or inside a container by `sh` (fallbackInShell).
import path from "node:path";
import { OrunError } from "../../util/errors.js";
import { which } from "./which.js";

export interface ShellCommand {
  /** The step's `shell:` as written (trimmed); "" for the runner's default. */
  name: string;
  command: string;
  /** `{0}` stands for the script file when `scriptExtension` is set. */
  args: string[];
  /** Set when the script must be written to a file first: that file's extension. */
  scriptExtension?: string;
  /** Program to run instead of `command` when that is not on the PATH. */
  fallback?: string;
}

/** What runs a step without `shell:`: `sh -c <run>`, or GitHub's bash-else-sh default. */
export type DefaultShell = "sh -c" | "bash-or-sh";

interface Template {
  words: string[];
  ext: string;
  fallback?: string;
}

// GitHub's "command run internally" for each keyword (Linux/macOS).
const TEMPLATES: Record<string, Template> = {
  bash: { words: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"], ext: ".sh" },
  sh: { words: ["sh", "-e", "{0}"], ext: ".sh" },
  // Debian and others ship only `python3`.
  python: { words: ["python", "{0}"], ext: ".py", fallback: "python3" },
  pwsh: { words: ["pwsh", "-command", ". '{0}'"], ext: ".ps1" },
  // Windows PowerShell; PowerShell Core (`pwsh`) is what Linux and macOS have.
  powershell: { words: ["powershell", "-command", ". '{0}'"], ext: ".ps1", fallback: "pwsh" },
};

/** GitHub's default differs from `shell: bash`: no pipefail, no --noprofile/--norc. */
const GITHUB_DEFAULT: Template = { words: ["bash", "-e", "{0}"], ext: ".sh", fallback: "sh" };

export const KNOWN_SHELLS = Object.keys(TEMPLATES);

/**
 * The command line for a step's `shell:`; `{0}` is replaced later (withScriptPath).
 * A custom template (`perl {0}`) must name the script file: GitHub's runner
 * would run a template without `{0}` without the script.
 */
export function resolveShell(shell: string | undefined, script: string, where: string, defaultShell: DefaultShell): ShellCommand {
  const name = shell?.trim() ?? "";
  if (name === "") return defaultShell === "sh -c" ? { name, command: "sh", args: ["-c", script] } : fromTemplate(name, GITHUB_DEFAULT);
  if (name === "cmd") throw new OrunError(`shell "cmd" for ${where} is only available on Windows runners`);
  const known = TEMPLATES[name];
  if (known) return fromTemplate(name, known);
  const words = splitTemplate(name);
  if (!words[0] || !words.some((word) => word.includes("{0}"))) {
    throw new OrunError(
      `unsupported shell "${name}" for ${where} (supported: ${KNOWN_SHELLS.join(", ")}, or a custom command containing {0}, e.g. "perl {0}")`,
    );
  }
  // The extension follows the program, as on GitHub (`pwsh -File {0}` needs .ps1).
  return fromTemplate(name, { words, ext: TEMPLATES[path.posix.basename(words[0])]?.ext ?? ".sh" });
}

function fromTemplate(name: string, template: Template): ShellCommand {
  const [command, ...args] = template.words;
  return { name, command: command!, args, scriptExtension: template.ext, fallback: template.fallback };
}

/**
 * Splits a custom template into words as GitHub's runner (.NET) splits an
 * argument string: whitespace separates, double quotes group (`pwsh -command
 * ". '{0}'"`), a backslash escapes a double quote; single quotes are plain.
 */
export function splitTemplate(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      let run = 1;
      while (text[i + run] === "\\") run++;
      if (text[i + run] === '"') {
        // 2n backslashes + quote: n backslashes, the quote groups; 2n+1: n backslashes and a literal quote.
        word += "\\".repeat(run >> 1);
        if (run % 2 === 1) {
          word += '"';
          i += run;
        } else {
          i += run - 1;
        }
      } else {
        word += "\\".repeat(run);
        i += run - 1;
      }
      inWord = true;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The shell with its program found on a PATH value: `command`, else its
 * fallback, as an absolute path; undefined when neither is there.
 */
export function locateShell(shell: ShellCommand, pathValue: string | undefined): ShellCommand | undefined {
  const found = which(shell.command, pathValue) ?? (shell.fallback === undefined ? undefined : which(shell.fallback, pathValue));
  return found === undefined ? undefined : { ...shell, command: found, fallback: undefined };
}

/** The error for a shell locateShell did not find. */
export function shellNotFound(shell: ShellCommand): string {
  if (shell.name === "") return `no shell for run steps: neither ${shell.command} nor ${shell.fallback ?? "sh"} is on PATH`;
  return `shell "${shell.name}": ${shell.command} not found in PATH`;
}

// $1 = the program, $2 = its fallback, then the program's arguments.
const PICK_PROGRAM = 'if command -v "$1" >/dev/null 2>&1; then p=$1; else p=$2; fi; shift 2; exec "$p" "$@"';

/** Leaves the choice of program to `sh` where the step runs: a container's PATH is not known outside it. */
export function fallbackInShell(shell: ShellCommand): ShellCommand {
  if (shell.fallback === undefined) return shell;
  return { ...shell, command: "sh", args: ["-c", PICK_PROGRAM, "sh", shell.command, shell.fallback, ...shell.args], fallback: undefined };
}

export function withScriptPath(shell: ShellCommand, scriptPath: string): ShellCommand {
  return { ...shell, args: shell.args.map((arg) => arg.replaceAll("{0}", scriptPath)) };
}
