// The JSON Schemas of every orun input document (decision 3), defined once
// here and emitted to `schemas/*.schema.json` (shipped for editors) by
// `node dist/src/planner/validate/emit-schemas.js`; a test keeps the two in
// sync. Each emitted schema is self-contained (its own `definitions`) so an
// editor needs no network to resolve references.
import { CHANGE_WATCHES } from "../../model/intent.js";

type Schema = Record<string, unknown>;

export const SCHEMA_BASE_URL = "https://orun.dev/schemas/";

// Names that end up inside job IDs (`component@environment.job`) must not contain `@`, `.` or `/`.
const IDENT = "^[A-Za-z0-9][A-Za-z0-9_-]*$";
const JOB_NAME = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
const ENV_KEY = "^[A-Za-z_][A-Za-z0-9_]*$";
// Document references become file names (`jobs/<name>.yaml`): no path separators, no leading dot.
const REF_NAME = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
const refObject: Schema = { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", pattern: REF_NAME } } };

/**
 * Names, types and references are printed to terminals and end up in plan
 * fields `orun run` refuses control characters in (src/plan/validate.ts): an
 * ANSI escape or a newline in one is refused where it is written.
 */
export const SINGLE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/** What a step's process is given (command, shell, folder, environment): no process can take a NUL byte. */
export const NO_NUL = "^[^\\u0000]*$";
const str: Schema = { type: "string" };
const processText: Schema = { type: "string", pattern: NO_NUL };
const line: Schema = { type: "string", pattern: SINGLE_LINE };
const nonEmpty: Schema = { type: "string", minLength: 1, pattern: SINGLE_LINE };
const strList: Schema = { type: "array", items: str };

const common: Record<string, Schema> = {
  stringMap: {
    description: "Map of string values (numbers and booleans are taken as their source text).",
    type: "object",
    additionalProperties: { type: ["string", "number", "boolean"] },
  },
  envMap: {
    description: "Environment variables. Keys starting with ORUN_ are reserved.",
    type: "object",
    propertyNames: { pattern: ENV_KEY },
    additionalProperties: { type: ["string", "number", "boolean"], pattern: NO_NUL },
  },
  freeMap: { description: "Free-form map (native YAML types kept).", type: "object" },
  duration: { description: "Duration such as 30s, 10m or 1h.", type: "string", pattern: "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$" },
  docMetadata: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: nonEmpty,
      description: str,
      labels: { $ref: "#/definitions/stringMap" },
      annotations: { $ref: "#/definitions/stringMap" },
    },
  },
  step: {
    description: "A job step: `run` (shell) or `use` (GitHub action). Step fields are Go text/template.",
    type: "object",
    additionalProperties: false,
    properties: {
      // A control character in a step ID or name has its own message (src/planner/load/decode.ts).
      id: { type: "string", minLength: 1 },
      name: { type: "string", minLength: 1 },
      capability: str,
      phase: { enum: ["pre", "main", "post"], description: "pre | main | post (default main)" },
      order: { type: "integer", description: "Ascending order inside a phase (default 0)." },
      run: processText,
      use: str,
      with: { $ref: "#/definitions/freeMap" },
      env: { $ref: "#/definitions/envMap" },
      shell: processText,
      "working-directory": processText,
      timeout: { $ref: "#/definitions/duration" },
      retry: { type: "integer", minimum: 0 },
      onFailure: { enum: ["stop", "continue"] },
    },
  },
};

function withDefs(schema: Schema, names: string[], extra: Record<string, Schema> = {}): Schema {
  const definitions: Record<string, Schema> = {};
  for (const n of names) definitions[n] = common[n]!;
  return { ...schema, definitions: { ...definitions, ...extra } };
}

// ---- component body (inline components[] entry and component.yaml spec) ----

const subscription: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { ...nonEmpty, description: "Environment name or pattern (`*`, `prefix*`)." },
    profile: { ...nonEmpty, description: "Execution profile, optionally `<type>.<profile>`." },
    profileRules: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        properties: {
          profile: nonEmpty,
          when: { type: "object", additionalProperties: false, properties: { triggerRef: nonEmpty } },
        },
      },
    },
    env: { $ref: "#/definitions/envMap" },
    parameters: { $ref: "#/definitions/freeMap" },
  },
};

function componentBodyProperties(): Record<string, Schema> {
  return {
    type: { ...nonEmpty, description: "Composition type, e.g. terraform or helm-chart." },
    domain: { ...str, description: "Group name: selects group parameter defaults and policies." },
    enabled: { type: "boolean", description: "false removes the component from plans." },
    path: { ...str, description: "Working directory of its jobs (templated with {{.environment}}, {{.component}}, {{.group}})." },
    subscribe: {
      type: "object",
      additionalProperties: false,
      properties: {
        environments: {
          type: "array",
          items: { if: { type: "string" }, then: nonEmpty, else: { $ref: "#/definitions/subscription" } },
        },
      },
    },
    compositionRef: {
      type: "object",
      additionalProperties: false,
      required: ["source"],
      properties: { source: nonEmpty, name: nonEmpty },
    },
    parameters: { $ref: "#/definitions/freeMap" },
    overrides: {
      type: "object",
      additionalProperties: false,
      properties: { steps: { type: "array", items: { $ref: "#/definitions/step" } } },
    },
    labels: { $ref: "#/definitions/stringMap" },
    dependsOn: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["component"],
        properties: {
          component: nonEmpty,
          environment: nonEmpty,
          scope: {
            enum: ["same-environment", "cross-environment"],
            description: "same-environment (default): the dependency in this job's environment; cross-environment: in `environment`, which it requires.",
          },
          condition: {
            enum: ["success"],
            description: "A job waits for its dependency to succeed (the only condition orun runs; `always`/`failure` are refused).",
          },
        },
      },
    },
    env: { $ref: "#/definitions/envMap" },
    change: {
      type: "object",
      additionalProperties: false,
      properties: {
        watches: {
          type: "array",
          items: { enum: [...CHANGE_WATCHES] },
        },
      },
    },
  };
}

const componentDefs = ["stringMap", "envMap", "freeMap", "duration", "step"];

export const componentSchema: Schema = withDefs(
  {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: `${SCHEMA_BASE_URL}component.schema.json`,
    title: "orun component manifest (component.yaml)",
    type: "object",
    additionalProperties: false,
    required: ["kind", "metadata", "spec"],
    properties: {
      apiVersion: str,
      kind: { const: "Component" },
      metadata: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: {
          name: { type: "string", minLength: 1, maxLength: 63, pattern: IDENT },
          description: str,
          labels: { $ref: "#/definitions/stringMap" },
          annotations: { $ref: "#/definitions/stringMap" },
        },
      },
      spec: {
        type: "object",
        additionalProperties: false,
        required: ["type"],
        properties: componentBodyProperties(),
      },
    },
  },
  componentDefs,
  { subscription },
);

// ---- intent.yaml ----

const selectorList: Schema = { type: "array", items: nonEmpty };
const parameterDefaults: Schema = {
  description: "Composition type (or `*` for all) → parameter defaults. A `path` key is a path default.",
  type: "object",
  additionalProperties: { $ref: "#/definitions/freeMap" },
};

export const intentSchema: Schema = withDefs(
  {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: `${SCHEMA_BASE_URL}intent.schema.json`,
    title: "orun intent (intent.yaml)",
    type: "object",
    additionalProperties: false,
    properties: {
      apiVersion: str,
      kind: { const: "Intent" },
      metadata: {
        type: "object",
        additionalProperties: false,
        properties: {
          name: { type: "string", minLength: 1, maxLength: 63, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
          description: str,
          namespace: line,
        },
      },
      extends: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["source", "preset"],
          properties: { source: nonEmpty, preset: nonEmpty },
        },
      },
      env: { $ref: "#/definitions/envMap", description: "Root env for every job (lowest of the four env layers)." },
      discovery: {
        type: "object",
        additionalProperties: false,
        properties: { roots: { ...strList, description: "Directories (relative to intent.yaml) searched for component.yaml files. Default [\".\"]." } },
      },
      compositions: {
        type: "object",
        additionalProperties: false,
        properties: {
          sources: { type: "array", items: { $ref: "#/definitions/compositionSource" } },
          resolution: {
            type: "object",
            additionalProperties: false,
            properties: {
              precedence: strList,
              bindings: { type: "object", additionalProperties: nonEmpty },
            },
          },
        },
      },
      automation: {
        type: "object",
        additionalProperties: false,
        properties: {
          triggerBindings: {
            type: "object",
            propertyNames: { pattern: IDENT },
            additionalProperties: { $ref: "#/definitions/triggerBinding" },
          },
        },
      },
      groups: {
        description: "Groups by name; a component joins one with `domain: <name>` and gets its parameter defaults and policies.",
        type: "object",
        propertyNames: { pattern: IDENT },
        additionalProperties: { $ref: "#/definitions/group" },
      },
      environments: {
        description: "Environments by name (dev, staging, production, ...): each one instantiates the components it selects.",
        type: "object",
        propertyNames: { pattern: IDENT },
        additionalProperties: { $ref: "#/definitions/environment" },
      },
      components: { description: "Inline components (besides discovered component.yaml files).", type: "array", items: { $ref: "#/definitions/inlineComponent" } },
      execution: {
        type: "object",
        additionalProperties: false,
        properties: {
          state: {
            type: "object",
            additionalProperties: false,
            properties: {
              mode: { enum: ["local", "remote"], description: "remote: orun run/status/logs use the backend at backendUrl." },
              backendUrl: { type: "string", format: "uri", description: "URL of the orun backend (orun backend serve)." },
            },
          },
        },
      },
    },
  },
  componentDefs,
  {
    subscription,
    compositionSource: {
      type: "object",
      additionalProperties: false,
      required: ["name", "kind"],
      properties: {
        name: { type: "string", minLength: 1, pattern: IDENT },
        kind: { enum: ["dir", "archive", "oci"] },
        path: { ...str, description: "dir/archive: relative to intent.yaml's directory, or absolute." },
        ref: { ...str, description: "oci: registry reference, e.g. ghcr.io/acme/stack:v1 (no host = ghcr.io, no tag = latest, @sha256:… pins)." },
        digest: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
        pullPolicy: { enum: ["IfNotPresent", "Always", "Never"] },
        metadata: { $ref: "#/definitions/stringMap" },
        verify: {
          type: "object",
          additionalProperties: false,
          properties: { provider: str, keyRef: str, required: { type: "boolean" } },
        },
      },
    },
    triggerBinding: {
      type: "object",
      additionalProperties: false,
      required: ["on"],
      properties: {
        description: str,
        on: {
          type: "object",
          additionalProperties: false,
          required: ["provider", "event"],
          properties: {
            provider: nonEmpty,
            event: nonEmpty,
            actions: strList,
            branches: strList,
            baseBranches: strList,
            tags: strList,
          },
        },
        plan: {
          type: "object",
          additionalProperties: false,
          properties: { scope: { enum: ["full", "changed"] }, base: str, head: str },
        },
      },
    },
    group: {
      type: "object",
      additionalProperties: false,
      properties: {
        path: str,
        policies: { $ref: "#/definitions/freeMap" },
        parameterDefaults,
      },
    },
    environment: {
      type: "object",
      additionalProperties: false,
      properties: {
        path: str,
        selectors: {
          type: "object",
          additionalProperties: false,
          properties: { components: selectorList, domains: selectorList },
        },
        parameterDefaults,
        policies: { $ref: "#/definitions/freeMap" },
        env: { $ref: "#/definitions/envMap" },
        activation: {
          type: "object",
          additionalProperties: false,
          properties: { triggerRefs: { type: "array", items: nonEmpty } },
        },
        promotion: {
          type: "object",
          additionalProperties: false,
          properties: {
            dependsOn: {
              type: "array",
              items: {
                type: "object",
                additionalProperties: false,
                required: ["environment"],
                properties: {
                  environment: { ...nonEmpty, description: "The environment that must succeed first." },
                  strategy: {
                    enum: ["same-component", "environment-barrier"],
                    description: "same-component (default): each component waits for itself there; environment-barrier: for every component there.",
                  },
                  condition: { enum: ["success"] },
                  satisfy: {
                    enum: ["same-plan", "previous-success", "same-plan-or-previous-success"],
                    description: "Edges inside one plan, a run-time gate on earlier success, or either (default).",
                  },
                  match: {
                    type: "object",
                    additionalProperties: false,
                    properties: { revision: { enum: ["source"] } },
                  },
                },
              },
            },
          },
        },
      },
    },
    inlineComponent: {
      type: "object",
      additionalProperties: false,
      required: ["name", "type"],
      properties: { name: { type: "string", minLength: 1, maxLength: 63, pattern: IDENT }, ...componentBodyProperties() },
    },
  },
);

// ---- composition package documents ----

const jobFields: Record<string, Schema> = {
  description: str,
  runsOn: line,
  timeout: { $ref: "#/definitions/duration" },
  retries: { type: "integer", minimum: 0 },
  labels: { $ref: "#/definitions/stringMap" },
  capabilities: strList,
  inputs: { $ref: "#/definitions/freeMap" },
  steps: { type: "array", items: { $ref: "#/definitions/step" } },
};

const profileSpec: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    description: str,
    policies: { $ref: "#/definitions/freeMap" },
    jobs: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          stepsEnabled: strList,
          includeCapabilities: strList,
          stepOverrides: {
            type: "object",
            additionalProperties: {
              type: "object",
              additionalProperties: false,
              properties: { run: processText, with: { $ref: "#/definitions/freeMap" }, env: { $ref: "#/definitions/envMap" } },
            },
          },
        },
      },
    },
  },
};

const docDefs = ["stringMap", "envMap", "freeMap", "duration", "docMetadata", "step"];

function documentSchema(file: string, title: string, kind: string, spec: Schema, extra: Record<string, Schema> = {}): Schema {
  return withDefs(
    {
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: `${SCHEMA_BASE_URL}${file}`,
      title,
      type: "object",
      additionalProperties: false,
      required: ["kind", "metadata", "spec"],
      properties: {
        apiVersion: str,
        kind: { const: kind },
        metadata: { $ref: "#/definitions/docMetadata" },
        spec,
      },
    },
    docDefs,
    extra,
  );
}

export const compositionDocSchema: Schema = documentSchema(
  "composition.schema.json",
  "orun Composition: binds a component type to jobs, profiles and a parameter schema",
  "Composition",
  {
    type: "object",
    additionalProperties: false,
    properties: {
      type: nonEmpty,
      description: str,
      defaultJob: str,
      defaultProfile: str,
      parameterSchema: { type: "object", description: "JSON Schema for {name, type, parameters, inputs, domain, labels}." },
      schemaRef: refObject,
      jobs: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["name"],
          properties: {
            name: { type: "string", pattern: JOB_NAME },
            templateRef: refObject,
            ...jobFields,
          },
        },
      },
      executionProfiles: { type: "object", additionalProperties: { $ref: "#/definitions/profileSpec" } },
      profiles: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["name"],
          properties: {
            name: nonEmpty,
            profileRef: refObject,
          },
        },
      },
    },
  },
  { profileSpec },
);

export const componentSchemaDocSchema: Schema = documentSchema(
  "component-schema.schema.json",
  "orun ComponentSchema: the parameter schema of a component type",
  "ComponentSchema",
  {
    type: "object",
    additionalProperties: false,
    required: ["schema"],
    properties: { type: str, description: str, schema: { type: "object" } },
  },
);

export const jobTemplateSchema: Schema = documentSchema(
  "job-template.schema.json",
  "orun JobTemplate: a reusable job",
  "JobTemplate",
  { type: "object", additionalProperties: false, properties: jobFields },
);

export const executionProfileSchema: Schema = documentSchema(
  "execution-profile.schema.json",
  "orun ExecutionProfile: which steps of which jobs run, and with what policies",
  "ExecutionProfile",
  profileSpec,
);

export const stackSchema: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: `${SCHEMA_BASE_URL}stack.schema.json`,
  title: "orun Stack: a composition package manifest (stack.yaml)",
  type: "object",
  additionalProperties: false,
  required: ["kind", "metadata"],
  properties: {
    apiVersion: str,
    kind: { const: "Stack" },
    metadata: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: { name: nonEmpty, title: str, version: str, description: str, owner: str, tags: strList },
    },
    registry: {
      type: "object",
      additionalProperties: false,
      properties: { host: str, namespace: str, repository: str, visibility: { enum: ["public", "private"] } },
    },
    spec: {
      type: "object",
      additionalProperties: false,
      properties: {
        compositions: {
          type: "array",
          items: { type: "object", additionalProperties: false, required: ["path"], properties: { path: str } },
        },
        intentPresets: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["name", "path"],
            properties: { name: nonEmpty, path: nonEmpty },
          },
        },
      },
    },
  },
};

export const compositionPackageSchema: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: `${SCHEMA_BASE_URL}composition-package.schema.json`,
  title: "orun CompositionPackage: the legacy package manifest (orun.yaml)",
  type: "object",
  additionalProperties: false,
  required: ["kind", "metadata"],
  properties: {
    apiVersion: str,
    kind: { const: "CompositionPackage" },
    metadata: { type: "object", additionalProperties: false, required: ["name"], properties: { name: nonEmpty, description: str } },
    spec: {
      type: "object",
      additionalProperties: false,
      properties: {
        version: str,
        orun: { type: "object", additionalProperties: false, properties: { minVersion: str } },
        exports: {
          type: "array",
          items: { type: "object", additionalProperties: false, properties: { composition: str, path: str } },
        },
        dependencies: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            properties: { name: str, ref: str, optional: { type: "boolean" } },
          },
        },
      },
    },
  },
};

/**
 * An intent preset (`kind: IntentPreset`, published by a composition source and named in an intent's `extends`):
 * its `spec` carries the intent's env, discovery, automation, environments and groups, with the intent's rules.
 */
const intentProperties = (intentSchema.properties ?? {}) as Record<string, Schema>;
export const intentPresetSchema: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: `${SCHEMA_BASE_URL}intent-preset.schema.json`,
  title: "orun intent preset (kind: IntentPreset)",
  type: "object",
  additionalProperties: false,
  required: ["kind"],
  properties: {
    apiVersion: str,
    kind: { const: "IntentPreset" },
    metadata: { type: "object", properties: { name: str, description: str } },
    spec: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(["env", "discovery", "automation", "environments", "groups"].map((key) => [key, intentProperties[key]!])),
    },
  },
  definitions: intentSchema.definitions,
};

/** Schema name → schema; the file written is `schemas/<name>.schema.json`. */
export const SCHEMAS = {
  intent: intentSchema,
  component: componentSchema,
  composition: compositionDocSchema,
  "component-schema": componentSchemaDocSchema,
  "job-template": jobTemplateSchema,
  "execution-profile": executionProfileSchema,
  stack: stackSchema,
  "composition-package": compositionPackageSchema,
  "intent-preset": intentPresetSchema,
} as const;

export type SchemaName = keyof typeof SCHEMAS;
