// Runs the compiled orun binary as a real process (tests never import the CLI in-process).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const ORUN_BIN = path.join(PROJECT_ROOT, "dist/src/cli/bin.js");
export const SHARED_DIR = path.resolve(PROJECT_ROOT, "../shared");
export const FIXTURES_DIR = path.join(SHARED_DIR, "fixtures/orun-v2.3-examples");

/**
 * The CI's own variables (GITHUB_*, RUNNER_*, ACTIONS_*, CI), which would turn on the github-actions runner and
 * presenter when the suite itself runs inside GitHub Actions. scripts/run-tests.mjs drops them too; a test that
 * wants them passes them in `env`.
 */
const CI_VARIABLE = /^(?:CI|(?:GITHUB|RUNNER|ACTIONS)_.*)$/;

/** `process.env` without the CI's own variables. */
export function envWithoutCi(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !CI_VARIABLE.test(name)));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runOrun(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ORUN_BIN, ...args], {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: { ...envWithoutCi(), NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}
