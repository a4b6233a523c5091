// GitHub event payloads ($GITHUB_EVENT_PATH) reduced to a NormalizedEvent.
// Only the fields bindings match on are read, and each is type-checked so a
// malformed payload fails naming the file and the field.

import { OrunError } from "../../util/errors.js";
import type { NormalizedEvent } from "./types.js";
import { quoted } from "../../util/printable.js";

type Json = Record<string, unknown>;

/** v2.3's inference when GITHUB_EVENT_NAME is not set. */
export function inferGithubEventName(payload: Json): string {
  if (isObject(payload.pull_request)) return "pull_request";
  if ("before" in payload && "after" in payload) return "push";
  if ("workflow" in payload) return "workflow_dispatch";
  return "unknown";
}

export function normalizeGithubEvent(payload: Json, eventName: string, file: string): NormalizedEvent {
  const read = (field: string): string | undefined => stringAt(payload, field, file);
  const base: NormalizedEvent = {
    provider: "github",
    event: eventName,
    refType: "unknown",
    repository: read("repository.full_name"),
    actor: read("sender.login"),
  };
  switch (eventName) {
    case "pull_request":
    case "pull_request_target": {
      if (!isObject(payload.pull_request)) {
        throw new OrunError(`${eventName} event has no "pull_request" object`, { location: { file, field: "pull_request" } });
      }
      return {
        ...base,
        action: read("action"),
        refType: "pull_request",
        baseBranch: read("pull_request.base.ref"),
        baseSHA: read("pull_request.base.sha"),
        branch: read("pull_request.head.ref"),
        headSHA: read("pull_request.head.sha"),
      };
    }
    case "push": {
      const ref = read("ref");
      if (ref === undefined) throw new OrunError(`push event has no "ref"`, { location: { file, field: "ref" } });
      return { ...base, ref, ...refParts(ref), baseSHA: read("before"), headSHA: read("after") };
    }
    case "workflow_dispatch": {
      const ref = read("ref");
      const parts = ref?.startsWith("refs/heads/") ? refParts(ref) : {};
      return { ...base, ref, ...parts };
    }
    default:
      return { ...base, action: read("action"), ref: read("ref") };
  }
}

function refParts(ref: string): Pick<NormalizedEvent, "refType" | "branch" | "tag"> {
  if (ref.startsWith("refs/tags/")) return { refType: "tag", tag: ref.slice("refs/tags/".length) };
  if (ref.startsWith("refs/heads/")) return { refType: "branch", branch: ref.slice("refs/heads/".length) };
  return { refType: "unknown" };
}

/**
 * Follows a dot-path (`pull_request.base.sha`) through the payload. Returns
 * undefined when any segment is missing; non-string leaves are printed the way
 * Go's %v would (numbers, booleans), objects are not a ref and count as missing.
 */
export function resolveDotPath(payload: unknown, dotPath: string): string | undefined {
  if (dotPath.trim() === "") return undefined;
  let value: unknown = payload;
  for (const segment of dotPath.split(".")) {
    if (!isObject(value) || !(segment in value)) return undefined;
    value = value[segment];
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function stringAt(payload: Json, dotPath: string, file: string): string | undefined {
  let value: unknown = payload;
  for (const segment of dotPath.split(".")) {
    if (!isObject(value)) return undefined;
    value = value[segment];
  }
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new OrunError(`expected a string, got ${describe(value)}`, { location: { file, field: dotPath } });
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${quoted(value)}`;
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
