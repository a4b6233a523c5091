// Local actions (`use: ./path`) that exist but would not load: validate and plan read their action.yml as the
// github-actions runner does and warn with file:line: field — invalid YAML, an unsupported runs.using, a
// composite step whose `if:` does not parse, a composite `run:` step without `shell:` (GitHub refuses it:
// "Required property is missing: shell") — where they used to print "All validation passed" before a job that
// could not start. At run time the same errors name the file and line, an `if:` that fails while it is evaluated
// too. An `if:` with text around `${{ }}` (GitHub reads it as a string) loads, and a bare one (`foo(`) is checked
// as well. A missing `required: true` input without a default fails the step, as the spec says (case 42).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { DEV_API, HEADER, STACK, cleanupRepos, svcComposition, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const ACTIONS: Record<string, string> = {
  noshell: "name: noshell\nruns:\n  using: composite\n  steps:\n    - run: echo no shell\n",
  node99: "name: node99\nruns:\n  using: node99\n  main: x.js\n",
  badif: "name: badif\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      if: ${{ foo( }}\n      run: echo x\n",
  bareif: "name: bareif\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      if: foo(\n      run: echo x\n",
  mixedif: "name: mixedif\ninputs:\n  enabled:\n    default: 'false'\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      if: ${{ inputs.enabled }} == 'true'\n      run: echo mixed ran\n",
  notyaml: "name: notyaml\nruns:\n  using: composite\n  steps:\n    - shell: bash\n     run: echo x\n",
  evalif: "name: evalif\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo first\n    - shell: bash\n      if: fromJSON('{')\n      run: echo x\n",
  outer: "name: outer\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo outer\n    - uses: ./actions/notyaml\n    - name: gone\n      uses: ./actions/gone\n    - uses: ./actions/outer\n",
  needs: 'name: needs\ninputs:\n  token:\n    required: true\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo "token=[${{ inputs.token }}]"\n',
};

async function repoCalling(...names: string[]): Promise<string> {
  const steps = names.map((name, i) => `        - name: s${i}\n          use: ./actions/${name}\n`).join("");
  const dir = await writeRepo({ "intent.yaml": `${HEADER}${DEV_API}    path: services/api\n`, "comps/stack.yaml": STACK, "comps/svc/compositions.yaml": svcComposition(steps) });
  await mkdir(path.join(dir, "services/api"), { recursive: true });
  for (const [name, yaml] of Object.entries(ACTIONS)) {
    await mkdir(path.join(dir, "actions", name), { recursive: true });
    await writeFile(path.join(dir, "actions", name, "action.yml"), yaml);
  }
  return dir;
}

const runEnv = { GITHUB_ACTIONS: "", ORUN_RUNNER: "" };

test("validate and plan warn about a local action.yml that would not load, with file:line: field, once per action", async () => {
  const dir = await repoCalling("noshell", "node99", "badif", "notyaml", "noshell", "needs", "mixedif", "bareif");
  const file = (name: string): string => path.join(dir, "actions", name, "action.yml");
  const expected = [
    `⚠ warning: job api@dev.deploy step s0 (and 1 other step): ${file("noshell")}:5: runs.steps[0].shell: composite run steps must declare a shell, as on GitHub ("Required property is missing: shell"); add e.g. shell: bash`,
    `⚠ warning: job api@dev.deploy step s1: ${file("node99")}:3: runs.using: unsupported action runtime "node99"`,
    `⚠ warning: job api@dev.deploy step s2: ${file("badif")}:6: runs.steps[0].if: invalid expression \${{ foo( }}: Unexpected end of expression: '('`,
    `⚠ warning: job api@dev.deploy step s3: ${file("notyaml")}:6: invalid YAML:`,
    `⚠ warning: job api@dev.deploy step s7: ${file("bareif")}:6: runs.steps[0].if: invalid expression \${{ foo( }}: Unexpected end of expression: '('`,
  ];
  for (const command of [["validate"], ["plan"]]) {
    const r = await runOrun(command, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split("\n").filter((line) => line.includes("actions/"));
    assert.equal(warnings.length, expected.length, r.stderr);
    expected.forEach((start, i) => assert.ok(warnings[i]!.startsWith(start), `${command[0]}: ${warnings[i]}\n  expected: ${start}`));
    assert.doesNotMatch(r.stderr, /needs/, "a required input is the run's to check");
    assert.doesNotMatch(r.stderr, /mixedif/, "text around ${{ }} in an if: is valid, as on GitHub");
  }
});

test("at run time a composite step's if: names the action.yml file and line, also when it fails while evaluated", async () => {
  for (const [name, line, pattern] of [
    ["badif", 6, /invalid expression \$\{\{ foo\( \}\}: Unexpected end of expression/],
    ["bareif", 6, /invalid expression \$\{\{ foo\( \}\}: Unexpected end of expression/],
    ["evalif", 8, /invalid expression \$\{\{ fromJSON\('\{'\) \}\}/],
    ["noshell", 5, /composite run steps must declare a shell/],
  ] as const) {
    const dir = await repoCalling(name);
    const r = await runOrun(["run", "-e", "dev", "--gha", "--exec-id", name], { cwd: dir, env: runEnv });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const where = `${path.join(dir, "actions", name, "action.yml")}:${line}: runs.steps[${name === "evalif" ? 1 : 0}].${name === "noshell" ? "shell" : "if"}: `;
    assert.ok((r.stdout + r.stderr).includes(where), `${name}: ${where}\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, pattern, name);
  }
});

test("an if: with text around ${{ }} loads and runs, as on GitHub (the text makes it a non-empty string)", async () => {
  const dir = await repoCalling("mixedif");
  const r = await runOrun(["run", "-e", "dev", "--gha", "--exec-id", "mixedif"], { cwd: dir, env: runEnv });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const logs = await runOrun(["logs", "--exec-id", "mixedif", "--job", "api@dev.deploy"], { cwd: dir });
  assert.match(logs.stdout, /mixed ran/);
});

test("a required input without a default that the step does not give fails the step, naming the action.yml line (spec case 42)", async () => {
  const dir = await repoCalling("needs");
  const r = await runOrun(["run", "-e", "dev", "--gha", "--exec-id", "needs"], { cwd: dir, env: runEnv });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const file = path.join(dir, "actions", "needs", "action.yml");
  assert.ok((r.stdout + r.stderr).includes(`required input "token" is missing for action needs (${file}:3)`), r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /token=\[/, "the action did not run");
});

test("validate, plan and run --dry-run read the local actions a composite action calls too: a missing one and one that would not load are named with where the composite calls them", async () => {
  const dir = await repoCalling("outer", "node99");
  const file = (name: string): string => path.join(dir, "actions", name, "action.yml");
  const expected = [
    `job api@dev.deploy step s0: ${file("notyaml")}:6: invalid YAML:`,
    `job api@dev.deploy step s0: ${file("outer")}: runs.steps[2].uses: local action ./actions/gone: ${path.join(dir, "actions/gone")} does not exist (local actions are relative to the repository root ${dir})`,
  ];
  for (const command of [["validate"], ["plan"]]) {
    const r = await runOrun(command, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split("\n").filter((line) => line.includes("actions/"));
    assert.equal(warnings.length, 3, r.stderr);
    assert.ok(warnings.some((line) => line.includes(`step s1: ${file("node99")}:3: runs.using`)), r.stderr);
    const notyaml = warnings.find((line) => line.includes("notyaml")) ?? "";
    assert.ok(notyaml.startsWith(`⚠ warning: ${expected[0]}`) && notyaml.endsWith(`(called at ${file("outer")}: runs.steps[1].uses)`), `${command[0]}: ${notyaml}`);
    assert.ok(warnings.includes(`⚠ warning: ${expected[1]}`), `${command[0]}: ${r.stderr}`);
  }
  // The dry run notes the same, the job-level action that would not load included (it noted missing ones only).
  const dry = await runOrun(["run", "-e", "dev", "--gha", "--dry-run"], { cwd: dir, env: runEnv });
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  const said = dry.stdout + dry.stderr;
  assert.ok(said.includes(`step s1: ${file("node99")}:3: runs.using: unsupported action runtime "node99"`), said);
  assert.ok(said.includes(`step s0: ${file("notyaml")}:6: invalid YAML:`), said);
  assert.ok(said.includes(`step s0: ${expected[1]!.slice("job api@dev.deploy step s0: ".length)}`), said);
});
