// A run the backend no longer has while a job of this runner waits in it or runs (its retention deleted it, or its
// database was reset): said as such, not as a bare 404, since nothing of the job can be recorded any more.
import { OrunError } from "../util/errors.js";
import { RUN_GONE_CAUSE, isRunNotFound } from "./client.js";
import type { RemoteHooksOptions } from "./hooks.js";

type RunOf = Pick<RemoteHooksOptions, "client" | "runId">;

/** Rethrows `err`; a run the backend no longer has (created or joined before the job began to wait or run) is said as such. */
export function rethrowRunGone(run: RunOf, err: unknown, jobId: string, doing: "waited" | "ran"): never {
  if (isRunNotFound(err)) throw runGoneError(run, jobId, doing);
  throw err;
}

export function runGoneError({ runId, client }: RunOf, jobId: string, doing: "waited" | "ran"): OrunError {
  return new OrunError(
    `remote run ${runId} is gone from the backend at ${client.baseUrl} while job ${jobId} ${doing}: ${RUN_GONE_CAUSE}${doing === "ran" ? "; the job's result could not be recorded" : ""}`,
    { hint: "start the run again under a new --exec-id" },
  );
}
