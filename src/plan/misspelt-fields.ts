// A plan file's fields orun does not know are ignored, not refused: plans of other orun versions must still load, and
// the checksum covers only the known fields. A hand edit's typo was therefore silent (`"depends_on"` ran the job
// without waiting, `"timout"` set no timeout). One close to a field orun knows — or another tool's name for it — is
// said as a warning; a field close to none (a newer orun's, a note) still passes without a word. Warnings only: the
// plan, its checksum and its ID are untouched.
import { closeNames } from "../util/edit-distance.js";

/** The fields of one object (`fields`), and the objects below it (`nested`: an object, or `[]` for an array of them). */
interface Shape {
  fields: readonly string[];
  /** Other tools' names for a field (GitHub Actions' `needs`), mapped to orun's. */
  aliases?: Readonly<Record<string, string>>;
  nested?: Readonly<Record<string, Shape | [Shape]>>;
}

const STEP: Shape = {
  fields: ["id", "name", "phase", "order", "run", "use", "with", "env", "shell", "working-directory", "timeout", "retry", "onFailure"],
  aliases: { uses: "use", retries: "retry", "timeout-minutes": "timeout", "continue-on-error": "onFailure" },
};

const JOB: Shape = {
  fields: [
    "id",
    "uid",
    "displayName",
    "checkName",
    "name",
    "component",
    "environment",
    "composition",
    "profile",
    "profileSource",
    "profileRuleTriggerRef",
    "jobRegistry",
    "job",
    "runsOn",
    "path",
    "steps",
    "dependsOn",
    "gates",
    "timeout",
    "retries",
    "env",
    "labels",
    "parameters",
    "policies",
  ],
  aliases: { needs: "dependsOn", retry: "retries", "timeout-minutes": "timeout", "runs-on": "runsOn" },
  nested: {
    steps: [STEP],
    gates: [{ fields: ["type", "environment", "component", "condition", "match"], nested: { match: { fields: ["revision"] } } }],
  },
};

const PLAN: Shape = {
  fields: ["apiVersion", "kind", "metadata", "execution", "spec", "jobs"],
  nested: {
    metadata: {
      fields: ["name", "description", "namespace", "generatedAt", "checksum", "scope", "trigger", "workDir", "revision"],
      nested: { scope: { fields: ["detectedComponent", "components"] } },
    },
    execution: { fields: ["concurrency", "failFast", "stateFile", "state"], nested: { state: { fields: ["mode", "backendUrl"] } } },
    spec: {
      fields: ["jobBindings", "compositionSources"],
      nested: { compositionSources: [{ fields: ["name", "kind", "ref", "path", "resolvedDigest", "exports"] }] },
    },
    jobs: [JOB],
  },
};

export interface MisspeltField {
  /** Where the first one is, as errors name fields: `jobs[1].timout`. */
  field: string;
  meant: string;
  /** How many more objects of the same place have it (`jobs[*].timout` in 30 jobs: 29). */
  more: number;
  /** What those objects are, named by their array (`jobs`, `steps`); undefined for a place outside any array. */
  of?: string;
}

/** The misspelt fields of a decoded plan file, in file order, each place (`jobs[*].steps[*].timout`) once. */
export function misspeltPlanFields(decoded: unknown): MisspeltField[] {
  const found = new Map<string, MisspeltField>();
  const visit = (value: unknown, shape: Shape, where: string, pattern: string): void => {
    if (!isObject(value)) return;
    for (const key of Object.keys(value)) {
      const field = where ? `${where}.${key}` : key;
      const place = pattern ? `${pattern}.${key}` : key;
      const nested = shape.nested?.[key];
      if (Array.isArray(nested)) {
        const items: unknown = value[key];
        if (Array.isArray(items)) items.forEach((item, i) => visit(item, nested[0], `${field}[${i}]`, `${place}[*]`));
        continue;
      }
      if (nested) {
        visit(value[key], nested, field, place);
        continue;
      }
      if (shape.fields.includes(key)) continue;
      const seen = found.get(place);
      if (seen) {
        seen.more++;
        continue;
      }
      const meant = meantField(key, shape);
      const of = /(\w+)\[\*\]$/.exec(pattern)?.[1];
      if (meant !== undefined) found.set(place, { field, meant, more: 0, ...(of ? { of } : {}) });
    }
  };
  visit(decoded, PLAN, "", "");
  return [...found.values()];
}

/** The known field `key` was likely meant as: another tool's name for it, else the one closest as a typo. */
function meantField(key: string, shape: Shape): string | undefined {
  const alias = shape.aliases && Object.hasOwn(shape.aliases, key) ? shape.aliases[key] : undefined;
  if (alias !== undefined) return alias;
  // Separators aside (`depends_on`, `working_directory`, `workingDirectory`), then typos; never a name merely containing it.
  const bare = (name: string): string => name.replace(/[-_]/g, "").toLowerCase();
  const same = shape.fields.find((name) => bare(name) === bare(key));
  if (same !== undefined) return same;
  // A typo as the CLI's did-you-means judge one (1 to 3 edits); `containing: ""` leaves out names merely containing it.
  return closeNames(key, shape.fields, { containing: "", limit: 1 })[0];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The warning for one misspelt field of `file`. */
export function misspeltFieldWarning(file: string, misspelt: MisspeltField): string {
  const more = misspelt.more > 0 ? `; ${misspelt.more} more ${misspelt.of ?? "entries"} have it` : "";
  return `${file} (${misspelt.field}): unknown field, ignored (did you mean "${misspelt.meant}"?)${more}`;
}
