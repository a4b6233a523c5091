// A job's runsOn is copied into the plan as written (spec 12: "runsOn / timeout / retries from the composition job
// spec"); only step fields are templates. Before this check a `{{ .parameters.image }}` or `${{ matrix.os }}` there
// passed validate and plan and failed only under `--runner docker`, which takes runsOn as the job's image.
// Checked for every loaded composition, selected or not, like the step templates (./templates.ts).
import type { CompositionRegistry, JobTemplate } from "../../model/composition.js";
import { formatLocation, OrunError, type SourceLocation } from "../../util/errors.js";

/** A `${{ … }}` GitHub expression on one line (the template engine leaves `{{ }}` inside one as text). */
const GITHUB_EXPRESSION = /\$\{\{.*?\}\}/g;

interface RunsOnText {
  value: string;
  at: SourceLocation;
  what: string;
}

function runsOnTexts(registry: CompositionRegistry): RunsOnText[] {
  const texts: RunsOnText[] = [];
  for (const composition of Object.values(registry.byKey)) {
    for (const job of composition.jobs) {
      if (job.runsOn === undefined) continue;
      texts.push({ value: job.runsOn, at: runsOnAt(job), what: `composition ${composition.name} job ${job.name}` });
    }
  }
  return texts;
}

function runsOnAt(job: JobTemplate): SourceLocation {
  return job.runsOnAt ?? job.origin.at("runsOn");
}

/** Throws an OrunError at the first runsOn holding a `{{ }}` template, which nothing renders. */
export function checkRunsOnTemplates(registry: CompositionRegistry): void {
  for (const { value, at, what } of runsOnTexts(registry)) {
    if (!value.replace(GITHUB_EXPRESSION, "").replaceAll("${{", "").includes("{{")) continue;
    throw new OrunError(
      `${what}: ${JSON.stringify(value)} holds a {{ }} template, but runsOn is taken as written (only step fields are templates); write the image or runner label itself`,
      { location: at },
    );
  }
}

/** `file:line: field: …` warnings for each runsOn holding a `${{ }}` expression, which only GitHub evaluates. */
export function runsOnExpressionWarnings(registry: CompositionRegistry): string[] {
  const warnings = new Set<string>();
  for (const { value, at, what } of runsOnTexts(registry)) {
    if (!value.includes("${{")) continue;
    const where = formatLocation(at);
    warnings.add(
      `${where ? `${where}: ` : ""}${what}: ${JSON.stringify(value)} holds a \${{ }} expression, which orun does not evaluate (GitHub does, in a workflow's runs-on): the docker runner would take it as the job's image and fail; the local and github-actions runners do not use runsOn`,
    );
  }
  return [...warnings];
}
