// `--changed` compile benchmark: a generated 1,000-component repository (a
// real git repo, 5 environments, chains of dependencies) with a branch that
// changes 10 files in 10 components. Compares `--changed --base main --head
// feature` with a full (unscoped) compile of the same repository, each in its
// own child process for honest peak RSS, measured in the same run.
//
//   node dist/bench/changed.js [components]
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const ENVIRONMENTS = ["dev", "qa", "staging", "preprod", "production"];
const CHANGED_FILES = 10;

/** Writes the repository and commits it; a `feature` branch changes one file in each of 10 components. */
export function generateChangedRepo(dir: string, count: number): void {
  const files: Record<string, string> = {
    "intent.yaml": [
      "apiVersion: sourceplane.io/v1",
      "kind: Intent",
      "metadata: {name: changed-bench}",
      "compositions:",
      "  sources:",
      "    - {name: local, kind: dir, path: ./comps}",
      "discovery: {roots: [services]}",
      "environments:",
      ...ENVIRONMENTS.map((env) => `  ${env}: {selectors: {components: ["*"]}}`),
      "",
    ].join("\n"),
    "comps/stack.yaml": "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: bench-stack, version: 0.1.0}\n",
    "comps/svc/compositions.yaml": [
      "apiVersion: sourceplane.io/v1",
      "kind: Composition",
      "metadata: {name: svc}",
      "spec:",
      "  type: svc",
      "  defaultJob: build",
      "  parameterSchema: {type: object}",
      "  jobs:",
      "    - name: build",
      "      steps:",
      '        - {name: build, run: "echo build {{.orun.component.name}} in {{.orun.environment.name}}"}',
      '        - {name: test, run: "echo test {{.parameters.tier}}"}',
      "",
    ].join("\n"),
  };
  for (let i = 0; i < count; i++) {
    const name = componentName(i);
    // Chains of ten: each component depends on the previous one in its chain.
    const deps = i % 10 === 0 ? "" : `  dependsOn:\n    - component: ${componentName(i - 1)}\n`;
    files[`services/${name}/component.yaml`] = `apiVersion: sourceplane.io/v1\nkind: Component\nmetadata: {name: ${name}}\nspec:\n  type: svc\n  parameters: {tier: t${i % 3}}\n${deps}`;
    files[`services/${name}/src/main.txt`] = `${name} v1\n`;
  }
  write(dir, files);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", "bench");
  git(dir, "config", "user.email", "bench@orun.invalid");
  git(dir, "config", "commit.gpgsign", "false");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "init");
  git(dir, "checkout", "-q", "-b", "feature");
  const changed: Record<string, string> = {};
  const step = Math.max(1, Math.floor(count / CHANGED_FILES));
  for (let k = 0; k < CHANGED_FILES && k * step < count; k++) changed[`services/${componentName(k * step + 5)}/src/main.txt`] = "v2\n";
  write(dir, changed);
  git(dir, "commit", "-qam", "ten changes");
  git(dir, "checkout", "-q", "main");
}

function componentName(i: number): string {
  return `svc-${String(i).padStart(4, "0")}`;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
}

function git(dir: string, ...args: string[]): void {
  execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
}

interface Measurement {
  /** Whole compile, loading included. */
  ms: number;
  /** Loading the intent, components and compositions (the same work in both modes). */
  loadMs: number;
  rssMb: number;
  jobs: number;
  components: number;
}

/** Child process: one compile, then its own figures as JSON on stdout. */
async function child(mode: "full" | "changed", dir: string): Promise<void> {
  const { compileForCi } = await import("../src/planner/triggers/index.js");
  const { loadWorkspace } = await import("../src/planner/load/index.js");
  const started = performance.now();
  const workspace = await loadWorkspace({ cwd: dir });
  const loadMs = performance.now() - started;
  const flags = mode === "changed" ? { changed: true, base: "main", head: "feature" } : {};
  const result = await compileForCi({ cwd: dir, workspace, revision: null }, flags, {});
  const ms = performance.now() - started;
  const measurement: Measurement = { ms, loadMs, rssMb: process.resourceUsage().maxRSS / 1024, jobs: result.plan.jobs.length, components: result.stats.components.length };
  process.stdout.write(JSON.stringify(measurement));
}

function measure(mode: "full" | "changed", dir: string): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SELF, "--child", mode, dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Measurement) : reject(new Error(`${mode} compile exited ${code}`))));
  });
}

export async function runChangedBench(count = 1000): Promise<{ full: Measurement; changed: Measurement }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "orun-changed-bench-"));
  try {
    const t0 = performance.now();
    generateChangedRepo(dir, count);
    console.log(`  repository: ${count} components × ${ENVIRONMENTS.length} environments, ${CHANGED_FILES} changed files (generated in ${((performance.now() - t0) / 1000).toFixed(1)}s)`);
    // One warm-up each so file-system caches favour neither side, then the best of three
    // alternating runs (the machine is shared: the minimum is the least disturbed figure).
    await measure("full", dir);
    await measure("changed", dir);
    const runs: Record<"full" | "changed", Measurement[]> = { full: [], changed: [] };
    for (let i = 0; i < 3; i++) for (const mode of ["full", "changed"] as const) runs[mode].push(await measure(mode, dir));
    const best = (list: Measurement[]): Measurement => list.reduce((a, b) => (b.ms < a.ms ? b : a));
    const full = best(runs.full);
    const changed = best(runs.changed);
    const row = (label: string, m: Measurement): string =>
      `  ${label.padEnd(10)} ${m.ms.toFixed(0).padStart(6)} ms (load ${m.loadMs.toFixed(0)} ms + plan ${(m.ms - m.loadMs).toFixed(0)} ms)  ${m.rssMb.toFixed(0).padStart(5)} MB peak RSS  ${String(m.components).padStart(5)} components  ${String(m.jobs).padStart(5)} jobs`;
    console.log(row("full", full));
    console.log(row("--changed", changed));
    console.log(`  ratio (changed / full): time ${(changed.ms / full.ms).toFixed(2)}×, after loading ${((changed.ms - changed.loadMs) / (full.ms - full.loadMs)).toFixed(2)}×, peak RSS ${(changed.rssMb / full.rssMb).toFixed(2)}×`);
    return { full, changed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const args = process.argv.slice(2);
  if (args[0] === "--child") await child(args[1] as "full" | "changed", args[2]!);
  else await runChangedBench(args[0] ? Number(args[0]) : undefined);
}
