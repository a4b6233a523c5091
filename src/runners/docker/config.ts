// Docker runner settings: which image a job runs in, when images are pulled
// and which user steps run as. Pure functions over the CLI options and the
// environment, so every rule is testable without an engine.
import type { RunnerOptions } from "../registry.js";
import { OrunError } from "../../util/errors.js";

export type PullPolicy = "always" | "missing" | "never";
export const PULL_POLICIES: readonly PullPolicy[] = ["always", "missing", "never"];

/**
 * `auto`: the host's uid:gid when that keeps workspace files owned by the
 * user (non-root host, rootful engine); otherwise the image's own user.
 * `image`: always the image's user. Anything else is passed to `--user`.
 */
export type UserMode = { kind: "auto" } | { kind: "image" } | { kind: "explicit"; user: string };

export interface DockerRunnerConfig {
  pull: PullPolicy;
  /** Image for jobs whose runsOn is empty or a hosted-runner label; undefined = the label's mapping. */
  defaultImage?: string;
  /** Where defaultImage was set, for messages (set with it). */
  defaultImageFrom?: "--docker-image" | "ORUN_DOCKER_IMAGE";
  user: UserMode;
}

/**
 * GitHub-hosted runner labels and the public images that stand in for them. A Map, not an object literal:
 * runsOn is user text, and "constructor" or "__proto__" must not find Object.prototype's members.
 */
const LABEL_IMAGES: ReadonlyMap<string, string> = new Map([
  ["", "ubuntu:22.04"],
  ["ubuntu-latest", "ubuntu:latest"],
  ["ubuntu-24.04", "ubuntu:24.04"],
  ["ubuntu-22.04", "ubuntu:22.04"],
  ["ubuntu-20.04", "ubuntu:20.04"],
  ["ubuntu-24.04-arm", "ubuntu:24.04"],
  ["ubuntu-22.04-arm", "ubuntu:22.04"],
  ["self-hosted", "ubuntu:22.04"],
  ["linux", "ubuntu:22.04"],
]);
const NON_LINUX_LABEL = /^(windows|macos)(-|$)/;

/** Whether a lower-cased runsOn names a runner label (mapped or non-Linux) rather than an image. */
function isRunnerLabel(label: string): boolean {
  return LABEL_IMAGES.has(label) || NON_LINUX_LABEL.test(label);
}

export function parseDockerConfig(options: RunnerOptions, env: NodeJS.ProcessEnv): DockerRunnerConfig {
  // Errors name where a value came from: a flag, or a variable set long ago in a CI configuration.
  const pullFrom = options.pull !== undefined ? "--pull" : "ORUN_DOCKER_PULL";
  const pullText = (options.pull ?? env.ORUN_DOCKER_PULL ?? "always").trim().toLowerCase();
  if (!(PULL_POLICIES as readonly string[]).includes(pullText)) {
    throw new OrunError(`invalid ${pullFrom} value "${pullText}" (expected one of: ${PULL_POLICIES.join(", ")})`);
  }
  const imageFrom: DockerRunnerConfig["defaultImageFrom"] = (options.dockerImage ?? options.image) !== undefined ? "--docker-image" : "ORUN_DOCKER_IMAGE";
  const defaultImage = (options.dockerImage ?? options.image ?? env.ORUN_DOCKER_IMAGE)?.trim() || undefined;
  if (defaultImage !== undefined && !isImageReference(defaultImage)) {
    throw new OrunError(`invalid ${imageFrom} "${defaultImage}": an image reference has no spaces and does not start with "-"`);
  }
  const userText = (options.dockerUser ?? env.ORUN_DOCKER_USER ?? "auto").trim();
  const user: UserMode =
    userText === "" || userText === "auto" ? { kind: "auto" } : userText === "image" ? { kind: "image" } : { kind: "explicit", user: userText };
  return { pull: pullText as PullPolicy, defaultImage, ...(defaultImage !== undefined ? { defaultImageFrom: imageFrom } : {}), user };
}

/**
 * The image a job runs in. An explicit image reference in runsOn is used as
 * is; an empty runsOn or a hosted-runner label (ubuntu-22.04, …) gets the
 * configured default image, else the label's stand-in image.
 */
export function resolveJobImage(runsOn: string | undefined, defaultImage?: string): string {
  const value = (runsOn ?? "").trim();
  const label = value.toLowerCase();
  if (!isRunnerLabel(label)) {
    if (!isImageReference(value)) {
      throw new OrunError(`runsOn "${value}" is not a container image reference (no spaces, no leading "-")`);
    }
    return value;
  }
  if (defaultImage) return defaultImage;
  const mapped = LABEL_IMAGES.get(label);
  if (mapped) return mapped;
  throw new OrunError(`runsOn "${value}" has no Linux container image; set runsOn to an image reference or pass --docker-image`);
}

/**
 * Where a job's image comes from, as the dry-run shows it beside the image: `runsOn`, the flag or variable that
 * replaced a runner label's stand-in, or the label the stand-in is for. `runsOn` resolves (resolveJobImage has accepted it).
 */
export function imageSource(runsOn: string | undefined, config: Pick<DockerRunnerConfig, "defaultImage" | "defaultImageFrom">): string {
  const value = (runsOn ?? "").trim();
  if (!isRunnerLabel(value.toLowerCase())) return "runsOn";
  if (config.defaultImage) return config.defaultImageFrom ?? "--docker-image";
  return value === "" ? "the image for jobs without runsOn" : `stands in for runsOn ${JSON.stringify(value)}`;
}

/** The job a runsOn belongs to, as advice names it (the plan carries no file position for it). */
export interface JobImageOwner {
  name: string;
  component: string;
  composition?: string;
}

/** `the runsOn of job check of composition dk (component api)`, or `the job's runsOn` without the job. */
function runsOnOf(job: JobImageOwner | undefined): string {
  if (!job) return "the job's runsOn";
  return `the runsOn of job ${job.name}${job.composition ? ` of composition ${job.composition}` : ""} (component ${job.component})`;
}

/**
 * The advice for a job image that could not be pulled, naming where the image came from (the job's runsOn — of
 * which job of which composition — --docker-image, ORUN_DOCKER_IMAGE, or the stand-in for a runner label), so the
 * user changes the right thing. `runsOn` resolves (resolveJobImage has accepted it).
 */
export function pullFailureHint(runsOn: string | undefined, config: Pick<DockerRunnerConfig, "defaultImage" | "defaultImageFrom">, job?: JobImageOwner): string {
  return `docker image could not be pulled: ${imageOrigin(runsOn, config, job, "a container image this engine can pull", "an image this engine can pull")}`;
}

/** The advice for a job image absent under `--pull never`: where it came from, as a failed pull's advice says. */
export function absentImageHint(runsOn: string | undefined, config: Pick<DockerRunnerConfig, "defaultImage" | "defaultImageFrom">, job?: JobImageOwner): string {
  return `docker image not present locally: ${imageOrigin(runsOn, config, job, "an image present locally")}`;
}

/**
 * Where a job's image came from and what to change, for an image that is not `wanted` ("a container image this
 * engine can pull", "an image that has sh"; `wantedDefault` for --docker-image or ORUN_DOCKER_IMAGE).
 */
export function imageOrigin(
  runsOn: string | undefined,
  config: Pick<DockerRunnerConfig, "defaultImage" | "defaultImageFrom">,
  job: JobImageOwner | undefined,
  wanted: string,
  wantedDefault = wanted,
): string {
  const value = (runsOn ?? "").trim();
  const label = value.toLowerCase();
  if (!isRunnerLabel(label)) return job ? `it is ${runsOnOf(job)}; set it to ${wanted}` : `it is the job's runsOn; set runsOn to ${wanted}`;
  if (config.defaultImage) {
    const from = `it came from ${config.defaultImageFrom ?? "--docker-image"} (for jobs whose runsOn is a runner label or empty)`;
    return config.defaultImageFrom === "ORUN_DOCKER_IMAGE" ? `${from}; set it to ${wantedDefault}, or unset it` : `${from}; pass ${wantedDefault}`;
  }
  const labelled = job ? `${runsOnOf(job)}, the runner label ${JSON.stringify(value)}` : `the job's runsOn label ${JSON.stringify(value)}`;
  const standIn = value === "" ? `${LABEL_IMAGES.get("")} is the image for jobs without runsOn` : `${LABEL_IMAGES.get(label)} stands in for ${labelled}`;
  return `${standIn}; set runsOn to ${wanted}, or pass --docker-image`;
}

/**
 * The engine judges the rest of the syntax; these are refused here because
 * the docker CLI would read them as options (`--help`, `-v/:/host`) or split them.
 */
function isImageReference(text: string): boolean {
  return text !== "" && !text.startsWith("-") && !/[\s\0]/.test(text);
}

/** The `--user` value for the job container, or undefined for the image's default user. */
export function resolveContainerUser(mode: UserMode, host: { uid?: number; gid?: number }, engineRootless: boolean): string | undefined {
  if (mode.kind === "explicit") return mode.user;
  if (mode.kind === "image") return undefined;
  // Root on the host, or an engine whose root is the host user (rootless):
  // files written as container root already belong to the invoking user.
  if (host.uid === undefined || host.uid === 0 || engineRootless) return undefined;
  return `${host.uid}:${host.gid ?? host.uid}`;
}
