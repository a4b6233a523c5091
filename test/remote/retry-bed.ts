// What the remote retry tests share: per store, a temp dir, the local OIDC issuer, `orun backend serve` replicas
// (real processes on loopback) over one test database and an ORUN_TOKEN; and the runners they start against it —
// by hand with the token, or as legs of a GitHub workflow run's matrix whose OIDC tokens name the run and attempt.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { ORUN_BIN } from "../support/cli.js";
import { servedBackend } from "./backend-process-bed.js";
import type { StoreKind, TestDatabase } from "./helpers.js";
import { spawnOrun, type OrunProcess } from "./processes.js";

/** The lines a job's step appended to a ledger file, in order (none before the file exists). */
export const ledgerOf = async (file: string): Promise<string[]> => (await fs.readFile(file, "utf8").catch(() => "")).trim().split("\n").filter(Boolean);

/** Puts an `orun` (the built CLI) in `<dir>/bin`, for commands run as printed; returns that folder. */
export async function orunOnPath(dir: string): Promise<string> {
  const bin = path.join(dir, "bin");
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec '${process.execPath}' '${ORUN_BIN}' "$@"\n`, { mode: 0o755 });
  return bin;
}

/** Runs `command` as a user would paste it: `sh -c`, with `orun` on PATH from `bin` (orunOnPath). */
export function runPrinted(command: string, cwd: string, env: NodeJS.ProcessEnv, bin: string): Promise<{ code: number | null; output: string }> {
  const child = spawn("sh", ["-c", command], { cwd, env: { ...process.env, NO_COLOR: "1", ...env, PATH: `${bin}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

export interface RetryBed {
  /** undefined where the store is unavailable (PostgreSQL outside CI): the tests then skip. */
  db: TestDatabase | undefined;
  /** The runners' working directory (temp, removed after the block). */
  dir: string;
  /** A runner's environment by hand: ORUN_TOKEN of acme/widgets, the first replica, remote state on, not on GitHub Actions. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** `orun run <planFile> --job <job>` (`job` "": the jobs `args` select) as a leg of workflow run `ghRun`, attempt `attempt`: OIDC only, replicas in turn; `env` added. */
  leg(planFile: string, runId: string, job: string, attempt: number, ghRun: string, args?: string[], env?: NodeJS.ProcessEnv): OrunProcess;
  /** `orun status --exec-id <runId>` with the token. */
  status(runId: string): Promise<{ code: number | null; output: string }>;
  /** Where two racing retries go: one on each replica, or both on the only one. */
  racerUrls(): string[];
}

/**
 * Starts the bed before the enclosing describe block's tests and tears it down after them (runners still going are
 * killed). `replicas`: how many `orun backend serve` share the database (default: two on PostgreSQL, one on SQLite);
 * `serveArgs`: more flags for each of them.
 */
export function retryBed(kind: StoreKind, prefix: string, options: { replicas?: number; serveArgs?: string[] } = {}): RetryBed {
  const served = servedBackend(kind, { replicas: options.replicas ?? (kind === "postgres" ? 2 : 1), serveArgs: options.serveArgs, oidcIssuer: true });
  let legs = 0;
  const bed: RetryBed = {
    get db() {
      return served.db;
    },
    dir: "",
    env: (extra = {}) => ({ ORUN_TOKEN: served.token, ORUN_BACKEND_URL: served.backend.url, ORUN_REMOTE_STATE: "true", GITHUB_ACTIONS: "", ...extra }),
    leg: (planFile, runId, job, attempt, ghRun, args = [], env = {}) =>
      spawnOrun(["run", planFile, ...(job ? ["--job", job] : []), ...args], {
        cwd: bed.dir,
        env: bed.env({
          ORUN_BACKEND_URL: served.replicas[legs++ % served.replicas.length]!.url,
          ORUN_TOKEN: "",
          ORUN_EXEC_ID: runId,
          GITHUB_ACTIONS: "true",
          GITHUB_RUN_ID: ghRun,
          GITHUB_RUN_ATTEMPT: String(attempt),
          ACTIONS_ID_TOKEN_REQUEST_URL: `${served.issuer!.tokenRequestUrl}?repo=acme/widgets&run_id=${ghRun}&run_attempt=${attempt}`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: served.issuer!.requestToken,
          ...env,
        }),
      }),
    status: (runId) => spawnOrun(["status", "--exec-id", runId], { cwd: bed.dir, env: bed.env() }).done,
    racerUrls: () => (served.replicas.length > 1 ? served.replicas.map((r) => r.url) : [served.backend.url, served.backend.url]),
  };

  before(async () => {
    if (served.db) bed.dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  });
  after(async () => {
    if (bed.dir) await fs.rm(bed.dir, { recursive: true, force: true });
  });
  return bed;
}
