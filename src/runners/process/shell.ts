// How a `run:` script becomes a command line. Without `shell:` the seed's
// rule applies: `sh -c <run>`. Named shells follow GitHub Actions' templates;
// a custom template must contain `{0}` (the script file path).
import { OrunError } from "../../util/errors.js";

export interface ShellInvocation {
  command: string;
  args: string[];
  /** Set when the script must be written to a file first (the `{0}` placeholder). */
  scriptExtension?: string;
}

const TEMPLATES: Record<string, { template: string; ext: string }> = {
  bash: { template: "bash --noprofile --norc -eo pipefail {0}", ext: ".sh" },
  sh: { template: "sh -e {0}", ext: ".sh" },
  python: { template: "python3 {0}", ext: ".py" },
  pwsh: { template: "pwsh -command . '{0}'", ext: ".ps1" },
};

export const KNOWN_SHELLS = Object.keys(TEMPLATES);

/**
 * Resolves the invocation for a step's `shell:`; the script path replaces
 * `{0}` later (see withScriptPath). Throws an OrunError for an unknown shell.
 */
export function resolveShell(shell: string | undefined, script: string, where: string): ShellInvocation {
  const name = shell?.trim() ?? "";
  if (name === "") return { command: "sh", args: ["-c", script] };
  const known = TEMPLATES[name];
  const template = known?.template ?? name;
  if (!template.includes("{0}")) {
    throw new OrunError(
      `unsupported shell "${name}" for ${where} (supported: ${KNOWN_SHELLS.join(", ")}, or a custom command containing {0}, e.g. "perl {0}")`,
    );
  }
  const [command, ...args] = template.split(/\s+/).filter(Boolean);
  return { command: command!, args, scriptExtension: known?.ext ?? ".sh" };
}

export function withScriptPath(invocation: ShellInvocation, scriptPath: string): ShellInvocation {
  return { ...invocation, args: invocation.args.map((arg) => arg.replaceAll("{0}", scriptPath)) };
}
