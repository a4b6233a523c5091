// Provides a real Docker-API engine to the docker tests: DOCKER_HOST from the
// environment when it answers, else whatever scripts/setup-container-engine.sh
// sets up (podman serving the Docker API, plus the busybox test image). The
// suite may skip only when no engine can be had AND ORUN_REQUIRE_ENGINES is
// not 1; in CI (ORUN_REQUIRE_ENGINES=1) a missing engine is a failure.
import { execFile } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "./cli.js";

export const TEST_IMAGE = process.env.ORUN_TEST_IMAGE ?? "localhost/orun-test:latest";
export const SETUP_SCRIPT = path.join(PROJECT_ROOT, "scripts/setup-container-engine.sh");

export interface ContainerEngine {
  /** Value for DOCKER_HOST ("" = the docker CLI's own default). */
  dockerHost: string;
  /** Host environment with DOCKER_HOST set, for runners and docker CLI calls. */
  env: NodeJS.ProcessEnv;
}

export type EngineAvailability = { engine: ContainerEngine; skip?: undefined } | { engine?: undefined; skip: string };

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === "number" ? Number((error as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr: error && !stderr ? error.message : stderr });
    });
  });
}

function withHost(dockerHost: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (dockerHost) env.DOCKER_HOST = dockerHost;
  else delete env.DOCKER_HOST;
  return env;
}

let provided: Promise<EngineAvailability> | undefined;

/** Memoised per test process. Throws when engines are required and none can be provided. */
export function provideContainerEngine(): Promise<EngineAvailability> {
  provided ??= (async () => {
    let problem: string;
    // The setup script is idempotent and also (re)builds the test image.
    const setup = await run("bash", [SETUP_SCRIPT], process.env, 15 * 60_000);
    if (setup.code === 0) {
      const dockerHost = setup.stdout.trim().split("\n").pop() ?? "";
      const env = withHost(dockerHost);
      const image = await run("docker", ["image", "inspect", "--format", "{{.Id}}", TEST_IMAGE], env, 60_000);
      if (image.code === 0) return { engine: { dockerHost, env } };
      problem = `test image ${TEST_IMAGE} is missing: ${image.stderr.trim()}`;
    } else {
      problem = `scripts/setup-container-engine.sh failed (exit ${setup.code}): ${setup.stderr.trim().split("\n").slice(-5).join(" | ")}`;
    }
    if (process.env.ORUN_REQUIRE_ENGINES === "1") {
      throw new Error(`ORUN_REQUIRE_ENGINES=1 but no container engine could be provided: ${problem}`);
    }
    return { skip: `no container engine: ${problem}` };
  })();
  return provided;
}

/** Runs a docker CLI command against the provided engine (for assertions). */
export function docker(engine: ContainerEngine, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run("docker", args, engine.env, 60_000);
}
