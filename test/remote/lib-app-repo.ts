// A repository of two components, lib and app (app depends on lib), in one environment (dev), each with one job
// that runs its folder's check.sh: what the tests of retrying a job after a committed fix start from.

/** The composition of type sh: its one job, check, runs `sh ./check.sh` in the component's folder. */
export const CHECK_COMPOSITION = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: sh
spec:
  type: sh
  defaultJob: check
  parameterSchema:
    type: object
    properties:
      name: { type: string }
      type: { const: sh }
  jobs:
    - name: check
      steps:
        - name: main
          run: sh ./check.sh
`;

/** The intent named `name`: lib and app (after lib) in dev, composed from ./compositions. */
export const libAppIntent = (name: string): string => `apiVersion: sourceplane.io/v1
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
  - name: lib
    type: sh
    path: lib
    subscribe:
      environments: [dev]
  - name: app
    type: sh
    path: app
    subscribe:
      environments: [dev]
    dependsOn:
      - component: lib
        condition: success
`;
