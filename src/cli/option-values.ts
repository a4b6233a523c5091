// Option parsers shared by the command families. An empty value is refused rather than read as "flag
// absent": in CI an unset variable (`-e "$TARGET"`, `--job '${{ matrix.job }}'`) must not quietly widen a
// plan or a run to everything — production included.
import { InvalidArgumentError } from "commander";

/** Repeatable options: `--files a --files b,c` → ["a", "b,c"] (callers split the comma lists). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `-e` / `--component`: repeatable comma lists; a value naming nothing (`""`, `,`) is refused. */
export const collectNames = (value: string, previous: string[] = []): string[] => {
  if (!value.split(",").some((item) => item.trim())) throw new InvalidArgumentError("it names nothing; leave the flag out to select everything.");
  return [...previous, value];
};

/** A single value that must name something (`--job`, `--plan`, `--runner`, `--exec-id`). */
export const nonEmpty = (value: string): string => {
  if (value.trim() === "") throw new InvalidArgumentError("it is empty; leave the flag out instead.");
  return value;
};
