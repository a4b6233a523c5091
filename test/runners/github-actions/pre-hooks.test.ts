// Action `pre` hooks run at job start, in step order, before any main — as on
// GitHub. Real node actions written to a temp workspace; each hook appends a
// line to a marker file, so the file proves the order.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanJob } from "../../../src/model/plan.js";
import type { JobContext } from "../../../src/runners/runner.js";
import { runOrun } from "../../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../../support/container-engine.js";
import { makeHarness, makeJob, makePlan, runJob, tempDir, type Harness } from "./helpers.js";

const availability = await provideContainerEngine();

const NODE_RUNS = "  using: node20\n  pre: pre.cjs\n  main: main.cjs\n  post: post.cjs\n";

// Appends "<phase> <INPUT_TAG> state=<STATE_token>" to $MARKER; pre saves token=<tag>-tok.
function hookScript(phase: string, extra = ""): string {
  return `const fs = require("node:fs");
const tag = process.env.INPUT_TAG;
fs.appendFileSync(process.env.MARKER, \`${phase} \${tag} state=\${process.env.STATE_token ?? "none"}\\n\`);
console.log(\`${phase} output of \${tag}\`);
${extra}`;
}

async function writeActions(ws: string): Promise<void> {
  await writeAction(ws, "hooked", NODE_RUNS);
  await writeAction(ws, "conditional", `${NODE_RUNS}  pre-if: \${{ inputs.run-pre == 'yes' }}\n`);
  await writeAction(ws, "failing", NODE_RUNS, `${hookScript("pre")}\nconsole.log("about to fail");\nprocess.exit(3);\n`);
  await writeAction(ws, "leaky", NODE_RUNS, `${hookScript("pre")}\nconsole.log("token is pre-secret-4711");\n`);
  await writeAction(ws, "masking", NODE_RUNS, `${hookScript("pre")}\nconsole.log("::add-mask::pre-secret-4711");\n`);
}

async function writeAction(ws: string, name: string, runs: string, pre = hookScript("pre", 'fs.appendFileSync(process.env.GITHUB_STATE, `token=${tag}-tok\\n`);')): Promise<void> {
  const dir = path.join(ws, "actions", name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, "action.yml"),
    `name: ${name}\ninputs:\n  tag:\n    required: true\n  run-pre:\n    default: "yes"\nruns:\n${runs}`,
  );
  await writeFile(path.join(dir, "pre.cjs"), pre);
  await writeFile(path.join(dir, "main.cjs"), hookScript("main"));
  await writeFile(path.join(dir, "post.cjs"), hookScript("post"));
}


describe("github-actions runner: pre hooks at job start", () => {
  let h: Harness;
  let ws: string;
  let marker: string;
  let n = 0;

  before(async () => {
    ws = await tempDir("pre-ws");
    await writeActions(ws);
    const composite = path.join(ws, "actions", "wrapper");
    await mkdir(composite, { recursive: true });
    await writeFile(
      path.join(composite, "action.yml"),
      "name: wrapper\nruns:\n  using: composite\n  steps:\n    - uses: ./actions/hooked\n      with:\n        tag: nested\n",
    );
    h = await makeHarness({ workspace: ws });
  });
  after(async () => {
    await h.dispose();
    await rm(ws, { recursive: true, force: true });
  });

  function job(steps: Parameters<typeof makeJob>[1]): PlanJob {
    marker = path.join(ws, `marker-${++n}.txt`);
    return makeJob(`web@dev.pre${n}`, steps, { MARKER: marker });
  }
  const markerLines = async (): Promise<string[]> => (await readFile(marker, "utf8").catch(() => "")).split("\n").filter(Boolean);

  it("runs both steps' pres before either main, in step order; state reaches main and post; pre output leads the step's log", async () => {
    const r = await runJob(
      h,
      job([
        { id: "one", name: "First step", use: "./actions/hooked", with: { tag: "a" } },
        { id: "two", use: "./actions/hooked", with: { tag: "b" } },
      ]),
    );
    assert.deepEqual(r.steps.map((s) => s.error), [undefined, undefined]);
    assert.deepEqual(await markerLines(), [
      "pre a state=none",
      "pre b state=none",
      "main a state=a-tok",
      "main b state=b-tok",
      "post b state=b-tok",
      "post a state=a-tok",
    ]);
    const one = r.steps[0].output.split("\n");
    assert.deepEqual(one.slice(0, 3), ["▸ Pre First step", "pre output of a", "main output of a"]);
    assert.deepEqual(r.steps[1].output.split("\n").slice(0, 3), ["▸ Pre two", "pre output of b", "main output of b"]);
    assert.match(r.live, /▸ Pre First step\npre output of a\nmain output of a\n/);
    assert.equal((r.live.match(/pre output of a/g) ?? []).length, 1, "pre output is shown once");
    assert.doesNotMatch(r.finish ? r.finish.output : "", /▸ Pre/);
  });

  it("orders pres like the steps run: pre phase, then main, then post phase, by order", async () => {
    await runJob(
      h,
      job([
        { id: "late", use: "./actions/hooked", with: { tag: "late" }, phase: "post" },
        { id: "second", use: "./actions/hooked", with: { tag: "second" }, order: 2 },
        { id: "first", use: "./actions/hooked", with: { tag: "first" }, order: 1 },
        { id: "setup", use: "./actions/hooked", with: { tag: "setup" }, phase: "pre" },
      ]),
    );
    const pres = (await markerLines()).filter((l) => l.startsWith("pre ")).map((l) => l.split(" ")[1]);
    assert.deepEqual(pres, ["setup", "first", "second", "late"]);
  });

  it("skips a pre whose pre-if is false (main then sees no state); a skipped step still had its pre", async () => {
    const skipped = { id: "skipped", use: "./actions/hooked", with: { tag: "skipped" }, if: "false" };
    const r = await runJob(
      h,
      job([
        { id: "off", use: "./actions/conditional", with: { tag: "off", "run-pre": "no" } },
        { id: "on", use: "./actions/conditional", with: { tag: "on" } },
        skipped,
      ]),
    );
    const lines = await markerLines();
    assert.ok(!lines.some((l) => l.startsWith("pre off")), lines.join("\n"));
    assert.ok(lines.includes("main off state=none"), lines.join("\n"));
    assert.ok(lines.includes("main on state=on-tok"), lines.join("\n"));
    assert.ok(lines.includes("pre skipped state=none"), "a step skipped by if: still had its pre");
    assert.ok(!lines.some((l) => l.startsWith("main skipped")));
    assert.ok(lines.indexOf("pre skipped state=none") < lines.indexOf("main off state=none"));
    assert.doesNotMatch(r.steps[0].output, /▸ Pre/);
    assert.match(r.steps[2].output, /^▸ Pre skipped\npre output of skipped/);
  });

  it("a failing pre fails startJob before any main, naming step and action; its output goes to the finalizer", async () => {
    const plan = job([
      { id: "ok", use: "./actions/hooked", with: { tag: "ok" } },
      { id: "bad", use: "./actions/failing", with: { tag: "bad" } },
      { id: "after", use: "./actions/hooked", with: { tag: "after" } },
    ]);
    const jobDir = path.join(ws, "jobdir");
    await mkdir(jobDir, { recursive: true });
    const ctx: JobContext = { run: h.run, job: plan, jobDir, signal: new AbortController().signal };
    await assert.rejects(h.runner.startJob(ctx), (err: Error) => {
      assert.match(err.message, /^pre of step bad \(\.\/actions\/failing\): exit status 3/);
      return true;
    });
    assert.deepEqual(await markerLines(), ["pre ok state=none", "pre bad state=none"], "no main ran, later pres did not run");
    const finish = await h.runner.finishJob(ctx, { failed: true });
    assert.ok(finish);
    assert.match(finish.output, /▸ Pre ok\npre output of ok/);
    assert.match(finish.output, /▸ Pre bad\npre output of bad\nabout to fail/);
    // The post of the step whose pre ran is not registered: its main never ran (GitHub registers posts with the main).
    assert.ok(!(await markerLines()).some((l) => l.startsWith("post")));
  });

  it("masks a pre's output when its step shows it, with the masks later pres added", async () => {
    const r = await runJob(
      h,
      job([
        { id: "first", use: "./actions/leaky", with: { tag: "a" } },
        { id: "second", use: "./actions/masking", with: { tag: "b" } },
      ]),
    );
    assert.deepEqual(r.steps.map((s) => s.error), [undefined, undefined]);
    assert.match(r.steps[0].output, /^▸ Pre first\npre output of a\ntoken is \*\*\*\n/);
    assert.doesNotMatch(`${r.live}${r.steps.map((s) => s.output).join("")}`, /pre-secret-4711/);
  });

  it("runs a pre once when the step is retried", async () => {
    const plan = job([{ id: "flaky", use: "./actions/hooked", with: { tag: "flaky" } }]);
    const jobDir = path.join(ws, "jobdir");
    await mkdir(jobDir, { recursive: true });
    const ctx: JobContext = { run: h.run, job: plan, jobDir, signal: new AbortController().signal };
    await h.runner.startJob(ctx);
    const step = plan.steps[0]!;
    const outputs: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await h.runner.runStep({ job: ctx, step, stepKey: "flaky", cwd: jobDir, env: { MARKER: marker }, signal: ctx.signal, onOutput: () => undefined });
      outputs.push(result.output);
    }
    await h.runner.finishJob(ctx, { failed: false });
    assert.deepEqual(await markerLines(), ["pre flaky state=none", "main flaky state=flaky-tok", "main flaky state=flaky-tok", "post flaky state=flaky-tok"]);
    assert.match(outputs[0]!, /^▸ Pre flaky/);
    assert.doesNotMatch(outputs[1]!, /▸ Pre/);
  });

  it("leaves pres of actions nested in a composite right before their main (GitHub does not hoist them)", async () => {
    await runJob(
      h,
      job([
        { id: "first", use: "./actions/hooked", with: { tag: "first" } },
        { id: "wrapped", use: "./actions/wrapper" },
      ]),
    );
    assert.deepEqual((await markerLines()).slice(0, 4), ["pre first state=none", "main first state=first-tok", "pre nested state=none", "main nested state=nested-tok"]);
  });
});

describe("orun run: a failing pre fails the job at start (built binary)", () => {
  it("records the job failed naming step and action, runs no main step, and shows the pres' output", async () => {
    const ws = await tempDir("pre-cli");
    try {
      await writeActions(ws);
      const marker = path.join(ws, "marker.txt");
      const plan = makePlan(
        [
          makeJob(
            "app@dev.build",
            [
              { id: "script", run: 'echo "main script" >> "$MARKER"' },
              { id: "ok", use: "./actions/hooked", with: { tag: "ok" } },
              { id: "bad", use: "./actions/failing", with: { tag: "bad" } },
            ],
            { MARKER: marker },
          ),
        ],
        "pre-cli",
      );
      await writeFile(path.join(ws, "plan.json"), JSON.stringify(plan));
      const env = { GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_ACTIONS_CACHE: path.join(ws, ".cache") };
      const r = await runOrun(["run", "plan.json", "--exec-id", "pre-cli-1"], { cwd: ws, env, timeoutMs: 60_000 });
      assert.notEqual(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /start job: pre of step bad \(\.\/actions\/failing\): command exited with code 3/);
      assert.deepEqual((await readFile(marker, "utf8")).split("\n").filter(Boolean), ["pre ok state=none", "pre bad state=none"], "no main step ran");
      // The step never ran: its pre's output comes with the job's (finalizer) output.
      assert.match(r.stdout, /▸ Pre bad\n.*pre output of bad\n.*about to fail/);
      const status = await runOrun(["status", "--exec-id", "pre-cli-1"], { cwd: ws, env });
      assert.match(status.stdout, /start job: pre of step bad \(\.\/actions\/failing\): command exited with code 3/);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});

describe("github-actions runner: docker action pre-entrypoint at job start", { skip: availability.skip }, () => {
  it("runs a docker action's pre-entrypoint with the node pres, before any main", async () => {
    const engine = availability.engine!;
    const ws = await tempDir("pre-docker");
    const h = await makeHarness({ workspace: ws, hostEnv: engine.env });
    try {
      await writeActions(ws);
      const dir = path.join(ws, "actions", "boxed");
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, "action.yml"),
        `name: boxed\nruns:\n  using: docker\n  image: docker://${TEST_IMAGE}\n  pre-entrypoint: /github/action/pre.sh\n  entrypoint: /github/action/main.sh\n`,
      );
      await writeFile(path.join(dir, "pre.sh"), '#!/bin/sh\necho "pre boxed" >> /github/workspace/marker.txt\necho "token=box-tok" >> "$GITHUB_STATE"\n');
      await writeFile(path.join(dir, "main.sh"), '#!/bin/sh\necho "main boxed state=$STATE_token" >> /github/workspace/marker.txt\n');
      await chmod(path.join(dir, "pre.sh"), 0o755);
      await chmod(path.join(dir, "main.sh"), 0o755);
      const marker = path.join(ws, "marker.txt");
      const r = await runJob(
        h,
        makeJob("web@dev.boxed", [{ id: "boxed", use: "./actions/boxed" }, { id: "node", use: "./actions/hooked", with: { tag: "node" } }], { MARKER: marker }),
      );
      assert.deepEqual(r.steps.map((s) => s.error), [undefined, undefined]);
      assert.deepEqual((await readFile(marker, "utf8")).split("\n").filter(Boolean).slice(0, 4), [
        "pre boxed",
        "pre node state=none",
        "main boxed state=box-tok",
        "main node state=node-tok",
      ]);
    } finally {
      await h.dispose();
      await rm(ws, { recursive: true, force: true });
    }
  });
});
