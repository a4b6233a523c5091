// The usual way to fix a job that failed in a remote run — edit, commit, run the retry command the runner printed —
// retries it in that run: a runner given trigger or change flags names the plan it stored (the same flags select
// another plan once the fix is committed), and a plan compiled afresh that differs from the run's only in its
// revision joins the run as the run's plan, as a local resume does. Another plan is refused, saying how to go on.
// Real processes: `orun backend serve` on loopback (SQLite), `orun run` runners in a git repository, and each printed
// command run verbatim by `sh -c`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { GitRepo } from "../planner/changes/git-repo.js";
import { servedBackend } from "./backend-process-bed.js";
import { CHECK_COMPOSITION, libAppIntent, shRepo } from "./lib-app-repo.js";
import { spawnOrun } from "./processes.js";
import { orunOnPath, runPrinted } from "./retry-bed.js";

const BROKEN = "echo lib-broken; exit 3\n";

/** The plan IDs a runner's run header names (`  Plan: <id>  ·  Run: …`). */
const headerPlans = (output: string): string[] => [...output.matchAll(/^ {2}Plan: (\S+) {2}·/gm)].map((m) => m[1]);
const FIXED = "echo lib-fixed\n";

describe("retrying a job in its remote run after the fix is committed", () => {
  let repo: GitRepo;
  let bin: string;
  const served = servedBackend("sqlite");
  /** What the printed commands get: the token and the backend, not the run ID or remote state (they carry those). */
  let config: NodeJS.ProcessEnv;
  const runner = (args: string[], runId: string) => spawnOrun(["run", ...args], { cwd: repo.dir, env: served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId }) }).done;
  /** The backend's URL in a pattern: ORUN_BACKEND_URL, which the printed commands repeat as --backend-url. */
  const url = (): string => served.backend.url.replace(/[.]/g, "\\.");
  const printedRetry = (output: string): string => {
    const command = /retry it in this run: (orun run .*)\n/.exec(output)?.[1];
    assert.ok(command, output);
    return command;
  };

  before(async () => {
    repo = shRepo(libAppIntent("fixes"), CHECK_COMPOSITION, {
      "lib/check.sh": "echo lib-ok\n",
      "app/check.sh": "echo app-ok\n",
      ".gitignore": ".orun/\nbin/\n",
    });
    repo.commit("initial");
    repo.git("checkout", "-q", "-b", "feature");
    bin = await orunOnPath(repo.dir);
    config = served.env();
  });
  after(() => repo?.remove());

  it("a runner given change flags prints the plan it stored: after the fix is committed, that command retries the job", async () => {
    repo.commit("break lib", { "lib/check.sh": BROKEN });
    const failed = await runner(["--changed", "--base", "main", "--job", "lib@dev.check"], "changed-1");
    assert.equal(failed.code, 1, failed.output);
    const printed = printedRetry(failed.output);
    const planId = new RegExp(`^orun run ([0-9a-f]{12}) --backend-url ${url()} --job lib@dev\\.check --exec-id changed-1 --remote-state --retry$`).exec(printed)?.[1];
    assert.ok(planId, `the printed command names the stored plan: ${printed}`);
    await fs.access(repo.path(`.orun/plans/${planId}.json`));
    assert.match(failed.output, new RegExp(`again {3}retry lib@dev\\.check in this run if it failed: orun run ${planId} --backend-url ${url()} --job lib@dev\\.check --exec-id changed-1 --remote-state --retry\\n`));

    repo.commit("fix lib", { "lib/check.sh": FIXED });
    const retried = await runPrinted(printed, repo.dir, config, bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /↻ retrying job lib@dev\.check, which failed in remote run changed-1/);
    const status = await spawnOrun(["status", "--exec-id", "changed-1", "--remote-state"], { cwd: repo.dir, env: config }).done;
    assert.match(status.output, /State: completed/, status.output);
  });

  it("a fresh plan's printed command, after the fix is committed, joins the run as the run's plan (they differ only in revision)", async () => {
    repo.commit("break lib again", { "lib/check.sh": BROKEN });
    const failed = await runner(["--job", "lib@dev.check"], "fresh-1");
    assert.equal(failed.code, 1, failed.output);
    const runPlan = /Plan: ([0-9a-f]{12})/.exec(failed.output)?.[1];
    const printed = printedRetry(failed.output);
    assert.equal(printed, `orun run --backend-url ${served.backend.url} --job lib@dev.check --exec-id fresh-1 --remote-state --retry`);

    repo.commit("fix lib again", { "lib/check.sh": FIXED });
    const retried = await runPrinted(printed, repo.dir, config, bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(
      retried.output,
      new RegExp(`notice: remote run fresh-1 was started from plan ${runPlan} \\(revision [0-9a-f]{12}\\); this runner's plan [0-9a-f]{12} differs from it only in metadata\\.revision \\([0-9a-f]{12}\\), so it joins the run as plan ${runPlan}\\n`),
    );
    assert.match(retried.output, /↻ retrying job lib@dev\.check, which failed in remote run fresh-1.*pending again: app@dev\.check/);
    // The header names the plan the run goes on as, not the runner's own (which only the notice names).
    const ownPlan = /this runner's plan ([0-9a-f]{12}) differs/.exec(retried.output)![1];
    assert.notEqual(ownPlan, runPlan);
    assert.deepEqual(headerPlans(retried.output), [runPlan], retried.output);
    // The dependent, reopened by the retry, runs from the same tree: joined the same way.
    const dependent = await runner(["--job", "app@dev.check"], "fresh-1");
    assert.equal(dependent.code, 0, dependent.output);
    assert.deepEqual(headerPlans(dependent.output), [runPlan], dependent.output);
    const status = await spawnOrun(["status", "--exec-id", "fresh-1", "--remote-state"], { cwd: repo.dir, env: config }).done;
    assert.match(status.output, /State: completed/, status.output);
  });

  it("another plan is refused, naming the run's plan, its commit and the command that goes on with the run", async () => {
    const runRevision = repo.commit("break lib once more", { "lib/check.sh": BROKEN });
    const failed = await runner(["--job", "lib@dev.check"], "fresh-2");
    assert.equal(failed.code, 1, failed.output);
    const runPlan = /Plan: ([0-9a-f]{12})/.exec(failed.output)![1];
    const printed = printedRetry(failed.output);
    const goOn = `orun run ${runPlan} --backend-url ${served.backend.url} --job lib@dev.check --exec-id fresh-2 --remote-state --retry`;

    // The run's plan is not on this machine (compiled elsewhere): nothing to compare with.
    const stored = repo.path(`.orun/plans/${runPlan}.json`);
    await fs.rename(stored, `${stored}.away`);
    repo.commit("fix lib once more", { "lib/check.sh": FIXED });
    const notHere = await runPrinted(printed, repo.dir, config, bin);
    assert.equal(notHere.code, 1, notHere.output);
    // The backend names the run's commit (its run view's revision): the plan that was its is not here to.
    assert.match(
      notHere.output,
      new RegExp(`remote run fresh-2 was started from plan ${runPlan} at commit ${runRevision.slice(0, 12)}, not from this runner's plan [0-9a-f]{12} \\(a run keeps the plan it started with\\), and plan ${runPlan} is not stored here`),
    );
    assert.ok(
      notHere.output.includes(
        `check out commit ${runRevision} (the one run fresh-2 was started from) and run \`orun plan\` there, which stores plan ${runPlan} in .orun/plans (${repo.path(".orun/plans")}); check out your fix again, then run its plan: ${goOn};`,
      ),
      notHere.output,
    );
    assert.match(notHere.output, /start a new run under another --exec-id/);

    // A stored copy that was edited is named as such, not as absent.
    const original = await fs.readFile(`${stored}.away`, "utf8");
    await fs.writeFile(stored, original.replace('"lib@dev.check"', '"lib@dev.checked"'));
    const tampered = await runPrinted(printed, repo.dir, config, bin);
    assert.equal(tampered.code, 1, tampered.output);
    assert.ok(tampered.output.includes(`; ${stored} is not it: it is corrupt or was edited: `), tampered.output);
    await fs.rm(stored);

    // Stored, but the job's steps changed too: more than the revision.
    await fs.rename(`${stored}.away`, stored);
    repo.commit("change the step", { "compositions/sh/compositions.yaml": CHECK_COMPOSITION.replace("run: sh ./check.sh", "run: sh ./check.sh && echo checked") });
    const changed = await runPrinted(printed, repo.dir, config, bin);
    assert.equal(changed.code, 1, changed.output);
    assert.match(changed.output, new RegExp(`was started from plan ${runPlan} at commit ${runRevision.slice(0, 12)}, not from .* and the two differ in more than their source revision \\(jobs, steps or settings changed\\)`));
    assert.ok(changed.output.includes(`to go on with run fresh-2, run its plan: ${goOn};`), changed.output);

    // What it says to do works as said.
    const goneOn = await runPrinted(goOn, repo.dir, config, bin);
    assert.equal(goneOn.code, 0, goneOn.output);
    assert.match(goneOn.output, /↻ retrying job lib@dev\.check, which failed in remote run fresh-2/);
  });

  it("on another machine, the refusal's rebuild step stores the run's plan again, and its command then retries the job", async () => {
    repo.commit("break lib on the runner", { "lib/check.sh": BROKEN });
    const runRevision = repo.sha("HEAD");
    const failed = await runner(["-e", "dev", "--job", "lib@dev.check"], "elsewhere-1");
    assert.equal(failed.code, 1, failed.output);
    const runPlan = /Plan: ([0-9a-f]{12})/.exec(failed.output)![1];
    const printed = printedRetry(failed.output);
    assert.equal(printed, `orun run -e dev --backend-url ${served.backend.url} --job lib@dev.check --exec-id elsewhere-1 --remote-state --retry`);

    // A second checkout (the laptop; the runner's machine is gone): no .orun/plans of its own. The fix is committed there.
    const laptop = `${repo.dir}-laptop`;
    repo.git("worktree", "add", "-q", "-b", "laptop", laptop);
    try {
      await fs.writeFile(`${laptop}/lib/check.sh`, FIXED);
      execFileSync("git", ["-C", laptop, "commit", "-q", "-am", "fix lib on the laptop"]);
      const refused = await runPrinted(printed, laptop, config, bin);
      assert.equal(refused.code, 1, refused.output);
      assert.match(refused.output, new RegExp(`remote run elsewhere-1 was started from plan ${runPlan} at commit ${runRevision.slice(0, 12)}, .* and plan ${runPlan} is not stored here`));
      const rebuild = /check out commit ([0-9a-f]{40}) \(the one run elsewhere-1 was started from\) and run `(orun plan[^`]*)` there, which stores plan ([0-9a-f]{12}) in \.orun\/plans/.exec(refused.output);
      assert.ok(rebuild, refused.output);
      assert.deepEqual(rebuild.slice(1), [runRevision, "orun plan -e dev", runPlan]);
      const goOn = /check out your fix again, then run its plan: (orun run [^;]*);/.exec(refused.output)?.[1];
      assert.equal(goOn, `orun run ${runPlan} -e dev --backend-url ${served.backend.url} --job lib@dev.check --exec-id elsewhere-1 --remote-state --retry`);

      // As it says: the commit it names, the command verbatim, the fix again; then the command that goes on with the run.
      const rebuilt = await runPrinted(`git checkout -q ${rebuild[1]} && ${rebuild[2]} && git checkout -q laptop`, laptop, config, bin);
      assert.equal(rebuilt.code, 0, rebuilt.output);
      const retried = await runPrinted(goOn!, laptop, config, bin);
      assert.equal(retried.code, 0, retried.output);
      assert.match(retried.output, /↻ retrying job lib@dev\.check, which failed in remote run elsewhere-1/);
      assert.match(retried.output, /✓ lib·dev\/check/);
    } finally {
      repo.git("worktree", "remove", "--force", laptop);
    }
  });

  it("a runner given change flags says where its stored plan is, and how another checkout stores it again", async () => {
    repo.commit("break lib for the changed leg", { "lib/check.sh": BROKEN });
    const legRevision = repo.sha("HEAD");
    const failed = await runner(["--changed", "--base", "main", "-e", "dev", "--job", "lib@dev.check"], "changed-2");
    assert.equal(failed.code, 1, failed.output);
    const printed = printedRetry(failed.output);
    const planId = /^orun run ([0-9a-f]{12}) /.exec(printed)?.[1];
    assert.ok(planId, printed);
    const notice = new RegExp(
      `notice: the retry commands this runner prints name plan ${planId}, stored in ${repo.path(".orun/plans").replace(/[.]/g, "\\.")} on this machine; elsewhere, \`(orun plan [^\`]*)\` at commit ${legRevision} with the same refs stores it again\n`,
    ).exec(failed.output);
    assert.ok(notice, failed.output);
    assert.equal(notice[1], "orun plan -e dev --changed --base main");

    const laptop = `${repo.dir}-laptop2`;
    repo.git("worktree", "add", "-q", "-b", "laptop2", laptop);
    try {
      await fs.writeFile(`${laptop}/lib/check.sh`, FIXED);
      execFileSync("git", ["-C", laptop, "commit", "-q", "-am", "fix lib on the second laptop"]);
      // The stored ID alone is this machine's.
      const missing = await runPrinted(printed, laptop, config, bin);
      assert.notEqual(missing.code, 0, missing.output);
      // The notice's command at the leg's commit, verbatim, then the printed command with the fix checked out.
      const rebuilt = await runPrinted(`git checkout -q ${legRevision} && ${notice[1]} && git checkout -q laptop2`, laptop, config, bin);
      assert.equal(rebuilt.code, 0, rebuilt.output);
      const retried = await runPrinted(printed, laptop, config, bin);
      assert.equal(retried.code, 0, retried.output);
      assert.match(retried.output, /↻ retrying job lib@dev\.check, which failed in remote run changed-2/);
    } finally {
      repo.git("worktree", "remove", "--force", laptop);
    }
  });
});
