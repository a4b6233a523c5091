// Remote actions when the GitHub API cannot help: a name that does not resolve (a machine with no network),
// an API that accepts the connection and never answers, and a 404 (a private repository without a token looks
// like one). Each error says what happened in words and, when the API is out of reach, the ways out: the cache
// filled beforehand (at the paths the message names, which this test then fills), a local action, a mirror.
// The API is the local twin (test/support/github-api) under a name nothing resolves (api.github.test).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { GitHubApiTwin } from "../support/github-api.js";
import { ACTIONS_SRC, makeJob, makePlan } from "../runners/github-actions/helpers.js";
import { fetchCommitSha } from "../../src/runners/github-actions/github-api.js";
import { ActionCache } from "../../src/runners/github-actions/action-cache.js";

let api: GitHubApiTwin;
let work: string;

before(async () => {
  api = await new GitHubApiTwin().start();
  await api.publishDir("acme", "probe", "v1", path.join(ACTIONS_SRC, "remote-probe"));
  work = await mkdtemp(path.join(os.tmpdir(), "orun-gha-offline-"));
  const plan = makePlan([makeJob("svc@dev.build", [{ id: "probe", use: "acme/probe@v1" }, { id: "show", run: "echo \"probed=${{ steps.probe.outputs.inode != '' }}\"" }, { id: "after", phase: "post", run: "echo after" }])], "offline-actions");
  await writeFile(path.join(work, "plan.json"), JSON.stringify(plan));
});
after(async () => {
  await api.close();
  await rm(work, { recursive: true, force: true });
});

let runs = 0;
async function run(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const n = ++runs;
  const noProxy = { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: "", https_proxy: "", no_proxy: "" };
  const r = await runOrun(["run", "plan.json", "--runner", "github-actions", "--exec-id", `offline-${n}`], {
    cwd: work,
    env: { ...noProxy, GITHUB_TOKEN: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", ...env },
    timeoutMs: 60_000,
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

test("a failed DNS lookup is said in words with the ways out, and the cache filled where the message says runs the action offline", async () => {
  const cache = path.join(work, "cache-dns");
  const unresolvable = api.url.replace("127.0.0.1", "api.github.test");
  const failed = await run({ GITHUB_API_URL: unresolvable, ORUN_ACTIONS_CACHE: cache });
  assert.notEqual(failed.code, 0, failed.out);
  assert.match(failed.out, /resolve acme\/probe@v1: cannot reach http:\/\/api\.github\.test:\d+\/repos\/acme\/probe\/commits\/v1: the DNS lookup of api\.github\.test failed \((ENOTFOUND|EAI_AGAIN); no network\?\)/);
  assert.match(failed.out, /use a local action \(use: \.\/path\), or set GITHUB_API_URL to a mirror you can reach/);
  const where = /put the commit SHA of v1 in (\S+) and that commit's files in (\S+)<sha>\/ \(the action cache, ORUN_ACTIONS_CACHE\)/.exec(failed.out);
  assert.ok(where, failed.out);
  const [, refFile, repoDir] = where;
  assert.ok(refFile!.startsWith(cache), refFile);
  // The post step the failed set-up kept from running says what failed (no network), not that an action was not found.
  const logs = await runOrun(["logs", "--exec-id", `offline-${runs}`, "--job", "svc@dev.build"], { cwd: work });
  assert.match(logs.stdout, /not run: the job could not be set up \(the DNS lookup of api\.github\.test failed \((ENOTFOUND|EAI_AGAIN)\); see the job's error\)/, logs.stdout);
  assert.doesNotMatch(logs.stdout, /not found/, logs.stdout);

  // Fill the cache as the message says (what a machine with network would have left there): no API needed.
  const sha = "0123456789abcdef0123456789abcdef01234567";
  await mkdir(path.dirname(refFile!), { recursive: true });
  await writeFile(refFile!, `${sha}\n`);
  await cp(path.join(ACTIONS_SRC, "remote-probe"), path.join(repoDir!, sha), { recursive: true });
  const requests = api.requests.length;
  const offline = await run({ GITHUB_API_URL: unresolvable, ORUN_ACTIONS_CACHE: cache });
  assert.equal(offline.code, 0, offline.out);
  assert.equal(api.requests.length, requests, "nothing asked of the API");
});

test("a 404 suggests a private repository and GITHUB_TOKEN, or a token that cannot read it", async () => {
  const plan = makePlan([makeJob("svc@dev.build", [{ id: "probe", use: "acme/private@v1" }])], "offline-404");
  await writeFile(path.join(work, "plan-404.json"), JSON.stringify(plan));
  const env = { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: "", https_proxy: "", no_proxy: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_API_URL: api.url, ORUN_ACTIONS_CACHE: path.join(work, "cache-404") };
  const anonymous = await runOrun(["run", "plan-404.json", "--runner", "github-actions", "--exec-id", "offline-404a"], { cwd: work, env: { ...env, GITHUB_TOKEN: "" } });
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.stdout + anonymous.stderr, /resolve acme\/private@v1: \S+\/repos\/acme\/private\/commits\/v1 answered 404.* \(a misspelt repository or ref, or a private repository\? set GITHUB_TOKEN to a token that can read it\)/);
  // A real 404 is what the post step the set-up kept from running calls "an action was not found".
  const skipped = makePlan([makeJob("svc@dev.build", [{ id: "probe", use: "acme/private@v1" }, { id: "after", phase: "post", run: "echo after" }])], "offline-404-step");
  await writeFile(path.join(work, "plan-404-step.json"), JSON.stringify(skipped));
  const withStep = await runOrun(["run", "plan-404-step.json", "--runner", "github-actions", "--exec-id", "offline-404c"], { cwd: work, env: { ...env, GITHUB_TOKEN: "" } });
  assert.notEqual(withStep.code, 0);
  const logs = await runOrun(["logs", "--exec-id", "offline-404c", "--job", "svc@dev.build"], { cwd: work });
  assert.match(logs.stdout, /not run: the job could not be set up \(an action was not found; see the job's error\)/, logs.stdout);
  const withToken = await runOrun(["run", "plan-404.json", "--runner", "github-actions", "--exec-id", "offline-404b"], { cwd: work, env: { ...env, GITHUB_TOKEN: "ghs_cannot_read" } });
  assert.notEqual(withToken.code, 0);
  assert.match(withToken.stdout + withToken.stderr, /answered 404.* \(a misspelt repository or ref, or a private repository the GITHUB_TOKEN given cannot read\)/);
});

test("an API that accepts the connection and never answers: no answer from <url> in the timeout, with the ways out", async () => {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((socket) => {
    sockets.add(socket); // read nothing, answer nothing
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const apiUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  try {
    await assert.rejects(fetchCommitSha({ apiUrl, timeoutMs: 300 }, "acme", "slow", "v9"), {
      message: `resolve acme/slow@v9: no answer from ${apiUrl}/repos/acme/slow/commits/v9 in 0.3 s`,
    });
    const cache = new ActionCache({ root: path.join(work, "cache-silent") });
    await assert.rejects(cache.resolveSha({ apiUrl, timeoutMs: 300 }, "acme", "slow", "v9"), /no answer from .* in 0\.3 s\. To run without the API: put the commit SHA of v9 in \S+\/refs\/v9/);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
