// Change detection for `--changed`: collect the changed files (files.ts),
// select the components they touch plus their dependencies (select.ts), and
// explain the result (explain.ts).

import { collectChanges, parseIntentImpact, type ChangeEnvironment, type ChangeOptions, type ChangeSet } from "./files.js";
import { explainChanges } from "./explain.js";
import { selectChangedComponents, type ChangeComponent, type ChangeSelection } from "./select.js";

export * from "./files.js";
export * from "./select.js";
export * from "./intent-diff.js";
export { explainChanges, describeReason, describeSource } from "./explain.js";

export interface ChangedScope {
  set: ChangeSet;
  selection: ChangeSelection;
  /** The `--explain` text. */
  explanation: string;
}

/** Changed files → selected components, with the explanation. */
export async function detectChangedComponents(options: ChangeOptions, context: ChangeEnvironment, components: readonly ChangeComponent[]): Promise<ChangedScope> {
  const set = await collectChanges(options, context);
  const selection = selectChangedComponents({
    components,
    changedFiles: set.changedFiles,
    intentFile: set.intentFile,
    intentDiff: set.intentDiff,
    intentImpact: parseIntentImpact(options.intentImpact),
  });
  return { set, selection, explanation: explainChanges(set, selection, components.length) };
}
