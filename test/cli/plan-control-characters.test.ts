// Control characters (an ANSI escape, a newline, U+009B) in what orun prints
// about a plan: a plan file carrying one in its name, runsOn, gate or
// composition source is refused naming the field (it would rewrite what
// describe and run show), and the compiler refuses one where it is written
// (intent namespace, a composition's runsOn, any name or reference).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, HEADER, SVC, writeRepo } from "../planner/support.js";
import { planDir, type JobSpec } from "../runtime/helpers.js";

after(cleanupRepos);

test("a plan file with a control character in a printed field is refused by describe and run, naming the field", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  const planned = await runOrun(["plan", "-o", "plan.json"], { cwd: dir });
  assert.equal(planned.code, 0, planned.stderr);
  const plan = JSON.parse(await fs.readFile(path.join(dir, "plan.json"), "utf8")) as Plan;
  delete plan.metadata.checksum; // hand-written: nothing to verify, only the fields
  const edits: [string, (p: Plan) => void][] = [
    ["metadata.name", (p) => (p.metadata.name = "demo\u001b[2J")],
    ["jobs[0].runsOn", (p) => (p.jobs[0]!.runsOn = "ubuntu\u009b31m")],
    ["jobs[0].profile", (p) => (p.jobs[0]!.profile = "svc.x\nFAKE: line")],
    ["jobs[0].gates[0].condition", (p) => (p.jobs[0]!.gates = [{ type: "environment-promotion", environment: "dev", component: "api", condition: "success\u001b[8m", match: { revision: "source" } }])],
    ["spec.compositionSources[0].name", (p) => (p.spec.compositionSources![0]!.name = "local\u0007")],
    ["spec.jobBindings.svc", (p) => (p.spec.jobBindings = { svc: "s\u001b]0;title\u0007" })],
  ];
  for (const [field, edit] of edits) {
    const copy = structuredClone(plan);
    edit(copy);
    await fs.writeFile(path.join(dir, "edited.json"), JSON.stringify(copy));
    for (const args of [["describe", "plan", "./edited.json"], ["run", "./edited.json", "--dry-run"]]) {
      const run = await runOrun(args, { cwd: dir });
      assert.equal(run.code, 1, `${args.join(" ")} with ${field}: ${run.stdout}`);
      assert.ok(run.stderr.includes(`edited.json (${field}): invalid plan: must not contain control characters`), `${field}: ${run.stderr}`);
      assert.ok(![..."\u0007\u001b\u009b"].some((c) => (run.stdout + run.stderr).includes(c)), "nothing raw reaches the terminal");
    }
  }
});

test("the compiler refuses a control character in the intent namespace, a composition's runsOn and a name", async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "namespace",
      { "intent.yaml": HEADER.replace("  name: s-test\n", '  name: s-test\n  namespace: "team\\e[31m"\n') + DEV_API },
      /^✕ intent\.yaml:5: metadata\.namespace: must not contain control characters \(a tab, a line break, an escape sequence\) \(got "team\\u\{1b\}\[31m"\)\n$/,
    ],
    [
      "runsOn",
      { "comps/svc/compositions.yaml": SVC.replace("runsOn: ubuntu-latest", 'runsOn: "ubuntu\\u009blatest"') },
      /^✕ comps\/svc\/compositions\.yaml:\d+: spec\.jobs\[0\]\.runsOn: must not contain control characters .*\(got "ubuntu\\u\{9b\}latest"\)\n$/,
    ],
    [
      "a subscription name",
      { "intent.yaml": HEADER + DEV_API + '    subscribe: { environments: ["d\\tev"] }\n' },
      /^✕ intent\.yaml:\d+: components\[0\]\.subscribe\.environments\[0\]: must not contain control characters .*\(got "d\\u\{9\}ev"\)\n$/,
    ],
  ];
  for (const [what, files, expected] of cases) {
    const dir = await writeRepo({ ...baseRepo(DEV_API), ...files });
    const run = await runOrun(["plan"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, expected, what);
    const validate = await runOrun(["validate"], { cwd: dir });
    assert.equal(validate.code, 1, `validate checks it too (${what})`);
  }
});

test("the compiler's errors quote a value's escape and bidi controls in one form, \\u{hex}, and plain names as before", async () => {
  // JSON.stringify wrote ESC as \u001b and a tab as \t, and left U+202E raw for the printed line to show as \u{202e}.
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "namespace",
      { "intent.yaml": HEADER.replace("  name: s-test\n", '  name: s-test\n  namespace: "t\\e[31m\\u202e\\tx\\u200by"\n') + DEV_API },
      /^✕ intent\.yaml:5: metadata\.namespace: must not contain control characters .* \(got "t\\u\{1b\}\[31m\\u\{202e\}\\u\{9\}x\\u\{200b\}y"\)\n$/,
    ],
    [
      "a step id",
      { "comps/svc/compositions.yaml": SVC.replace("- id: the-id", '- id: "the\\e]0;t\\u0007\\u202eid"') },
      /^✕ comps\/svc\/compositions\.yaml:\d+: .*step id "the\\u\{1b\}\]0;t\\u\{7\}\\u\{202e\}id" contains a control character/,
    ],
    [
      "a template's name",
      // In the composition's double-quoted YAML: \"x\\u202e\\x1b\", a Go string literal with its own escapes.
      { "comps/svc/compositions.yaml": SVC.replace("to {{.orun.environment.name}}", 'to {{ template \\"x\\\\u202e\\\\x1b\\" }}') },
      /template "x\\u\{202e\}\\u\{1b\}" not defined/,
    ],
  ];
  for (const [what, files, expected] of cases) {
    const dir = await writeRepo({ ...baseRepo(DEV_API), ...files });
    const run = await runOrun(["plan"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, expected, what);
    assert.doesNotMatch(run.stderr, /\\u[0-9a-f]{4}|\\t/, `${what}: one form, no JSON escapes: ${run.stderr}`);
  }
  // A plain name is quoted as it was.
  const dir = await writeRepo(baseRepo(DEV_API, { "comps/svc/compositions.yaml": SVC.replace("to {{.orun.environment.name}}", "to {{ nosuch .orun.environment.name }}") }));
  const run = await runOrun(["plan"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /function "nosuch" not defined/);
});

test("a line break in a key (an environment, a parameter, an env variable) stays on the error's one line, as \\u{a}", async () => {
  // The key reached the message raw, in the field path and in the quote: the error went on over two lines, the
  // second reading as a message of its own.
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "an environment",
      { "intent.yaml": HEADER + DEV_API.replace("  dev:\n", '  "de\\nv":\n') },
      /^✕ intent\.yaml:\d+: environments\["de\\u\{a\}v"\]: invalid name "de\\u\{a\}v": must start with a letter or digit/,
    ],
    [
      "an env variable",
      { "intent.yaml": HEADER + 'env:\n  "RE\\nGION": eu\n' + DEV_API },
      /^✕ intent\.yaml:\d+: env\["RE\\u\{a\}GION"\]: invalid name "RE\\u\{a\}GION": must be an environment variable name/,
    ],
    [
      "a parameter",
      {
        "intent.yaml": HEADER + DEV_API + '    parameters: { "repl\\nicas": 2 }\n',
        "comps/svc/compositions.yaml": SVC.replace("        properties:\n          replicas:", "        additionalProperties: false\n        properties:\n          replicas:"),
      },
      /^✕ intent\.yaml:\d+: .*parameters\["repl\\u\{a\}icas"\]: unknown key "repl\\u\{a\}icas" \(did you mean `replicas`\?\)/,
    ],
  ];
  for (const [what, files, expected] of cases) {
    const dir = await writeRepo(baseRepo(DEV_API, files));
    const run = await runOrun(["validate"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, expected, `${what}: ${run.stderr}`);
    assert.equal(run.stderr.split("\n").filter((line) => line.startsWith("✕")).length, 1, what);
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, `${what}: one line: ${run.stderr}`);
  }
});

test("a name refused for a look-alike letter (Cyrillic е in dev, а in api) names that character and its code point", async () => {
  // "invalid name "dеv": must … contain only letters, digits, '-' and '_'" left a name that reads as valid.
  const cases: [string, Record<string, string>, RegExp][] = [
    ["an environment key", { "intent.yaml": HEADER + DEV_API.replace("  dev:\n", "  dеv:\n") }, /environments\.dеv: invalid name "dеv": .*; "е" \(U\+0435\) is not an ASCII letter/],
    ["a component name", { "intent.yaml": HEADER + DEV_API.replace("name: api", "name: аpi") }, /components\[0\]\.name: must start with .* \(got "аpi"\); "а" \(U\+0430\) is not an ASCII letter/],
  ];
  for (const [what, files, expected] of cases) {
    const dir = await writeRepo(baseRepo(DEV_API, files));
    const run = await runOrun(["validate"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, expected, `${what}: ${run.stderr}`);
  }
});

test("a NUL byte in a plan file's env value, run, shell or working-directory is refused naming the field, before any job runs (no process can take one)", async (t) => {
  const edits: [string, JobSpec][] = [
    ["jobs[0].env.X", { id: "app@dev.b", env: { X: "a\u0000b" }, steps: [{ run: "touch ran" }] }],
    ["jobs[0].steps[0].env.Y", { id: "app@dev.b", steps: [{ run: "touch ran", env: { Y: "\u0000" } }] }],
    ["jobs[0].steps[0].run", { id: "app@dev.b", steps: [{ run: "touch ran\u0000" }] }],
    ["jobs[0].steps[0].shell", { id: "app@dev.b", steps: [{ run: "touch ran", shell: "bash\u0000" }] }],
    ["jobs[0].steps[0].working-directory", { id: "app@dev.b", steps: [{ run: "touch ran", "working-directory": "a\u0000" } as JobSpec["steps"][0]] }],
  ];
  for (const [field, job] of edits) {
    const dir = await planDir(t, [job]);
    const run = await runOrun(["run", "plan.json", "--exec-id", "nul"], { cwd: dir });
    assert.equal(run.code, 1, `${field}: ${run.stdout}`);
    assert.ok(run.stderr.includes(`plan.json (${field}): invalid plan: must not contain a NUL byte (no process can be given one)`), `${field}: ${run.stderr}`);
    assert.ok(!(await fs.stat(path.join(dir, "ran")).catch(() => undefined)), `${field}: nothing ran`);
  }
});

test("orun plan refuses a NUL byte in an env value, a step's run, shell or working-directory, naming file, line and field", async () => {
  // Accepted by the compiler, the plan was then refused by `orun run` with advice to plan again, which cannot help.
  const step = (fields: string): Record<string, string> => ({ "comps/svc/compositions.yaml": SVC.replace("          run: echo post\n", `          run: echo post\n${fields}`) });
  const cases: [string, Record<string, string>, RegExp][] = [
    ["the intent's env", { "intent.yaml": HEADER + 'env:\n  X: "a\\0b"\n' + DEV_API }, /^✕ intent\.yaml:11: env\.X: must not contain a NUL byte .*\(got "a\\u\{0\}b"\)\n$/],
    ["a component's env", { "intent.yaml": HEADER + DEV_API + '    env: { Y: "\\0" }\n' }, /^✕ intent\.yaml:16: components\[0\]\.env\.Y: must not contain a NUL byte/],
    ["an environment's env", { "intent.yaml": HEADER + DEV_API.replace("  dev:\n", '  dev:\n    env: { Z: "z\\0" }\n') }, /^✕ intent\.yaml:12: environments\.dev\.env\.Z: must not contain a NUL byte/],
    ["a step's run", { "comps/svc/compositions.yaml": SVC.replace("run: echo post", 'run: "echo \\0post"') }, /^✕ comps\/svc\/compositions\.yaml:\d+: spec\.jobs\[0\]\.steps\[1\]\.run: must not contain a NUL byte/],
    ["a step's shell", step('          shell: "bash\\0"\n'), /^✕ comps\/svc\/compositions\.yaml:\d+: spec\.jobs\[0\]\.steps\[1\]\.shell: must not contain a NUL byte/],
    ["a step's working-directory", step('          working-directory: "a\\0"\n'), /^✕ comps\/svc\/compositions\.yaml:\d+: spec\.jobs\[0\]\.steps\[1\]\.working-directory: must not contain a NUL byte/],
    ["a step's env", step('          env: { W: "\\0" }\n'), /^✕ comps\/svc\/compositions\.yaml:\d+: spec\.jobs\[0\]\.steps\[1\]\.env\.W: must not contain a NUL byte/],
  ];
  for (const [what, files, expected] of cases) {
    const dir = await writeRepo(baseRepo(DEV_API, files));
    const run = await runOrun(["plan"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, expected, `${what}: ${run.stderr}`);
    assert.ok(!(await fs.stat(path.join(dir, ".orun/plans")).catch(() => undefined)), `${what}: no plan stored`);
  }
});

test("orun plan refuses a step field whose template renders a NUL byte (a parameter holding one), naming the step's file and field", async () => {
  const dir = await writeRepo(baseRepo(DEV_API + '    parameters: { note: "a\\0b" }\n', { "comps/svc/compositions.yaml": SVC.replace("run: echo post", 'run: "echo {{.parameters.note}}"') }));
  const run = await runOrun(["plan"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /^✕ comps\/svc\/compositions\.yaml:\d+: .*step post-step \(run\): the rendered value contains a NUL byte/, run.stderr);
  assert.ok(!(await fs.stat(path.join(dir, ".orun/plans")).catch(() => undefined)), "no plan stored");
});

// Fixed: a NUL byte in a step's `with:` value passed `orun plan` (the schema takes any value there; materialize skipped
// `with:` fields), and the stored plan was then refused by `orun run <id>` at load, advising to plan again (rev31 #3).
test("orun plan refuses a NUL byte in a step's with: input, written or rendered from a parameter, naming the step's file and field", async () => {
  const input = (tmpl: string): Record<string, string> => ({ "comps/svc/compositions.yaml": SVC.replace('tmpl: "{{.orun.job.id}}"', `tmpl: ${tmpl}`) });
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ["written", DEV_API, input('"a\\0b"'), /^✕ comps\/svc\/compositions\.yaml:\d+: .*\(with:tmpl\): the input's value contains a NUL byte \(no process can be given one\)/],
    ["rendered from a parameter", DEV_API + '    parameters: { note: "a\\0b" }\n', input('"{{.parameters.note}}"'), /^✕ comps\/svc\/compositions\.yaml:\d+: .*\(with:tmpl\): the rendered value contains a NUL byte/],
    ["in the input's name", DEV_API, { "comps/svc/compositions.yaml": SVC.replace('tmpl: "{{.orun.job.id}}"', '"t\\0": x') }, /^✕ comps\/svc\/compositions\.yaml:\d+: .*: the input's name contains a NUL byte/],
  ];
  for (const [what, intent, files, expected] of cases) {
    const dir = await writeRepo(baseRepo(intent, files));
    const run = await runOrun(["plan"], { cwd: dir });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, expected, `${what}: ${run.stderr}`);
    assert.ok(!(await fs.stat(path.join(dir, ".orun/plans")).catch(() => undefined)), `${what}: no plan stored`);
  }
});
