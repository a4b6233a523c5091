// Whether `orun status` / `orun logs` read this machine's execution records or the backend's run when remote
// state is on. Seed 002: with remote state on (ORUN_REMOTE_STATE=true, intent.yaml's `execution.state.mode:
// remote`) they "automatically use the backend", whatever the ID. A runner's own record (`Local record: R.<hex>` in
// its header) has what the backend does not keep, each step of the jobs it ran: `--local` reads it.
import { lstat } from "node:fs/promises";
import { OrunError } from "../util/errors.js";
import { validateExecId } from "../runtime/ids.js";
import type { ExecutionStore } from "../runtime/records/store.js";

export interface RecordSourceFlags {
  local?: boolean;
  remoteState?: boolean;
  backendUrl?: string;
}

/**
 * True for `--local`: this machine's records are read even when remote state is on. With a flag that asks for the
 * backend (--remote-state, or --backend-url, even an empty one) it is refused, naming both: one would be ignored.
 */
export function readsLocalRecord(flags: RecordSourceFlags): boolean {
  if (!flags.local) return false;
  if (flags.remoteState) throw new OrunError("--local reads this machine's execution records and --remote-state the backend's run: give one");
  if (flags.backendUrl !== undefined) throw new OrunError("--local reads this machine's execution records, so --backend-url would be ignored: give one");
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
