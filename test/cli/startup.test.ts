// Start-up stays lean: commands that compile nothing load no planner, schema,
// template or remote code (src/cli/commands register flags only and import
// their implementation when they run). A module-loader hook in the real orun
// process records every module it loads.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ORUN_BIN } from "../support/cli.js";

const HOOKS = `
import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  if (url.startsWith("file:")) appendFileSync(process.env.ORUN_TEST_MODULE_LOG, url + "\\n");
  return next(url, context);
}
`;

/**
 * What a lean command must not load: compile stages, schemas, templates,
 * triggers, remote and their libraries (finding intent.yaml, load/locate.js, is fine).
 */
const HEAVY = [/\/src\/planner\/(?!load\/locate\.js$)/, /\/src\/template\//, /\/src\/remote\//, /\/src\/plan\/(views|summary)\.js$/, /\/node_modules\/(ajv|ajv-formats|jose|tar|pg|better-sqlite3|@actions|yaml)\//];

describe("CLI start-up loads only what the command needs", () => {
  let dir: string;
  let register: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "orun-startup-"));
    await writeFile(path.join(dir, "hooks.mjs"), HOOKS);
    register = path.join(dir, "register.mjs");
    await writeFile(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(dir, "hooks.mjs")).href)});\n`);
    const job = (i: number) => ({ id: `c@e.j${i}`, name: `j${i}`, component: "c", environment: "e", dependsOn: [], steps: [{ id: "s", phase: "main", run: "true" }] });
    const plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs: [job(0), job(1)] };
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs orun with the hook; returns its exit code and the file URLs of the modules it loaded. */
  async function modulesLoadedBy(args: string[]): Promise<{ code: number | null; modules: string[]; stderr: string }> {
    const log = path.join(dir, `modules-${args.join("-").replace(/[^\w-]/g, "_")}.log`);
    await writeFile(log, "");
    const child = spawn(process.execPath, ["--import", pathToFileURL(register).href, ORUN_BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", ORUN_TEST_MODULE_LOG: log, ORUN_REMOTE_STATE: undefined, ORUN_EXEC_ID: undefined, ORUN_PLAN_ID: undefined },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, modules: (await readFile(log, "utf8")).split("\n").filter(Boolean), stderr };
  }

  for (const args of [["--version"], ["--help"], ["run", "--help"], ["component", "--help"], ["get", "components", "--help"], ["run", "plan.json", "--exec-id", "lean-1", "--json"], ["status"], ["logs"], ["gc", "--dry-run"]]) {
    it(`orun ${args.join(" ")}`, async () => {
      const { code, modules, stderr } = await modulesLoadedBy(args);
      assert.equal(code, 0, stderr);
      // The hook itself works: the CLI entry point was seen.
      assert.ok(modules.some((url) => url.endsWith("/src/cli/bin.js")), "module log is empty");
      const heavy = modules.filter((url) => HEAVY.some((pattern) => pattern.test(url)));
      assert.deepEqual(heavy, [], `orun ${args.join(" ")} loaded ${heavy.length} modules it does not need`);
    });
  }

  // A local run loads the one output view it shows, not the others nor the GitHub Actions runner code behind the
  // groups view (masker, workflow commands, GitHub API client): 16 modules of a 1-job run's start-up (issue 3).
  const OTHER_RUNNERS = /\/src\/(runners\/(github-actions|docker)\/|util\/proxy-fetch\.js$)/;
  const VIEWS = ["json", "text", "live", "github-actions", "step-summary"];
  for (const [args, view] of [
    [["run", "plan.json", "--exec-id", "view-json", "--json"], "json"],
    [["run", "plan.json", "--exec-id", "view-text"], "text"],
  ] as const) {
    it(`orun ${args.join(" ")} loads only the ${view} view and no other runner's code`, async () => {
      const { code, modules, stderr } = await modulesLoadedBy([...args]);
      assert.equal(code, 0, stderr);
      assert.deepEqual(modules.filter((url) => OTHER_RUNNERS.test(url)), []);
      const views = VIEWS.filter((name) => modules.some((url) => url.endsWith(`/src/runtime/output/${name}.js`)));
      assert.deepEqual(views, [view]);
    });
  }

  it("orun plan --help registers its flags without loading the planner", async () => {
    const { code, modules } = await modulesLoadedBy(["plan", "--help"]);
    assert.equal(code, 0);
    assert.deepEqual(modules.filter((url) => /\/src\/planner\//.test(url)), []);
  });

  it("orun validate does load the planner (the check is not vacuous)", async () => {
    const { modules } = await modulesLoadedBy(["validate"]);
    assert.ok(modules.some((url) => /\/src\/planner\//.test(url)));
  });
});
