// `--debug` for `orun plan` and `orun validate`: a `□ <stage>...` line as each
// compile stage starts and `✓ <summary>` when it is done (stdout), and after
// `plan` a short dump of the compiled jobs. Without --debug nothing here runs.
import path from "node:path";
import type { Plan } from "../../model/plan.js";
import type { CompileStage, CompileTrace } from "../../planner/compile.js";
import type { LoadedWorkspace } from "../../planner/load/index.js";

const STAGE_TITLES: Record<CompileStage, string> = {
  normalize: "Normalizing intent",
  validate: "Validating component parameters",
  expand: "Expanding components × environments",
  filter: "Applying environment and component filters",
  bind: "Binding jobs to compositions",
  resolve: "Resolving dependencies and promotion",
  materialize: "Materializing steps",
  checksum: "Computing checksum",
};

export function debugTrace(write: (text: string) => void): CompileTrace {
  return {
    start: (stage) => write(`□ ${STAGE_TITLES[stage]}...\n`),
    done: (_stage, summary) => write(`✓ ${summary}\n`),
  };
}

/** Loads the workspace between `□ Loading intent...` and a `✓` line saying what was found. */
export async function loadWorkspaceTraced(write: (text: string) => void, options: { cwd: string; intentPath?: string; configDir?: string }): Promise<LoadedWorkspace> {
  write("□ Loading intent...\n");
  const { loadWorkspace } = await import("../../planner/load/index.js");
  const workspace = await loadWorkspace(options);
  const discovered = workspace.components.filter((c) => c.source === "discovered").length;
  const shown = path.relative(options.cwd, workspace.intentFile) || workspace.intentFile;
  const types = Object.keys(workspace.compositions.byType).length;
  write(
    `✓ ${shown}: ${count(workspace.components.length, "component")} (${discovered} discovered), ` +
      `${count(Object.keys(workspace.intent.environments).length, "environment")}, ` +
      `${count(workspace.sources.length, "composition source")}, ${count(types, "composition type")}\n`,
  );
  return workspace;
}

const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `Jobs (N):` then one line per job in plan order: ID, step count, dependencies and promotion gates. */
export function renderJobDump(plan: Plan): string {
  let text = `\nJobs (${plan.jobs.length}):\n`;
  for (const job of plan.jobs) {
    const deps = job.dependsOn?.length ? ` → ${job.dependsOn.join(", ")}` : "";
    const gates = job.gates?.length ? ` [gated on ${job.gates.map((g) => g.environment).join(", ")}]` : "";
    text += `  ${job.id} (${count(job.steps.length, "step")})${deps}${gates}\n`;
  }
  return text;
}
