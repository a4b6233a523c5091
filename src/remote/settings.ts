// When remote state is on and where the backend is (40-remote-state.md §4.1):
// `--remote-state`, else ORUN_REMOTE_STATE=true, else intent/plan
// `execution.state.mode: remote`; URL from `--backend-url`, ORUN_BACKEND_URL,
// then `execution.state.backendUrl`.
import fs from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { OrunError } from "../util/errors.js";

export interface StateConfig {
  mode?: string;
  backendUrl?: string;
}

export interface RemoteFlags {
  remoteState?: boolean;
  backendUrl?: string;
}

export function remoteEnabled(flags: RemoteFlags, env: NodeJS.ProcessEnv, config: StateConfig | undefined): boolean {
  if (flags.remoteState) return true;
  if ((env.ORUN_REMOTE_STATE ?? "").trim().toLowerCase() === "true") return true;
  return (config?.mode ?? "").trim().toLowerCase() === "remote";
}

/** `--backend-url` alone does not turn remote state on (v2's rule): the warning that says so, run and dry-run alike. */
export const IGNORED_BACKEND_URL = "--backend-url is ignored: remote state is off (add --remote-state, set ORUN_REMOTE_STATE=true or intent execution.state.mode: remote)";

export function resolveBackendUrl(flags: RemoteFlags, env: NodeJS.ProcessEnv, config: StateConfig | undefined): string {
  const url = [flags.backendUrl, env.ORUN_BACKEND_URL, config?.backendUrl].map((v) => v?.trim()).find((v) => v);
  if (!url) throw new OrunError("--remote-state requires --backend-url or ORUN_BACKEND_URL (or intent.yaml execution.state.backendUrl)");
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new OrunError(`invalid backend URL "${url}": expected http(s)://host[:port]`);
  }
  return url;
}

/** A tuning variable in milliseconds (e.g. ORUN_REMOTE_WAIT_TIMEOUT_MS): undefined when unset, refused when not a number. */
export function envMilliseconds(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw)) throw new OrunError(`${name}: expected a number of milliseconds, got "${env[name]}"`);
  return Number(raw);
}

/** `execution.state` of the intent at `intentRoot` (status/logs have no plan to read it from). */
export async function readIntentStateConfig(intentRoot: string | undefined): Promise<StateConfig | undefined> {
  if (!intentRoot) return undefined;
  let text: string;
  try {
    text = await fs.readFile(path.join(intentRoot, "intent.yaml"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const doc = parse(text) as { execution?: { state?: StateConfig } } | null;
    const state = doc?.execution?.state;
    return state && typeof state === "object" ? state : undefined;
  } catch {
    // A broken intent is reported by the commands that compile it.
    return undefined;
  }
}
