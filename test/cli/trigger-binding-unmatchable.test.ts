// A trigger binding that can never match an event (a provider orun does not
// read, a GitHub event name GitHub never sends) passed validate silently and
// showed up in CI only as "no trigger binding matched". plan and validate now
// warn, naming file:line and field, the supported provider and, for a
// misspelt event, the event meant. Good bindings stay quiet, and a warned one
// still works by name with --trigger.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const BODY = `automation:
  triggerBindings:
    pr:
      on:
        provider: github
        event: pull_requets
    gl:
      on:
        provider: gitlab
        event: merge_request
    main:
      on:
        provider: github
        event: push
        branches: [main]
environments:
  dev:
    selectors: { components: ["*"] }
    activation:
      triggerRefs: [pr, gl, main]
components:
  - name: api
    type: svc
`;

const WARNINGS = [
  "⚠ warning: intent.yaml:18: automation.triggerBindings.gl.on.provider: trigger binding gl is for provider \"gitlab\", but orun reads only github events (--from-ci github), so it matches no event; only --trigger gl selects it\n",
  "⚠ warning: intent.yaml:15: automation.triggerBindings.pr.on.event: trigger binding pr waits for GitHub event \"pull_requets\", which GitHub never sends (did you mean `pull_request`?), so it matches no event; only --trigger pr selects it\n",
].join("");

test("bindings no event can match are warned about in validate and plan; --trigger still selects them", async () => {
  const dir = await writeRepo(baseRepo(BODY));
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal(validate.stderr, WARNINGS);
  const plan = await runOrun(["plan", "-o", "-", "--trigger", "gl"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(plan.stderr.startsWith(WARNINGS), plan.stderr);
  const planned = JSON.parse(plan.stdout) as Plan;
  assert.deepEqual(planned.jobs.map((j) => j.id), ["api@dev.deploy"]);
  assert.deepEqual(planned.metadata.trigger?.matchedBindings, ["gl"]);
});

test("a provider one case away gets a did-you-mean", async () => {
  const dir = await writeRepo(baseRepo(BODY.replace("provider: gitlab", "provider: GitHub").replace("event: merge_request", "event: push")));
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stderr, /intent\.yaml:18: automation\.triggerBindings\.gl\.on\.provider: trigger binding gl is for provider "GitHub" \(did you mean `github`\?\), but orun reads only github events/);
});
