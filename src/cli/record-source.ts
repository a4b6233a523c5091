// Whether `orun status` / `orun logs` read this machine's execution records or the backend's run when remote
// state is on. ORUN_REMOTE_STATE=true and intent.yaml's `execution.state.mode: remote` cannot be switched off
// per command, and a runner's own record (`Local record: R.<hex>` in its header) has what the backend does
// not keep: each step of the jobs it ran. So that record stays readable: with --local, or named exactly.
import { lstat } from "node:fs/promises";
import { OrunError } from "../util/errors.js";
import { validateExecId } from "../runtime/ids.js";
import type { ExecutionStore } from "../runtime/records/store.js";

export interface RecordSourceFlags {
  local?: boolean;
  remoteState?: boolean;
  backendUrl?: string;
  /** --exec-id (or `run/<id>`), as typed; ORUN_EXEC_ID is the run ID under remote state, never a record's. */
  execId?: string;
}

/** `--local` with a flag that asks for the backend: refused, naming both (one would be ignored). */
function checkLocalFlag(flags: RecordSourceFlags): void {
  if (!flags.local) return;
  if (flags.remoteState) throw new OrunError("--local reads this machine's execution records and --remote-state the backend's run: give one");
  if (flags.backendUrl?.trim()) throw new OrunError("--local reads this machine's execution records, so --backend-url would be ignored: give one");
}

/**
 * True when the command is to read this machine's records although remote state may be on: `--local`, or, with
 * remote state on by ORUN_REMOTE_STATE or the intent at `intentRoot` (--remote-state always asks the backend), an
 * `--exec-id` that is exactly a record's folder in `.orun/executions/` (a prefix does not do: it may be the start
 * of a run ID). The latter is said on stderr, as the remote reader says which run it shows.
 */
export async function readsLocalRecord(flags: RecordSourceFlags, store: ExecutionStore, intentRoot: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  checkLocalFlag(flags);
  if (flags.local) return true;
  if (flags.remoteState) return false;
  const { readIntentStateConfig, remoteEnabled } = await import("../remote/settings.js");
  if (!remoteEnabled({}, env, await readIntentStateConfig(intentRoot))) return false;
  const id = flags.execId?.trim();
  if (!id || !(await isRecordFolder(store, id))) return false;
  const remoteRunId = (await store.readMetadata(id).catch(() => undefined))?.remoteRunId;
  const backend = remoteRunId ? `the backend's run it is part of: --exec-id ${remoteRunId} --remote-state` : "the backend's run of that ID: --remote-state";
  process.stderr.write(`remote state: reading ${id}, an execution record on this machine (${backend})\n`);
  return true;
}

/** Whether `execId` is a valid exec ID naming a record folder of `store` (exactly, not as a prefix). */
export async function isRecordFolder(store: ExecutionStore, execId: string): Promise<boolean> {
  try {
    validateExecId(execId, "--exec-id");
  } catch {
    return false;
  }
  return (await lstat(store.execDir(execId)).catch(() => undefined))?.isDirectory() ?? false;
}
