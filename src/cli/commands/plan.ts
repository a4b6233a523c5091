// `orun plan`, `orun validate`, `orun get plans|jobs|components|environments`,
// `orun component`, `orun describe plan|job` and `orun compositions`: the
// compile side of the CLI. Registration only — flags and help text; each
// action imports ./plan-actions.js (or ./get-actions.js) when it runs, so
// `orun --version`, `orun run <plan-file>` or `orun status` never load the planner.
import { InvalidArgumentError, Option, type Command } from "commander";
import { OrunError } from "../../util/errors.js";
import { collect, collectNames, nonEmpty } from "../option-values.js";
import { CONFIG_DIR_HELP, INTENT_HELP } from "../flag-help.js";
import type { GetComponentsFlags } from "./get-actions.js";
import type { CompositionsFlags, PlanFlags } from "./plan-actions.js";


/** `-o/--output <format>` limited to `formats`: any other value is a usage error naming the flag and the choices. */
const outputOption = (formats: string[], help: string): Option => new Option("-o, --output <format>", help).choices(formats);

/** `plan -v/--view`: dag, dag:long, dependencies or component=NAME (v2.3 showed the dag for anything else). */
function planView(value: string): string {
  if (["dag", "dag:long", "dependencies"].includes(value) || /^component=./.test(value)) return value;
  throw new InvalidArgumentError("use dag, dag:long, dependencies or component=NAME.");
}
const actions = () => import("./plan-actions.js");
const getActions = () => import("./get-actions.js");

function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("Compile intent.yaml into a checksummed plan (.orun/plans/<id>.json)")
    .argument("[component]", "plan only this component (and its dependencies)")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .option("-c, --config-dir <path>", CONFIG_DIR_HELP, nonEmpty)
    .option("-o, --output <file>", "write the plan to this file instead of the store (.yaml/.yml → YAML; - for stdout)")
    .option("-f, --format <format>", "format for --output: json or yaml (or yml; default: by extension)")
    .option("--name <name>", "also store the plan as .orun/plans/<name>.json")
    .option("-e, --env <list>", "environments to plan (comma list; prefix* matches)", collectNames)
    .option("--component <name>", "component to plan, with its dependencies (repeatable; prefix* matches)", collectNames)
    .option("-v, --view <view>", "print a view: dag, dag:long, dependencies, component=NAME", planView)
    .option("--long", "with --view dag (only): show each step's run command")
    .option("--all", "accepted for compatibility (plan never scopes to the working directory)")
    .option("--changed", "plan only components changed between --base and --head (plus their dependencies)")
    .option("--base <ref>", "git ref to compare from (default: main, or detected from CI)")
    .option("--head <ref>", "git ref to compare to (default: the working tree)")
    .option("--files <list>", "changed files instead of git (comma list; repeatable)", collect)
    .option("--uncommitted", "changed = staged and unstaged edits of tracked files")
    .option("--untracked", "changed = untracked files")
    .option("--explain", "print why each environment and component is in the plan (stderr)")
    .option("--intent-impact <mode>", "what an intent.yaml change selects: all, watch (components' change.watches) or none", "watch")
    .option("--trigger <name>", "plan as the named automation.triggerBindings entry would (simulate CI locally)")
    .option("--from-ci <provider>", "plan for a CI event (github)")
    .option("--event-file <path>", "the CI event payload (default: $GITHUB_EVENT_PATH)")
    .option("--debug", "print each compile stage as it runs and a dump of the compiled jobs")
    .action(async (component: string | undefined, flags: PlanFlags) => {
      if (component !== undefined && !component.trim()) throw new OrunError("the component argument is empty; leave it out to plan every component");
      return (await actions()).planAction(component, flags);
    });
}

function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("Check intent, components, compositions and templates without writing a plan")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .option("-c, --config-dir <path>", CONFIG_DIR_HELP, nonEmpty)
    .option("--debug", "print each compile stage as it runs")
    .action(async (flags: { intent?: string; configDir?: string; debug?: boolean }) => (await actions()).validateAction(flags));
}

/** `get components [name]` and its top-level alias `component [name]`. */
function componentsCommand(command: Command): Command {
  return command
    .argument("[name]", "only this component (or prefix*)")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .option("-c, --config-dir <path>", CONFIG_DIR_HELP, nonEmpty)
    .option("-l, --long", "also show each component's path, manifest, domain and dependencies")
    .addOption(outputOption(["json", "yaml", "table"], "json or yaml: the component rows; table: the default text"))
    .option("--all", "do not scope to the component in the working directory")
    .option("--changed", "only components `orun plan --changed` would plan: changed between --base and --head, plus their dependencies")
    .option("--base <ref>", "git ref to compare from (default: main, or detected from CI)")
    .option("--head <ref>", "git ref to compare to (default: the working tree)")
    .option("--files <list>", "changed files instead of git (comma list; repeatable)", collect)
    .option("--uncommitted", "changed = staged and unstaged edits of tracked files")
    .option("--untracked", "changed = untracked files")
    .option("--intent-impact <mode>", "what an intent.yaml change selects: all, watch (components' change.watches) or none", "watch")
    .option("--explain", "with change flags: print what was compared and why each component is selected (stderr)")
    .action(async (name: string | undefined, flags: GetComponentsFlags) => (await getActions()).getComponentsAction(name, flags));
}

function registerGet(program: Command): void {
  const get = program.command("get").description("List stored plans, the jobs of a plan, or the intent's components and environments");
  get
    .command("plans")
    .alias("plan")
    .description("List stored plans")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .addOption(outputOption(["json", "yaml", "table"], "json or yaml: name, path, checksum, jobs and time of each file; table: the default text"))
    .action(async (flags: { intent?: string; output?: string }) => (await actions()).getPlansAction(flags));
  get
    .command("jobs")
    .alias("job")
    .description("List the jobs of a plan (default: latest)")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .option("--plan <ref>", "plan ID, name, file or ID prefix (default: latest)")
    .addOption(outputOption(["json", "yaml", "wide", "table"], "json or yaml: the plan's jobs; wide: the table view; table: the default text"))
    .addOption(new Option("--view <view>", "how the text lists the jobs (default: tree)").choices(["tree", "compact", "table"]))
    .option("--all", "do not scope to the component in the working directory")
    .action(async (flags: { intent?: string; plan?: string; output?: string; view?: string; all?: boolean }) => (await actions()).getJobsAction(flags));
  componentsCommand(get.command("components").alias("component").description("List the intent's components: type and the environments each applies to"));
  get
    .command("environments")
    .alias("environment")
    .alias("envs")
    .description("List the intent's environments: promotion, triggers, components and policies")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .option("-c, --config-dir <path>", CONFIG_DIR_HELP, nonEmpty)
    .addOption(outputOption(["json", "yaml", "table"], "json or yaml: the intent's environments map as written; table: the default text"))
    .action(async (flags: { intent?: string; configDir?: string; output?: string }) => (await getActions()).getEnvironmentsAction(flags));
}

function registerComponent(program: Command): void {
  componentsCommand(program.command("component").description("List the intent's components (same as `orun get components`)"));
}

function registerDescribe(program: Command): void {
  program
    .command("describe")
    .description("Describe a plan (`describe plan [ref]`) or a job of the latest plan (`describe job <id>`)")
    .argument("<kind>", "plan, plan/<ref>, job or job/<id>")
    .argument("[ref]", "plan reference or job ID")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .action(async (kindArg: string, refArg: string | undefined, flags: { intent?: string }) => (await actions()).describeAction(kindArg, refArg, flags));
}

function registerCompositions(program: Command): void {
  program
    .command("compositions")
    .description("List composition types (`compositions [type]`), or write the lock file (`compositions lock`)")
    .argument("[action]", "a composition type to describe, `list [type] [-l] [-e]`, or `lock` (`pull` is the same)")
    .argument("[type]", "composition type (with list)")
    .option("-i, --intent <file>", INTENT_HELP, nonEmpty)
    .option("-c, --config-dir <path>", `${CONFIG_DIR_HELP}; listed alone when no intent is found`, nonEmpty)
    .option("-l, --long", "list every type in full: source, registry, parameters, jobs and steps, profiles, components")
    .option("-e, --expand-jobs", "also show each job's settings and each step's run/use/with (implies -l)")
    .action(async (action: string | undefined, type: string | undefined, flags: CompositionsFlags) =>
      (await actions()).compositionsAction(action, type, flags),
    );
}

export function registerPlanCommands(program: Command): void {
  registerPlan(program);
  registerValidate(program);
  registerGet(program);
  registerComponent(program);
  registerDescribe(program);
  registerCompositions(program);
}
