// Trigger context from the command line: `--trigger NAME` (a named binding,
// simulated locally) or `--from-ci github --event-file PATH` (a CI event).
// This is the one trigger module that touches the file system.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { OrunError, errorMessage } from "../../util/errors.js";
import { describe, inferGithubEventName, isObject, normalizeGithubEvent } from "./github.js";
import { jsonErrorOffset, lineColumn } from "./json-position.js";
import type { TriggerContext } from "./types.js";
import { quoted } from "../../util/printable.js";

export interface TriggerFlags {
  trigger?: string;
  fromCi?: string;
  eventFile?: string;
}

export const SUPPORTED_PROVIDERS = ["github"] as const;

export async function buildTriggerContext(
  flags: TriggerFlags,
  options: { cwd: string; env?: NodeJS.ProcessEnv } = { cwd: process.cwd() },
): Promise<TriggerContext> {
  const env = options.env ?? process.env;
  const trigger = flags.trigger?.trim();
  const provider = flags.fromCi?.trim().toLowerCase();
  if (trigger !== undefined && flags.eventFile !== undefined) {
    throw new OrunError("--trigger and --event-file are mutually exclusive", { location: { field: "--trigger" } });
  }
  if (trigger !== undefined && provider) {
    throw new OrunError("--trigger and --from-ci are mutually exclusive", { location: { field: "--trigger" } });
  }
  if (trigger !== undefined) {
    if (trigger === "") throw new OrunError("--trigger needs a binding name", { location: { field: "--trigger" } });
    return { mode: "named-trigger", name: trigger };
  }
  if (flags.eventFile !== undefined && !provider) {
    throw new OrunError("--from-ci is required when using --event-file", { location: { field: "--event-file" }, hint: "e.g. --from-ci github" });
  }
  if (!provider) return { mode: "none" };
  if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new OrunError(`unsupported event provider: ${flags.fromCi} (supported: ${SUPPORTED_PROVIDERS.join(", ")})`, { location: { field: "--from-ci" } });
  }
  // On GitHub Actions the runner already points at the event payload.
  const file = flags.eventFile ?? env.GITHUB_EVENT_PATH;
  if (!file) {
    throw new OrunError("--from-ci github needs --event-file PATH (or GITHUB_EVENT_PATH)", { location: { field: "--event-file" } });
  }
  const payload = await readEventFile(path.resolve(options.cwd, file), file);
  const eventName = env.GITHUB_EVENT_NAME?.trim() || inferGithubEventName(payload);
  const eventNameFrom = env.GITHUB_EVENT_NAME === undefined ? "unset" : env.GITHUB_EVENT_NAME.trim() ? "GITHUB_EVENT_NAME" : "empty";
  return { mode: "event-file", provider, file, event: normalizeGithubEvent(payload, eventName, file), eventNameFrom, payload };
}

async function readEventFile(absolute: string, shown: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (err) {
    throw new OrunError(`failed to read event file ${shown}: ${errorMessage(err)}`, { cause: err });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const at = offset === undefined ? {} : lineColumn(text, offset);
    const reason = offset === undefined ? errorMessage(err).replace(/\s+/g, " ") : describeOffset(text, offset);
    throw new OrunError(`malformed event file: not valid JSON (${reason})`, { location: { file: shown, ...at }, cause: err });
  }
  if (!isObject(payload)) {
    throw new OrunError(`malformed event file: expected a JSON object, got ${describe(payload)}`, { location: { file: shown } });
  }
  return payload;
}

function describeOffset(text: string, offset: number): string {
  if (offset >= text.length) return "unexpected end of input";
  return `unexpected ${quoted(text[offset])}`;
}
