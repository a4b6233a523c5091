// The approval policy used to fail open: a requireApproval value other than
// true/yes/1 (`required`, `on`) meant "no approval", and a misspelt policy key
// or component domain (which drops the component out of its group's policies)
// passed validate without a word. Now a value that is not a recognised boolean
// is an error at file:line: field, and near misses of a policy key or of a
// group name are warned about with "did you mean"; far-away keys and domains
// stay legal (policies are a free-form map).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { requiresApproval } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, TF, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const body = (policies: string, domain = "platform", extra = ""): string => `groups:
  platform:
    policies:
      owner: platform-team
  other: {}
environments:
  dev:
    selectors: { components: ["*"]${extra} }
    policies:
${policies}
components:
  - name: api
    type: svc
    domain: ${domain}
`;

test("a requireApproval value that is not a recognised boolean is refused by validate and plan, naming file:line and field", async () => {
  const dir = await writeRepo(baseRepo(body("      requireApproval: required")));
  const message =
    '✕ intent.yaml:19: environments.dev.policies.requireApproval: environment dev requireApproval must be true or false (or yes/no, on/off, 1/0), got "required"';
  for (const args of [["validate"], ["plan", "-o", "-"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    assert.ok(result.stderr.includes(message), `${args[0]}:\n${result.stderr}`);
  }
  const profile = await writeRepo(
    baseRepo("environments:\n  dev:\n    selectors: { components: [\"*\"] }\ncomponents:\n  - {name: infra, type: tf}\n", {
      "comps/tf/compositions.yaml": TF.replace("requireApproval: true", "requireApproval: [yes]"),
    }),
  );
  const refused = await runOrun(["validate"], { cwd: profile });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /✕ comps\/tf\/compositions\.yaml:\d+: spec\.executionProfiles\.apply\.policies\.requireApproval: composition tf profile "apply" requireApproval must be true or false .*got \["yes"\]/);
});

test("on/off and other recognised booleans in any case are honoured: ON blocks without --approve", async () => {
  const dir = await writeRepo(baseRepo(body("      requireApproval: ON")));
  const dry = await runOrun(["run", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /blocked without --approve \(policy requireApproval\)/);
  const off = await writeRepo(baseRepo(body('      requireApproval: "Off"')));
  const open = await runOrun(["run", "--dry-run"], { cwd: off });
  assert.equal(open.code, 0, open.stderr);
  assert.doesNotMatch(open.stdout, /blocked without --approve/);
  // A hand-edited plan can still carry an unreadable value: it demands approval (fails closed).
  assert.equal(requiresApproval({ policies: { requireApproval: "required" } }), true);
  assert.equal(requiresApproval({ policies: { requireApproval: "no" } }), false);
});

test("a policy key or a domain one typo from a known one is warned about; far-away ones stay quiet", async () => {
  const dir = await writeRepo(baseRepo(body('      require_approval: "true"\n      costCentre: ops', "platfrom")));
  const warnings = [
    "⚠ warning: intent.yaml:19: environments.dev.policies.require_approval: environment dev sets unknown policy require_approval (did you mean `requireApproval`?); requireApproval is not set here, and orun ignores require_approval\n",
    "⚠ warning: intent.yaml:24: components[0].domain: component api has domain \"platfrom\", which names no group (did you mean `platform`?); it gets none of group platform's parameter defaults or policies\n",
  ];
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal(validate.stderr, warnings.join(""));
  const plan = await runOrun(["plan", "-o", "-"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(plan.stderr.startsWith(warnings.join("")), plan.stderr);
  // A domain an environment selects by name is meant, however close to a group it is.
  const selected = await writeRepo(baseRepo(body("      owner: x", "platfrom", ', domains: ["platfrom"]')));
  const quiet = await runOrun(["validate"], { cwd: selected });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
});
