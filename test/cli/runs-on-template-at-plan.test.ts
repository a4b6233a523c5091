// A job's runsOn is copied into the plan as written (spec 12); only step fields are templates. A `{{ }}` there
// passed validate and plan and failed only under `--runner docker`, which takes runsOn as the job's image: it is
// an error at validate and plan now, named at the file, line and field. A `${{ }}` is GitHub's to evaluate (a
// workflow's runs-on), so it is a warning, and the plan keeps it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const withRunsOn = (runsOn: string): Promise<string> =>
  writeRepo(baseRepo(DEV_API, { "comps/svc/compositions.yaml": SVC.replace("runsOn: ubuntu-latest", `runsOn: ${JSON.stringify(runsOn)}`) }));

test("a {{ }} template left in runsOn fails validate and plan, naming file, line and field", async () => {
  for (const runsOn of ["{{ .parameters.image }}", "registry.example/{{.orun.component.name}}:1"]) {
    const dir = await withRunsOn(runsOn);
    for (const args of [["validate"], ["plan", "-o", "-"]]) {
      const result = await runOrun(args, { cwd: dir });
      assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
      assert.ok(
        result.stderr.includes(
          `✕ comps/svc/compositions.yaml:19: spec.jobs[0].runsOn: composition svc job deploy: ${JSON.stringify(runsOn)} holds a {{ }} template, but runsOn is taken as written (only step fields are templates); write the image or runner label itself\n`,
        ),
        `${args[0]}: ${result.stderr}`,
      );
      assert.equal(result.stdout.includes('"runsOn"'), false, "no plan is written");
    }
  }
});

test("a ${{ }} expression in runsOn is a warning at validate and plan; the plan keeps it as written", async () => {
  const runsOn = "${{ matrix.os }}";
  const dir = await withRunsOn(runsOn);
  const warning = `⚠ warning: comps/svc/compositions.yaml:19: spec.jobs[0].runsOn: composition svc job deploy: "${runsOn}" holds a \${{ }} expression, which orun does not evaluate (GitHub does, in a workflow's runs-on): the docker runner would take it as the job's image and fail; the local and github-actions runners do not use runsOn\n`;
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.ok(validate.stderr.includes(warning), validate.stderr);
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal(plan.stderr.split(warning).length, 2, `warned once: ${plan.stderr}`);
  const jobs = (JSON.parse(plan.stdout) as { jobs: { runsOn?: string }[] }).jobs;
  assert.ok(jobs.length > 0 && jobs.every((job) => job.runsOn === runsOn), plan.stdout);
});

test("a {{ }} inside a ${{ }} expression is the expression's text, not a template", async () => {
  const result = await runOrun(["validate"], { cwd: await withRunsOn("${{ format('{{0}}', matrix.os) }}") });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /spec\.jobs\[0\]\.runsOn: .* holds a \$\{\{ \}\} expression/);
});
