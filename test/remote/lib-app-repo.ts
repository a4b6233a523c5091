// The git repositories the remote retry and evidence tests run in: components of type sh in one environment (dev),
// composed from ./compositions, each with one job that runs a script in its folder. The usual one has two
// components, lib and app (app depends on lib), whose job check runs check.sh: what the tests of retrying a job
// after a committed fix start from.
import { GitRepo } from "../planner/changes/git-repo.js";

/** The composition of type sh: its one job, `job`, runs `run` in the component's folder. */
export const shComposition = (job: string, run: string): string => `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: sh
spec:
  type: sh
  defaultJob: ${job}
  parameterSchema:
    type: object
    properties:
      name: { type: string }
      type: { const: sh }
  jobs:
    - name: ${job}
      steps:
        - name: main
          run: ${run}
`;

/** The composition of type sh whose one job, check, runs `sh ./check.sh` in the component's folder. */
export const CHECK_COMPOSITION = shComposition("check", "sh ./check.sh");

/** The intent named `name`: `components` of type sh in dev (each in its own folder, after `after` if given). */
export const shIntent = (name: string, components: { name: string; after?: string }[]): string => `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: ${name}
compositions:
  sources:
    - name: local
      kind: dir
      path: ./compositions
environments:
  dev: {}
components:
${components.map(shComponent).join("")}`;

const shComponent = ({ name, after }: { name: string; after?: string }): string =>
  `  - name: ${name}
    type: sh
    path: ${name}
    subscribe:
      environments: [dev]
${after ? `    dependsOn:\n      - component: ${after}\n        condition: success\n` : ""}`;

/** The intent named `name`: lib and app (after lib) in dev. */
export const libAppIntent = (name: string): string => shIntent(name, [{ name: "lib" }, { name: "app", after: "lib" }]);

/** A git repository (nothing committed yet) of `intent`, the sh composition `composition`, its stack and `files`. */
export const shRepo = (intent: string, composition: string, files: Record<string, string>): GitRepo =>
  GitRepo.create({
    "intent.yaml": intent,
    "compositions/sh/compositions.yaml": composition,
    "compositions/stack.yaml": "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: local\n  version: 0.1.0\n",
    ...files,
  });
