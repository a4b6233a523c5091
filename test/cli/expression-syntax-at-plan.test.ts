// `${{ }}` expressions in step fields are checked for syntax when the plan is compiled (validate and plan),
// with the parser the github-actions runner evaluates them with; before, a stray `)` passed validate and
// failed the job at run time, after the steps before it had run. They are not evaluated: the plan keeps them
// as written, and an expression the runner can parse (every context and function it provides) passes.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, HEADER, STACK, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const composition = (deploy: string, envValue: string): string => `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata:
  name: svc
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: { type: object }
  jobs:
    - name: deploy
      runsOn: ubuntu-latest
      steps:
        - name: build
          run: echo "message=hi" >> "$GITHUB_OUTPUT"
        - name: deploy
          run: ${JSON.stringify(deploy)}
          env:
            TOKEN: ${JSON.stringify(envValue)}
`;

const repo = (deploy: string, envValue = "${{ secrets.TOKEN }}"): Promise<string> =>
  writeRepo({
    "intent.yaml": `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - {name: web, type: svc}\n`,
    "comps/stack.yaml": STACK,
    "comps/svc/compositions.yaml": composition(deploy, envValue),
  });

async function refused(dir: string, expected: string): Promise<void> {
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    assert.ok(result.stderr.includes(`✕ ${expected}\n`), `${args[0]}:\n${result.stderr}`);
  }
}

test("a syntax error in a step's run expression is refused at validate and plan with file, line and field", async () => {
  const dir = await repo("echo {{ .orun.component.name }} ${{ steps.build.outputs.message ) }}");
  await refused(
    dir,
    "comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: component web, job web@dev.deploy, step deploy (run): invalid expression ${{ steps.build.outputs.message ) }}: Unexpected symbol: ')'",
  );
});

test("an env value's expression is checked too, and so are names the runner does not know", async () => {
  await refused(
    await repo("echo ok", "${{ secrets.TOKEN"),
    'comps/svc/compositions.yaml:18: spec.jobs[0].steps[1].env.TOKEN: component web, job web@dev.deploy, step deploy (env:TOKEN): invalid expression "${{ secrets.TOKEN": no closing }}',
  );
  await refused(
    await repo("echo ${{ secret.TOKEN }}"),
    "comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: component web, job web@dev.deploy, step deploy (run): invalid expression ${{ secret.TOKEN }}: Unrecognized named-value: 'secret'",
  );
});

test("expressions the runner can parse pass and stay in the plan as written, unevaluated", async () => {
  const run =
    "echo ${{ steps.build.outputs.message }} ${{ format('{0}}}', github.sha) }} ${{ hashFiles('**/x') }} ${{ always() && job.status }} " +
    "${{ inputs.a }} ${{ runner.os }} ${{ vars.V }} ${{ needs.x }} ${{ matrix.m }} ${{ strategy.s }} ${{ env.E }} {{ .orun.component.name }}";
  const dir = await repo(run);
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  const step = (JSON.parse(plan.stdout) as { jobs: { steps: { id: string; run?: string; env?: Record<string, string> }[] }[] }).jobs[0]!.steps.find((s) => s.id === "deploy")!;
  assert.equal(step.run, run.replace("{{ .orun.component.name }}", "web"));
  assert.deepEqual(step.env, { TOKEN: "${{ secrets.TOKEN }}" });
});
