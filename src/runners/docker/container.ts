// Pure pieces of the job container: its name, the `docker run` arguments that
// create it, where a host directory appears inside it, and the `docker exec`
// invocation of one step. Kept free of I/O so each rule is unit-tested.
import path from "node:path";
import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { isAlive, processStartTicks } from "../../runtime/records/lock.js";
import { longestExecString, MAX_ARG_STRLEN } from "../process/exec-limits.js";
import { envRecord } from "../../runtime/step-env.js";

export const CONTAINER_WORKSPACE = "/workspace";
/** Read-only mount of the job's script files (steps whose `shell:` takes a `{0}` file). */
export const CONTAINER_SCRIPTS = "/__orun/scripts";
/** Writable mount where each step records its process group, so a timeout can stop just that step. */
export const CONTAINER_RUN = "/__orun/run";
export const LABEL_EXEC_ID = "io.orun.exec-id";
export const LABEL_JOB_ID = "io.orun.job-id";
/** Identifies the runner instance that owns a container, for cleanup after Ctrl-C. */
export const LABEL_OWNER = "io.orun.owner";
/**
 * Host and pid of the orun process that owns a container (`<pid>@<start ticks>@<pid namespace>` where
 * procfs tells them: a pid reused by another process does not keep an orphan alive, and a pid of another
 * pid namespace — an orun in a container sharing the host's name, as with --network host — is not
 * judged by this one's processes): orphans of a crashed run are found by them.
 */
export const LABEL_HOST = "io.orun.host";
export const LABEL_PID = "io.orun.pid";

/**
 * A FIFO that the orun process owning the container holds open. When that process ends, however it ends
 * (SIGKILL, a CI job stopped, the OOM killer), the kernel closes its end and the container's main process
 * reads end-of-file: it exits, which stops every step process in the container. A killed run leaves nothing
 * running; the stopped container is removed by the next docker run's orphan sweep (not `--rm`: podman
 * does not remove a container whose start failed, and `docker run --rm` then waits for that for ever).
 * The container unlinks the FIFO once it holds it open, so a killed run leaves no FIFO in its execution
 * record either (a tool reading every file there, such as an artifact upload of .orun/, would block on it).
 */
export const CONTAINER_OWNER_PIPE = `${CONTAINER_RUN}/.orun-owner`;

/** The line the owner writes into its pipe first (OWNER_HELLO): proof the pipe is really shared with it. */
export const OWNER_HELLO = "orun";

/**
 * The container's main process: keeps the container alive between steps (steps arrive through `docker
 * exec`) until it is removed, reaping the processes steps leave behind (the loop's `wait`: a killed
 * background process must not stay a zombie that `kill -0` still finds). A reader in the background ends
 * it when its owner goes: the pipe counts only once the owner's hello line came through it — a pipe the
 * engine does not share with the host (a file system of a VM), or one that cannot be opened, never ends
 * the container. Later lines (a step writing into the pipe) are ignored: only end-of-file ends it.
 */
export function keepalive(ownerPipe: boolean): string {
  // TERM reaches pid 1 only because it traps it: the trap comes first.
  const trap = "trap 'exit 0' TERM INT";
  const untilRemoved = "while :; do sleep 3600 & wait $!; done";
  if (!ownerPipe) return `${trap}; ${untilRemoved}`;
  const pipe = CONTAINER_OWNER_PIPE;
  // A failed redirection only ends the reader.
  const reader = `( read -r _ || exit 0; rm -f ${pipe}; while read -r _; do :; done; kill -TERM 1 ) < ${pipe} &`;
  return `${trap}; if [ -p ${pipe} ]; then ${reader} fi; ${untilRemoved}`;
}

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
function slug(text: string, max: number): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").replace(/-+$/, "");
  return cleaned.slice(0, max).replace(/[-.]+$/, "") || "x";
}

/** `orun-<exec>-<job>-<random>`: readable, and unique across concurrent jobs and runs. */
export function containerName(execId: string, jobId: string, random: string = randomBytes(4).toString("hex")): string {
  return `orun-${slug(execId, 40)}-${slug(jobId, 60)}-${random}`;
}

/** Where a host path inside the workspace appears in the container; undefined when outside. */
export function containerPath(workspaceDir: string, hostPath: string): string | undefined {
  const relative = path.relative(path.resolve(workspaceDir), path.resolve(hostPath));
  if (relative === "") return CONTAINER_WORKSPACE;
  if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return undefined;
  return path.posix.join(CONTAINER_WORKSPACE, ...relative.split(path.sep));
}

/** A bind mount. `-v` cannot carry a `:` in either path, `--mount` (on podman) no `,`. */
export function bindMountArgs(hostDir: string, target: string, readOnly = false): string[] {
  const source = path.resolve(hostDir);
  if (!source.includes(":") && !target.includes(":")) return ["--volume", `${source}:${target}${readOnly ? ":ro" : ""}`];
  if (!source.includes(",") && !target.includes(",")) return ["--mount", `type=bind,source=${source},target=${target}${readOnly ? ",readonly" : ""}`];
  throw new Error(`${source} cannot be mounted at ${target} in a container: between them the paths contain both ':' and ','`);
}

export interface ContainerSpec {
  name: string;
  image: string;
  workspaceDir: string;
  /** Host directory holding the job's step scripts. */
  scriptsDir: string;
  /** Host directory of the steps' process-group files. */
  runDir: string;
  execId: string;
  jobId: string;
  owner: string;
  host: string;
  pid: number;
  /** The owner's start time (processStartTicks), when known. */
  pidStart?: number;
  user?: string;
  /** Whether runDir holds the owner pipe (CONTAINER_OWNER_PIPE) the owner keeps open. */
  ownerPipe?: boolean;
  /** Mounts inside the workspace that keep the execution record from the steps (see record-mask.ts), shallowest first. */
  recordMounts?: Array<{ hostDir: string; target: string; readOnly: boolean }>;
}

/** Arguments after `docker run --detach`. */
export function createContainerArgs(spec: ContainerSpec): string[] {
  return [
    "--name", spec.name,
    "--label", `${LABEL_EXEC_ID}=${spec.execId}`,
    "--label", `${LABEL_JOB_ID}=${spec.jobId}`,
    "--label", `${LABEL_OWNER}=${spec.owner}`,
    "--label", `${LABEL_HOST}=${spec.host}`,
    "--label", `${LABEL_PID}=${ownerLabelValue(spec.pid, spec.pidStart)}`,
    // The image was pulled (or refused) by the runner's pull policy already.
    "--pull", "never",
    ...(spec.user ? ["--user", spec.user] : []),
    ...bindMountArgs(spec.workspaceDir, CONTAINER_WORKSPACE),
    // After the workspace: each goes over its place in it.
    ...(spec.recordMounts ?? []).flatMap((mount) => bindMountArgs(mount.hostDir, mount.target, mount.readOnly)),
    ...bindMountArgs(spec.scriptsDir, CONTAINER_SCRIPTS, true),
    ...bindMountArgs(spec.runDir, CONTAINER_RUN),
    "--workdir", CONTAINER_WORKSPACE,
    "--entrypoint", "sh",
    spec.image,
    "-c", keepalive(spec.ownerPipe === true),
  ];
}

/**
 * Variables that steer the docker CLI process on the host — the CLI itself
 * (DOCKER_*, BUILDX_*, config dirs), its Go runtime (GODEBUG, GOMAXPROCS…),
 * TLS roots, proxies, resolver, ssh agent (ssh:// hosts), time zone, temp
 * dir, and the dynamic loader and libc of a dynamically linked CLI
 * (LD_PRELOAD, GLIBC_TUNABLES…). A step's value for them goes inline, so it
 * reaches only the container.
 */
const CLI_SENSITIVE = new RegExp(
  "^(?:DOCKER_|BUILDX_|BUILDKIT_|NOTARY_|XDG_|LD_|MALLOC_|SSL_CERT_|GO(?:DEBUG|GC|MAXPROCS|MEMLIMIT|TRACEBACK|RACE|COVERDIR)$" +
    "|(?:PATH|HOME|TMPDIR|TZ|ZONEINFO|GLIBC_TUNABLES|GCONV_PATH|LOCPATH|NLSPATH|HOSTALIASES|LOCALDOMAIN|RES_OPTIONS|REQUEST_METHOD|SSH_AUTH_SOCK)$" +
    "|(?:HTTPS?|NO|ALL)_PROXY$)",
  "i",
);

export interface StepExec {
  /** `docker` arguments. */
  args: string[];
  /** Environment of the docker CLI process: the host's, plus step values forwarded by name. */
  cliEnv: Record<string, string>;
}

/**
 * The `docker exec` of one step. The step's variables — and only those — are
 * named with `--env KEY`, which makes the CLI forward its own value: values
 * stay out of the process list and may span lines. Variables that would steer
 * the CLI are given inline instead.
 */
export function stepExec(options: {
  container: string;
  workdir: string;
  env: Record<string, string>;
  hostEnv: NodeJS.ProcessEnv;
  command: string[];
}): StepExec {
  // Null-prototype: a variable named `__proto__` is an ordinary key (on `{}` its assignment was lost, and the
  // engine refused the `--env __proto__` forwarded without a value).
  const cliEnv = envRecord();
  for (const [key, value] of Object.entries(options.hostEnv)) if (value !== undefined) cliEnv[key] = value;
  const envArgs: string[] = [];
  for (const key of Object.keys(options.env).sort()) {
    if (key === "" || key.includes("=") || key.includes("\0")) throw new Error(`invalid environment variable name ${JSON.stringify(key)}`);
    const value = options.env[key]!;
    if (value.includes("\0")) throw new Error(`environment variable ${key}: its value contains a NUL byte, which no process environment can carry`);
    if (CLI_SENSITIVE.test(key)) {
      envArgs.push("--env", `${key}=${value}`);
    } else {
      cliEnv[key] = value;
      envArgs.push("--env", key);
    }
  }
  return { args: ["exec", "--workdir", options.workdir, ...envArgs, options.container, ...options.command], cliEnv };
}

/** How long a step's `tee` is waited for after its command ended, in tenths of a second (see recordingGroup). */
const TEE_WAIT_TENTHS = 20;

/**
 * A step command that records its process group in `<record>.pid` first (the engine starts every exec'd
 * process as a session and process-group leader, so `$$` names the step's group) and its exit status
 * in `<record>.status` last. The status file is how the runner knows the step really ended: the docker
 * CLI exits 0 when its connection to the engine breaks mid-step.
 *
 * Its output (stdout and stderr, combined as orun shows them anyway) also goes through `tee` to
 * `<record>.out`: a stream that ended before the step did (a relay that drops half-closed connections
 * ends it at once) brought fewer bytes than that copy holds, so the runner tells a cut stream from a
 * complete one and reads the rest back. Fds 3 and 4 carry the real output and the status past the pipe
 * (plain sh has no pipefail); the step gets neither. Without `tee` in the image, or where the copy cannot
 * be made, the step runs as it is, uncopied.
 *
 * The step ends when its command does, as it did before the copy: a process it left in the background
 * (`./server &`) holds the pipe open, so `tee` runs in the background and is waited for (its
 * `<record>.teed` mark) at most TEE_WAIT_TENTHS tenths of a second: it drains what the command wrote at
 * once; only a background writer keeps it longer, and that one's later output is not the step's (the
 * engine ends the stream when the step's shell exits). A mark, not `kill -0`: an orphaned tee's zombie
 * answers that until someone reaps it.
 */
export function recordingGroup(command: string[], record: string): string[] {
  const copied =
    `exec 3>&1; rm -f ${record}.teed; ` +
    // Only tee goes to the background: sh starts an asynchronous list with SIGINT and SIGQUIT ignored (job
    // control off), which the step must not inherit, and with stdin from /dev/null, hence fd 5. The mark
    // is not left behind once the runner removed the step's files (a late tee, after a background writer).
    `s=$( { { "$@" 3>&- 4>&-; echo $? >&4; } 2>&1 | { exec >&3 3>&- 4>&- 5<&0; { tee ${record}.out <&5 5<&-; [ -e ${record}.out ] && : > ${record}.teed; } & }; } 4>&1 ); [ -n "$s" ] || s=1; ` +
    // A few looks before the first sleep: tee usually ends a moment after the command.
    `i=0; until [ -e ${record}.teed ] || [ $i -ge ${TEE_WAIT_TENTHS + 1000} ]; do i=$((i+1)); [ $i -le 1000 ] || sleep 0.1 2>/dev/null || :; done; rm -f ${record}.teed`;
  return [
    "sh",
    "-c",
    `{ echo $$ > ${record}.pid; } 2>/dev/null; ` +
      `if command -v tee >/dev/null 2>&1 && { : > ${record}.out; } 2>/dev/null; then ${copied}; else "$@"; s=$?; fi; ` +
      `{ echo $s > ${record}.status; } 2>/dev/null; exit $s`,
    "orun-step",
    ...command,
  ];
}

/** What killGroupCommand prints once the kill is done. */
export const KILLED = "killed";

/**
 * Kills the process group a step recorded, with shell builtins only. The file
 * is writable by steps: anything but a plain pid above 1 (`-1` would be every
 * process) fails, and the caller removes the container instead. Success is the
 * word KILLED, not the exit status: the docker CLI exits 0 when its stream
 * breaks, before the command in the container has even run.
 */
export function killGroupCommand(pidFile: string): string[] {
  return ["sh", "-c", `[ -f ${pidFile} ] && ! [ -h ${pidFile} ] && read -r group < ${pidFile} || exit 1; case $group in ''|*[!0-9]*|0|1) exit 1;; esac; kill -KILL -"$group" && echo ${KILLED}`];
}

/**
 * Asks after a step that left no status file the host can read (see recordingGroup), with shell builtins
 * only. It prints one word — `status <n>` when the container has the status, else `none` when there is no
 * group file either (the step has not started, or removed it), `running` while a process of the step's
 * group is alive, `ended` when none is, `unknown` when the group file holds no plain pid above 1 — since
 * the docker CLI's exit status alone is no proof (it exits 0 when its stream breaks).
 */
export function probeStepCommand(record: string): string[] {
  return [
    "sh",
    "-c",
    // A regular file only, read by one line: a step may have put a FIFO there (cat would wait for ever).
    `{ [ -f ${record}.status ] && ! [ -h ${record}.status ] && read -r s < ${record}.status; } 2>/dev/null && case $s in ''|*[!0-9]*) ;; *) echo "status $s"; exit 0;; esac; ` +
      `{ [ -e ${record}.pid ] || [ -h ${record}.pid ]; } || { echo none; exit 0; }; ` +
      `{ [ -f ${record}.pid ] && ! [ -h ${record}.pid ] && read -r group < ${record}.pid; } 2>/dev/null || { echo unknown; exit 0; }; ` +
      `case $group in ''|*[!0-9]*|0|1) echo unknown; exit 0;; esac; ` +
      `if kill -0 -"$group" 2>/dev/null; then echo running; else echo ended; fi`,
  ];
}

/**
 * LABEL_PID's value: `<pid>@<start ticks>@<pid namespace>` for a process of this pid namespace; the pid
 * alone where the start is unknown (no procfs).
 */
export function ownerLabelValue(pid: number, start: number | undefined = processStartTicks(pid)): string {
  if (start === undefined) return String(pid);
  const namespace = pidNamespace();
  return namespace !== undefined ? `${pid}@${start}@${namespace}` : `${pid}@${start}`;
}

/**
 * Whether the orun process a container's LABEL_PID names still runs, as far as this process can tell:
 * the same pid started at the same time. An owner in another pid namespace is out of sight, and taken
 * to be alive: its containers are never touched from here.
 */
export function ownerAlive(label: string): boolean {
  const [pidText = "", startText, namespace] = label.split("@");
  if (namespace !== undefined && namespace !== pidNamespace()) return true;
  const pid = Number(pidText);
  if (!processAlive(pid)) return false;
  if (startText === undefined) return true; // labelled before start times were recorded
  const started = processStartTicks(pid);
  return started === undefined || String(started) === startText;
}

let cachedNamespace: string | undefined | null = null;
/** This process's pid namespace (`pid:[4026531836]` → `4026531836`); undefined without procfs. */
export function pidNamespace(): string | undefined {
  if (cachedNamespace === null) {
    try {
      cachedNamespace = /^pid:\[(\d+)\]$/.exec(readlinkSync("/proc/self/ns/pid"))?.[1];
    } catch {
      cachedNamespace = undefined;
    }
  }
  return cachedNamespace;
}

/** Whether a process of this host is alive: a zombie (killed, not yet reaped) is not. */
export function processAlive(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

/**
 * Why the kernel would refuse to start a step's `docker exec` (E2BIG), naming what is too long — a
 * variable the CLI forwards, or the step's script — else undefined. The container's exec has the same
 * limit, so such a step cannot run there either; "spawn E2BIG" named nothing.
 */
export function oversizedExec(exec: StepExec, stepEnv: Record<string, string>): string | undefined {
  const longest = longestExecString(stepEnv, exec.args);
  if (longest.bytes < MAX_ARG_STRLEN) return undefined;
  return `${longest.name} is ${longest.bytes} bytes, over the ${MAX_ARG_STRLEN / 1024} KiB Linux allows for one${longest.kind === "argument" ? " argument" : ""} (E2BIG)`;
}
