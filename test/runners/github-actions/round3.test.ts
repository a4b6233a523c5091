// github-actions audit, round 3: what GitHub's runner accepts without a warning; if: values that are not text. The runner drives real
// processes in real temp folders.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PlanStep } from "../../../src/model/plan.js";
import { makeHarness, makeJob, runJob, writeLocalAction, type Harness } from "./helpers.js";

describe("github-actions runner: inputs a container action always accepts", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({ hostEnv: { DOCKER_HOST: "unix:///nonexistent/orun-gha15.sock" } });
  });
  after(async () => h.dispose());

  it("with: args and entryPoint raise no 'unexpected input' warning for a docker action (GitHub's runner accepts both); others still do", async () => {
    const use = await writeLocalAction(h, "acts/container", "name: container\ninputs:\n  level: { default: info }\nruns:\n  using: docker\n  image: docker://localhost/orun-gha15-none:latest\n");
    const r = await runJob(h, makeJob("app@dev.container", [{ id: "c", use, with: { args: "--version", ENTRYPOINT: "/bin/sh", bogus: "1" } }]));
    // The container itself cannot run here (no engine at DOCKER_HOST): the warnings come first.
    assert.match(r.live, /warning: unexpected input\(s\) 'bogus' for container; valid inputs are \['entryPoint', 'args', 'level'\]/);
  });
});

describe("github-actions runner: an if: that is not text, in a plan written as JSON", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("a number is the expression YAML would read (0 skips, 1 runs); a list fails the step naming if:", async () => {
    const r = await runJob(
      h,
      makeJob("app@dev.if-types", [
        { id: "zero", if: 0, run: "echo zero-ran" },
        { id: "one", if: 1, run: "echo one-ran" },
        { id: "list", if: ["x"], run: "echo list-ran" },
      ] as unknown as Partial<PlanStep>[]),
      { stopOnFailure: false },
    );
    assert.deepEqual(
      r.steps.map((s) => [s.skipped === true, s.output, s.error]),
      [
        [true, "", undefined],
        [false, "one-ran", undefined],
        [false, "", "if: must be an expression (text) or true/false, got a list"],
      ],
    );
  });
});

describe("github-actions runner: composite actions nested three deep", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("inputs (with action.yml defaults, expressions in them) go down and outputs come back up through each level", async () => {
    const level = (n: number, inner: string): string =>
      [
        `name: level${n}`,
        "inputs:",
        `  v: { default: "d${n}-\${{ github.event_name }}" }`,
        `  extra: { default: "e${n}" }`,
        "outputs:",
        `  out: { value: "\${{ steps.inner.outputs.out }}|L${n}" }`,
        "runs:",
        "  using: composite",
        "  steps:",
        "    - id: inner",
        ...(inner
          ? [`      uses: ${inner}`, `      with: { v: "\${{ inputs.v }}>${n}" }`]
          : ["      shell: bash", '      run: echo "out=${{ inputs.v }}/${{ inputs.extra }}" >> "$GITHUB_OUTPUT"']),
        "",
      ].join("\n");
    const three = await writeLocalAction(h, "acts/three", level(3, ""));
    const two = await writeLocalAction(h, "acts/two", level(2, three));
    const one = await writeLocalAction(h, "acts/one", level(1, two));
    const r = await runJob(
      h,
      makeJob("app@dev.nested3", [
        { id: "top", use: one },
        { id: "given", use: one, with: { V: "mine" } },
        { id: "show", run: 'echo "${{ steps.top.outputs.out }} ${{ steps.given.outputs.out }}"' },
      ]),
    );
    assert.equal(r.steps[2]!.error, undefined, r.steps[2]!.output);
    assert.equal(r.steps[2]!.output, "d1-workflow_dispatch>1>2/e3|L3|L2|L1 mine>1>2/e3|L3|L2|L1");
  });
});

describe("github-actions runner: stop-commands tokens GitHub's runner refuses", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("a command's name, pause-logging or nothing as the token fails the step and stops nothing (add-mask still masks); the step may opt in", async () => {
    const script = (token: string): string => `echo "::stop-commands::${token}"; echo "::add-mask::hidden-${token || "empty"}"; echo "shown hidden-${token || "empty"}"`;
    const r = await runJob(
      h,
      makeJob("app@dev.stop-tokens", [
        { id: "named", run: script("add-mask") },
        { id: "pause", run: script("pause-logging") },
        { id: "empty", run: script("") },
        { id: "random", run: script("f3a9c2e1d0b4") },
        { id: "opted", env: { ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS: "true" }, run: script("add-mask") },
      ]),
      { stopOnFailure: false },
    );
    for (const [i, token] of ["add-mask", "pause-logging", ""].entries()) {
      assert.match(r.steps[i]!.error ?? "", new RegExp(`Unable to process command '::stop-commands::${token}' successfully\\. You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command`), token);
      assert.match(r.steps[i]!.output, /^error: Unable to process command[^\n]*\nshown \*\*\*$/, token);
    }
    // A random token stops processing: the add-mask line is printed, not obeyed.
    assert.equal(r.steps[3]!.error, undefined);
    assert.equal(r.steps[3]!.output, "::add-mask::hidden-f3a9c2e1d0b4\nshown hidden-f3a9c2e1d0b4");
    // Opted in: the token is taken (and the add-mask line resumes processing, as on GitHub then).
    assert.equal(r.steps[4]!.error, undefined);
  });
});

describe("github-actions runner: a broken expression is reported naming the field it is in", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("env.<KEY>, with.<input>, the job env's key — and a broken job env is not blamed on an action's pre", async () => {
    const use = await writeLocalAction(h, "acts/plain", "name: plain\ninputs:\n  v: { default: d }\nruns:\n  using: composite\n  steps:\n    - run: echo plain\n      shell: bash\n");
    const r = await runJob(
      h,
      makeJob("app@dev.fields", [
        { id: "env", env: { TOKEN: "${{ nosuch() }}" }, run: "echo never" },
        { id: "with", use, with: { v: "${{ 1 == }}" } },
      ]),
      { stopOnFailure: false },
    );
    assert.equal(r.steps[0]!.error, "env.TOKEN: invalid expression ${{ nosuch() }}: Unrecognized function: 'nosuch'");
    assert.equal(r.steps[1]!.error, "with.v: invalid expression ${{ 1 == }}: Unexpected end of expression: '=='");
    const broken = await runJob(h, makeJob("app@dev.job-env", [{ id: "act", use }], { J: "${{ bad( }}" }));
    assert.equal(broken.steps[0]!.error, "job env: J: invalid expression ${{ bad( }}: Unexpected end of expression: '('");
  });
});

describe("github-actions runner: an action's pre at job start keeps its step's time limit", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("a hung pre is stopped by the step's timeout and fails the job start naming the step", async () => {
    const use = await writeLocalAction(h, "acts/hung-pre", "name: hung-pre\nruns:\n  using: node20\n  pre: pre.cjs\n  main: main.cjs\n", {
      "pre.cjs": 'console.log("pre started"); setInterval(() => {}, 1000);\n',
      "main.cjs": 'console.log("main");\n',
    });
    const started = Date.now();
    await assert.rejects(runJob(h, makeJob("app@dev.hung-pre", [{ id: "act", use, timeout: "1s" }])), /^Error: pre of step act \(\.\/acts\/hung-pre\): command timed out after 1s$/);
    assert.ok(Date.now() - started < 15_000, "stopped by the 1s timeout");
  });
});

describe("github-actions runner: an action's post at job end keeps its step's time limit", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("a hung post is stopped by the timeout of the step that registered it; the job finalizer says so", async () => {
    const use = await writeLocalAction(h, "acts/hung-post", "name: hung-post\nruns:\n  using: node20\n  main: main.cjs\n  post: post.cjs\n", {
      "main.cjs": 'console.log("main");\n',
      "post.cjs": 'console.log("post started"); setInterval(() => {}, 1000);\n',
    });
    const started = Date.now();
    const r = await runJob(h, makeJob("app@dev.hung-post", [{ id: "act", use }]), { timeoutMs: 1000 });
    assert.equal(r.steps[0]!.error, undefined, r.steps[0]!.output);
    assert.equal(r.finish?.error, "post act: command timed out after 1s");
    assert.match(r.finish?.output ?? "", /▸ Post act\npost started/);
    assert.ok(Date.now() - started < 15_000, "stopped by the 1s timeout");
  });
});
