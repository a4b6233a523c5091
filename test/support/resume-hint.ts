// The steps the resume-hint tests share: read a printed resume command, paste it through `sh` as a reader would, and
// kill a run outright to read the command `orun status` gives for it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "./cli.js";
import { shellScript } from "./bash.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { until } from "./wait.js";

type After = { after(fn: () => Promise<void> | void): void };

/** The summary's `resume` line as printed (one line: a line break in it fails the match of what follows). */
export function resumeLine(stdout: string): string {
  const hint = /^ {2}resume {2}(orun run .*)$/m.exec(stdout)?.[1];
  assert.ok(hint, `no resume hint in:\n${stdout}`);
  return hint;
}

/**
 * The summary's `approve` line, offered for jobs the run blocked for want of --approve: the jobs it names and the
 * command it gives (the one printed command that approves when the run was not given --approve).
 */
export function approveLine(stdout: string): { blocked: string; command: string } {
  const line = /^ {2}approve (.+) blocked \(policy requireApproval\); to approve and run (?:it|them): (orun run .*)$/m.exec(stdout);
  assert.ok(line, `no approve line in:\n${stdout}`);
  return { blocked: line[1]!, command: line[2]! };
}

/**
 * Runs a printed command line as a reader pasting it would: through `sh` (dash on Debian: no `$'…'`) in `cwd`,
 * `orun` on PATH the built binary, without the ORUN_* settings of this process (the line must carry those it needs).
 */
export async function inShell(t: After, line: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const bin = await tempDir("orun-resume-hint-bin-");
  t.after(() => removeDir(bin));
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`, { mode: 0o755 });
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", PATH: `${bin}:${process.env.PATH ?? ""}` };
  for (const name of Object.keys(base)) if (name.startsWith("ORUN_") || name === "GITHUB_ACTIONS") delete base[name];
  return shellScript("sh", line, cwd, { ...base, ...env });
}

/** The jobs execution `execId` recorded, as `<job> <status>` (`statusArgs`: -i and the like, for a folder outside the intent). */
export async function jobStatuses(dir: string, execId: string, statusArgs: string[] = []): Promise<string[]> {
  const status = await runOrun(["status", ...statusArgs, "--exec-id", execId, "--json"], { cwd: dir });
  const { jobs } = (JSON.parse(status.stdout) as { state: { jobs: Record<string, { status: string }> } }).state;
  return Object.entries(jobs).map(([id, job]) => `${id} ${job.status}`);
}

/**
 * `orun run <args>` in `cwd`, SIGKILLed once `started` exists (its step made it): a run killed outright (OOM, a
 * killed CI job), which prints no summary and leaves its record interrupted.
 */
export async function killedRun(t: After, args: string[], cwd: string, started: string): Promise<void> {
  const child = spawn(process.execPath, [ORUN_BIN, "run", ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ORUN_RUNNER: "", ORUN_EXEC_ID: "" },
    stdio: "ignore",
  });
  const exited = new Promise<unknown>((resolve) => child.on("close", resolve));
  t.after(() => void child.kill("SIGKILL"));
  await until(() => existsSync(started), "the step to start");
  child.kill("SIGKILL");
  await exited;
}

/** The resume command `orun status` advises for dead run `execId` (text), checked to be what `--json` says too. */
export async function statusAdvice(cwd: string, execId: string, statusArgs: string[] = []): Promise<string> {
  const status = await runOrun(["status", ...statusArgs, "--exec-id", execId], { cwd });
  assert.equal(status.code, 0, status.stderr);
  const advice = /is no longer alive; resume with: (.*)\n/.exec(status.stdout)?.[1];
  assert.ok(advice, status.stdout);
  const json = JSON.parse((await runOrun(["status", ...statusArgs, "--exec-id", execId, "--json"], { cwd })).stdout) as { resumeCommand?: string };
  assert.equal(json.resumeCommand, advice);
  return advice;
}
