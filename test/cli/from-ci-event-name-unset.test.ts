// GitHub's event payloads do not carry the event's name (the runner sets GITHUB_EVENT_NAME). Tried locally without
// it, `--from-ci github --event-file` said only "no trigger binding matched github event unknown": the error now
// says where the name comes from, that it is not set (or empty), and how to set it. With it set, the message is
// the plain one (spec 10, case 24).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const BODY = `automation:
  triggerBindings:
    release-tag:
      on:
        provider: github
        event: push
        tags: ["v*"]
environments:
  dev:
    selectors: { components: ["*"] }
    activation:
      triggerRefs: [release-tag]
components:
  - name: api
    type: svc
`;

const HINT = "(set GITHUB_EVENT_NAME to the event's name, as GitHub Actions does (e.g. GITHUB_EVENT_NAME=push); bindings: release-tag)";

test("--from-ci without GITHUB_EVENT_NAME says the name is not set and how to set it", async () => {
  const dir = await writeRepo(baseRepo(BODY));
  // A tag push's payload as a user might write it: no before/after, so nothing names the event.
  await writeFile(path.join(dir, "ev.json"), JSON.stringify({ ref: "refs/tags/v1.2.0" }));
  const plan = (env: Record<string, string | undefined>) => runOrun(["plan", "-o", "-", "--from-ci", "github", "--event-file", "ev.json"], { cwd: dir, env });

  const unset = await plan({ GITHUB_EVENT_NAME: undefined });
  assert.equal(unset.code, 1, unset.stderr);
  assert.equal(unset.stdout, "");
  assert.match(
    unset.stderr,
    new RegExp(`✕ ev\\.json: no trigger binding matched github event unknown \\(GITHUB_EVENT_NAME is not set, and the payload's fields name no event; GitHub's event payloads do not carry the event name\\) ${escape(HINT)}\\n`),
  );

  const empty = await plan({ GITHUB_EVENT_NAME: " " });
  assert.equal(empty.code, 1, empty.stderr);
  assert.match(empty.stderr, /github event unknown \(GITHUB_EVENT_NAME is empty, and the payload's fields name no event;/);

  // Inferred from before/after as a push, on a branch no binding takes: the inference is named.
  await writeFile(path.join(dir, "ev.json"), JSON.stringify({ ref: "refs/heads/dev", before: "c1", after: "c2" }));
  const inferred = await plan({ GITHUB_EVENT_NAME: undefined });
  assert.equal(inferred.code, 1, inferred.stderr);
  assert.match(inferred.stderr, /github event push on branch dev \(GITHUB_EVENT_NAME is not set: "push" is inferred from the payload's fields;/);

  // Set, as on GitHub: the event is what it says, and the tag push plans.
  const named = await plan({ GITHUB_EVENT_NAME: "workflow_dispatch" });
  assert.equal(named.code, 1, named.stderr);
  assert.match(named.stderr, /✕ ev\.json: no trigger binding matched github event workflow_dispatch on branch dev \(bindings: release-tag\)\n/);
  await writeFile(path.join(dir, "ev.json"), JSON.stringify({ ref: "refs/tags/v1.2.0" }));
  const tagged = await plan({ GITHUB_EVENT_NAME: "push" });
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.deepEqual((JSON.parse(tagged.stdout) as { metadata: { trigger: { matchedBindings: string[] } } }).metadata.trigger.matchedBindings, ["release-tag"]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
