// Option parsers shared by the command families. An empty value is refused rather than read as "flag
// absent": in CI an unset variable (`-e "$TARGET"`, `--job '${{ matrix.job }}'`) must not quietly widen a
// plan or a run to everything — production included.
import { InvalidArgumentError } from "commander";
import { canonicalJobId } from "../model/plan.js";

/** Repeatable options: `--files a --files b,c` → ["a", "b,c"] (callers split the comma lists). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `-e` / `--component`: repeatable comma lists; a value naming nothing (`""`, `,`) is refused. */
export const collectNames = (value: string, previous: string[] = []): string[] => {
  if (!value.split(",").some((item) => item.trim())) throw new InvalidArgumentError("it names nothing; leave the flag out to select everything.");
  return [...previous, value];
};

/**
 * A whole number written in digits only, or undefined: Number() reads `""` as 0 (an unset `$PORT`), `0x10` as 16 and
 * `1e9` as a billion, none of which a user means by a count or a port.
 */
export function digitsOnly(value: string): number | undefined {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A single value that must name something (`--job`, `--plan`, `--runner`, `--exec-id`). */
export const nonEmpty = (value: string): string => {
  if (value.trim() === "") throw new InvalidArgumentError("it is empty; leave the flag out instead.");
  return value;
};

/**
 * A flag that selects one thing, given twice with another value: refused, `why` saying what it takes instead. Settings
 * given twice take the last value, as git, docker and orun v2.3 (cobra) do, so a wrapper or alias can be overridden;
 * but `--component` and `-e` add up, and a second `--job` (or `logs --step`) read the same way was dropped unsaid,
 * leaving a job the user asked for unrun or its log unshown. The same value twice is harmless.
 */
export const oneValue =
  (flag: string, why: string, same: (a: string, b: string) => boolean = (a, b) => a === b) =>
  (value: string, previous: string | undefined): string => {
    nonEmpty(value);
    if (previous !== undefined && !same(previous, value)) throw new InvalidArgumentError(`${flag} was given ${previous} already: ${why}.`);
    return value;
  };

/** Whether two job IDs name one job (component@env.job and component.env.job are two forms of one ID). */
export const sameJob = (a: string, b: string): boolean => canonicalJobId(a) === canonicalJobId(b);

const ONE_JOB = "a run takes one job (--component and -e take several; run each job, or name the plan's components)";

/** `run --job`: one job. */
export const oneJob = oneValue("--job", ONE_JOB, sameJob);

/** Why --job beside its deprecated alias --job-id is refused when they name two jobs: each option checks only its own repeats. */
export const secondJobRefusal = (previous: string): string => `--job was given ${previous} already: ${ONE_JOB}.`;
