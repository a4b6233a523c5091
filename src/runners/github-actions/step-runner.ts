// Executes one step the way a GitHub runner does: `run:` scripts through a
// shell, `uses:` actions of kind node or composite (composite children go
// through this same function), with expressions, workflow commands and file
// commands. A scope is one level of steps: the job, or a composite action.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { ActionCache } from "./action-cache.js";
import { loadActionMetadata, type ActionMetadata, type CompositeStep, type DockerRuns } from "./action-metadata.js";
import { formatRemoteRef, parseActionRef } from "./action-ref.js";
import { evaluate, evaluateCondition, interpolate, splitTemplate, stringify, type ContextValue, type ExpressionScope } from "./expressions.js";
import { runWithFileCommands, type CommandRun } from "./command-run.js";
import { actionImageSource, splitArgs, type ContainerActions, type ContainerCall } from "./docker-action.js";
import { fileCommandEnv } from "./file-commands.js";
import type { ApiEndpoint } from "./github-api.js";
import { hashFilesFunction } from "./hash-files.js";
import { LocalActionMissingError } from "../../plan/local-actions.js";
import { jobFailed, plainRecord, userRecord, type HoistedPre, type JobState, type StepRecord } from "./job-state.js";
import { spawnProcess } from "./process.js";
import { JOB_HANDED_ON } from "../runner.js";
import { locateShell, resolveShell, shellNotFound, withScriptPath } from "../process/shell.js";
import { withScriptFile } from "../process/script-file.js";
import { longTimeout } from "../../util/timers.js";
import { describedError } from "../../runtime/output/failure-text.js";

export interface StepSpec {
  /** Key in the `steps` context. */
  key: string;
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  shell?: string;
  workingDirectory?: string;
  if?: string | boolean;
  continueOnError?: boolean | string;
  /** A job-level step's `uses:` key: GitHub's spelling of `use:`, named in the error. */
  gitHubUses?: unknown;
  /** Where a composite step's `if:` is written (`<action.yml>:<line>: runs.steps[0].if`), named in its errors. */
  ifSource?: string;
  /** How messages name the step when `key` is none the user wrote (a composite step without `id:`). */
  label?: string;
}

export interface Scope {
  state: JobState;
  steps: Record<string, StepRecord>;
  inputs: Record<string, string>;
  /** Env visible to steps of this scope before their own `env:` (job level, or the composite step's env). */
  env: Record<string, string>;
  action?: { path: string; repository: string; ref: string };
  failed: boolean;
  depth: number;
  /** Base for relative `working-directory`. */
  baseDir: string;
  /** Working directory when a step sets none. */
  cwd: string;
  /** Prefix for post-hook owner keys (composite nesting). */
  owner: string;
  /** The composite steps this scope's steps run in (`Deploy › `), which the names of their posts start with. */
  postPrefix?: string;
}

export interface StepIO {
  workspaceDir: string;
  signal: AbortSignal;
  /** Was the signal raised by the step's timeout (rather than a cancel)? */
  timedOut: () => boolean;
  timeoutMs?: number;
  emit: (line: string) => void;
  cache: ActionCache;
  /** Engine, images and containers for docker container actions and docker:// steps. */
  containers: ContainerActions;
  debug: boolean;
}

export interface StepOutcome {
  outputs: Record<string, string>;
  exitCode: number | null;
  error?: string;
  /** `error` is a missing local action's (nested in a composite, too): the root its path is relative to. */
  localActionRoot?: string;
  timedOut?: boolean;
  skipped?: boolean;
  /** Stopped by the job's cancel: neither failure() nor job.status count it as a failure. */
  cancelled?: boolean;
}

const MAX_COMPOSITE_DEPTH = 10;

export function expressionScope(scope: Scope, env: Record<string, string>): ExpressionScope {
  const { state } = scope;
  const github = { ...state.github } as Record<string, ContextValue>;
  if (scope.action) {
    github.action_path = scope.action.path;
    github.action_repository = scope.action.repository;
    github.action_ref = scope.action.ref;
  }
  return {
    contexts: {
      github,
      env,
      inputs: scope.inputs,
      steps: scope.steps as unknown as ContextValue,
      runner: state.runner,
      job: { status: state.cancelled ? "cancelled" : scope.failed || jobFailed(state) ? "failure" : "success", container: {}, services: {} },
      secrets: state.secrets,
      vars: {},
      needs: {},
      matrix: null,
      strategy: null,
    },
    // A composite's steps: success() is the action's own status (GitHub's action_status), not the job's.
    // At job level a cancel makes job.status cancelled, so failure() is false from then on, as on GitHub.
    status: { failed: scope.depth > 0 ? scope.failed : scope.failed && !state.cancelled, cancelled: state.cancelled, ...(scope.depth > 0 ? { success: !scope.failed } : {}) },
    functions: new Map([["hashfiles", hashFilesFunction(String(github.workspace ?? ""))]]),
  };
}

/**
 * Whether a step runs: its `if:` (with GitHub's implicit `success() &&`); a
 * step without one runs only while its scope has not failed, i.e. `success()`
 * — so a composite stops at its first failing child, while its `if: always()`
 * and `if: failure()` children still run. Job-level steps without `if:` are
 * the runtime's call: it already stops a job at its first fatal failure, and
 * runs `onFailure: continue` successors and post-phase clean-up steps on purpose.
 */
function shouldRun(spec: StepSpec, scope: Scope, exprScope: ExpressionScope): boolean {
  if (spec.if === undefined && scope.depth === 0) return true;
  try {
    return evaluateCondition(spec.if, exprScope);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Named as the other fields are (`env.X: …`), or where the action.yml holds it; a wrong type already says `if:`.
    const bare = message.replace(/^if: /, "");
    throw new Error(spec.ifSource ? `${spec.ifSource}: ${bare}` : `if: ${bare}`);
  }
}

/**
 * `continue-on-error`: a boolean, or an expression that comes out true or
 * false (`${{ inputs.optional == 'yes' }}`, `${{ inputs.allow-failure }}`).
 * Throws for anything else, naming the field.
 */
export function continuesOnError(value: boolean | string | undefined, exprScope: ExpressionScope): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  const text = String(value).trim();
  let result: string;
  try {
    const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
    const expression = whole && splitTemplate(text).length === 1 ? whole[1]! : undefined;
    result = (expression !== undefined ? stringify(evaluate(expression, exprScope)) : interpolate(text, exprScope)).trim();
  } catch (err) {
    throw new Error(`continue-on-error: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (result.toLowerCase() === "true") return true;
  if (result.toLowerCase() === "false" || result === "") return false;
  throw new Error(`continue-on-error: ${JSON.stringify(text)} must be true or false, got ${JSON.stringify(result)}`);
}

/**
 * A step's `timeout-minutes` in milliseconds: a positive number, or an
 * expression that comes out as one (`${{ inputs.minutes }}`); undefined when
 * unset. Throws for anything else, naming the field.
 */
export function timeoutMinutesMs(value: unknown, exprScope: ExpressionScope): number | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string;
  try {
    text = typeof value === "number" ? String(value) : interpolate(String(value), exprScope).trim();
  } catch (err) {
    throw new Error(`timeout-minutes: ${err instanceof Error ? err.message : String(err)}`);
  }
  const minutes = Number(text);
  if (text === "" || !Number.isFinite(minutes) || minutes <= 0) throw new Error(`timeout-minutes: ${JSON.stringify(String(value))} must be a positive number of minutes`);
  return Math.round(minutes * 60_000);
}

/** Runs a step in a scope, records it in `steps`, and never throws for step-level problems. */
export async function executeStep(spec: StepSpec, scope: Scope, io: StepIO): Promise<StepOutcome> {
  const { state } = scope;
  let outcome: StepOutcome;
  const baseEnv = scopeEnv(scope);
  try {
    const baseScope = expressionScope(scope, baseEnv);
    if (!shouldRun(spec, scope, baseScope)) {
      scope.steps[spec.key] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
      return { outputs: {}, exitCode: 0, skipped: true };
    }
    const env = withStepEnv(spec, baseEnv, baseScope);
    outcome = spec.run !== undefined && spec.run.trim() !== "" ? await runScript(spec, scope, io, env) : await runAction(spec, scope, io, env);
  } catch (err) {
    outcome = { outputs: {}, exitCode: null, error: err instanceof Error ? err.message : String(err) };
    if (err instanceof LocalActionMissingError) outcome.localActionRoot = err.root;
  }
  let continueOnError = false;
  // Like GitHub, continue-on-error is evaluated once the step has failed, in the scope the step ran in.
  if (outcome.error !== undefined) {
    try {
      continueOnError = continuesOnError(spec.continueOnError, expressionScope(scope, baseEnv));
    } catch (err) {
      outcome.error = `${outcome.error}; ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (outcome.error) outcome.error = state.masker.mask(outcome.error);
  const failed = outcome.error !== undefined;
  // Stopped by the job's cancel (not its own timeout): cancelled, which failure() does not count, as on GitHub.
  const cancelled = failed && state.cancelled && io.signal.aborted && !outcome.timedOut;
  scope.steps[spec.key] = {
    outputs: outcome.outputs,
    outcome: cancelled ? "cancelled" : failed ? "failure" : "success",
    conclusion: cancelled ? "cancelled" : failed && !continueOnError ? "failure" : "success",
  };
  if (failed && !continueOnError && !cancelled) scope.failed = true;
  if (cancelled) return { ...outcome, cancelled: true };
  if (failed && continueOnError) {
    // In the words every failure a person reads is said in (spec 20 §6): `command exited with code N`.
    io.emit(`warning: step ${spec.label ?? spec.key} failed and continues (continue-on-error): ${describedError(outcome.error!)}`);
    return { ...outcome, error: undefined, localActionRoot: undefined, exitCode: 0 };
  }
  return outcome;
}

/**
 * The env a step of this scope starts from, layered as GitHub's runner does: at job level what steps
 * exported (GITHUB_ENV) over the job env — they share one table there, the later write wins; inside a
 * composite, the calling step's env as it was at the call (job env, exports, its own `env:`) over what has
 * been exported since, so a child's export of a variable the call set reaches only the steps after the composite.
 */
function scopeEnv(scope: Scope): Record<string, string> {
  return scope.depth === 0 ? { ...scope.env, ...scope.state.exportedEnv } : { ...scope.state.exportedEnv, ...scope.env };
}

/** The scope's env plus the step's own `env:` (evaluated in that scope). */
function withStepEnv(spec: StepSpec, baseEnv: Record<string, string>, baseScope: ExpressionScope): Record<string, string> {
  const stepEnv = userRecord();
  for (const [k, v] of Object.entries(spec.env ?? {})) stepEnv[k] = interpolateField(`env.${k}`, scalar(v), baseScope);
  return { ...baseEnv, ...stepEnv };
}

/** interpolate(), with a failure naming the field the text came from (`env.TOKEN: invalid expression …`). */
function interpolateField(field: string, text: string, exprScope: ExpressionScope): string {
  try {
    return interpolate(text, exprScope);
  } catch (err) {
    throw new Error(`${field}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function resolveCwd(spec: StepSpec, scope: Scope, exprScope: ExpressionScope): string {
  if (spec.workingDirectory === undefined || spec.workingDirectory.trim() === "") return scope.cwd;
  return path.resolve(scope.baseDir, interpolateField("working-directory", spec.workingDirectory, exprScope));
}

async function ensureDir(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${what} ${dir} does not exist`);
}

/** The process environment for a step: runner base, scope/step env, added PATH entries. */
function processEnv(state: JobState, env: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const merged = { ...state.baseEnv, ...env, ...extra };
  const basePath = merged.PATH ?? "";
  merged.PATH = [...[...state.extraPath].reverse(), basePath].filter(Boolean).join(path.delimiter);
  return merged;
}

function actionName(state: JobState, base: string): string {
  const clean = base.replace(/[^A-Za-z0-9_]+/g, "_") || "action";
  const n = (state.actionNames.get(clean) ?? 0) + 1;
  state.actionNames.set(clean, n);
  return n === 1 ? clean : `${clean}_${n}`;
}

async function runScript(spec: StepSpec, scope: Scope, io: StepIO, env: Record<string, string>): Promise<StepOutcome> {
  const { state } = scope;
  const exprScope = expressionScope(scope, env);
  const script = interpolateField("run", spec.run ?? "", exprScope);
  const cwd = resolveCwd(spec, scope, exprScope);
  await ensureDir(cwd, "working directory");
  const extra: Record<string, string> = { GITHUB_ACTION: actionName(state, "__run") };
  if (scope.action) extra.GITHUB_ACTION_PATH = scope.action.path;
  const procEnv = processEnv(state, env, extra);
  const shell = resolveShell(spec.shell ? interpolateField("shell", spec.shell, exprScope) : undefined, script, `step ${spec.label ?? spec.key}`, "bash-or-sh");
  // Like GitHub's runner: the shell is looked up on the step's PATH first.
  const located = locateShell(shell, procEnv.PATH);
  if (!located) throw new Error(shellNotFound(shell));
  const scripts = { dir: path.join(state.temp, "scripts"), extension: located.scriptExtension ?? ".sh", mode: 0o755 };
  const result = await withScriptFile(script, scripts, (file) => {
    const command = withScriptPath(located, file);
    return runWithCommands(state, io, command.command, command.args, cwd, procEnv);
  });
  return { outputs: result.outputs, exitCode: result.exitCode, error: result.error, timedOut: result.timedOut };
}

/** Spawns a host process with fresh file-command files and applies what it reports to the job. */
function runWithCommands(state: JobState, io: StepIO, program: string, args: string[], cwd: string, env: Record<string, string>): Promise<CommandRun> {
  return runWithFileCommands(state, io, env, (files, onLine) =>
    spawnProcess({ command: program, args, cwd, env: { ...env, ...fileCommandEnv(files) }, signal: io.signal, onLine, masker: state.masker }),
  );
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("canceled"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error("canceled"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

interface ResolvedAction {
  dir: string;
  repository: string;
  ref: string;
  label: string;
}

async function locateAction(uses: string, scope: Scope, io: StepIO, env: Record<string, string>): Promise<ResolvedAction> {
  const ref = parseActionRef(uses);
  if (ref.kind === "docker-image") throw new Error(`${uses} is a container image, not an action folder`);
  if (ref.kind === "local") {
    const dir = path.resolve(io.workspaceDir, ref.path);
    const rel = path.relative(io.workspaceDir, dir);
    if (rel.startsWith("..") || path.isAbsolute(rel)) throw new Error(`local action ${uses} is outside the workspace ${io.workspaceDir}`);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new LocalActionMissingError(uses, dir, io.workspaceDir);
    return { dir, repository: "", ref: "", label: path.basename(dir) };
  }
  const { state } = scope;
  const endpoint: ApiEndpoint = { apiUrl: env.GITHUB_API_URL || String(state.github.api_url), token: state.secrets.GITHUB_TOKEN };
  const sha = await raceAbort(io.cache.resolveSha(endpoint, ref.owner, ref.repo, ref.ref), io.signal);
  const copyKey = `${ref.owner}/${ref.repo}@${sha}`;
  let copy = state.actionCopies.get(copyKey);
  if (!copy) {
    copy = (async () => {
      const target = path.join(state.temp, "actions", `${ref.owner}_${ref.repo}-${sha.slice(0, 12)}`);
      await mkdir(path.dirname(target), { recursive: true });
      await io.cache.checkout(endpoint, ref.owner, ref.repo, sha, target);
      return target;
    })();
    state.actionCopies.set(copyKey, copy);
    copy.catch(() => state.actionCopies.delete(copyKey));
  }
  const root = await raceAbort(copy, io.signal);
  const dir = path.join(root, ref.path);
  await ensureDir(dir, `action ${formatRemoteRef(ref)}: path`);
  return { dir, repository: `${ref.owner}/${ref.repo}`, ref: ref.ref, label: ref.repo };
}

function resolveInputs(meta: ActionMetadata, withValues: Record<string, unknown> | undefined, exprScope: ExpressionScope): Record<string, string> {
  const inputs = userRecord();
  for (const [key, value] of Object.entries(withValues ?? {})) inputs[key] = interpolateField(`with.${key}`, scalar(value), exprScope);
  for (const [key, spec] of Object.entries(meta.inputs)) {
    if (Object.keys(inputs).some((k) => k.toLowerCase() === key.toLowerCase())) continue;
    if (spec.default !== undefined) inputs[key] = interpolateField(`default of input ${key} (${meta.file})`, spec.default, exprScope);
    else if (spec.required) throw new Error(`required input "${key}" is missing for action ${meta.name} (${meta.file}${spec.line ? `:${spec.line}` : ""})`);
    else inputs[key] = "";
  }
  return inputs;
}

/** An input by name, any case (inputs are case-insensitive on GitHub). */
function inputNamed(inputs: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(inputs).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : inputs[key];
}

export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const env = userRecord();
  for (const [key, value] of Object.entries(inputs)) env[`INPUT_${key.replace(/ /g, "_").toUpperCase()}`] = value;
  return env;
}

function stateEnv(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`STATE_${k}`, v]));
}

/** A `uses:` action found and read, with its inputs as they evaluate in `env`. */
interface PreparedAction {
  uses: string;
  action: ResolvedAction;
  meta: ActionMetadata;
  /** The step's env (scope env and its own `env:`), and the expression scope over it. */
  env: Record<string, string>;
  exprScope: ExpressionScope;
}

async function prepareAction(uses: string, scope: Scope, io: StepIO, env: Record<string, string>, exprScope: ExpressionScope): Promise<PreparedAction> {
  const action = await locateAction(uses, scope, io, env);
  const meta = await loadActionMetadata(action.dir);
  return { uses, action, meta, env, exprScope };
}

/**
 * Finds, downloads and reads a job-level step's action before the job's first step, as GitHub's "Set up job"
 * does for every action of a job, and pulls or builds a container action's image and a `docker://` step's
 * image; throws when it cannot. A `use:` value with `${{ }}` is left to its step (it may name an earlier step's
 * output), and the actions a composite calls to the composite's run (as on GitHub).
 */
export async function resolveStepAction(spec: StepSpec, scope: Scope, io: StepIO): Promise<void> {
  const uses = (spec.uses ?? "").trim();
  if (!uses || uses.includes("${{")) return;
  const ref = parseActionRef(uses);
  if (ref.kind === "docker-image") return io.containers.prepare(uses, { kind: "pull", image: ref.image.trim() }, io.signal);
  const baseEnv = { ...scope.env, ...scope.state.exportedEnv };
  let env = baseEnv;
  try {
    env = withStepEnv(spec, baseEnv, expressionScope(scope, baseEnv));
  } catch {
    // A broken step env fails the step itself, naming the field; the action is looked up without it.
  }
  const { action, meta } = await prepareAction(uses, scope, io, env, expressionScope(scope, env));
  if (meta.runs.using !== "docker") return;
  await io.containers.prepare(uses, await actionImageSource(meta.runs.image, action.dir), io.signal);
}

/** GitHub's actions that need the runner's cache or artifact service. */
const SERVICE_ACTIONS = new Set(["actions/cache", "actions/upload-artifact", "actions/download-artifact"]);
const SERVICE_VARS = ["ACTIONS_RUNTIME_TOKEN", "ACTIONS_RESULTS_URL", "ACTIONS_CACHE_URL"];

/**
 * orun serves no cache or artifact service: ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL and ACTIONS_CACHE_URL
 * reach steps only from a real GitHub runner that runs orun. Without them actions/cache warns and misses
 * (and saves nothing) and artifact actions fail: a notice says why before such an action runs.
 */
function missingServiceNotice(repository: string, env: Record<string, string>): string | undefined {
  if (!SERVICE_ACTIONS.has(repository.toLowerCase()) || SERVICE_VARS.some((key) => env[key])) return undefined;
  return `notice: orun runs no GitHub cache or artifact service (${SERVICE_VARS.join(", ")} are set only when orun itself runs in a GitHub Actions job): ${repository} will find no cache and save none, and artifact uploads and downloads fail`;
}

function actionEnvFor(action: ResolvedAction, name: string): Record<string, string> {
  return { GITHUB_ACTION: name, GITHUB_ACTION_PATH: action.dir, GITHUB_ACTION_REPOSITORY: action.repository, GITHUB_ACTION_REF: action.ref };
}

async function checkScripts(uses: string, action: ResolvedAction, meta: ActionMetadata, files: (string | undefined)[]): Promise<void> {
  for (const file of files) {
    if (file) await stat(path.resolve(action.dir, file)).catch(() => {
      throw new Error(`action ${uses}: ${file} not found in ${action.dir} (${meta.file})`);
    });
  }
}

/**
 * Runs the `pre` of a job-level step's action at job start, as GitHub's runner
 * does (node `runs.pre` under `pre-if`, docker `runs.pre-entrypoint`), and
 * records it in `state.pres` so the step's main does not run it again and gets
 * its saved state. Returns false when there is nothing to hoist: a `run:` step,
 * a docker:// step, a composite (GitHub runs no nested pres at job start), an
 * action without pre, or one that cannot be resolved yet (its main reports why).
 * Throws when the pre (or evaluating its inputs and condition) fails.
 */
export async function runPreHook(spec: StepSpec, scope: Scope, untimed: StepIO, limitMs: () => number | undefined = () => undefined): Promise<boolean> {
  const { state } = scope;
  if (spec.run !== undefined && spec.run.trim() !== "") return false;
  let prepared: PreparedAction;
  try {
    const baseEnv = { ...scope.env, ...state.exportedEnv };
    const env = withStepEnv(spec, baseEnv, expressionScope(scope, baseEnv));
    const exprScope = expressionScope(scope, env);
    const uses = interpolate(spec.uses ?? "", exprScope).trim();
    if (!uses || parseActionRef(uses).kind === "docker-image") return false;
    prepared = await prepareAction(uses, scope, untimed, env, exprScope);
  } catch {
    return false;
  }
  const { meta } = prepared;
  const runs = meta.runs;
  if (runs.using === "composite") return false;
  if (runs.using === "docker" ? !runs.preEntrypoint : !runs.pre) return false;
  // The step's time limit, asked for only now that there is a pre to limit.
  const { io, dispose } = withTimeout(untimed, limitMs());
  try {
    return await runHoistedPre(spec, scope, io, prepared);
  } finally {
    dispose();
  }
}

async function runHoistedPre(spec: StepSpec, scope: Scope, io: StepIO, { uses, action, meta, env, exprScope }: PreparedAction): Promise<true> {
  const { state } = scope;
  const runs = meta.runs;
  const hoisted: HoistedPre = { actionName: actionName(state, spec.name || action.label), state: {} };
  state.pres.set(spec.key, hoisted);
  const inputs = resolveInputs(meta, spec.with, exprScope);
  const call: ActionInvocation = { uses, spec, scope, io, env, inputs, action, actionEnv: actionEnvFor(action, hoisted.actionName) };
  if (runs.using === "docker") {
    const { base, exprScope: inputScope } = await dockerCall(runs, call);
    if (!evaluateCondition(runs.preIf, inputScope, "always()")) return true;
    const pre = await io.containers.run({ ...base, entrypoint: runs.preEntrypoint }, state, io);
    hoisted.state = pre.state;
    if (pre.error) throw new Error(pre.error);
    return true;
  }
  if (runs.using === "composite") return true; // never: composites have no hoisted pre (see runPreHook)
  await checkScripts(uses, action, meta, [runs.pre]);
  if (!evaluateCondition(runs.preIf, expressionScope({ ...scope, inputs }, env), "always()")) return true;
  const cwd = scope.cwd;
  await ensureDir(cwd, "working directory");
  const nodeEnv = processEnv(state, env, { ...inputEnv(inputs), ...call.actionEnv });
  const pre = await runWithCommands(state, io, process.execPath, [path.resolve(action.dir, runs.pre!)], cwd, nodeEnv);
  hoisted.state = pre.state;
  if (pre.error) throw new Error(pre.error);
  return true;
}

async function runAction(spec: StepSpec, scope: Scope, io: StepIO, env: Record<string, string>): Promise<StepOutcome> {
  const { state } = scope;
  const exprScope = expressionScope(scope, env);
  const uses = interpolate(spec.uses ?? "", exprScope).trim();
  if (!uses) throw new Error(`step has neither run nor use${spec.gitHubUses !== undefined ? " (GitHub's uses: is spelled use: in an orun plan)" : ""}`);
  const ref = parseActionRef(uses);
  if (ref.kind === "docker-image") return runImageStep(ref.image, uses, spec, scope, io, env);
  const { action, meta } = await prepareAction(uses, scope, io, env, exprScope);
  const missing = missingServiceNotice(action.repository, { ...state.baseEnv, ...env });
  if (missing) io.emit(missing);
  const inputs = resolveInputs(meta, spec.with, exprScope);
  // As GitHub's runner: a container action always accepts entryPoint and args.
  const valid = [...(meta.runs.using === "docker" ? ["entryPoint", "args"] : []), ...Object.keys(meta.inputs)];
  const declared = valid.map((k) => k.toLowerCase());
  const unexpected = Object.keys(spec.with ?? {}).filter((k) => !declared.includes(k.toLowerCase()));
  if (unexpected.length) {
    io.emit(`warning: unexpected input(s) ${unexpected.map((k) => `'${k}'`).join(", ")} for ${meta.name}; valid inputs are [${valid.map((k) => `'${k}'`).join(", ")}]`);
  }
  // A job-level step whose pre ran at job start: same GITHUB_ACTION, its saved state, no second pre.
  const hoisted = scope.depth === 0 ? state.pres.get(spec.key) : undefined;
  const actionEnv = actionEnvFor(action, hoisted?.actionName ?? actionName(state, spec.name || action.label));
  const runs = meta.runs;
  if (runs.using === "docker") {
    return runDockerAction(meta, runs, { uses, spec, scope, io, env, inputs, action, actionEnv }, hoisted);
  }
  if (runs.using === "composite") {
    if (scope.depth >= MAX_COMPOSITE_DEPTH) throw new Error(`composite actions nested deeper than ${MAX_COMPOSITE_DEPTH} levels at ${uses}`);
    return runComposite(meta, runs.steps, spec, scope, io, env, inputs, action);
  }
  const cwd = scope.cwd;
  await ensureDir(cwd, "working directory");
  const nodeEnv = processEnv(state, env, { ...inputEnv(inputs), ...actionEnv });
  let saved: Record<string, string> = { ...hoisted?.state };
  const node = process.execPath;
  const script = (file: string): string => path.resolve(action.dir, file);
  await checkScripts(uses, action, meta, [hoisted ? undefined : runs.pre, runs.main, runs.post]);
  // Nested (composite) steps still run their pre right before their main, as on GitHub.
  if (!hoisted && runs.pre && evaluateCondition(runs.preIf, expressionScope({ ...scope, inputs }, env), "always()")) {
    const pre = await runWithCommands(state, io, node, [script(runs.pre)], cwd, nodeEnv);
    saved = { ...saved, ...pre.state };
    if (pre.error) return { outputs: pre.outputs, exitCode: pre.exitCode, error: `pre: ${pre.error}`, timedOut: pre.timedOut };
  }
  const owner = `${scope.owner}${spec.key}`;
  if (runs.post) {
    state.posts = state.posts.filter((p) => p.owner !== owner);
    state.posts.push({ owner, name: postName(spec, scope), action: meta, script: script(runs.post), condition: runs.postIf, env: nodeEnv, state: saved, cwd, timeoutMs: io.timeoutMs });
  }
  const main = await runWithCommands(state, io, node, [script(runs.main)], cwd, { ...nodeEnv, ...stateEnv(saved) });
  const post = state.posts.find((p) => p.owner === owner);
  if (post) post.state = { ...saved, ...main.state };
  return { outputs: main.outputs, exitCode: main.exitCode, error: main.error, timedOut: main.timedOut };
}

/**
 * The step environment a container receives: the host's PATH and HOME mean
 * nothing inside an image, so PATH goes in only when the job or step declares it.
 */
function containerStepEnv(spec: StepSpec, scope: Scope, env: Record<string, string>): Record<string, string> {
  const result = { ...env };
  const declared = (values: Record<string, unknown> | undefined): boolean => values !== undefined && Object.prototype.hasOwnProperty.call(values, "PATH");
  if (!declared(spec.env) && !declared(scope.env)) delete result.PATH;
  return result;
}

/** `uses: docker://image`: the image's own entrypoint, `with.args` as its arguments. */
async function runImageStep(image: string, uses: string, spec: StepSpec, scope: Scope, io: StepIO, env: Record<string, string>): Promise<StepOutcome> {
  const { state } = scope;
  const exprScope = expressionScope(scope, env);
  const withValues = userRecord();
  let args: string[] = [];
  let entrypoint: string | undefined;
  for (const [key, value] of Object.entries(spec.with ?? {})) {
    if (key === "args") args = Array.isArray(value) ? value.map((v, i) => interpolateField(`with.args[${i}]`, scalar(v), exprScope)) : splitArgs(interpolateField("with.args", scalar(value), exprScope));
    else if (key === "entrypoint") entrypoint = interpolate(scalar(value), exprScope).trim() || undefined;
    else withValues[key] = interpolate(scalar(value), exprScope);
  }
  const call: ContainerCall = {
    uses,
    image: { kind: "pull", image: image.trim() },
    entrypoint,
    args,
    env: { ...containerStepEnv(spec, scope, env), ...inputEnv(withValues), GITHUB_ACTION: actionName(state, spec.name || "docker") },
  };
  const result = await io.containers.run(call, state, io);
  return { outputs: result.outputs, exitCode: result.exitCode, error: result.error, timedOut: result.timedOut };
}

interface ActionInvocation {
  uses: string;
  spec: StepSpec;
  scope: Scope;
  io: StepIO;
  env: Record<string, string>;
  inputs: Record<string, string>;
  action: ResolvedAction;
  actionEnv: Record<string, string>;
}

/** The container call shared by a docker action's entrypoints, and the scope (with inputs) its values evaluate in. */
async function dockerCall(runs: DockerRuns, call: ActionInvocation): Promise<{ base: ContainerCall; exprScope: ExpressionScope }> {
  const { uses, spec, scope, env, inputs, action } = call;
  const exprScope = expressionScope({ ...scope, inputs }, env);
  const runsEnv = userRecord();
  for (const [key, value] of Object.entries(runs.env)) runsEnv[key] = interpolate(value, exprScope);
  const base: ContainerCall = {
    uses,
    // As written: GitHub evaluates no expression in runs.image (action-metadata.ts refuses one).
    image: await actionImageSource(runs.image, action.dir),
    // As GitHub's ContainerActionHandler: runs.args when the action gives them, else the step's with.args.
    args: runs.argsGiven ? runs.args.map((arg) => interpolate(arg, exprScope)) : withArgs(spec, inputs, exprScope),
    env: { ...containerStepEnv(spec, scope, env), ...inputEnv(inputs), ...call.actionEnv, ...runsEnv },
    actionDir: action.dir,
  };
  return { base, exprScope };
}

/** A container action's `with.args`: a YAML list item by item, else the string split as GitHub's runner splits it. */
function withArgs(spec: StepSpec, inputs: Record<string, string>, exprScope: ExpressionScope): string[] {
  const key = Object.keys(spec.with ?? {}).find((k) => k.toLowerCase() === "args");
  const given = key === undefined ? undefined : spec.with![key];
  if (Array.isArray(given)) return given.map((v, i) => interpolateField(`with.args[${i}]`, scalar(v), exprScope));
  return splitArgs(inputNamed(inputs, "args"));
}

/** `runs.using: docker`: pre-entrypoint (unless hoisted to job start), then the entrypoint; post-entrypoint becomes a post hook. */
async function runDockerAction(meta: ActionMetadata, runs: DockerRuns, call: ActionInvocation, hoisted?: HoistedPre): Promise<StepOutcome> {
  const { spec, scope, io } = call;
  const { state } = scope;
  const { base, exprScope } = await dockerCall(runs, call);
  let saved: Record<string, string> = { ...hoisted?.state };
  if (!hoisted && runs.preEntrypoint && evaluateCondition(runs.preIf, exprScope, "always()")) {
    const pre = await io.containers.run({ ...base, entrypoint: runs.preEntrypoint }, state, io);
    saved = { ...saved, ...pre.state };
    if (pre.error) return { outputs: pre.outputs, exitCode: pre.exitCode, error: `pre: ${pre.error}`, timedOut: pre.timedOut };
  }
  const owner = `${scope.owner}${spec.key}`;
  if (runs.postEntrypoint) {
    state.posts = state.posts.filter((p) => p.owner !== owner);
    state.posts.push({ owner, name: postName(spec, scope), action: meta, script: "", condition: runs.postIf, env: {}, state: saved, cwd: scope.cwd, container: { ...base, entrypoint: runs.postEntrypoint }, timeoutMs: io.timeoutMs });
  }
  // runs.entrypoint, else the step's with.entryPoint (GitHub's rule for the main entrypoint).
  const entrypoint = runs.entrypoint ?? (inputNamed(call.inputs, "entryPoint")?.trim() || undefined);
  const main = await io.containers.run({ ...base, entrypoint, env: { ...base.env, ...stateEnv(saved) } }, state, io);
  const post = state.posts.find((p) => p.owner === owner);
  if (post) post.state = { ...saved, ...main.state };
  return { outputs: main.outputs, exitCode: main.exitCode, error: main.error, timedOut: main.timedOut };
}

async function runComposite(
  meta: ActionMetadata,
  steps: CompositeStep[],
  spec: StepSpec,
  scope: Scope,
  io: StepIO,
  env: Record<string, string>,
  inputs: Record<string, string>,
  action: ResolvedAction,
): Promise<StepOutcome> {
  const child: Scope = {
    state: scope.state,
    steps: userRecord<StepRecord>(),
    inputs,
    env,
    action: { path: action.dir, repository: action.repository, ref: action.ref },
    failed: false,
    depth: scope.depth + 1,
    baseDir: scope.baseDir,
    cwd: scope.cwd,
    owner: `${scope.owner}${spec.key}/`,
    postPrefix: `${postName(spec, scope)} › `,
  };
  let firstError: string | undefined;
  let localActionRoot: string | undefined;
  let exitCode: number | null = 0;
  let timedOut = false;
  for (const [i, step] of steps.entries()) {
    const key = step.id ?? `__composite-step-${i + 1}`;
    const result = await executeStep(
      {
        key,
        name: step.name,
        run: step.run,
        uses: step.uses,
        with: step.with,
        env: step.env,
        shell: step.shell,
        workingDirectory: step["working-directory"],
        if: step.if,
        continueOnError: step["continue-on-error"],
        ifSource: `${meta.file}${meta.runs.using === "composite" && meta.runs.ifLines[i] ? `:${meta.runs.ifLines[i]}` : ""}: runs.steps[${i}].if`,
        ...(step.id === undefined ? { label: compositeStepLabel(step, meta.file, i) } : {}),
      },
      child,
      io,
    );
    if (result.error && firstError === undefined) {
      firstError = `${meta.name} › ${step.name ?? step.id ?? `step ${i + 1}`}: ${result.error}`;
      localActionRoot = result.localActionRoot;
      exitCode = result.exitCode;
      timedOut = result.timedOut ?? false;
    }
    if (io.signal.aborted) break;
  }
  const outputs = userRecord();
  const outScope = expressionScope(child, scopeEnv(child));
  for (const [key, out] of Object.entries(meta.outputs)) {
    try {
      outputs[key] = out.value === undefined ? "" : interpolate(out.value, outScope);
    } catch (err) {
      firstError ??= `output ${key}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return { outputs: plainRecord(outputs), exitCode: firstError ? exitCode ?? 1 : 0, error: firstError, ...(localActionRoot !== undefined ? { localActionRoot } : {}), timedOut };
}

/**
 * How a step's post is named (`▸ Post <name>`, its errors): by the step, as GitHub shows `Post <step name>` — its
 * name, else its key (id, else uses) — so that two steps of one action are told apart; a composite's inner step
 * after the composite steps it runs in.
 */
function postName(spec: StepSpec, scope: Scope): string {
  return `${scope.postPrefix ?? ""}${spec.name?.trim() || spec.label || spec.key}`;
}

/**
 * A composite step without `id:` as its action.yml has it — its name, else its `uses:`, and where it is written
 * (`"Flaky check" (…/action.yml: runs.steps[1])`) — not the internal key it is recorded under (`__composite-step-2`).
 */
function compositeStepLabel(step: CompositeStep, file: string, index: number): string {
  const written = step.name ?? step.uses;
  const where = `${file}: runs.steps[${index}]`;
  return written === undefined ? where : `${JSON.stringify(written)} (${where})`;
}

/**
 * Runs the post hooks of a job, last registered first, under `post-if`
 * (default `always()`): `job` says whether the job failed or was cancelled.
 */
export async function runPostHooks(state: JobState, io: StepIO, job: { failed: boolean; cancelled: boolean }): Promise<string[]> {
  const errors: string[] = [];
  for (const hook of [...state.posts].reverse()) {
    const scope: Scope = { state, steps: state.steps, inputs: {}, env: {}, failed: job.failed, depth: 0, baseDir: hook.cwd, cwd: hook.cwd, owner: "" };
    let run: boolean;
    try {
      const exprScope = expressionScope(scope, {});
      exprScope.status.cancelled = job.cancelled;
      run = evaluateCondition(hook.condition, exprScope, "always()");
    } catch (err) {
      errors.push(`post ${hook.name}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (!run) continue;
    if (io.signal.aborted) {
      const why = io.signal.reason === JOB_HANDED_ON ? "the job was handed to another runner" : "the job was cancelled and its posts' grace period is over";
      errors.push(`post ${hook.name}: not run, ${why}`);
      continue;
    }
    io.emit(`▸ Post ${hook.name}`);
    // The time limit of the step that registered it holds for the post too: a hung post must not hold the job for ever.
    const { io: hookIo, dispose } = withTimeout(io, hook.timeoutMs);
    const result = await (hook.container
      ? io.containers.run({ ...hook.container, env: { ...hook.container.env, ...stateEnv(hook.state) } }, state, hookIo).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
      : runWithCommands(state, hookIo, process.execPath, [hook.script], hook.cwd, { ...hook.env, ...stateEnv(hook.state) })
    ).finally(dispose);
    if (result.error) errors.push(`post ${hook.name}: ${state.masker.mask(result.error)}`);
  }
  state.posts = [];
  return errors;
}

/** `io` stopped after `timeoutMs` too (none when unset or 0); `dispose` stops the timer. */
function withTimeout(io: StepIO, timeoutMs: number | undefined): { io: StepIO; dispose: () => void } {
  if (timeoutMs === undefined || timeoutMs <= 0) return { io, dispose: () => undefined };
  const timeout = new AbortController();
  const stopTimer = longTimeout(() => timeout.abort(), timeoutMs);
  return { io: { ...io, signal: AbortSignal.any([io.signal, timeout.signal]), timedOut: () => timeout.signal.aborted, timeoutMs }, dispose: stopTimer };
}
