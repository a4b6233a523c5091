// A runner's own record of its part of a remote run (`Local record: R.<hex>` in its header), read with
// `orun status` / `orun logs` while intent.yaml's `execution.state.mode: remote` turns remote state on, which no
// flag turns off. Seed 002: with it, status and logs "automatically use the backend", whatever the ID: `--local`
// reads the record, and a record's ID sent to the backend gets an error that says what sent it there and how to
// read the record. The record names its remote run in `orun status`, and local `logs --follow` exits with the run's
// outcome as the remote one does. A real `orun backend serve` process and real `orun run`s of a lib/app repository.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { runOrun, type CliResult } from "../support/cli.js";
import { deadPid, until } from "../support/wait.js";
import { backendProcessBed, type BackendProcessBed } from "./backend-process-bed.js";
import { CHECK_COMPOSITION, libAppIntent } from "./lib-app-repo.js";
import { spawnOrun } from "./processes.js";
import { inShell } from "../support/resume-hint.js";

interface Repo {
  dir: string;
  url: string;
  /** The runner's local record of remote run `shared-run`. */
  record: string;
  orun(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  env: NodeJS.ProcessEnv;
}

const RUN = "shared-run";
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The lib/app repository in the bed's folder, with `appCheck` as app/check.sh, whose intent turns remote state on. */
async function remoteRepo(bed: BackendProcessBed, name: string, appCheck: string): Promise<Omit<Repo, "record">> {
  const files: Record<string, string> = {
    "intent.yaml": `${libAppIntent(name)}execution:\n  state:\n    mode: remote\n    backendUrl: ${bed.backend.url}\n`,
    "compositions/sh/compositions.yaml": CHECK_COMPOSITION,
    "compositions/stack.yaml": "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: local\n  version: 0.1.0\n",
    "lib/check.sh": "echo lib-ok\n",
    "app/check.sh": appCheck,
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(bed.dir, file)), { recursive: true });
    await writeFile(path.join(bed.dir, file), text);
  }
  // Remote state comes from intent.yaml alone: the test's own environment does not turn it on or name a run.
  const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", NO_COLOR: "1" };
  const orun = (args: string[], extra: NodeJS.ProcessEnv = {}) => runOrun(args, { cwd: bed.dir, env: { ...env, ...extra }, timeoutMs: 60_000 });
  return { dir: bed.dir, url: bed.backend.url, orun, env };
}

/** Starts `orun run <args>` in `cwd`, waits until its lib step runs, and SIGKILLs it: its local record's ID, and what it printed. */
async function killedWhileLibRuns(dir: string, env: NodeJS.ProcessEnv, args: string[], cwd = dir): Promise<{ record: string; output: string }> {
  const runner = spawnOrun(["run", ...args], { cwd, env });
  let record = "";
  await until(() => {
    record = /Local record: (\S+)/.exec(runner.output())?.[1] ?? "";
    const log = path.join(dir, ".orun/executions", record, "logs/lib@dev.check/main.log");
    return record !== "" && existsSync(log) && readFileSync(log, "utf8").includes("lib-start");
  }, "the runner to start lib's step");
  runner.child.kill("SIGKILL");
  await runner.done;
  return { record, output: runner.output() };
}

/** The rejoin command `orun status --local` prints for the dead runner's `record` in remote run `runId`. */
async function rejoinHint(orun: Repo["orun"], record: string, runId: string): Promise<{ hint: string | undefined; stdout: string }> {
  const status = await orun(["status", "--local", "--exec-id", record]);
  assert.equal(status.code, 0, status.stderr);
  const hint = new RegExp(`is no longer alive; rejoin remote run ${runId} with: (orun run .*) \\(the jobs it held are taken over once their lease runs out\\)\n`).exec(status.stdout)?.[1];
  return { hint, stdout: status.stdout };
}

/**
 * Pastes the printed `hint` through `sh` in `cwd` (the repository's root unless given), as a reader would: what it
 * said, and the statuses of lib and app in run `runId` after.
 */
async function rejoined(t: TestContext, repo: Pick<Repo, "orun" | "env" | "dir">, hint: string, runId: string, cwd = repo.dir): Promise<{ stderr: string; statuses: (string | undefined)[] }> {
  const result = await inShell(t, hint, cwd, repo.env);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /taking over job lib@dev\.check/, result.output);
  const run = await repo.orun(["status", "--exec-id", runId, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const jobs = (JSON.parse(run.stdout) as { state: { jobs: Record<string, { status: string }> } }).state.jobs;
  return { stderr: result.output, statuses: [jobs["lib@dev.check"]?.status, jobs["app@dev.check"]?.status] };
}

describe("status and logs under intent execution.state.mode: remote read the backend; --local reads a runner's own record", () => {
  const open = backendProcessBed("sqlite", "localrec");
  let repo: Promise<Repo> | undefined;
  const ready = (t: TestContext): Promise<Repo> => (repo ??= setUp(t));

  async function setUp(t: TestContext): Promise<Repo> {
    // app fails, unless the test's file `ok` is there (the --background run's, the last test).
    const made = await remoteRepo((await open(t))!, "localrec", "if [ -f ../ok ]; then echo app-ok; else echo app-failing; exit 3; fi\n");
    const run = await made.orun(["run", "--all", "--exec-id", RUN]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const record = /Local record: (\S+)/.exec(run.stdout)?.[1] ?? "";
    assert.ok(record.startsWith(`${RUN}.`), run.stdout);
    return { ...made, record };
  }

  it("status --local --exec-id <record> shows that record, names the remote run it is part of and reads its logs with --local", async (t) => {
    const { record, orun } = await ready(t);
    const status = await orun(["status", "--local", "--exec-id", record, "--detailed"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`Run: ${escaped(record)} {2}·`), status.stdout);
    assert.ok(status.stdout.includes(`  Remote run: ${RUN}  ·  every runner's jobs: orun status --exec-id ${RUN} --remote-state\n`), status.stdout);
    // The steps only the local record has.
    assert.match(status.stdout, /✗ check .*step main: command exited with code 3\n {8}✗ main\n/, status.stdout);
    // Under remote state `--exec-id` names the run: the command status prints reads the record with --local.
    assert.ok(status.stdout.includes(`  Logs: orun logs --local --exec-id ${record}\n`), status.stdout);
    const json = await orun(["status", "--local", "--exec-id", record, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout) as { execID: string; meta: { remoteRunId?: string } };
    assert.deepEqual([shown.execID, shown.meta.remoteRunId], [record, RUN]);
  });

  it("without --local, a record's exact ID goes to the backend: not found, saying intent.yaml sent it there and to read the record with --local", async (t) => {
    const { dir, record, orun } = await ready(t);
    for (const args of [["status", "--exec-id", record], ["logs", `run/${record}`]]) {
      const read = await orun(args);
      assert.equal(read.code, 1, read.stdout);
      assert.equal(read.stdout, "");
      const command = args[0]!;
      assert.ok(read.stderr.includes(`remote run ${record} not found on the backend at `), read.stderr);
      assert.ok(
        read.stderr.includes(
          `${record} is an execution record on this machine, not a run ID; ${path.join(dir, "intent.yaml")} (execution.state.mode: remote) sends orun ${command} to the backend: read the record with orun ${command} --local)`,
        ),
        read.stderr,
      );
    }
  });

  it("status --watch and logs --follow of a record's exact ID wait for a run of that ID, saying once how to read the record", async (t) => {
    const { dir, record, env } = await ready(t);
    for (const args of [["status", "--exec-id", record, "--watch", "--interval", "200ms"], ["logs", "--exec-id", record, "--follow"]]) {
      const waiting = spawnOrun(args, { cwd: dir, env });
      const said = `remote run ${record} is not on the backend at `;
      const how = `${record} is an execution record on this machine, not a run ID; ${path.join(dir, "intent.yaml")} (execution.state.mode: remote) sends orun ${args[0]} to the backend: read the record with orun ${args[0]} --local)`;
      await until(() => waiting.output().includes(how), `orun ${args.join(" ")} to say how to read the record`, 30_000);
      // Still waiting (a run of that name may yet start) until stopped.
      assert.equal(waiting.child.exitCode, null, waiting.output());
      waiting.child.kill("SIGTERM");
      const { output } = await waiting.done;
      assert.ok(output.includes(said), output);
      assert.equal(output.split(how).length, 2, output);
    }
  });

  it("logs --local run/<record> reads the record; its --follow exits 1 for the failed run, as the backend's follow of the run does", async (t) => {
    const { record, orun } = await ready(t);
    const logs = await orun(["logs", "--local", `run/${record}`]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /── app@dev\.check › main {2}\(failed\)\napp-failing\n/, logs.stdout);
    const local = await orun(["logs", "--local", "--exec-id", record, "--follow"]);
    assert.match(local.stdout, /── app@dev\.check › main {2}\(failed\)\napp-failing\n/, local.stdout);
    const remote = await orun(["logs", "--follow"]);
    assert.match(remote.stdout, /app-failing\n/, remote.stdout);
    assert.deepEqual([local.code, remote.code], [1, 1], `local: ${local.stderr}\nremote: ${remote.stderr}`);
  });

  it("--local reads the latest record; without it, and for a prefix of a record's ID, the backend's run is read", async (t) => {
    const { record, url, orun } = await ready(t);
    const local = await orun(["status", "--local"]);
    assert.equal(local.code, 0, local.stderr);
    assert.ok(local.stdout.includes(`Run: ${record}  ·`), local.stdout);
    const lib = await orun(["logs", "--local", "--job", "lib@dev.check", "--raw"]);
    assert.deepEqual([lib.code, lib.stdout], [0, "lib-ok\n"], lib.stderr);
    const remote = await orun(["status"]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.ok(remote.stdout.includes(`Backend: ${url}`), remote.stdout);
    const prefix = await orun(["status", "--exec-id", record.slice(0, -1)]);
    assert.equal(prefix.code, 1, prefix.stdout);
    assert.ok(prefix.stderr.includes(`remote run ${record.slice(0, -1)} not found on the backend`), prefix.stderr);
  });

  it("a record's ID from ORUN_EXEC_ID names that variable and intent.yaml, not a --remote-state nobody gave; with --local it reads the record", async (t) => {
    const { dir, record, orun } = await ready(t);
    for (const command of ["status", "logs"]) {
      const read = await orun([command], { ORUN_EXEC_ID: record });
      assert.equal(read.code, 1, read.stdout);
      assert.ok(
        read.stderr.includes(
          `${record} (ORUN_EXEC_ID) is an execution record on this machine, not a run ID; ${path.join(dir, "intent.yaml")} (execution.state.mode: remote) sends orun ${command} to the backend: read the record with orun ${command} --local)`,
        ),
        read.stderr,
      );
      assert.doesNotMatch(read.stderr, /--remote-state/, read.stderr);
    }
    const env = await orun(["status", "--detailed"], { ORUN_EXEC_ID: record, ORUN_REMOTE_STATE: "true" });
    assert.ok(env.stderr.includes(`${record} (ORUN_EXEC_ID) is an execution record on this machine, not a run ID; ORUN_REMOTE_STATE=true sends orun status to the backend`), env.stderr);
    const local = await orun(["status", "--local"], { ORUN_EXEC_ID: record });
    assert.equal(local.code, 0, local.stderr);
    assert.ok(local.stdout.includes(`Run: ${record}  ·`), local.stdout);
  });

  it("--remote-state with a record's ID says to read it with --local instead; --local with --remote-state or any --backend-url, even empty, is refused", async (t) => {
    const { record, url, orun } = await ready(t);
    const remote = await orun(["status", "--exec-id", record, "--remote-state"]);
    assert.equal(remote.code, 1, remote.stdout);
    assert.ok(remote.stderr.includes(`${record} is an execution record on this machine, not a run ID; --remote-state sends orun status to the backend: read the record with orun status --local instead of --remote-state`), remote.stderr);
    const both = await orun(["status", "--local", "--remote-state"]);
    assert.equal(both.code, 1, both.stdout);
    assert.match(both.stderr, /--local reads this machine's execution records and --remote-state the backend's run: give one/);
    for (const given of [url, ""]) {
      for (const command of ["status", "logs"]) {
        const withUrl = await orun([command, "--local", "--backend-url", given]);
        assert.equal(withUrl.code, 1, `${command} --backend-url "${given}": ${withUrl.stdout}`);
        assert.match(withUrl.stderr, /--local reads this machine's execution records, so --backend-url would be ignored/);
      }
    }
  });

  it("the track and logs commands a --background remote run prints report the backend's run: its outcome, not the parent's empty record", async (t) => {
    const { dir, url, orun } = await ready(t);
    await writeFile(path.join(dir, "ok"), "");
    t.after(() => rm(path.join(dir, "ok"), { force: true }));
    const started = await orun(["run", "--all", "--exec-id", "bg-run", "--background"]);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    const track = /track: +orun (status --exec-id bg-run --watch)\n/.exec(started.stdout)?.[1];
    const follow = /logs: +orun (logs +--exec-id bg-run --follow)\n/.exec(started.stdout)?.[1];
    assert.ok(track && follow, started.stdout);
    // The detached parent keeps a folder of the run's own ID (its pid and log, no metadata): not what is read.
    assert.ok(existsSync(path.join(dir, ".orun/executions/bg-run")));
    const watched = await orun(track.split(/ +/));
    assert.equal(watched.code, 0, watched.stdout + watched.stderr);
    assert.ok(watched.stdout.includes(`Backend: ${url}`), watched.stdout);
    assert.match(watched.stdout, /✓ app@dev\.check {2}success/, watched.stdout);
    assert.doesNotMatch(watched.stdout + watched.stderr, /interrupted|execution record on this machine/, watched.stdout + watched.stderr);
    const followed = await orun(follow.split(/ +/));
    assert.equal(followed.code, 0, followed.stdout + followed.stderr);
    assert.match(followed.stdout, /── app@dev\.check\n=== main ===\napp-ok\n/, followed.stdout);
  });

  it("a remote run ID from a record's metadata.json is printed escaped: the run status shows by default, and a dead runner's rejoin hint", async (t) => {
    const { dir, record, orun } = await ready(t);
    // A record from elsewhere (a CI artifact) whose metadata.json names a run ID with terminal escapes; its runner is dead.
    const executions = path.join(dir, ".orun/executions");
    await cp(path.join(executions, record), path.join(executions, "poisoned.abcdef"), { recursive: true });
    const metaFile = path.join(executions, "poisoned.abcdef/metadata.json");
    const meta = JSON.parse(await readFile(metaFile, "utf8")) as Record<string, unknown>;
    const hostile = "R9\u001b]0;pwned\u0007\u001b[2J";
    const resumeCommand = `orun run --exec-id ${hostile} --remote-state`;
    Object.assign(meta, { execId: "poisoned.abcdef", remoteRunId: hostile, resumeCommand, status: "running", pid: await deadPid() });
    delete meta.finishedAt;
    await writeFile(metaFile, JSON.stringify(meta));
    await rm(path.join(executions, "latest"), { force: true });
    await symlink("poisoned.abcdef", path.join(executions, "latest"));
    const shown = "R9\\u{1b}]0;pwned\\u{7}\\u{1b}[2J";
    // The run orun status reads by default: the one the latest record names, said on stderr.
    const remote = await orun(["status"]);
    assert.ok(remote.stderr.includes(`remote state: showing run ${shown}, the last this machine took part in (execution record poisoned.abcdef)`), remote.stderr);
    const local = await orun(["status", "--local", "--exec-id", "poisoned.abcdef"]);
    assert.equal(local.code, 0, local.stderr);
    assert.ok(local.stdout.includes(`rejoin remote run ${shown} with: orun run --exec-id ${shown} --remote-state`), local.stdout);
    for (const out of [remote.stdout, remote.stderr, local.stdout, local.stderr]) assert.ok(!out.includes("\u001b") && !out.includes("\u0007"), JSON.stringify(out));
  });
});

describe("a remote runner's interrupted record says how to rejoin its run, and that command does", () => {
  // A short lease: the job the killed runner held is free to take over 5 s after its last heartbeat.
  const open = backendProcessBed("sqlite", "rejoin", ["--lease-timeout", "5s"]);

  // The hint was `orun run <plan-id> --exec-id R --remote-state`, without the runner's --job and runner flags: pasted,
  // it claimed every job no runner had claimed (other legs', production's), on the default runner.
  it("status --local of a SIGKILLed runner's record names its own command in run R (--job, --runner), which takes over its job and no other", async (t) => {
    const bed = (await open(t))!;
    const { dir, orun, env } = await remoteRepo(bed, "rejoin", "echo app-ok\n");
    // lib waits for the test's file `release` (the orphaned step of the killed runner ends with it too).
    await writeFile(path.join(dir, "lib/check.sh"), "echo lib-start; while [ ! -f ../release ]; do sleep 0.1; done; echo lib-ok\n");
    t.after(() => writeFile(path.join(dir, "release"), "").catch(() => undefined));
    const { record } = await killedWhileLibRuns(dir, env, ["--job", "lib@dev.check", "--runner", "local", "--exec-id", "killed-run"]);
    const { hint, stdout } = await rejoinHint(orun, record, "killed-run");
    assert.equal(hint, "orun run --runner local --job lib@dev.check --exec-id killed-run --remote-state", stdout);
    // Not the record's own ID, which would start a new remote run of that name.
    assert.doesNotMatch(stdout, new RegExp(`orun run --exec-id ${escaped(record)}`), stdout);

    await writeFile(path.join(dir, "release"), "");
    const after = await rejoined(t, { dir, orun, env }, hint!, "killed-run");
    assert.match(after.stderr, /^remote state: run killed-run on /m, after.stderr);
    // app is no job of the killed runner's: it waits for a runner of its own.
    assert.deepEqual(after.statuses, ["completed", "pending"]);
  });
});

/**
 * lib moves from the intent into lib/component.yaml (so lib/ is its folder, which scopes a run started there), and
 * its step waits for `release` at the root, which the test's end writes if the test did not.
 */
async function libInItsOwnFolder(t: TestContext, dir: string): Promise<void> {
  const intent = await readFile(path.join(dir, "intent.yaml"), "utf8");
  const libEntry = "  - name: lib\n    type: sh\n    path: lib\n    subscribe:\n      environments: [dev]\n";
  assert.ok(intent.includes(libEntry), intent);
  await writeFile(path.join(dir, "intent.yaml"), intent.replace(libEntry, ""));
  await writeFile(path.join(dir, "lib/component.yaml"), "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata: {name: lib}\nspec:\n  type: sh\n  subscribe:\n    environments: [dev]\n");
  await writeFile(path.join(dir, "lib/check.sh"), "echo lib-start; while [ ! -f ../release ]; do sleep 0.1; done; echo lib-ok\n");
  t.after(() => writeFile(path.join(dir, "release"), "").catch(() => undefined));
}

describe("a remote runner scoped by its component folder records a rejoin that keeps that scope from any folder", () => {
  const open = backendProcessBed("sqlite", "rejoinscope", ["--lease-timeout", "5s"]);

  // Started in lib/, the runner ran lib alone (the folder's scope) but recorded `orun run --exec-id R --remote-state`:
  // status prints it from any folder, and pasted at the root it claimed app too.
  it("status --local of a SIGKILLed runner started in lib/ names --component lib; pasted at the root it takes over lib and leaves app", async (t) => {
    const bed = (await open(t))!;
    const { dir, orun, env } = await remoteRepo(bed, "rejoinscope", "echo app-ok\n");
    await libInItsOwnFolder(t, dir);
    const { record, output } = await killedWhileLibRuns(dir, env, ["--exec-id", "scoped-run"], path.join(dir, "lib"));
    assert.match(output, /auto-scoped to component lib/);
    const { hint, stdout } = await rejoinHint(orun, record, "scoped-run");
    assert.equal(hint, "orun run --component lib --exec-id scoped-run --remote-state", stdout);

    await writeFile(path.join(dir, "release"), "");
    assert.deepEqual((await rejoined(t, { dir, orun, env }, hint!, "scoped-run")).statuses, ["completed", "pending"]);
  });
});

describe("a remote runner started with --all in a component folder repeats --all in its rejoin", () => {
  const open = backendProcessBed("sqlite", "rejoinall", ["--lease-timeout", "5s"]);

  // Started in lib/ with --all, the runner ran lib and app but recorded `orun run --exec-id R --remote-state`: pasted
  // in lib/ (where it started), that command was scoped to lib by the folder and left app to no runner.
  it("status --local of a SIGKILLed `orun run --all` runner started in lib/ names --all; pasted in lib/ it takes over lib and runs app", async (t) => {
    const bed = (await open(t))!;
    const { dir, orun, env } = await remoteRepo(bed, "rejoinall", "echo app-ok\n");
    await libInItsOwnFolder(t, dir);
    const lib = path.join(dir, "lib");
    const { record, output } = await killedWhileLibRuns(dir, env, ["--all", "--exec-id", "all-run"], lib);
    assert.doesNotMatch(output, /auto-scoped/);
    const { hint, stdout } = await rejoinHint(orun, record, "all-run");
    assert.equal(hint, "orun run --all --exec-id all-run --remote-state", stdout);

    await writeFile(path.join(dir, "release"), "");
    assert.deepEqual((await rejoined(t, { dir, orun, env }, hint!, "all-run", lib)).statuses, ["completed", "completed"]);
  });
});

describe("a remote runner given a stored plan and --component records a rejoin that keeps that filter", () => {
  const open = backendProcessBed("sqlite", "rejoinstored", ["--lease-timeout", "5s"]);

  // -e/--component filtering a stored plan were left out of the runner's commands (they shape only a plan compiled
  // here): its rejoin was `orun run shared --exec-id R --remote-state`, which claimed app too.
  it("status --local of a SIGKILLed `orun run shared --component lib` runner names --component lib; pasted, it takes over lib and leaves app", async (t) => {
    const bed = (await open(t))!;
    const { dir, orun, env } = await remoteRepo(bed, "rejoinstored", "echo app-ok\n");
    await writeFile(path.join(dir, "lib/check.sh"), "echo lib-start; while [ ! -f release ]; do sleep 0.1; done; echo lib-ok\n");
    t.after(() => writeFile(path.join(dir, "lib/release"), "").catch(() => undefined));
    const planned = await orun(["plan", "--name", "shared"]);
    assert.equal(planned.code, 0, planned.stderr);
    const { record } = await killedWhileLibRuns(dir, env, ["shared", "--component", "lib", "--exec-id", "stored-run"]);
    const { hint, stdout } = await rejoinHint(orun, record, "stored-run");
    assert.equal(hint, "orun run shared --component lib --exec-id stored-run --remote-state", stdout);

    await writeFile(path.join(dir, "lib/release"), "");
    assert.deepEqual((await rejoined(t, { dir, orun, env }, hint!, "stored-run")).statuses, ["completed", "pending"]);
  });
});

describe("a stopped remote run's status names the command that retries its failed job, and that command reopens the run", () => {
  const open = backendProcessBed("sqlite", "stopped");

  // The Stopped line said `orun run <plan> --job <failed job> --exec-id R --remote-state --retry`: a template,
  // though status knows the run's plan and its failed job.
  it("Stopped: … (orun run <plan-id> --job app@dev.check --exec-id R --remote-state --retry), followed, completes the run", async (t) => {
    const bed = (await open(t))!;
    const { dir, orun, env } = await remoteRepo(bed, "stopped", "if [ -f ../fixed ]; then echo app-ok; else echo app-failing; exit 3; fi\n");
    const failed = await orun(["run", "--all", "--exec-id", "stopped-run"]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    const status = await orun(["status", "--exec-id", "stopped-run"]);
    assert.equal(status.code, 0, status.stderr);
    const command = /^Stopped: fail-fast after app@dev\.check failed — no job starts in this run until a failed job is retried in it \((orun run .*)\), which reopens it$/m.exec(status.stdout)?.[1];
    const planId = /^Plan: (\S+) /m.exec(status.stdout)?.[1];
    assert.equal(command, `orun run ${planId} --job app@dev.check --exec-id stopped-run --remote-state --retry`, status.stdout);

    await writeFile(path.join(dir, "fixed"), "");
    const retried = await inShell(t, command!, dir, env);
    assert.equal(retried.code, 0, retried.output);
    const after = await orun(["status", "--exec-id", "stopped-run"]);
    assert.match(after.stdout, /State: completed/, after.stdout);
    assert.doesNotMatch(after.stdout, /Stopped:/, after.stdout);
  });
});
