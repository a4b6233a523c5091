// Under --json (or a format flag such as `get jobs -o json`), a failed command also prints its error as one
// JSON document on stdout: a script reading stdout would otherwise get empty input, which no JSON parser takes.
// stderr keeps the usual `✕ …` text and the exit status is unchanged (schemas/output/error.schema.json).
import type { Command } from "commander";

export { jsonErrorOf, type JsonError } from "../util/json-error.js";

/**
 * Whether the words after the command path (`args`, up to a `--`) ask `command` for JSON: its `--json` flag,
 * or its format option (one whose choices include json) set to json. Read from the words, not commander's
 * parse, so that a usage error (an unknown flag, a bad value) is answered in JSON too.
 */
export function jsonRequested(command: Command, args: readonly string[]): boolean {
  const words = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  const takesJson = command.options.some((o) => o.long === "--json");
  if (takesJson && words.includes("--json")) return true;
  const format = command.options.find((o) => o.argChoices?.includes("json"));
  if (!format) return false;
  return words.some((word, i) => {
    const next = words[i + 1];
    if ((word === format.short || word === format.long) && next === "json") return true;
    return word === `${format.long}=json` || word === `${format.short}json`;
  });
}
