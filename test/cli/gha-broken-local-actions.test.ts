// Local actions (`use: ./path`) that exist but would not load: validate and plan read their action.yml as the
// github-actions runner does and warn with file:line (field) — invalid YAML, an unsupported runs.using, a
// composite step whose `if:` does not parse, a composite `run:` step without `shell:` (GitHub refuses it:
// "Required property is missing: shell") — where they used to print "All validation passed" before a job that
// could not start. At run time the same errors name the file and line, an `if:` that fails while it is evaluated
// too; a missing `required: true` input is not enforced, as on GitHub: the action gets "" and a warning.
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
  notyaml: "name: notyaml\nruns:\n  using: composite\n  steps:\n    - shell: bash\n     run: echo x\n",
  evalif: "name: evalif\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo first\n    - shell: bash\n      if: fromJSON('{')\n      run: echo x\n",
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

test("validate and plan warn about a local action.yml that would not load, with file:line (field), once per action", async () => {
  const dir = await repoCalling("noshell", "node99", "badif", "notyaml", "noshell", "needs");
  const file = (name: string): string => path.join(dir, "actions", name, "action.yml");
  const expected = [
    `⚠ warning: job api@dev.deploy step s0 (and 1 other step): ${file("noshell")}:5: runs.steps[0].shell: composite run steps must declare a shell, as on GitHub ("Required property is missing: shell"); add e.g. shell: bash`,
    `⚠ warning: job api@dev.deploy step s1: ${file("node99")}:3: runs.using: unsupported action runtime "node99"`,
    `⚠ warning: job api@dev.deploy step s2: ${file("badif")}:6: runs.steps[0].if: invalid expression \${{ foo( }}: Unexpected end of expression: '('`,
    `⚠ warning: job api@dev.deploy step s3: ${file("notyaml")}:6: invalid YAML:`,
  ];
  for (const command of [["validate"], ["plan"]]) {
    const r = await runOrun(command, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.split("\n").filter((line) => line.includes("actions/"));
    assert.equal(warnings.length, expected.length, r.stderr);
    expected.forEach((start, i) => assert.ok(warnings[i]!.startsWith(start), `${command[0]}: ${warnings[i]}\n  expected: ${start}`));
    assert.doesNotMatch(r.stderr, /needs/, "a required input is the run's to warn about");
  }
});

test("at run time a composite step's if: names the action.yml file and line, also when it fails while evaluated", async () => {
  for (const [name, line, pattern] of [
    ["badif", 6, /invalid expression \$\{\{ foo\( \}\}: Unexpected end of expression/],
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

test("a required input not given is not enforced, as on GitHub: the action gets an empty value and the step log a warning", async () => {
  const dir = await repoCalling("needs");
  const r = await runOrun(["run", "-e", "dev", "--gha", "--exec-id", "needs"], { cwd: dir, env: runEnv });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const logs = await runOrun(["logs", "--exec-id", "needs", "--job", "api@dev.deploy"], { cwd: dir });
  assert.match(logs.stdout, /warning: required input\(s\) "token" \(\S+actions\/needs\/action\.yml:3\) of needs not given: the action gets "" \(GitHub does not enforce required inputs either/);
  assert.match(logs.stdout, /token=\[\]/);
});
