// The install step of examples/github-actions/remote-state-matrix.yml, run as GitHub would run it (bash, the
// runner's variables): it fetches orun's repository at ORUN_REF (here a bare copy of this checkout, served through
// GITHUB_SERVER_URL), builds it and installs it with `npm install -g <folder>` — outside the user's checkout, so the
// workflow works in any repository. A repository that is not orun's is refused naming the settings to change. `npm`
// is a stand-in that records what it was asked (the real one would download the dependencies).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

interface Step {
  name?: string;
  run?: string;
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

const workflow = parse(await readFile(path.join(PROJECT_ROOT, "examples/github-actions/remote-state-matrix.yml"), "utf8")) as Workflow;

/** The one install script every job of the workflow runs. */
function installScript(): string {
  const scripts = Object.values(workflow.jobs).map((job) => job.steps.find((step) => step.name?.startsWith("Install orun"))?.run);
  assert.ok(scripts.every((script) => script !== undefined && script === scripts[0]), "every job installs orun with the same step");
  assert.doesNotMatch(scripts[0]!, /npm link|npm ci && npm run build && npm/, "no install from the workflow's own checkout");
  return scripts[0]!;
}

async function runInstall(t: { after(fn: () => Promise<void>): void }, repository: string, ref: string, served: string): Promise<{ code: number | null; output: string; npmCalls: string }> {
  const temp = await tempDir("orun-install-step-");
  t.after(() => removeDir(temp));
  const bin = path.join(temp, "bin");
  await mkdir(bin);
  const calls = path.join(temp, "npm-calls");
  // Stand-in npm: records its arguments and where; `install -g <dir>` puts an `orun` on PATH that runs this build.
  await writeFile(
    path.join(bin, "npm"),
    `#!/bin/sh\necho "$(pwd): $*" >> "${calls}"\nif [ "$1" = install ] && [ "$2" = -g ]; then printf '#!/bin/sh\\nexec "${process.execPath}" "${path.join(PROJECT_ROOT, "dist/src/cli/bin.js")}" "$@"\\n' > "${bin}/orun"; chmod +x "${bin}/orun"; fi\n`,
  );
  await chmod(path.join(bin, "npm"), 0o755);
  const runnerTemp = path.join(temp, "runner-temp");
  await mkdir(runnerTemp);
  const result = spawnSync("bash", ["-e", "-c", installScript()], {
    cwd: temp,
    env: { PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: temp, RUNNER_TEMP: runnerTemp, GITHUB_SERVER_URL: `file://${served}`, ORUN_REPOSITORY: repository, ORUN_REF: ref },
    encoding: "utf8",
  });
  const npmCalls = await readFile(calls, "utf8").catch(() => "");
  return { code: result.status, output: result.stdout + result.stderr, npmCalls: npmCalls.replaceAll(runnerTemp, "$RUNNER_TEMP") };
}

test("the workflow's install step builds orun from ORUN_REPOSITORY at the pinned ORUN_REF and installs it globally", async (t) => {
  assert.deepEqual([workflow.env.ORUN_REPOSITORY, workflow.env.ORUN_REF], ["${{ github.repository }}", "${{ github.sha }}"]);
  const served = await tempDir("orun-served-");
  t.after(() => removeDir(served));
  execFileSync("git", ["clone", "-q", "--bare", PROJECT_ROOT, path.join(served, "acme/orun.git")]);
  // A detached HEAD (a CI checkout) is on no branch the clone copied.
  execFileSync("git", ["-C", path.join(served, "acme/orun.git"), "fetch", "-q", PROJECT_ROOT, "+HEAD:refs/heads/pinned"]);
  const commit = execFileSync("git", ["-C", PROJECT_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  const r = await runInstall(t, "acme/orun", commit, served);
  assert.equal(r.code, 0, r.output);
  const [ci, build, install, ...rest] = r.npmCalls.split("\n");
  assert.deepEqual([ci, build, rest], ["$RUNNER_TEMP/orun-src: ci", "$RUNNER_TEMP/orun-src: run build", [""]], r.npmCalls);
  assert.match(install!, /: install -g \$RUNNER_TEMP\/orun-src$/, r.npmCalls);
  assert.match(r.output, /^\d+\.\d+\.\d+/m, "orun --version ran");
});

test("the install step refuses a repository that is not orun's, naming ORUN_REPOSITORY and ORUN_REF", async (t) => {
  const served = await tempDir("orun-served-");
  t.after(() => removeDir(served));
  const other = path.join(served, "acme/app.git");
  execFileSync("git", ["init", "-q", "-b", "main", path.join(served, "work")]);
  await writeFile(path.join(served, "work/package.json"), '{"name": "app"}\n');
  execFileSync("git", ["-C", path.join(served, "work"), "add", "-A"]);
  execFileSync("git", ["-C", path.join(served, "work"), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "app"]);
  execFileSync("git", ["clone", "-q", "--bare", path.join(served, "work"), other]);
  const r = await runInstall(t, "acme/app", "main", served);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /^::error::acme\/app at main is not orun's repository: set ORUN_REPOSITORY and ORUN_REF at the top of this workflow$/m, r.output);
  assert.equal(r.npmCalls, "", "nothing built or installed");
});
