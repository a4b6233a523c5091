// Docker container actions (`runs.using: docker`) and `uses: docker://image`
// steps, run the way GitHub's runner runs them: one throw-away container per
// entrypoint (pre, main, post) with the workspace at /github/workspace, the
// step's file-command files under /github/file_commands, the event file's
// folder at /github/workflow, the tool cache at /github/toolcache, the job's
// HOME at /github/home and the action at /github/action. The engine is driven
// through the docker runner's DockerEngine (the docker CLI against DOCKER_HOST,
// Docker or podman). The container is named and removed explicitly instead of
// `--rm`, because podman's `docker run --rm` reports exit status 0 for a
// failing container (../../../shared/notes/container-engine.md): the status is
// read with `docker inspect` before the removal. The execution record
// (`.orun`), when it lies in the workspace, is mounted read-only over its place
// in /github/workspace, as in the docker runner's job containers
// (../docker/record-mask.ts): a container step can neither forge nor move it.
import { mkdir, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { DockerEngine } from "../docker/engine.js";
import { LABEL_HOST, LABEL_JOB_ID, LABEL_OWNER, LABEL_PID, bindMountArgs, containerName, ownerLabelValue } from "../docker/container.js";
import { recordFolder, recordMask } from "../docker/record-mask.js";
import { errorMessage } from "../../util/errors.js";
import { fileCommandRoot, runWithFileCommands, type CommandIO, type CommandRun } from "./command-run.js";
import { fileCommandEnv, type FileCommandPaths } from "./file-commands.js";
import type { JobState } from "./job-state.js";
import { spawnProcess } from "./process.js";
import { userRecord } from "./job-state.js";

export const GITHUB_WORKSPACE_DIR = "/github/workspace";
export const GITHUB_FILE_COMMANDS_DIR = "/github/file_commands";
export const GITHUB_WORKFLOW_DIR = "/github/workflow";
export const GITHUB_TOOLCACHE_DIR = "/github/toolcache";
export const GITHUB_HOME_DIR = "/github/home";
export const GITHUB_ACTION_DIR = "/github/action";

/** Where a container action's image comes from. */
export type ImageSource = { kind: "pull"; image: string } | { kind: "build"; dockerfile: string; context: string };

/** One container to run for a step (or a post hook). */
export interface ContainerCall {
  /** The step's `uses:` value, for messages. */
  uses: string;
  image: ImageSource;
  entrypoint?: string;
  args: string[];
  /** The step's environment before the in-container path overrides and file commands. */
  env: Record<string, string>;
  /** Host folder of the action (mounted at /github/action); none for docker:// steps. */
  actionDir?: string;
}

/**
 * `runs.image` of an action: `docker://X` is pulled, a file inside the action
 * folder is built, anything else is an image name (pulled when missing).
 */
export async function actionImageSource(image: string, actionDir: string): Promise<ImageSource> {
  const value = image.trim();
  if (value.startsWith("docker://")) return { kind: "pull", image: value.slice("docker://".length) };
  const file = path.resolve(actionDir, value);
  const rel = path.relative(actionDir, file);
  const inside = rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  if (inside && (await stat(file).catch(() => undefined))?.isFile()) return { kind: "build", dockerfile: file, context: actionDir };
  return { kind: "pull", image: value };
}

/**
 * `with.args` of a docker:// step or a container action without `runs.args`: a list's items as they are, or
 * a string split as GitHub's runner has it split. The runner appends the string to its `docker run` command
 * line, which .NET parses into arguments (ParseArgumentsIntoList): whitespace separates them (line breaks too,
 * which a YAML block value brings, so a trailing one is not glued to the last argument), double quotes
 * group (`""` inside quotes is a quote), and backslashes are literal except before a quote (`\"` is a quote,
 * `\\"` a backslash then a quoting quote). Single quotes are ordinary characters.
 */
export function splitArgs(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
  const text = String(value);
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
    if (i === text.length) break;
    let arg = "";
    let quoted = false;
    while (i < text.length) {
      let slashes = 0;
      while (text[i] === "\\") {
        slashes++;
        i++;
      }
      if (slashes > 0) {
        if (text[i] !== '"') arg += "\\".repeat(slashes);
        else {
          arg += "\\".repeat(Math.floor(slashes / 2));
          if (slashes % 2 === 1) {
            arg += '"';
            i++;
          }
        }
        continue;
      }
      const c = text[i]!;
      if (c === '"') {
        if (quoted && text[i + 1] === '"') {
          arg += '"';
          i++;
        } else quoted = !quoted;
        i++;
        continue;
      }
      if (!quoted && (c === " " || c === "\t" || c === "\n" || c === "\r")) break;
      arg += c;
      i++;
    }
    args.push(arg);
  }
  return args;
}

/** Runner-owned variables of the job's base environment; the host's own variables stay outside containers. */
const RUNNER_VARIABLES = /^(GITHUB_|RUNNER_|ACTIONS_)|^CI$/;

/**
 * The container's environment: runner variables, the step's environment, then
 * the paths as the container sees them (GitHub's in-container overrides).
 */
export function containerEnv(state: JobState, call: ContainerCall, files: FileCommandPaths): Record<string, string> {
  const env = userRecord();
  for (const [key, value] of Object.entries(state.baseEnv)) if (RUNNER_VARIABLES.test(key)) env[key] = value;
  Object.assign(env, call.env);
  const inContainer = (file: string): string => path.posix.join(GITHUB_FILE_COMMANDS_DIR, ...path.relative(fileCommandRoot(state), file).split(path.sep));
  for (const [key, file] of Object.entries(fileCommandEnv(files))) env[key] = inContainer(file);
  Object.assign(env, {
    GITHUB_WORKSPACE: GITHUB_WORKSPACE_DIR,
    GITHUB_EVENT_PATH: path.posix.join(GITHUB_WORKFLOW_DIR, path.basename(String(state.github.event_path))),
    RUNNER_TEMP: GITHUB_WORKFLOW_DIR,
    RUNNER_TOOL_CACHE: GITHUB_TOOLCACHE_DIR,
    HOME: GITHUB_HOME_DIR,
  });
  if (call.actionDir) env.GITHUB_ACTION_PATH = GITHUB_ACTION_DIR;
  else delete env.GITHUB_ACTION_PATH;
  return env;
}

/** Variables that steer the docker CLI itself are given inline; the rest are forwarded by name (values stay off the process list). */
const CLI_SENSITIVE = /^(DOCKER_|PATH$|HOME$|HTTPS?_PROXY$|NO_PROXY$|XDG_)/i;

function envArguments(env: Record<string, string>, hostEnv: NodeJS.ProcessEnv): { args: string[]; cliEnv: Record<string, string> } {
  const cliEnv = userRecord();
  for (const [key, value] of Object.entries(hostEnv)) if (value !== undefined) cliEnv[key] = value;
  const args: string[] = [];
  for (const key of Object.keys(env).sort()) {
    if (key === "" || key.includes("=") || key.includes("\0")) throw new Error(`invalid environment variable name ${JSON.stringify(key)}`);
    const value = env[key]!;
    if (CLI_SENSITIVE.test(key)) {
      args.push("--env", `${key}=${value}`);
    } else {
      cliEnv[key] = value;
      args.push("--env", key);
    }
  }
  return { args, cliEnv };
}

/** The engine, images and live containers of one runner instance. */
export class ContainerActions {
  private readonly engine: DockerEngine;
  /** Labels every container, so the docker runner's orphan sweep finds those of a crashed run. */
  private readonly owner = randomBytes(6).toString("hex");
  private probe?: Promise<void>;
  /** Pulls (or presence checks) per image, builds per Dockerfile: once per runner instance. */
  private readonly pulls = new Map<string, Promise<string>>();
  private readonly builds = new Map<string, Promise<string>>();
  private readonly live = new Set<string>();
  /** Links on the record's path already warned about (see record-mask.ts). */
  private readonly warnedLinks = new Set<string>();

  constructor(hostEnv: NodeJS.ProcessEnv) {
    this.engine = new DockerEngine(hostEnv);
  }

  /** Probed once per runner instance: a missing engine fails every container step at once, not after a timeout each. */
  private async ensureEngine(uses: string): Promise<void> {
    this.probe ??= this.engine.probe().then(() => undefined);
    try {
      await this.probe;
    } catch (err) {
      const why = errorMessage(err).replace(/^docker runner: /, "");
      throw new Error(`docker container action ${uses} needs a container engine: ${why} (set DOCKER_HOST)`);
    }
  }

  private once(cache: Map<string, Promise<string>>, key: string, make: () => Promise<string>): Promise<string> {
    let pending = cache.get(key);
    if (!pending) {
      pending = make();
      cache.set(key, pending);
      // A failed pull or build may be tried again by a later step.
      pending.catch(() => cache.delete(key));
    }
    return pending;
  }

  /**
   * Pulls or builds an action's image ahead of its step (GitHub's "Set up job" does so for every container
   * action of a job); the step then finds it ready (see `once`). Throws naming the action when it cannot.
   */
  async prepare(uses: string, source: ImageSource, signal: AbortSignal): Promise<void> {
    await this.ensureEngine(uses);
    await this.image(uses, source, signal);
  }

  /** The image reference to run, pulling or building it first when needed. */
  private async image(uses: string, source: ImageSource, signal: AbortSignal): Promise<string> {
    if (source.kind === "build") {
      return this.once(this.builds, source.dockerfile, async () => {
        try {
          return await this.engine.build(source.dockerfile, source.context, signal);
        } catch (err) {
          throw new Error(`docker container action ${uses}: ${errorMessage(err)}`);
        }
      });
    }
    if (source.image === "") throw new Error(`docker container action ${uses}: no image named`);
    return this.once(this.pulls, source.image, async () => {
      if (await this.engine.imageExists(source.image, signal)) return source.image;
      try {
        await this.engine.pull(source.image, signal);
      } catch (err) {
        throw new Error(`docker container action ${uses}: ${errorMessage(err).replace(/^docker runner: /, "")}`);
      }
      return source.image;
    });
  }

  /** Runs one container to its end, through file-command and workflow-command handling. */
  async run(call: ContainerCall, state: JobState, io: CommandIO): Promise<CommandRun> {
    await this.ensureEngine(call.uses);
    const workspace = String(state.github.workspace);
    // The job's folder lies in the run's scratch folder, inside the execution record.
    const mask = recordMask(workspace, recordFolder(state.folder), GITHUB_WORKSPACE_DIR);
    if (mask.error !== undefined) throw new Error(`docker container action ${call.uses}: ${mask.error}`);
    if (mask.exposedLink !== undefined && !this.warnedLinks.has(mask.exposedLink)) {
      this.warnedLinks.add(mask.exposedLink);
      io.emit(
        `warning: the execution record is reached through the link ${mask.exposedLink} inside the workspace: container steps can replace that link and so move where orun writes the record; make it a real folder, or keep the link outside the workspace`,
      );
    }
    const image = await this.image(call.uses, call.image, io.signal);
    const eventDir = path.dirname(String(state.github.event_path));
    const toolCache = state.baseEnv.RUNNER_TOOL_CACHE ?? path.join(state.temp, "toolcache");
    const home = state.baseEnv.HOME ?? path.join(state.temp, "home");
    await Promise.all([toolCache, home, fileCommandRoot(state)].map((dir) => mkdir(dir, { recursive: true })));
    return runWithFileCommands(state, io, { ...state.baseEnv, ...call.env }, async (files, onLine) => {
      const name = containerName("gha", state.jobId);
      let env: { args: string[]; cliEnv: Record<string, string> };
      try {
        env = envArguments(containerEnv(state, call, files), this.engine.hostEnv);
      } catch (err) {
        return { exitCode: null, timedOut: false, error: errorMessage(err) };
      }
      const args = [
        "run",
        "--name", name,
        "--label", `${LABEL_OWNER}=${this.owner}`,
        "--label", `${LABEL_JOB_ID}=${state.jobId}`,
        "--label", `${LABEL_HOST}=${os.hostname()}`,
        "--label", `${LABEL_PID}=${ownerLabelValue(process.pid)}`,
        "--pull", "never",
        ...bindMountArgs(workspace, GITHUB_WORKSPACE_DIR),
        // After the workspace: each goes over its place in it.
        ...mask.mounts.flatMap((mount) => bindMountArgs(mount.hostDir, mount.target, mount.readOnly)),
        ...bindMountArgs(fileCommandRoot(state), GITHUB_FILE_COMMANDS_DIR),
        ...bindMountArgs(eventDir, GITHUB_WORKFLOW_DIR),
        ...bindMountArgs(toolCache, GITHUB_TOOLCACHE_DIR),
        ...bindMountArgs(home, GITHUB_HOME_DIR),
        ...(call.actionDir ? bindMountArgs(call.actionDir, GITHUB_ACTION_DIR) : []),
        "--workdir", GITHUB_WORKSPACE_DIR,
        ...env.args,
        ...(call.entrypoint ? ["--entrypoint", call.entrypoint] : []),
        image,
        ...call.args,
      ];
      this.live.add(name);
      try {
        const outcome = await spawnProcess({ command: "docker", args, cwd: workspace, env: env.cliEnv, signal: io.signal, onLine, masker: state.masker });
        if (io.signal.aborted) return outcome;
        // The container's own status (see the header on podman's `--rm`).
        const inspected = await this.engine.cli(["container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]);
        const [status, code] = inspected.stdout.trim().split(" ");
        if (inspected.code === 0 && status === "created") return { ...outcome, error: `the container did not start: ${await this.startFailure(name, outcome.error)}` };
        if (inspected.code !== 0 || status !== "exited" || code === undefined || !/^\d+$/.test(code)) return outcome;
        const exitCode = Number(code);
        return { exitCode, timedOut: false, error: exitCode === 0 ? undefined : `exit status ${exitCode}` };
      } finally {
        // Also kills a container whose step timed out or was cancelled.
        await this.engine.remove([name]).catch((err: unknown) => io.emit(`warning: could not remove container ${name}: ${errorMessage(err)}`));
        this.live.delete(name);
      }
    });
  }

  /**
   * Why a container never started (a missing entrypoint, say). podman's
   * attach then reports only "unable to upgrade to tcp"; starting the created
   * container once more, detached, makes the engine say what is wrong.
   */
  private async startFailure(name: string, fallback: string | undefined): Promise<string> {
    const retry = await this.engine.cli(["start", name]).catch(() => undefined);
    const reason = retry?.stderr
      .split("\n")
      .map((line) => line.trim().replace(/^Error( response from daemon)?:\s*/, ""))
      .find((line) => line !== "");
    return reason || fallback || "no reason given by the engine";
  }

  /** Removes containers still alive (a run interrupted mid-step). */
  async cleanup(): Promise<void> {
    const names = [...this.live];
    this.live.clear();
    await this.engine.remove(names).catch(() => undefined);
  }
}
