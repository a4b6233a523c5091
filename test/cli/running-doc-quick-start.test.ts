// docs/running.md's quick start, followed as written on a copy of examples/platform: its ```sh block sets the
// repository up, and each `$ command` of its ```text blocks runs in order with `bash -e`, its output matched against
// the lines the page shows under it (test/support/doc-transcript.ts). The page's /tmp/platform is the test's folder.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../support/cli.js";
import { bashScript } from "../support/bash.js";
import { copyExample } from "../support/examples.js";
import { assertShows, docShell, section, transcript } from "../support/doc-transcript.js";

const created: string[] = [];
after(() => Promise.all(created.map((d) => rm(d, { recursive: true, force: true }))));

test("docs/running.md's quick start prints what the page shows: a preview, a run, its status and logs, a failure and its resume", async () => {
  const quickStart = section(await readFile(path.join(PROJECT_ROOT, "docs/running.md"), "utf8"), "Quick start: run, inspect, fix, resume");
  const setup = /```sh\n([\s\S]*?)```/.exec(quickStart)?.[1] ?? "";
  const copy = "cp -r examples/platform /tmp/platform && cd /tmp/platform\n";
  assert.ok(setup.startsWith(copy), `the set-up copies the example first:\n${setup}`);

  const { dir, env } = await docShell("orun-running-quick-start-");
  created.push(dir);
  const repo = path.join(dir, "platform");
  await copyExample("platform", repo);
  const set = await bashScript(setup.slice(copy.length), repo, env);
  assert.equal(set.code, 0, set.output);

  const steps = transcript(quickStart);
  assert.ok(steps.length >= 7, `the quick start shows its commands (found ${steps.length})`);
  for (const { command, expected } of steps) {
    assert.ok(command, `every block of the quick start starts with a command: ${expected.join("\n")}`);
    const result = await bashScript(`{ ${command.replaceAll("/tmp/platform", repo)}; } 2>&1`, repo, env);
    const fails = expected.some((line) => line.startsWith("✗ Failed"));
    assert.equal(result.code, fails ? 1 : 0, `$ ${command}\n${result.output}`);
    assertShows(result.output.replaceAll(repo, "/tmp/platform"), expected, command);
  }
});
