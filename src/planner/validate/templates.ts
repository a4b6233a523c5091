// Step templates parsed up front (`orun validate` promises to check them): every
// step of every loaded composition and its profiles' stepOverrides, whether or not
// a component selects them. (Component override steps are rendered for every
// instance of their component, so their errors already name the job.) Materialize
// renders the same texts later from the parse cache: one parse per text.
import type { CompositionRegistry } from "../../model/composition.js";
import type { Origin, StepSpec } from "../../model/intent.js";
import { parseTemplate, TemplateError } from "../../template/index.js";
import { OrunError } from "../../util/errors.js";

type Path = readonly (string | number)[];

const STRING_FIELDS = ["run", "use", "shell", "working-directory"] as const;

/** The template texts of a step (or step override): field path → source. */
function stepTexts(step: Partial<Pick<StepSpec, "run" | "use" | "shell" | "working-directory" | "with" | "env">>): [Path, string][] {
  const texts: [Path, string][] = [];
  for (const field of STRING_FIELDS) {
    const value = step[field];
    if (typeof value === "string") texts.push([[field], value]);
  }
  for (const kind of ["with", "env"] as const) {
    for (const [key, value] of Object.entries(step[kind] ?? {})) if (typeof value === "string") texts.push([[kind, key], value]);
  }
  return texts;
}

function check(texts: [Path, string][], origin: Origin | undefined, base: Path, what: string, name: string): void {
  for (const [field, source] of texts) {
    try {
      parseTemplate(source, `${name}:${field.join(".")}`);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      throw new OrunError(`invalid step template: ${what} (${field.join(".")}): ${err.message}`, { location: origin?.at([...base, ...field]) });
    }
  }
}

const stepLabel = (step: StepSpec, index: number): string => step.name || step.id || `#${index + 1}`;

/** Throws an OrunError naming file, line, job, step and field at the first template that does not parse. */
export function checkStepTemplates(registry: CompositionRegistry): void {
  for (const composition of Object.values(registry.byKey)) {
    for (const job of composition.jobs) {
      job.steps.forEach((step, i) => check(stepTexts(step), step.origin, [], `composition ${composition.name} job ${job.name} step ${stepLabel(step, i)}`, `${composition.type}:${stepLabel(step, i)}`));
    }
    for (const profile of Object.values(composition.profiles)) {
      for (const [jobName, settings] of Object.entries(profile.jobs)) {
        for (const [stepId, patch] of Object.entries(settings.stepOverrides)) {
          check(stepTexts(patch), profile.origin, ["jobs", jobName, "stepOverrides", stepId], `composition ${composition.name} profile ${profile.name} job ${jobName} step ${stepId}`, `${composition.type}:${stepId}`);
        }
      }
    }
  }
}
