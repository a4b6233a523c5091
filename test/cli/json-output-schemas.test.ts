// Every machine-readable output, produced by the real binary on a copy of examples/platform, validated against
// the schema published for it in schemas/output/; and every command that takes --json (or get's -o json)
// answers a failure with a JSON error on stdout, the usual `✕` text on stderr and exit 1.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { PROJECT_ROOT, runOrun, type CliResult } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { until } from "../support/wait.js";
import { TOKEN_PREFIX } from "../../src/remote/backend/auth/tokens.js";
import { killAllChildren, startBackendProcess, writePlan, type BackendProcess } from "../remote/processes.js";

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
const OUTPUT_SCHEMAS = path.join(PROJECT_ROOT, "schemas/output");

let tmp = "";
let project = "";
const validators = new Map<string, (value: unknown) => boolean>();
const ajv = addFormats(new Ajv({ strict: true, allErrors: true, strictTypes: false, strictRequired: false }));

/** Parses `text` as one JSON document and asserts it matches schemas/output/<name>.schema.json. */
async function assertMatches(name: string, text: string): Promise<unknown> {
  let validate = validators.get(name);
  if (!validate) {
    const schema = JSON.parse(await fs.readFile(path.join(OUTPUT_SCHEMAS, `${name}.schema.json`), "utf8")) as object;
    validate = ajv.compile(schema);
    validators.set(name, validate);
  }
  const value = JSON.parse(text) as unknown;
  const check = validate;
  assert.ok(check(value), `${name}: ${JSON.stringify((check as unknown as { errors: unknown }).errors)}\n${text}`);
  return value;
}

const orun = (args: string[], cwd = project): Promise<CliResult> => runOrun(args, { cwd, env: { ORUN_EXEC_ID: "", ORUN_REMOTE_STATE: "" } });

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-json-schemas-"));
  project = path.join(tmp, "platform");
  await copyExample("platform", project);
});
after(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe("the published output schemas", () => {
  test("every schema in schemas/output compiles in strict mode and names its own file as $id", async () => {
    const files = (await fs.readdir(OUTPUT_SCHEMAS)).filter((f) => f.endsWith(".schema.json")).sort();
    assert.deepEqual(files, [
      "error.schema.json",
      "get-components.schema.json",
      "get-jobs.schema.json",
      "get-plans.schema.json",
      "run-background.schema.json",
      "run.schema.json",
      "status-list.schema.json",
      "status.schema.json",
      "token-create.schema.json",
    ]);
    for (const file of files) {
      const schema = JSON.parse(await fs.readFile(path.join(OUTPUT_SCHEMAS, file), "utf8")) as { $id: string };
      assert.equal(schema.$id, `https://orun.dev/schemas/output/${file}`);
      new Ajv({ strict: true, strictTypes: false, strictRequired: false, validateFormats: false }).compile(schema);
    }
  });
});

describe("real outputs match their schemas", () => {
  test("status before any run is null; run, dry run, status, status --all and get -o json match", async () => {
    const none = await orun(["status", "--json"]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(await assertMatches("status", none.stdout), null);

    const dry = await orun(["run", "--all", "--dry-run", "--json"]);
    assert.equal(dry.code, 0, dry.stderr);
    const preview = (await assertMatches("run", dry.stdout)) as { dryRun: boolean; preview?: unknown[] };
    assert.equal(preview.dryRun, true);
    assert.ok(preview.preview && preview.preview.length > 0, "a dry run's summary holds the preview");
    // The docker runner's preview adds each job's image and where it came from.
    const dockerDry = await orun(["run", "--all", "--dry-run", "--json", "--runner", "docker"]);
    assert.equal(dockerDry.code, 0, dockerDry.stderr);
    const images = (await assertMatches("run", dockerDry.stdout)) as { preview: { image?: string | null; imageFrom?: string }[] };
    assert.ok(images.preview.every((job) => typeof job.image === "string" && typeof job.imageFrom === "string"), dockerDry.stdout);

    const run = await orun(["run", "--all", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = (await assertMatches("run", run.stdout)) as { execId: string; planId: string; counts: { total: number; succeeded: number } };
    assert.match(summary.planId, /^[0-9a-f]{12}$/);
    assert.equal(summary.counts.succeeded, summary.counts.total);

    const status = await orun(["status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const one = (await assertMatches("status", status.stdout)) as { execID: string; meta: { execId: string; planId: string } };
    assert.equal(one.execID, summary.execId);
    assert.equal(one.meta.planId, summary.planId, "run's summary and status name the plan alike");

    const all = await orun(["status", "--all", "--json"]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(((await assertMatches("status-list", all.stdout)) as unknown[]).length, 1);

    for (const [what, schema] of [["plans", "get-plans"], ["jobs", "get-jobs"], ["components", "get-components"]] as const) {
      const got = await orun(["get", what, "-o", "json"]);
      assert.equal(got.code, 0, got.stderr);
      assert.ok(((await assertMatches(schema, got.stdout)) as unknown[]).length > 0, `get ${what} lists something`);
    }
  });

  test("a plan without jobs gives the summary's plan fields and zero counts", async () => {
    const file = path.join(tmp, "no-jobs.json");
    await fs.writeFile(file, JSON.stringify({ apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "nothing" }, jobs: [] }));
    const run = await orun(["run", file, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = (await assertMatches("run", run.stdout)) as { planName: string; counts: { total: number }; jobs: unknown[] };
    assert.equal(summary.planName, "nothing");
    assert.equal(summary.counts.total, 0);
  });

  test("run --background --json says where the summary goes; the summary there matches run's schema", async () => {
    const started = await orun(["run", "--all", "--background", "--json"]);
    assert.equal(started.code, 0, started.stderr);
    const { summary } = (await assertMatches("run-background", started.stdout)) as { summary: string };
    await until(() => existsSync(summary), "the background run's summary.json");
    await assertMatches("run", await fs.readFile(summary, "utf8"));
  });

  test("backend token create --json", async () => {
    const created = await orun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", `sqlite:${path.join(tmp, "backend.db")}`, "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const token = (await assertMatches("token-create", created.stdout)) as { namespace: string };
    assert.equal(token.namespace, "local:acme/app");
  });
});

describe("failures under --json are a JSON error on stdout", () => {
  /** Runs `args`, which must fail: exit 1, `✕ <message>` on stderr, and the same message as a JSON error on stdout. */
  async function failsInJson(args: string[], cwd = project): Promise<{ message: string; file?: string; line?: number; field?: string; hint?: string }> {
    const result = await orun(args, cwd);
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    const { error } = (await assertMatches("error", result.stdout)) as { error: { message: string } };
    assert.ok(result.stderr.includes(`✕ ${error.message}`), `stderr keeps the text: ${result.stderr}`);
    return error;
  }

  test("run: a missing plan file, a plan file that does not parse (its line), an unknown job, bad flags and values", async () => {
    assert.match((await failsInJson(["run", "--json", "nosuch.json"])).message, /plan file nosuch\.json not found/);
    const bad = path.join(tmp, "bad.yaml");
    await fs.writeFile(bad, "apiVersion: orun.io/v1\njobs: [\n");
    const parse = await failsInJson(["run", bad, "--json"]);
    assert.equal(parse.file, bad);
    assert.equal(typeof parse.line, "number");
    assert.match((await failsInJson(["run", "--all", "--json", "--job", "nosuch@dev.x"])).message, /job not found: nosuch@dev\.x/);
    assert.equal((await failsInJson(["run", "--json", "--bogus"])).message, "unknown option '--bogus'");
    assert.match((await failsInJson(["run", "--json", "--runner", "nope"])).message, /argument 'nope' is invalid/);
    // Global flags ahead of the command, and one it does not take, as typed.
    assert.equal((await failsInJson(["-i", "intent.yaml", "run", "--json", "--bogus"])).message, "unknown option '--bogus'");
    assert.match((await failsInJson(["--all", "status", "--json"])).message, /--all before "status" is the global scope flag/);
  });

  test("run --background --json refused before its run starts: the parent prints the child's error, exit 1", async () => {
    // The job's dependency is not done in the record: the child refuses it once it holds the record, not the parent.
    const dir = await fs.mkdtemp(path.join(tmp, "bg-refused-"));
    const job = (id: string, dependsOn: string[]): object => ({ id, component: id.split("@")[0], environment: "dev", dependsOn, steps: [{ run: "true" }] });
    await fs.writeFile(path.join(dir, "plan.json"), JSON.stringify({ apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "bg" }, jobs: [job("a@dev.x", []), job("b@dev.x", ["a@dev.x"])] }));
    const refused = await failsInJson(["run", "plan.json", "--job", "b@dev.x", "--exec-id", "bg-1", "--background", "--json"], dir);
    assert.match(refused.message, /^cannot run b@dev\.x: dependencies not completed \(a@dev\.x\)/);
    assert.match(refused.hint ?? "", /--exec-id bg-1 --job a@dev\.x/);

    // A started one still says so (the refusal left no record behind: bg-1 starts afresh).
    const started = await orun(["run", "plan.json", "--job", "a@dev.x", "--exec-id", "bg-1", "--background", "--json"], dir);
    assert.equal(started.code, 0, started.stderr);
    const { summary } = (await assertMatches("run-background", started.stdout)) as { summary: string };
    await until(() => existsSync(summary), "the background run's summary.json");
  });

  test("status --all --json: a record that cannot be read has `error` in the JSON error shape", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "status-list-"));
    await fs.writeFile(path.join(dir, "plan.json"), JSON.stringify({ apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "sl" }, jobs: [{ id: "a@dev.x", component: "a", environment: "dev", steps: [{ run: "true" }] }] }));
    for (const id of ["good", "bad"]) assert.equal((await orun(["run", "plan.json", "--exec-id", id], dir)).code, 0);
    await fs.writeFile(path.join(dir, ".orun", "executions", "bad", "state.json"), "{");
    const all = await orun(["status", "--all", "--json"], dir);
    assert.equal(all.code, 0, all.stderr);
    const rows = (await assertMatches("status-list", all.stdout)) as { execID: string; error?: { message: string } }[];
    assert.match(rows.find((row) => row.execID === "bad")?.error?.message ?? "", /state\.json.*corrupt execution state/);
    assert.equal(rows.find((row) => row.execID === "good")?.error, undefined);
  });

  test("a plan edited after orun plan wrote it: the field and hint are their own keys", async () => {
    const planned = await orun(["plan", "-o", path.join(tmp, "edited.json")]);
    assert.equal(planned.code, 0, planned.stderr);
    const plan = JSON.parse(await fs.readFile(path.join(tmp, "edited.json"), "utf8")) as { jobs: unknown[] };
    plan.jobs = [];
    await fs.writeFile(path.join(tmp, "edited.json"), JSON.stringify(plan));
    const error = await failsInJson(["run", path.join(tmp, "edited.json"), "--json"]);
    assert.equal(error.field, "metadata.checksum");
    assert.match(error.hint ?? "", /run `orun plan` again/);
  });

  test("status, get -o json and backend token create", async () => {
    assert.equal((await failsInJson(["status", "--json", "--exec-id", "nope"])).message, "execution not found: nope");
    assert.match((await failsInJson(["get", "jobs", "-o", "json", "--plan", "nosuch"])).message, /plan not found: nosuch/);
    assert.match((await failsInJson(["get", "plans", "--output=json", "--bogus"])).message, /unknown option '--bogus'/);
    assert.match((await failsInJson(["backend", "token", "create", "--json"])).message, /required option '--namespace <repo>' not specified/);
  });

  test("without --json, or with it after --, a failure prints nothing on stdout", async () => {
    for (const args of [["run", "nosuch.json"], ["get", "jobs", "-o", "yaml", "--plan", "nosuch"], ["run", "nosuch.json", "--", "--json"]]) {
      const result = await orun(args);
      assert.equal(result.code, 1, args.join(" "));
      assert.equal(result.stdout, "", args.join(" "));
      assert.match(result.stderr, /^✕ /);
    }
  });
});

describe("under remote state (a real orun backend on loopback), run and status --json match the same schemas", () => {
  let backend: BackendProcess | undefined;
  let repo = "";
  let token = "";
  const remote = (args: string[]): Promise<CliResult> =>
    runOrun(args, { cwd: repo, env: { ORUN_TOKEN: token, ORUN_EXEC_ID: "", ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", GITHUB_RUN_ID: "" } });

  before(async () => {
    const database = `sqlite:${path.join(tmp, "remote.db")}`;
    backend = await startBackendProcess(database);
    const created = await orun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", database], tmp);
    token = created.stdout.split("\n").find((line) => line.startsWith(TOKEN_PREFIX))?.trim() ?? "";
    assert.ok(token, created.stderr);
    repo = path.join(tmp, "remote-repo");
    await fs.mkdir(repo);
    await fs.writeFile(path.join(repo, "intent.yaml"), `apiVersion: orun.io/v1\nkind: Intent\nmetadata:\n  name: remote-json\nexecution:\n  state:\n    mode: remote\n    backendUrl: ${backend.url}\n`);
  });
  after(async () => {
    killAllChildren();
    await backend?.stop();
  });

  test("the remote run's summary and status name the plan alike; an unknown run is a JSON error", async () => {
    const plan = await writePlan(repo, "remote", [
      { id: "a@dev.build", run: "echo built" },
      { id: "b@dev.test", deps: ["a@dev.build"], run: "exit 3" },
    ]);
    const run = await remote(["run", plan, "--json"]);
    assert.equal(run.code, 1, run.stderr);
    const summary = (await assertMatches("run", run.stdout)) as { remoteRunId: string; planId: string; status: string };
    assert.equal(summary.status, "failed");
    const status = await remote(["status", "--json", "--exec-id", summary.remoteRunId]);
    assert.equal(status.code, 0, status.stderr);
    const shown = (await assertMatches("status", status.stdout)) as { execID: string; meta: { planId: string } };
    assert.equal(shown.execID, summary.remoteRunId);
    assert.equal(shown.meta.planId, summary.planId);
    const missing = await remote(["status", "--json", "--exec-id", "no-such-run"]);
    assert.equal(missing.code, 1, missing.stdout);
    await assertMatches("error", missing.stdout);
  });
});
