// `${{ }}` expressions in step fields and job env are checked for syntax when the plan is compiled (validate and
// plan), with the parser the github-actions runner evaluates them with: before, a stray `)` passed validate and
// failed the job at run time, after the steps before it had run. One that does not parse is a warning, not an
// error: the plan does not know its runner, and the local and docker runners run `run:` text as written (spec 20),
// so a step writing `${{ secrets.X }}` into a workflow file is legitimate there. The warning names the place the
// expression was written: the step's field, or the intent.yaml env/parameter a `{{ }}` substituted into it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, HEADER, STACK, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const STEP_TAIL = "the github-actions runner would fail the step; the local and docker runners run it as written";

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

const intent = (component: string): string => `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - ${component}\n`;

const repo = (deploy: string, envValue = "${{ secrets.TOKEN }}", component = "{name: web, type: svc}"): Promise<string> =>
  writeRepo({ "intent.yaml": intent(component), "comps/stack.yaml": STACK, "comps/svc/compositions.yaml": composition(deploy, envValue) });

/** validate and plan both pass (exit 0) and print each expected warning line; returns plan's stderr and plan. */
async function warned(dir: string, expected: string[]): Promise<{ stderr: string; plan: string }> {
  let out = { stderr: "", plan: "" };
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 0, `${args[0]}: ${result.stderr}`);
    for (const line of expected) assert.ok(result.stderr.includes(`⚠ warning: ${line}\n`), `${args[0]}: expected\n${line}\nin\n${result.stderr}`);
    out = { stderr: result.stderr, plan: result.stdout };
  }
  return out;
}

const deployStep = (plan: string): { run?: string; env?: Record<string, string> } =>
  (JSON.parse(plan) as { jobs: { steps: { id: string; run?: string; env?: Record<string, string> }[] }[] }).jobs[0]!.steps.find((s) => s.id === "deploy")!;

test("a syntax error in a step's run expression is a warning at validate and plan with file, line and field; the plan keeps it", async () => {
  const run = "echo {{ .orun.component.name }} ${{ steps.build.outputs.message ) }}";
  const { plan } = await warned(await repo(run), [
    `comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: step deploy (run) of composition svc: invalid expression \${{ steps.build.outputs.message ) }}: Unexpected symbol: ')': ${STEP_TAIL} (job web@dev.deploy)`,
  ]);
  assert.equal(deployStep(plan).run, run.replace("{{ .orun.component.name }}", "web"));
});

test("a step env value's expression is checked too, and so are names the runner does not know, and an empty ${{ }}", async () => {
  await warned(await repo("echo ok", "${{ secrets.TOKEN"), [
    `comps/svc/compositions.yaml:18: spec.jobs[0].steps[1].env.TOKEN: step deploy (env:TOKEN) of composition svc: invalid expression "\${{ secrets.TOKEN": no closing }}: ${STEP_TAIL} (job web@dev.deploy)`,
  ]);
  await warned(await repo("echo ${{ secret.TOKEN }}"), [
    `comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: step deploy (run) of composition svc: invalid expression \${{ secret.TOKEN }}: Unrecognized named-value: 'secret': ${STEP_TAIL} (job web@dev.deploy)`,
  ]);
  // The template engine leaves a `${{ }}` as text, `{{ }}` inside it included: the step's own text is at fault.
  await warned(await repo("echo ${{ steps.{{ .orun.component.name }}.outputs.x }}"), [
    `comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: step deploy (run) of composition svc: invalid expression \${{ steps.{{ .orun.component.name }}: Unexpected symbol: '{{'. Located at position 8 within expression:  steps.{{ .orun.component.name : ${STEP_TAIL} (job web@dev.deploy)`,
  ]);
  await warned(await repo('printf "%s" "${{ }}"'), [
    `comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: step deploy (run) of composition svc: invalid expression \${{ }}: empty expression (GitHub refuses it: An expression was expected): ${STEP_TAIL} (job web@dev.deploy)`,
  ]);
});

test("an expression from the component's env or parameters is warned about where intent.yaml declares it, not at the step", async () => {
  const dir = await repo("echo {{ .env.TOKEN }} {{ .parameters.msg }}", "ok", '{name: web, type: svc, env: {TOKEN: "${{ secret.TOKEN }}"}, parameters: {msg: "${{ github.sha"}}');
  const { stderr } = await warned(dir, [
    `intent.yaml:14: components[0].env.TOKEN: invalid expression \${{ secret.TOKEN }}: Unrecognized named-value: 'secret': the github-actions runner would fail every step of the job; the local and docker runners pass it as written`,
    `intent.yaml:14: components[0].parameters.msg: invalid expression "\${{ github.sha": no closing }}: substituted into step deploy (run) of composition svc: ${STEP_TAIL} (job web@dev.deploy)`,
  ]);
  assert.ok(!stderr.includes("compositions.yaml"), stderr);
});

test("a job env value is checked even when no step field uses it (the github-actions runner evaluates job env)", async () => {
  const dir = await repo("echo $TOKEN", "ok", '{name: web, type: svc, env: {TOKEN: "${{ secret.TOKEN }}"}}');
  const { stderr, plan } = await warned(dir, [
    `intent.yaml:14: components[0].env.TOKEN: invalid expression \${{ secret.TOKEN }}: Unrecognized named-value: 'secret': the github-actions runner would fail every step of the job; the local and docker runners pass it as written`,
  ]);
  assert.equal(stderr.match(/⚠ warning:.*invalid expression/g)?.length, 1, stderr);
  assert.deepEqual((JSON.parse(plan) as { jobs: { env?: Record<string, string> }[] }).jobs[0]!.env, { TOKEN: "${{ secret.TOKEN }}" });
});

test("the local runner runs a step with an unparsable ${{ }} as written", async () => {
  const oneStep = composition("printf '%s' '${{ secret.X }}' > written.txt", "ok").replace(/ {8}- name: build\n.*\n/, "");
  const dir = await writeRepo({ "intent.yaml": intent("{name: web, type: svc}"), "comps/stack.yaml": STACK, "comps/svc/compositions.yaml": oneStep });
  const result = await runOrun(["run", "--runner", "local"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.ok(result.stderr.includes("invalid expression ${{ secret.X }}"), result.stderr);
  assert.equal(await fs.readFile(path.join(dir, "written.txt"), "utf8"), "${{ secret.X }}");
});

test("expressions the runner can parse pass without a warning and stay in the plan as written, unevaluated", async () => {
  const run =
    "echo ${{ steps.build.outputs.message }} ${{ format('{0}}}', github.sha) }} ${{ hashFiles('**/x') }} ${{ always() && job.status }} " +
    "${{ inputs.a }} ${{ runner.os }} ${{ vars.V }} ${{ needs.x }} ${{ matrix.m }} ${{ strategy.s }} ${{ env.E }} {{ .orun.component.name }}";
  const dir = await repo(run);
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.ok(!validate.stderr.includes("invalid expression"), validate.stderr);
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(!plan.stderr.includes("invalid expression"), plan.stderr);
  const step = deployStep(plan.stdout);
  assert.equal(step.run, run.replace("{{ .orun.component.name }}", "web"));
  assert.deepEqual(step.env, { TOKEN: "${{ secrets.TOKEN }}" });
});

test("one place is warned about once, naming the jobs that share it, with every bad expression of the field; run --component names only its own jobs", async () => {
  const run = "echo ${{ github.sha }} ${{ foo( }} ${{ }} ${{ nosuchctx.x }} {{ .parameters.msg }}";
  const twoByTwo =
    `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\n  prod:\n    selectors: { components: ["*"] }\n` +
    `components:\n  - {name: api, type: svc, parameters: {msg: ok}}\n  - {name: web, type: svc, parameters: {msg: "\${{ github.sha"}}\n`;
  const dir = await writeRepo({ "intent.yaml": twoByTwo, "comps/stack.yaml": STACK, "comps/svc/compositions.yaml": composition(run, "ok") });
  const shared =
    "comps/svc/compositions.yaml:16: spec.jobs[0].steps[1].run: step deploy (run) of composition svc: " +
    "invalid expression ${{ foo( }}: Unexpected end of expression: '('; " +
    "invalid expression ${{ }}: empty expression (GitHub refuses it: An expression was expected); " +
    `invalid expression \${{ nosuchctx.x }}: Unrecognized named-value: 'nosuchctx': ${STEP_TAIL}`;
  const webOnly = `intent.yaml:17: components[1].parameters.msg: invalid expression "\${{ github.sha": no closing }}: substituted into step deploy (run) of composition svc: ${STEP_TAIL}`;
  const { stderr } = await warned(dir, [`${shared} (4 jobs: api@dev.deploy, api@prod.deploy, web@dev.deploy, and 1 more)`, `${webOnly} (2 jobs: web@dev.deploy, web@prod.deploy)`]);
  assert.equal(stderr.match(/⚠ warning:.*invalid expression/g)?.length, 2, stderr);

  // A run of api in dev: the shared place names api's job only, and web's parameter is not its concern.
  const scoped = await runOrun(["run", "--dry-run", "--component", "api", "-e", "dev"], { cwd: dir });
  assert.equal(scoped.code, 0, scoped.stderr);
  assert.ok(scoped.stderr.includes(`⚠ warning: ${shared} (job api@dev.deploy)\n`), scoped.stderr);
  assert.equal(scoped.stderr.match(/invalid expression/g)?.length, 3, scoped.stderr);
  const one = await runOrun(["run", "--dry-run", "--job", "web@prod.deploy"], { cwd: dir });
  assert.equal(one.code, 0, one.stderr);
  assert.ok(one.stderr.includes(`⚠ warning: ${shared} (job web@prod.deploy)\n`), one.stderr);
  assert.ok(one.stderr.includes(`⚠ warning: ${webOnly} (job web@prod.deploy)\n`), one.stderr);
});
