// Real processes for the distributed tests: `orun backend serve` and
// `orun run` children, tracked so `after` hooks can kill any survivor.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, PROJECT_ROOT } from "../support/cli.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";

const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
}

export interface OrunProcess {
  child: ChildProcess;
  output(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; exitedAt: number }>;
}

export function spawnOrun(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): OrunProcess {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; exitedAt: number }>((resolve) =>
    child.on("close", (code, signal) => {
      children.delete(child);
      resolve({ code, signal, output, exitedAt: Date.now() });
    }),
  );
  return { child, output: () => output, done };
}

export interface BackendProcess {
  url: string;
  port: number;
  proc: OrunProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `orun backend serve` and waits for its "listening on" line. */
export async function startBackendProcess(database: string, extraArgs: string[] = [], port = 0, env: NodeJS.ProcessEnv = {}): Promise<BackendProcess> {
  const proc = spawnOrun(["backend", "serve", "--port", String(port), "--database", database, ...extraArgs], { env });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${proc.output()}`)), 90_000);
    const check = () => {
      // The whole line: a pipe read may end inside the URL, whose port would then be cut short.
      const m = /listening on (http:\/\/\S+)[^\n]*\n/.exec(proc.output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.child.stdout?.on("data", check);
    void proc.done.then(() => {
      clearTimeout(timer);
      reject(new Error(`backend exited: ${proc.output()}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    async stop(signal = "SIGTERM") {
      proc.child.kill(signal);
      await proc.done;
    },
  };
}

/** Writes a hand-made plan (one `sh` step per job) and returns its path. */
export async function writePlan(dir: string, name: string, jobs: { id: string; deps?: string[]; run: string }[], options: { failFast?: boolean } = {}): Promise<string> {
  const planJobs: PlanJob[] = jobs.map((j) => {
    const [component, rest] = j.id.split("@");
    const [environment, jobName] = rest.split(".");
    return { id: j.id, name: jobName, component, environment, dependsOn: j.deps ?? [], steps: [{ id: "main", phase: "main", run: j.run }] };
  });
  const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name }, execution: { concurrency: 4, failFast: options.failFast ?? false }, spec: {}, jobs: planJobs };
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(file, JSON.stringify(plan, null, 2));
  return file;
}

export function countMatches(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, "g")) ?? []).length;
}
