// Warning lines (`warning:` from the runtime, `⚠ warning:` from the planner, src/util/warning.ts) and commander's
// usage errors (an unknown option or command, the `✕` line of src/cli/main.ts) quote what was typed or what a file
// says: escape sequences and bidi controls in it are shown as `\u{hex}` (src/util/printable.ts), not sent to the
// terminal. Real runs of the built CLI, files in temp folders.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

// ESC, BEL, C1, TAB and the bidi controls: none may reach the output raw.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const noRaw = (...outputs: string[]): void => {
  for (const out of outputs) assert.doesNotMatch(out, RAW, JSON.stringify(out));
};
const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" };
after(() => cleanupRepos());

test("a runtime warning quoting a typed --component shows its escapes as \\u{hex}", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "true" }] }], { name: "p" }, "orun-warn-esc-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "E", "--component", "no\u001b]0;pwn\u0007pe\u202e"], { cwd: dir, env });
  noRaw(run.stdout, run.stderr);
  assert.ok(run.stderr.includes("warning: --component no\\u{1b}]0;pwn\\u{7}pe\\u{202e} matches no job of the plan (it has app)\n"), run.stderr);
});

test("a planner warning quoting the intent file shows its bidi controls (the intent refuses escapes) as \\u{hex}", async () => {
  const dir = await writeRepo(
    baseRepo(`environments:
  dev:
    selectors:
      components: [api, "w\\u2066b\\u202Ee"]
components:
  - { name: api, type: svc }
`),
  );
  const plan = await runOrun(["plan"], { cwd: dir, env });
  assert.equal(plan.code, 0, plan.stderr);
  noRaw(plan.stdout, plan.stderr);
  assert.ok(plan.stderr.includes('⚠ warning: intent.yaml:13: environment dev selects component "w\\u{2066}b\\u{202e}e", but no component has that name'), plan.stderr);
});

test("an unknown option or command is named escaped in the usage error", async () => {
  const option = await runOrun(["status", "--bo\u001b[31mgus\u202e"], { env });
  assert.equal(option.code, 1, option.stderr);
  noRaw(option.stdout, option.stderr);
  assert.ok(option.stderr.startsWith("✕ unknown option '--bo\\u{1b}[31mgus\\u{202e}'"), option.stderr);
  const command = await runOrun(["st\u001b]0;pwn\u0007at\u2066us"], { env });
  assert.equal(command.code, 1, command.stderr);
  noRaw(command.stdout, command.stderr);
  assert.ok(command.stderr.startsWith("✕ unknown command 'st\\u{1b}]0;pwn\\u{7}at\\u{2066}us'"), command.stderr);
});
