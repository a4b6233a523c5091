// Spaces other than U+0020 (no-break U+00A0, U+1680, U+2000–U+200A, U+202F, U+205F, U+3000) look like a space: an ID
// holding one is shown escaped (`\u{a0}`), in compile errors and run lines alike, and the commands orun prints name
// it by its bytes (printf octal escapes), so a pasted command still finds the job.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { inShell } from "../support/resume-hint.js";
import { cleanupRepos, HEADER, STACK, SVC, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_RUNNER: "", GITHUB_ACTIONS: "" };
const SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/;

test("orun validate / plan: a component name and a dependency holding a no-break space are shown escaped", async () => {
  const manifest = (name: string, extra = ""): string => `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: svc\n${extra}`;
  const files = { "intent.yaml": `${HEADER}environments:\n  dev:\n    selectors: { components: ["*"] }\n`, "comps/stack.yaml": STACK, "comps/svc/compositions.yaml": SVC };
  const badName = await writeRepo({ ...files, "apps/api/component.yaml": manifest("ap\u00a0i") });
  const badDep = await writeRepo({ ...files, "apps/api/component.yaml": manifest("api", "  dependsOn:\n    - component: we\u3000b\n") });
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const name = await runOrun(args, { cwd: badName, env });
    assert.equal(name.code, 1, name.stderr);
    assert.ok(name.stderr.includes(`metadata.name: must start with a letter or digit and contain only letters, digits, '-' and '_' (got "ap\\u{a0}i")`), name.stderr);
    const dep = await runOrun(args, { cwd: badDep, env });
    assert.equal(dep.code, 1, dep.stderr);
    assert.ok(dep.stderr.includes("(no component named we\\u{3000}b)"), dep.stderr);
    assert.doesNotMatch(name.stdout + name.stderr + dep.stdout + dep.stderr, SPACES);
  }
});

test("orun run: a job ID and step key holding Unicode spaces are shown escaped; the printed logs command, pasted through sh, reads the job", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.de\u00a0ploy\u2009x", steps: [{ id: "ma\u202fin", run: "echo from-the-step; exit 3" }] }], { name: "p\u205fq" }, "orun-unicode-spaces-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stdout + run.stderr, SPACES, JSON.stringify(run.stdout));
  assert.match(run.stdout, /^▲ orun p\\u\{205f\}q$/m);
  assert.match(run.stdout, /^ {4}✗ de\\u\{a0\}ploy\\u\{2009\}x {2}/m);
  assert.match(run.stdout, /^ {7}step {2}ma\\u\{202f\}in$/m);
  const logs = /^ {7}logs {2}(orun logs --exec-id E --job "\$\(printf 'app@dev\.de\\302\\240ploy\\342\\200\\211x'\)")$/m.exec(run.stdout)?.[1];
  assert.ok(logs, run.stdout);
  const pasted = await inShell(t, logs, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.match(pasted.output, /from-the-step/);
  // status lists the job escaped too.
  const status = await runOrun(["status", "--exec-id", "E"], { cwd: dir, env });
  assert.match(status.stdout, /✗ de\\u\{a0\}ploy\\u\{2009\}x /, status.stdout);
  assert.doesNotMatch(status.stdout, SPACES, status.stdout);
});
