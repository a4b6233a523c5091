// The docker runner: one container per job, created from the job's image with
// the workspace bind-mounted at /workspace and kept alive between steps; each
// step is a `docker exec … sh -c <run>` inside it, so whatever a step changes
// in the container (tools installed, files outside /workspace) is there for
// the job's later steps — also after a step timed out, since only that step's
// process group is killed. Exit statuses come from `docker exec`, which reads
// the exec's own exit code and is right on Docker and podman alike (unlike
// `docker run --rm`, see ../shared/notes/container-engine.md). Containers are
// removed at job end, on cancellation, and on cleanup (Ctrl-C); one whose orun
// process died without its clean-up (SIGKILL) stops by itself, since its main
// process lives only as long as orun holds its owner pipe, and the next docker
// run removes it.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync, realpathSync, rmSync, statSync, unlinkSync } from "node:fs";
import { chmod, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import type { JobContext, RunContext, Runner, StepContext, StepResult } from "../runner.js";
import { isUseStep } from "../runner.js";
import { OrunError, errorMessage } from "../../util/errors.js";
import { runProcess, type ProcessOutcome, type ProcessRequest } from "../process/run-process.js";
import { NativeSpawner, nativeSpawnerWanted } from "../process/native-spawner.js";
import { fallbackInShell, resolveShell, withScriptPath, type ShellCommand } from "../process/shell.js";
import { folderIdentity, withContainerScript, type FolderIdentity } from "./script-file.js";
import { type DockerRunnerConfig, absentImageHint, imageOrigin, pullFailureHint, resolveContainerUser, resolveJobImage } from "./config.js";
import { DockerEngine, type EngineInfo } from "./engine.js";
import os from "node:os";
import {
  CONTAINER_OWNER_PIPE,
  CONTAINER_RUN,
  CONTAINER_SCRIPTS,
  KILLED,
  LABEL_HOST,
  LABEL_OWNER,
  LABEL_PID,
  containerName,
  containerPath,
  createContainerArgs,
  killGroupCommand,
  ownerAlive,
  oversizedExec,
  pidNamespace,
  probeStepCommand,
  recordingGroup,
  stepExec,
} from "./container.js";
import { stepWorkdir } from "./workdir.js";
import { recordFolder, recordMask } from "./record-mask.js";
import { startFailureHint } from "./start-failure.js";
// The same owner-named temp folders as the github-actions runner's helper output.
import { createOutputDir, removeDeadOutputDirs } from "../github-actions/stale-scratch.js";
import { closeOwnerPipe, openOwnerPipe } from "./owner-pipe.js";
import { processStartTicks } from "../../runtime/records/lock.js";
import { warnOnStderr } from "../../util/warning.js";

/**
 * The spawn helper's output folders in the temp folder: `orun-docker-out-<pid namespace>-<host>-<pid>-<start>-XXXXXX`.
 * The pid namespace first: a run sweeps only its own namespace's folders — pids of another (an orun under
 * `unshare --pid`, or in a container sharing the host's name and /tmp) mean nothing here, and its live
 * folders looked dead.
 */
const OUTPUT_PREFIX = `orun-docker-out-${pidNamespace() ?? "x"}-`;

interface JobContainer {
  name: string;
  image: string;
  /** Host side of the container's read-only script mount. */
  scriptsDir: string;
  /** The script folder orun made (see script-file.ts). */
  scriptsIdentity: FolderIdentity;
  /** Host side of its process-group mount. */
  runDir: string;
}

export class DockerRunner implements Runner {
  readonly name = "docker" as const;
  /** Steps run in the job's container: when it could not be created (an image that cannot be pulled…), none runs. */
  readonly stepsNeedJobStart = true;
  private readonly engine: DockerEngine;
  /** Random per runner instance; labels every container it creates. */
  private readonly owner = randomBytes(6).toString("hex");
  private engineInfo?: Promise<EngineInfo>;
  /** One pull (or presence check) per image per run, shared by concurrent jobs. */
  private readonly images = new Map<string, Promise<void>>();
  /** Stops shared pulls; only cleanup() aborts it, since no one job's cancellation may stop another's image. */
  private readonly pulls = new AbortController();
  /** The job's container, or its creation in flight. */
  private readonly containers = new Map<JobContext, Promise<JobContainer>>();
  /** Containers being created or alive, so cleanup() finds every one: their mounts' host dir and owner pipe. */
  private readonly live = new Map<string, { mountsDir: string; ownerPipe?: number }>();
  private closing = false;
  /** Links on the record's path already warned about (see record-mask.ts). */
  private readonly warnedLinks = new Set<string>();
  /** Whether any container creation was started (else cleanup has nothing to look for). */
  private creating = false;
  /** Container removals started by finishJob and still running. */
  private readonly removals = new Set<Promise<void>>();
  /**
   * Starts each step's `docker exec` with its output going to a file, read at the console's pace (see
   * native-spawner.ts and util/output-pressure.ts): behind a slow reader of orun's stdout the backlog waits
   * on disk, not in memory. Without the helper (not built, ORUN_LOCAL_SPAWNER=direct) the CLI is spawned
   * from this process with pipes.
   */
  private spawner?: NativeSpawner;
  /** The helper's output folder (see startSpawner). */
  private outputDir?: string;

  constructor(
    private readonly config: DockerRunnerConfig,
    hostEnv: NodeJS.ProcessEnv = process.env,
  ) {
    this.engine = new DockerEngine(hostEnv);
  }

  async prepare(run: RunContext): Promise<void> {
    if (!existsSync(run.workspaceDir) || !statSync(run.workspaceDir).isDirectory()) {
      throw new OrunError(`docker runner: workspace ${run.workspaceDir} is not a directory`);
    }
    await this.ensureEngine();
    await this.removeOrphans();
    if (nativeSpawnerWanted() && !this.spawner?.alive) await this.startSpawner(run.workspaceDir);
  }

  /**
   * The spawn helper, with its output files in a private folder outside the workspace. Never in the execution
   * record: steps see the workspace (and .orun in it), and orun opens an output file by name — a step that
   * swapped its file for a link would have orun print any host file as its output. Where the temp folder is
   * inside the workspace (a workspace of `/`), the CLI is spawned with pipes instead.
   */
  private async startSpawner(workspaceDir: string): Promise<void> {
    // Named after this process: a later run removes the folder of one killed before its clean-up.
    await removeDeadOutputDirs(os.tmpdir(), OUTPUT_PREFIX);
    const outputDir = createOutputDir(os.tmpdir(), OUTPUT_PREFIX);
    if (containerPath(realpathSync(workspaceDir), realpathSync(outputDir)) !== undefined) {
      await rm(outputDir, { recursive: true, force: true });
      return;
    }
    this.outputDir = outputDir;
    this.spawner = await NativeSpawner.start(outputDir, this.engine.hostEnv);
  }

  private spawnCli(request: ProcessRequest): Promise<ProcessOutcome> {
    // The request's env is the CLI's whole environment (stepExec builds it from the host's).
    return this.spawner?.alive ? this.spawner.run(request, { inheritEnv: false }) : runProcess(request);
  }

  /**
   * Containers left by an orun process of this host that died without its
   * cleanup (SIGKILL, power loss) would keep running forever: remove them.
   * Containers of live orun processes (other runs, remote-state runners) stay.
   */
  private async removeOrphans(): Promise<void> {
    const mine = await this.engine.containersWithLabelValue(`${LABEL_HOST}=${os.hostname()}`, LABEL_PID).catch((err: unknown) => {
      warn(`could not look for containers left by crashed runs: ${errorMessage(err)}`);
      return [];
    });
    const orphans = mine.filter((container) => !ownerAlive(container.value)).map((container) => container.name);
    await this.engine.remove(orphans).catch((err: unknown) => warn(`could not remove orphaned containers ${orphans.join(", ")}: ${errorMessage(err)}`));
  }

  async startJob(job: JobContext): Promise<void> {
    await this.containerFor(job);
  }

  /** The step's folder in the container (/workspace/…), as runStep gives it; the host folder when it has none there. */
  shownWorkdir(job: JobContext, cwd: string): string {
    const place = stepWorkdir(job.run.workspaceDir, cwd);
    return place.error === undefined ? place.workdir : cwd;
  }

  async runStep(step: StepContext): Promise<StepResult> {
    const { job } = step;
    if (isUseStep(step.step)) {
      return failure(`step "${step.stepKey}" uses GitHub Actions syntax (${step.step.use!.trim()}); rerun with --gha or --runner github-actions`);
    }
    const place = stepWorkdir(job.run.workspaceDir, step.cwd);
    if (place.error !== undefined) return failure(place.error);
    const { workdir } = place;

    let container: JobContainer;
    let shell: ShellCommand;
    try {
      // The fallback (`python` → `python3`) is chosen on the container's PATH.
      shell = fallbackInShell(resolveShell(step.step.shell, step.step.run ?? "", `job ${job.job.id} step ${step.stepKey}`, "sh -c"));
      // Normally created by startJob; recreated here after a timeout removed it.
      container = await this.containerFor(job);
    } catch (err) {
      return failure(errorMessage(err));
    }
    if (shell.scriptExtension === undefined) return this.exec(step, container, workdir, [shell.command, ...shell.args]);
    // Shells that take a script file (`bash`, `python`, `perl {0}`…) read it
    // from the container's read-only script mount.
    const scripts = { dir: container.scriptsDir, identity: container.scriptsIdentity, extension: shell.scriptExtension };
    try {
      return await withContainerScript(step.step.run ?? "", scripts, (name) => {
        const inContainer = withScriptPath(shell, path.posix.join(CONTAINER_SCRIPTS, name));
        return this.exec(step, container, workdir, [inContainer.command, ...inContainer.args]);
      });
    } catch (err) {
      return failure(errorMessage(err));
    }
  }

  private async exec(step: StepContext, container: JobContainer, workdir: string, command: string[]): Promise<StepResult> {
    const { job } = step;
    if (step.signal.aborted) return { exitCode: null, output: "", error: "canceled" };
    // <record>.pid and <record>.status in the run mount (see recordingGroup).
    const record = randomBytes(6).toString("hex");
    let exec;
    try {
      exec = stepExec({
        container: container.name,
        workdir,
        env: step.env,
        hostEnv: this.engine.hostEnv,
        command: recordingGroup(command, path.posix.join(CONTAINER_RUN, record)),
      });
    } catch (err) {
      return failure(errorMessage(err));
    }
    const oversized = oversizedExec(exec, step.env);
    if (oversized !== undefined) return failure(`docker runner: cannot start the step: ${oversized}`);
    const helper = this.spawner?.alive ? this.spawner : undefined;
    // The bytes the stream brought, to compare with the container's copy of the output (see recordingGroup).
    let received = 0;
    const decoder = step.onOutputBytes ? undefined : new StringDecoder("utf8");
    const onOutputBytes = (chunk: Buffer): void => {
      received += chunk.length;
      if (step.onOutputBytes) step.onOutputBytes(chunk);
      else step.onOutput(decoder!.write(chunk));
    };
    const outcome = await this.spawnCli({
      command: "docker",
      args: exec.args,
      cwd: job.run.workspaceDir,
      env: exec.cliEnv,
      timeoutMs: step.timeoutMs,
      signal: step.signal,
      // The bytes as the step wrote them: the scheduler's log keeps invalid UTF-8 as it is.
      onOutputBytes,
      killGraceMs: 1000,
    });
    if (decoder) step.onOutput(decoder.end());
    const files = {
      pid: path.join(container.runDir, `${record}.pid`),
      status: path.join(container.runDir, `${record}.status`),
      out: path.join(container.runDir, `${record}.out`),
      teed: path.join(container.runDir, `${record}.teed`),
    };
    const forgetRecord = (): void => {
      // The container still runs, and its processes may change the run folder at any moment: never
      // descend into it (a step's process swapping a folder for a link mid-delete would turn a
      // recursive delete to host files). unlink removes a file or a link, never what a link names, and
      // fails on a folder a step put there: forget() removes the rest once the container is gone.
      unlinkQuietly(files.pid);
      unlinkQuietly(files.status);
      unlinkQuietly(files.out);
      unlinkQuietly(files.teed);
    };

    if (outcome.timedOut || outcome.aborted) {
      // Killing the CLI leaves the step running in the container. After a
      // timeout the job goes on (a retry, onFailure: continue): kill the step's
      // process group and keep what earlier steps set up. A canceled job ends:
      // remove the container, as when the step's group cannot be killed.
      if (outcome.aborted || !(await this.killStepGroup(container, record, step.signal))) await this.dropContainer(job);
      forgetRecord();
      return { exitCode: null, output: outcome.output, error: outcome.error, timedOut: outcome.timedOut || undefined };
    }
    try {
      // The helper died under the CLI (and stopped it): the step may still run in the container.
      const cliLost = helper !== undefined && !helper.alive ? "the spawn helper (orun-spawn) exited while the step ran" : undefined;
      const { result, cut } = await this.stepResult(job, container, record, files, { ...outcome, cliLost }, step.signal);
      return this.withLostOutput(step, result, { copy: files.out, received, cut });
    } finally {
      forgetRecord();
    }
  }

  /** What a step that ended came to: its own recorded status, or why there is none. */
  private async stepResult(
    job: JobContext,
    container: JobContainer,
    record: string,
    files: { pid: string; status: string },
    outcome: { exitCode: number | null; output: string; error?: string; cliLost?: string },
    signal: AbortSignal,
  ): Promise<{ result: StepResult; cut?: boolean }> {
    // The entry itself (never what a step's link names).
    const started = lstatSync(files.pid, { throwIfNoEntry: false }) !== undefined;
    let status = readStatus(files.status);
    // No status though the step started, or though the CLI says 0: the CLI's stream may have ended before
    // the step did (a broken connection, a relay that drops half-closed connections: the CLI then exits 0,
    // even before the step has recorded its start), or the step ended without a status file (a full disk, a
    // step that removed or replaced it, a file system shared through a VM that shows it late). The container
    // tells. (A CLI that failed before the step started reports the exec's own failure.)
    let running = false;
    let unrecorded = false;
    // The CLI's stream ended before the step did: it ended while the host had no status yet, or the CLI's
    // exit status is not the one the step recorded (it exits 0 for a stream that ended early).
    let cut = status !== undefined && outcome.exitCode !== status;
    if (status === undefined && (started || outcome.exitCode === 0)) {
      const probe = await this.probeStep(container, record, signal);
      if (typeof probe === "number") {
        // The host had no status when the stream ended (or its file system shows it late).
        status = probe;
        cut = true;
      }
      unrecorded = probe === "none";
      // Unknown counts as running: a step must never pass for ended (a success) without a word from the engine.
      running = probe === "running" || probe === "none" || probe === undefined;
    }
    if (status !== undefined) {
      // The step ended by itself: its own status, whatever the CLI made of the end of the stream.
      return { result: { exitCode: status, output: outcome.output, error: status === 0 ? undefined : `exit status ${status}` }, cut };
    }
    if (outcome.exitCode === 0 && !running) return { result: { exitCode: 0, output: outcome.output } };
    return { result: await this.unendedStep(job, container, record, outcome, { running, unrecorded }, signal) };
  }

  /** What a step comes to whose stream ended while it had no status: why, and the step stopped. */
  private async unendedStep(
    job: JobContext,
    container: JobContainer,
    record: string,
    outcome: { exitCode: number | null; output: string; error?: string; cliLost?: string },
    { running, unrecorded }: { running: boolean; unrecorded: boolean },
    signal: AbortSignal,
  ): Promise<StepResult> {
    const now = await this.engine.containerState(container.name);
    const cli = outcome.error ?? "docker exec exited 0";
    if (now.state === "unknown") {
      // Not the step's status: the CLI lost the engine (stopped, or its socket went away).
      return { exitCode: null, output: outcome.output, error: `lost the container engine at ${this.engine.describeHost()} while the step ran (${cli}): ${now.reason}` };
    }
    if (now.state === "stopped") {
      // Not the step's status: the container went away under it (removed, or its main process ended).
      // A stopped one is removed now: its owner lives on, so no sweep would take it.
      await this.dropContainer(job);
      return { exitCode: null, output: outcome.output, error: `container ${container.name} stopped unexpectedly (${cli})` };
    }
    if (unrecorded) {
      // Nothing in the container says the step started or ended, yet it may still start: only removing the
      // container makes sure it does not run on.
      await this.dropContainer(job);
      return {
        exitCode: null,
        output: outcome.output,
        error: `the step left no record in its container: lost the connection to the container engine at ${this.engine.describeHost()} before the step started (${cli}), or the step removed its files in ${CONTAINER_RUN}`,
      };
    }
    if (running) {
      // The CLI's stream ended before the step did (or nothing tells it did not): stop the step.
      if (!(await this.killStepGroup(container, record, signal))) await this.dropContainer(job);
      if (outcome.cliLost) return { exitCode: null, output: outcome.output, error: `${outcome.cliLost}; the step was stopped` };
      return { exitCode: null, output: outcome.output, error: `lost the connection to the container engine at ${this.engine.describeHost()} while the step ran (${cli} before the step ended)` };
    }
    // The step ended without recording a status (its shell killed by a signal — its own group, the OOM
    // killer — or the file could not be written): the exec's status, as the CLI read it from the engine.
    return { exitCode: outcome.exitCode, output: outcome.output, error: outcome.error };
  }

  /**
   * A step whose stream ended before it did lost the rest of its output on the way: it is read back from the
   * container's copy (see recordingGroup) into the log, with a line saying so there and on stderr. Without a
   * copy (no `tee` in the image) the loss is only told.
   */
  private withLostOutput(step: StepContext, result: StepResult, stream: { copy: string; received: number; cut?: boolean }): StepResult {
    let output = result.output;
    const decoder = new StringDecoder("utf8");
    const emit = (bytes: Buffer): void => {
      // The log keeps the bytes as the step wrote them; the result keeps some of them, as text.
      if (step.onOutputBytes) step.onOutputBytes(bytes);
      else step.onOutput(decoder.write(bytes));
      if (output.length < MAX_RECOVERED_IN_RESULT) output += bytes.toString("utf8");
    };
    const copy = readCopyFrom(stream.copy, stream.received, emit);
    if (copy === undefined ? !stream.cut : copy.missing === 0) return result;
    if (copy !== undefined && !step.onOutputBytes) step.onOutput(decoder.end());
    const where = `the connection to the container engine at ${this.engine.describeHost()} ended before step ${step.stepKey} of job ${step.job.job.id} did (a relay that drops half-closed connections does this)`;
    const note =
      copy === undefined
        ? `${where}: its output may be incomplete, and orun has no copy of it (no tee in the job's image)`
        : copy.readBack < copy.missing
          ? `${where}: ${copy.missing} bytes of its output were lost on the way; its last ${copy.readBack} were read back from the container's copy (the ${copy.missing - copy.readBack} before them were not: orun reads back at most ${MAX_READ_BACK / (1024 * 1024)} MiB)`
          : `${where}: ${copy.missing} bytes of its output were lost on the way and read back from the container's copy`;
    const line = `${output === "" || output.endsWith("\n") ? "" : "\n"}[orun] ${note}\n`;
    if (step.onOutputBytes) step.onOutputBytes(Buffer.from(line));
    else step.onOutput(line);
    warn(note);
    return { ...result, output: output + line };
  }

  /**
   * Asks the container about a step that left no status file the host can read: its status (a file a VM's
   * file system shows late), "none" when it has no group file either, "running" while a process of its
   * group is alive, "ended" when none is, and undefined when that cannot be told (the engine or the
   * container is gone, the answer was lost, or the group file holds no plain pid).
   */
  private async probeStep(container: JobContainer, record: string, signal: AbortSignal): Promise<number | "running" | "ended" | "none" | undefined> {
    const probe = ["exec", container.name, ...probeStepCommand(path.posix.join(CONTAINER_RUN, record))];
    const result = await this.engine.cli(probe, { signal }).catch(() => undefined);
    const answer = result?.code === 0 ? result.stdout.trim() : "";
    if (answer === "running" || answer === "ended" || answer === "none") return answer;
    return answer.startsWith("status ") ? parseStatus(answer.slice("status ".length)) : undefined;
  }

  /**
   * Kills a step's process group; false when that failed, was canceled (Ctrl-C: a slow engine must not
   * hold the run up for the kill, since the caller then removes the whole container) or is not proven: the
   * CLI exits 0 without the command's word when its stream ends early (a relay that drops half-closed
   * connections), and the kill may then land later, or never.
   */
  private async killStepGroup(container: JobContainer, record: string, signal: AbortSignal): Promise<boolean> {
    const kill = ["exec", container.name, ...killGroupCommand(path.posix.join(CONTAINER_RUN, `${record}.pid`))];
    const result = await this.engine.cli(kill, { signal }).catch(() => undefined);
    return result?.code === 0 && result.stdout.trim() === KILLED;
  }

  finishJob(job: JobContext): Promise<void> {
    // Removal takes a few hundred ms on podman; dependents need not wait for
    // it. cleanup() (and settled()) wait for every removal started here.
    const removal = this.dropContainer(job);
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
    return Promise.resolve();
  }

  /** Resolves once every container removal started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.removals]);
  }

  async cleanup(): Promise<void> {
    this.closing = true;
    this.pulls.abort();
    await this.settled();
    const names = new Set(this.live.keys());
    // Containers whose creation was in flight when the run was interrupted (none when no creation started,
    // e.g. the engine was unreachable: then there is nothing to list, nor to warn about).
    const started = !this.creating
      ? []
      : await this.engine.containersWithLabel(`${LABEL_OWNER}=${this.owner}`).catch((err: unknown) => {
          warn(`could not list this run's containers (${errorMessage(err)}); removing the ones it knows of`);
          return [];
        });
    for (const name of started) names.add(name);
    this.containers.clear();
    await this.removeContainers([...names]);
    this.spawner?.close();
    this.spawner = undefined;
    // The helper removes the files it still holds once its input closes; whatever it left goes with the folder.
    if (this.outputDir) await rm(this.outputDir, { recursive: true, force: true }).catch(() => undefined);
    this.outputDir = undefined;
  }

  private ensureEngine(): Promise<EngineInfo> {
    this.engineInfo ??= this.engine.probe();
    return this.engineInfo;
  }

  /** The job's image, ready; a canceled job stops waiting, the pull goes on for the others. */
  private ensureImage(image: string, signal: AbortSignal): Promise<void> {
    let ready = this.images.get(image);
    if (!ready) {
      ready = this.provideImage(image, this.pulls.signal);
      this.images.set(image, ready);
      // A failed or canceled pull may be retried by a later job.
      ready.catch(() => this.images.delete(image));
    }
    return unlessAborted(ready, signal);
  }

  private async provideImage(image: string, signal: AbortSignal): Promise<void> {
    const { pull } = this.config;
    if (pull !== "always") {
      if (await this.engine.imageExists(image, signal)) return;
      if (pull === "never") {
        throw new ImageAbsentError(`docker runner: image ${image} is not present locally and --pull is "never" (pull it first, or use --pull missing)`);
      }
    }
    try {
      await this.engine.pull(image, signal);
    } catch (err) {
      if (signal.aborted || !(err instanceof OrunError)) throw err;
      // Offline, or an image built or imported on this machine: say how to run what is already here.
      if (pull === "always" && (await this.engine.imageExists(image, signal).catch(() => false))) {
        throw new OrunError(err.message, { hint: `${image} exists locally: run it without pulling with --pull missing (or ORUN_DOCKER_PULL=missing)` });
      }
      // The hint is the job's (createContainer): jobs sharing an image may have it from different places.
      throw new ImagePullError(err.message);
    }
  }

  private containerFor(job: JobContext): Promise<JobContainer> {
    let container = this.containers.get(job);
    if (!container) {
      container = this.createContainer(job);
      this.containers.set(job, container);
      const created = container;
      created.catch(() => {
        if (this.containers.get(job) === created) this.containers.delete(job);
      });
    }
    return container;
  }

  private async createContainer(job: JobContext): Promise<JobContainer> {
    if (this.closing) throw new OrunError("docker runner: the run is shutting down");
    const info = await this.ensureEngine();
    let image: string;
    try {
      image = resolveJobImage(job.job.runsOn, this.config.defaultImage);
    } catch (err) {
      throw new OrunError(`docker runner: job ${job.job.id}: ${errorMessage(err)}`);
    }
    try {
      await this.ensureImage(image, job.signal);
    } catch (err) {
      if (err instanceof ImagePullError) throw new OrunError(err.message, { hint: pullFailureHint(job.job.runsOn, this.config, job.job) });
      if (err instanceof ImageAbsentError) throw new OrunError(err.message, { hint: absentImageHint(job.job.runsOn, this.config, job.job) });
      throw err;
    }

    const name = containerName(job.run.execId, job.job.id);
    const mountsDir = path.join(job.run.scratchDir, "docker", name);
    const scriptsDir = path.join(mountsDir, "scripts");
    const runDir = path.join(mountsDir, "run");
    // The host side is the orun user's alone: the run folder inside must be writable by whichever user the
    // steps run as, and other local users must not reach it (to forge a step's status, or to remove the
    // owner pipe and so keep a killed run's container alive). The engine mounts it as root (or as the
    // user, rootless), so the container needs no way through this folder. chmod: the umask narrows mkdir's mode.
    await mkdir(mountsDir, { recursive: true, mode: 0o700 });
    await chmod(mountsDir, 0o700);
    await mkdir(scriptsDir, { mode: 0o755 });
    const scriptsIdentity = folderIdentity(lstatSync(scriptsDir));
    await mkdir(runDir);
    await chmod(runDir, 0o1777);
    // The record exists by now (mountsDir is in it): where it lies in the workspace is known.
    const mask = recordMask(job.run.workspaceDir, recordFolder(job.run.scratchDir));
    if (mask.error !== undefined) {
      await rm(mountsDir, { recursive: true, force: true });
      throw new OrunError(`docker runner: job ${job.job.id}: ${mask.error}`);
    }
    if (mask.exposedLink !== undefined && !this.warnedLinks.has(mask.exposedLink)) {
      this.warnedLinks.add(mask.exposedLink);
      warn(
        `the execution record is reached through the link ${mask.exposedLink} inside the workspace: steps can replace that link and so move where orun writes the record; make it a real folder, or keep the link outside the workspace`,
      );
    }
    const ownerPipe = await openOwnerPipe(path.join(runDir, path.posix.basename(CONTAINER_OWNER_PIPE)));
    this.live.set(name, { mountsDir, ownerPipe });
    const user = resolveContainerUser(this.config.user, { uid: process.getuid?.(), gid: process.getgid?.() }, info.rootless);
    const args = createContainerArgs({
      name,
      image,
      workspaceDir: job.run.workspaceDir,
      scriptsDir,
      runDir,
      execId: job.run.execId,
      jobId: job.job.id,
      owner: this.owner,
      host: os.hostname(),
      pid: process.pid,
      pidStart: processStartTicks(process.pid),
      user,
      ownerPipe: ownerPipe !== undefined,
      recordMounts: mask.mounts,
    });
    this.creating = true;
    try {
      await this.engine.runDetached(args);
    } catch (err) {
      await this.removeContainers([name], true);
      const reason = errorMessage(err);
      throw new OrunError(`docker runner: could not start a container for job ${job.job.id} from image ${image}: ${reason}`, {
        hint: startFailureHint(reason, imageOrigin(job.job.runsOn, this.config, job.job, "an image that has sh")),
      });
    }
    if (this.closing || job.signal.aborted) {
      // Canceled, or cleanup() ran, while the container was being created.
      await this.removeContainers([name]);
      throw new OrunError(this.closing ? "docker runner: the run is shutting down" : "docker runner: canceled");
    }
    return { name, image, scriptsDir, scriptsIdentity, runDir };
  }

  private async dropContainer(job: JobContext): Promise<void> {
    const pending = this.containers.get(job);
    if (!pending) return;
    this.containers.delete(job);
    const container = await pending.catch(() => undefined);
    if (!container) return;
    try {
      await this.engine.remove([container.name]);
      this.forget(container.name, true);
    } catch (err) {
      // Still on the books: cleanup() tries again.
      warn(`could not remove container ${container.name}: ${errorMessage(err)}`);
    }
  }

  /**
   * Removes containers for good, then forgets them. Their mounted folders go only once the engine said
   * they are removed: a process of a container that still runs could swap a folder for a link in the
   * middle of the delete. When the removal failed, the owner pipes are still closed (the containers then
   * stop by themselves) and the folders stay in the execution record.
   */
  private async removeContainers(names: string[], quiet = false): Promise<void> {
    if (names.length === 0) return;
    try {
      await this.engine.remove(names);
    } catch (err) {
      if (!quiet) warn(`could not remove container${names.length > 1 ? "s" : ""} ${names.join(", ")}: ${errorMessage(err)}`);
      for (const name of names) this.forget(name, false);
      return;
    }
    for (const name of names) this.forget(name, true);
  }

  /** Drops a container from the books with its owner pipe, and its mounted folders once it is removed. */
  private forget(name: string, removed: boolean): void {
    const container = this.live.get(name);
    this.live.delete(name);
    if (!container) return;
    closeOwnerPipe(container.ownerPipe);
    if (!removed) return;
    try {
      rmSync(container.mountsDir, { recursive: true, force: true });
    } catch {
      // A file a root step left where this user may not delete it: it stays in the execution record.
    }
  }
}

/** A job image's pull failed; each job waiting on it adds the hint for where its image came from. */
class ImagePullError extends OrunError {}
/** The job's image is not on this engine and --pull never forbids the pull; the hint is the job's, as a pull's. */
class ImageAbsentError extends OrunError {}

function unlessAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new OrunError("docker runner: canceled"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The recovered output kept in a step's result (its log gets all of it). */
const MAX_RECOVERED_IN_RESULT = 1024 * 1024;

/**
 * The most of a step's lost output read back from the container's copy: its last bytes (where a failure says why),
 * as GitHub's group output keeps (MAX_GROUP_OUTPUT). The read is synchronous and holds up the whole run (the
 * other jobs' output, their heartbeats), and the copy is step-writable: a step that printed gigabytes before
 * its stream was cut must not stall the run for them.
 */
export const MAX_READ_BACK = 16 * 1024 * 1024;

/**
 * Hands the container's copy of a step's output from byte `from` on to `emit`, in pieces — past MAX_READ_BACK,
 * only its last MAX_READ_BACK bytes — and says how many bytes followed `from` and how many of them were handed on;
 * undefined when there is no copy. Step-writable like the status file: a regular file only, never what a link
 * names, and never more of it than its size when opened (a step still writing to it cannot keep the read going).
 */
function readCopyFrom(file: string, from: number, emit: (bytes: Buffer) => void): { missing: number; readBack: number } | undefined {
  if (lstatSync(file, { throwIfNoEntry: false })?.isFile() !== true) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const missing = Math.max(0, stat.size - from);
    const start = stat.size - Math.min(missing, MAX_READ_BACK);
    const buffer = Buffer.alloc(64 * 1024);
    let read = 0;
    for (let got; start + read < stat.size && (got = readSync(fd, buffer, 0, Math.min(buffer.length, stat.size - start - read), start + read)) > 0; read += got) {
      emit(Buffer.from(buffer.subarray(0, got)));
    }
    return { missing, readBack: read };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A status is at most "255\n"; a few bytes more tell a longer file from it. */
const STATUS_BYTES = 8;

/**
 * The exit status a step's wrapper recorded, when it got to write one. Step-writable: only a regular file
 * counts, never what a link names, and never more than a few bytes of it — a FIFO would block the open (or
 * the read) for ever, a link to /dev/zero fill the memory. O_NONBLOCK: a FIFO put there between the lstat
 * and the open opens at once, and fstat turns it down.
 */
function readStatus(file: string): number | undefined {
  if (lstatSync(file, { throwIfNoEntry: false })?.isFile() !== true) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(STATUS_BYTES);
    const read = readSync(fd, buffer, 0, STATUS_BYTES, 0);
    return parseStatus(buffer.subarray(0, read).toString("utf8"));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already, or a folder a step left: forget() removes it with the container.
  }
}

/** Step-writable: anything but a plain status counts as none. */
function parseStatus(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d{1,3}$/.test(trimmed) && Number(trimmed) <= 255 ? Number(trimmed) : undefined;
}

function failure(error: string): StepResult {
  return { exitCode: null, output: "", error };
}

function warn(message: string): void {
  warnOnStderr(`docker runner: ${message}`);
}
