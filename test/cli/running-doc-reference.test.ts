// docs/running.md's reference sections with an example — the docker runner, the github-actions runner, the view
// inside GitHub Actions, background runs — followed as written, each on its own copy of examples/platform set up as
// the page's quick start sets it up: a section's ```sh block runs first, then each `$ command` of its ```text blocks
// with `bash -e`, its output matched against the lines the page shows (test/support/doc-transcript.ts). The only
// changes: /tmp/platform is the test's folder, and the docker section's `ci-tools:1` is the test image under a tag of
// this test's own (a real engine: podman or Docker at DOCKER_HOST).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../support/cli.js";
import { bashScript } from "../support/bash.js";
import { copyExample } from "../support/examples.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../support/container-engine.js";
import { assertShows, docShell, section, transcript } from "../support/doc-transcript.js";

const created: string[] = [];
after(() => Promise.all(created.map((d) => rm(d, { recursive: true, force: true }))));

const page = await readFile(path.join(PROJECT_ROOT, "docs/running.md"), "utf8");
const quickStart = section(page, "Quick start: run, inspect, fix, resume");
const COPY = "cp -r examples/platform /tmp/platform && cd /tmp/platform\n";
const setup = /```sh\n([\s\S]*?)```/.exec(quickStart)?.[1] ?? "";

/** Follows the `### title` section on a fresh copy of the example; `words` replaces text in its commands. */
async function follow(title: string, env: NodeJS.ProcessEnv = {}, words: Record<string, string> = {}): Promise<void> {
  const text = section(page, title, 3);
  const { dir, env: shell } = await docShell("orun-running-reference-");
  created.push(dir);
  const repo = path.join(dir, "platform");
  await copyExample("platform", repo);
  assert.ok(setup.startsWith(COPY), `the quick start copies the example first:\n${setup}`);
  const setupRan = await bashScript(setup.slice(COPY.length), repo, shell);
  assert.equal(setupRan.code, 0, setupRan.output);
  const paste = (command: string) => Object.entries({ "/tmp/platform": repo, ...words }).reduce((c, [from, to]) => c.replaceAll(from, to), command);

  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const ran = await bashScript(paste(block[1]!), repo, shell);
    assert.equal(ran.code, 0, `${title}: its set-up\n${ran.output}`);
  }
  const steps = transcript(text);
  assert.ok(steps.length >= 1, `${title} shows a command`);
  for (const { command, expected } of steps) {
    assert.ok(command, `${title}: every block starts with a command: ${expected.join("\n")}`);
    const result = await bashScript(`{ ${paste(command)}; } 2>&1`, repo, { ...shell, ...env });
    const fails = expected.some((line) => line.startsWith("✗ Failed"));
    assert.equal(result.code, fails ? 1 : 0, `$ ${command}\n${result.output}`);
    assertShows(result.output.replaceAll(repo, "/tmp/platform"), expected, command);
  }
}

test("running.md's github-actions example: a local action with a secret in its input, masked in the step's log", async () => {
  await follow("github-actions");
});

test("running.md's GitHub Actions example: a failed step's group, its annotation and the job's footer", async () => {
  await follow("Inside GitHub Actions: groups, annotations and masks");
});

test("running.md's background example: a detached run, watched to its end, its logs followed", async () => {
  await follow("Background runs");
});

const engine = await provideContainerEngine();
test("running.md's docker example: your own image (--docker-image, --pull never), each step in /workspace", { skip: engine.skip }, async () => {
  const image = `orun-doc-ci-tools-${process.pid}:1`;
  const tagged = await docker(engine.engine!, ["tag", TEST_IMAGE, image]);
  assert.equal(tagged.code, 0, tagged.stderr);
  try {
    await follow("docker", { DOCKER_HOST: engine.engine!.dockerHost || undefined }, { "ci-tools:1": image });
  } finally {
    await docker(engine.engine!, ["rmi", image]);
  }
});
