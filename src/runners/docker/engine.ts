// The container engine as seen through the `docker` CLI. The CLI honours
// DOCKER_HOST, contexts and TLS settings the same way for Docker and for
// podman's Docker-compatible socket, so the runner never speaks the HTTP API
// itself. Every call gets the host environment (for those settings); step
// environments never reach this module.
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { OrunError } from "../../util/errors.js";
import os from "node:os";
import { type DockerInfo, type RootlessFacts, engineRunsAsUser, infoFacts, vmToolSocket } from "./rootless.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface EngineInfo {
  serverVersion: string;
  /** Container root is the invoking host user (rootless Docker or podman). */
  rootless: boolean;
}

/** Engine calls that are not steps (probe, pull, create, remove) must not hang a run forever. */
const CONTROL_TIMEOUT_MS = 60_000;
const PULL_TIMEOUT_MS = 30 * 60_000;

export class DockerEngine {
  constructor(readonly hostEnv: NodeJS.ProcessEnv) {}

  /** Where the CLI will connect, for error messages. */
  describeHost(): string {
    if (this.hostEnv.DOCKER_HOST) return this.hostEnv.DOCKER_HOST;
    if (this.hostEnv.DOCKER_CONTEXT) return `docker context "${this.hostEnv.DOCKER_CONTEXT}"`;
    return "the docker CLI's default (unix:///var/run/docker.sock unless a context is active)";
  }

  /**
   * Runs `docker <args>` and captures its output; rejects only when the CLI
   * cannot be started or the call is canceled. The CLI gets its own process
   * group: a terminal's Ctrl-C goes to orun's group, and orun decides what to
   * stop (a `docker run` interrupted mid-request leaves its container behind,
   * and podman sometimes a half-created one that breaks `docker ps -a`).
   */
  cli(args: string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CliResult> {
    const timeoutMs = options.timeoutMs ?? CONTROL_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new OrunError("docker runner: canceled"));
        return;
      }
      const child = spawn("docker", args, { env: this.hostEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
      child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
      let timedOut = false;
      const kill = (): void => {
        child.kill("SIGKILL");
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
      options.signal?.addEventListener("abort", kill, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", kill);
      };
      child.on("error", (err: NodeJS.ErrnoException) => {
        settle();
        reject(
          new OrunError(
            err.code === "ENOENT"
              ? "docker runner: the docker CLI was not found on PATH (install Docker, or the docker CLI with an engine it reaches through DOCKER_HOST, such as podman's Docker-compatible socket)"
              : `docker runner: could not run the docker CLI: ${err.message}`,
          ),
        );
      });
      child.on("close", (code) => {
        settle();
        if (options.signal?.aborted) reject(new OrunError("docker runner: canceled"));
        else if (timedOut) resolve({ code: -1, stdout, stderr: `${stderr}\ndocker ${args[0]} did not finish within ${Math.round(timeoutMs / 1000)}s` });
        else resolve({ code: code ?? 1, stdout, stderr });
      });
    });
  }

  /** Fails with a clear error when no engine answers. `hostUid`: the invoking user (the process's own by default). */
  async probe(hostUid: number | undefined = process.getuid?.()): Promise<EngineInfo> {
    const result = await this.cli(["info", "--format", "{{json .}}"], { timeoutMs: 30_000 });
    const info = parseInfo(result.stdout);
    const version = typeof info?.ServerVersion === "string" ? info.ServerVersion : "";
    if (result.code !== 0 || info === undefined || version === "") {
      // Without DOCKER_HOST or a context the CLI tried its default socket: say how to point it at an engine.
      const hint = this.hostEnv.DOCKER_HOST || this.hostEnv.DOCKER_CONTEXT ? "" : "; start an engine there, or set DOCKER_HOST to the one to use (podman: unix://$XDG_RUNTIME_DIR/podman/podman.sock)";
      throw new OrunError(`docker runner: no container engine reachable at ${this.describeHost()}: ${firstLine(result.stderr) || "no answer"}${hint}`);
    }
    const facts = infoFacts(info);
    // The host's side is asked only of a non-root user whose engine does not say it is rootless.
    let host: Pick<RootlessFacts, "socketOwner" | "dataRootOwner" | "vmSocket"> = { socketOwner: undefined, dataRootOwner: undefined };
    if (!facts.securityOptions.includes("rootless") && hostUid !== undefined && hostUid !== 0) {
      const socket = await this.socketPath();
      host = {
        socketOwner: socket === undefined ? undefined : await ownerOf(socket),
        dataRootOwner: typeof info.DockerRootDir === "string" ? await ownerOf(info.DockerRootDir) : undefined,
        vmSocket: socket !== undefined && vmToolSocket(socket, this.hostEnv.HOME ?? os.homedir(), this.hostEnv),
      };
    }
    const rootless = engineRunsAsUser({ ...facts, ...host, hostUid, hostPlatform: process.platform, hostKernel: os.release() });
    return { serverVersion: version, rootless };
  }

  /** The unix socket the CLI connects to (DOCKER_HOST, else the active context's); undefined for other transports. */
  private async socketPath(): Promise<string | undefined> {
    let endpoint = this.hostEnv.DOCKER_HOST;
    if (endpoint === undefined || endpoint === "") {
      const context = await this.cli(["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"]).catch(() => undefined);
      endpoint = context?.code === 0 ? context.stdout.trim() : "";
    }
    return endpoint.startsWith("unix://") ? endpoint.slice("unix://".length) : undefined;
  }

  async imageExists(image: string, signal?: AbortSignal): Promise<boolean> {
    const result = await this.cli(["image", "inspect", "--format", "{{.Id}}", image], { signal });
    return result.code === 0;
  }

  async pull(image: string, signal?: AbortSignal): Promise<void> {
    const result = await this.cli(["pull", image], { timeoutMs: PULL_TIMEOUT_MS, signal });
    if (result.code !== 0) {
      throw new OrunError(`docker runner: failed to pull image ${image}: ${errorLine(result.stderr) || lastLine(result.stdout) || `exit status ${result.code}`}`);
    }
  }

  /** `docker build -q -f <file> <context>`; returns the built image's ID. */
  async build(file: string, context: string, signal?: AbortSignal): Promise<string> {
    const result = await this.cli(["build", "--quiet", "--file", file, context], { timeoutMs: PULL_TIMEOUT_MS, signal });
    const id = lastLine(result.stdout);
    if (result.code !== 0 || id === "") {
      throw new OrunError(`failed to build ${file}: ${errorLine(result.stderr) || `exit status ${result.code}`}`);
    }
    return id;
  }

  /**
   * Creates and starts a detached container; returns its ID. Never aborted
   * half-way: an engine finishes a creation whose client went away, after
   * the caller's clean-up has looked for the container.
   */
  async runDetached(args: string[]): Promise<string> {
    const result = await this.cli(["run", "--detach", ...args]);
    if (result.code !== 0) throw new Error(errorLine(result.stderr) || `exit status ${result.code}`);
    return result.stdout.trim();
  }

  /** Force-removes containers (killing what runs in them); missing ones are fine. */
  async remove(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const result = await this.cli(["rm", "--force", "--volumes", ...names]);
    if (result.code !== 0 && !/no such container/i.test(result.stderr)) {
      throw new Error(errorLine(result.stderr) || `exit status ${result.code}`);
    }
  }

  /**
   * Whether a container runs: `running`, `stopped` (or gone), or `unknown` with the reason when the
   * engine did not answer (it stopped, or the connection to it broke).
   */
  async containerState(name: string): Promise<{ state: "running" | "stopped" } | { state: "unknown"; reason: string }> {
    const result = await this.cli(["container", "inspect", "--format", "{{.State.Running}}", name]);
    if (result.code === 0) return { state: result.stdout.trim() === "true" ? "running" : "stopped" };
    if (/no such (container|object)/i.test(result.stderr)) return { state: "stopped" };
    return { state: "unknown", reason: firstLine(result.stderr) || `exit status ${result.code}` };
  }

  /** Containers carrying a label, with the value of another label of theirs; throws when the engine cannot list them. */
  async containersWithLabelValue(label: string, valueOf: string): Promise<Array<{ name: string; value: string }>> {
    const result = await this.cli(["ps", "--all", "--filter", `label=${label}`, "--format", `{{.Names}}\t{{.Label "${valueOf}"}}`]);
    if (result.code !== 0) throw new Error(`docker ps failed: ${errorLine(result.stderr) || `exit status ${result.code}`}`);
    return result.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => {
        const [name = "", value = ""] = line.split("\t");
        return { name: name.trim(), value: value.trim() };
      });
  }

  /** Names of containers (running or not) carrying a label; throws when the engine cannot list them. */
  async containersWithLabel(label: string): Promise<string[]> {
    const result = await this.cli(["ps", "--all", "--quiet", "--filter", `label=${label}`, "--format", "{{.Names}}"]);
    if (result.code !== 0) throw new Error(`docker ps failed: ${errorLine(result.stderr) || `exit status ${result.code}`}`);
    return result.stdout.split("\n").map((line) => line.trim()).filter(Boolean);
  }
}

/**
 * Owner of an absolute path on this host; undefined when it is not one or is not there. A path hidden from
 * this user (a folder of root's on the way, mode 700) is someone else's: -1.
 */
async function ownerOf(file: string): Promise<number | undefined> {
  if (!file.startsWith("/")) return undefined;
  try {
    return (await stat(file)).uid;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "EACCES" || code === "EPERM" ? -1 : undefined;
  }
}

/** `docker info`'s JSON; undefined when the CLI printed none (or something else). */
function parseInfo(stdout: string): DockerInfo | undefined {
  try {
    const parsed: unknown = JSON.parse(stdout);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as DockerInfo) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split("\n").map((line) => line.trim()).find(Boolean) ?? "";
}

/**
 * The reason in the CLI's error output: its last line, leaving out the pointer to `--help` the CLI ends
 * some errors with ("Run 'docker run --help' for more information") and its "docker: " prefix.
 */
function errorLine(text: string): string {
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !/^(Run|See) 'docker [^']*--help'/.test(line));
  return (lines.pop() ?? "").replace(/^docker: /, "");
}

function lastLine(text: string): string {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).pop() ?? "";
}
