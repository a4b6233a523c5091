// The workspace every compile starts from (plan, validate, run): intent
// presets merged in, then the trigger references checked (environments'
// triggerRefs and subscriptions' profileRules), which presets may satisfy.

import type { LoadedWorkspace } from "../load/index.js";
import { applyIntentPresets } from "../presets.js";
import { validateTriggers } from "./validate.js";

export async function prepareCiWorkspace(workspace: LoadedWorkspace): Promise<LoadedWorkspace> {
  const intent = await applyIntentPresets(workspace.intent, workspace.compositions.sources, workspace.rootDir);
  validateTriggers(intent, workspace.components);
  return intent === workspace.intent ? workspace : { ...workspace, intent };
}
