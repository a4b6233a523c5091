// github-actions audit, round 2: composite env precedence, the step summary cap, the runtime/cache
// service variables. The runner drives real processes in real temp folders.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { GitHubApiTwin } from "../../support/github-api.js";
import { parseKeyValueFile } from "../../../src/runners/github-actions/file-commands.js";
import { LineSplitter, MAX_LINE } from "../../../src/runners/github-actions/workflow-commands.js";
import { makeHarness, makeJob, runJob, tempDir, writeLocalAction, type Harness } from "./helpers.js";

describe("github-actions runner: env inside composite actions, as GitHub's runner layers it", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("the calling step's env (over the job env and GITHUB_ENV as they were at the call) beats GITHUB_ENV; a child's own env beats both", async () => {
    const show = 'echo "$1 J=$J SHARED=$SHARED EXP=$EXP CALL=$CALL CHILD=$CHILD NEW=${NEW:-} ctx=${{ env.CALL }}" >> TRACE';
    const use = await writeLocalAction(
      h,
      "acts/layers",
      `name: layers
runs:
  using: composite
  steps:
    - run: ${JSON.stringify(show.replace("$1", "first"))}
      shell: bash
      env:
        CHILD: child
    - run: |
        echo "CALL=inner" >> "$GITHUB_ENV"
        echo "NEW=new" >> "$GITHUB_ENV"
      shell: bash
    - run: ${JSON.stringify(show.replace("$1", "second"))}
      shell: bash
`,
    );
    const jobDir = path.join(h.workspace, "layers-job");
    const r = await runJob(
      h,
      makeJob(
        "web@dev.layers",
        [
          { id: "export", run: 'printf "SHARED=exported\\nEXP=exported\\nCALL=exported\\n" >> "$GITHUB_ENV"' },
          { id: "call", use, env: { CALL: "call", CHILD: "call" } },
          { id: "after", run: 'echo "after CALL=$CALL NEW=$NEW" >> TRACE' },
        ],
        { J: "job", SHARED: "job" },
      ),
      { jobDir },
    );
    assert.deepEqual(
      r.steps.map((s) => s.error),
      [undefined, undefined, undefined],
      r.live,
    );
    assert.equal(
      await readFile(path.join(jobDir, "TRACE"), "utf8"),
      [
        // GITHUB_ENV beats the job env at job level; the calling step's env beats GITHUB_ENV; the child's env beats the calling step's.
        "first J=job SHARED=exported EXP=exported CALL=call CHILD=child NEW= ctx=call",
        // A child's export of a variable the calling step set does not reach its later siblings (the call's env wins); a new one does.
        "second J=job SHARED=exported EXP=exported CALL=call CHILD=call NEW=new ctx=call",
        // After the composite, the export is the job's.
        "after CALL=inner NEW=new",
        "",
      ].join("\n"),
    );
  });
});

describe("github-actions runner: GITHUB_STEP_SUMMARY is capped at 1 MiB per step, as on GitHub", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("a step summary over 1 MiB is dropped with GitHub's error (the step still succeeds); one at the cap and later ones are kept", async () => {
    const jobDir = path.join(h.workspace, "summary-job");
    const r = await runJob(
      h,
      makeJob("web@dev.summary", [
        { id: "huge", run: 'echo "# HUGE-START" >> "$GITHUB_STEP_SUMMARY"; head -c 3000000 /dev/zero | tr "\\0" x >> "$GITHUB_STEP_SUMMARY"' },
        // Exactly 1 MiB (1048576 bytes) is still accepted.
        { id: "full", run: 'printf "# FULL-START\\n" >> "$GITHUB_STEP_SUMMARY"; head -c 1048563 /dev/zero | tr "\\0" y >> "$GITHUB_STEP_SUMMARY"' },
        { id: "small", run: 'echo "### small report" >> "$GITHUB_STEP_SUMMARY"' },
      ]),
      { jobDir },
    );
    assert.deepEqual(
      r.steps.map((s) => s.error),
      [undefined, undefined, undefined],
    );
    assert.match(
      r.steps[0].output,
      /^error: \$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got 2929k\. For more information see: https:\/\/docs\.github\.com\/actions\/using-workflows\/workflow-commands-for-github-actions#adding-a-markdown-summary$/m,
    );
    assert.doesNotMatch(r.steps[1].output + r.steps[2].output, /upload aborted/);
    const summary = (r.finish && r.finish.outputs?.summary) ?? "";
    assert.doesNotMatch(summary, /HUGE-START|xxxx/, "the oversized summary is not kept");
    assert.match(summary, /^# FULL-START\ny{1048563}\n### small report\n$/);
  });
});

describe("github-actions runner: GitHub's cache and artifact service variables", () => {
  let api: GitHubApiTwin;
  let actionDir: string;
  before(async () => {
    api = await new GitHubApiTwin().start();
    actionDir = await tempDir("fake-cache-action");
    await writeFile(path.join(actionDir, "action.yml"), "name: cache\nruns:\n  using: node20\n  main: main.cjs\n");
    await writeFile(path.join(actionDir, "main.cjs"), 'console.log(`cache action ran token=${process.env.ACTIONS_RUNTIME_TOKEN ?? "unset"}`);\n');
    await api.publishDir("actions", "cache", "v4", actionDir);
  });
  after(async () => {
    await api.close();
    await rm(actionDir, { recursive: true, force: true });
  });
  const probe = 'echo "rt=${ACTIONS_RUNTIME_TOKEN-unset} results=${ACTIONS_RESULTS_URL-unset} cache=${ACTIONS_CACHE_URL-unset} url=${ACTIONS_RUNTIME_URL-unset}"';

  it("outside GitHub they are unset (no fake service to hang on) and actions/cache is preceded by a notice saying why it will miss", async (t) => {
    const h = await makeHarness({ hostEnv: { GITHUB_API_URL: api.url, ACTIONS_RUNTIME_TOKEN: "", ACTIONS_RESULTS_URL: "", ACTIONS_CACHE_URL: "", ACTIONS_RUNTIME_URL: "" } });
    t.after(() => h.dispose());
    const r = await runJob(h, makeJob("web@dev.nocache", [{ id: "probe", run: probe }, { id: "cache", use: "actions/cache@v4" }]));
    assert.deepEqual(
      r.steps.map((s) => s.error),
      [undefined, undefined],
      r.live,
    );
    assert.match(r.steps[0].output, /^rt=(unset)? results=(unset)? cache=(unset)? url=(unset)?$/m);
    assert.match(
      r.steps[1].output,
      /^notice: orun runs no GitHub cache or artifact service \(ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL, ACTIONS_CACHE_URL are set only when orun itself runs in a GitHub Actions job\): actions\/cache will find no cache and save none, and artifact uploads and downloads fail\ncache action ran token=(unset)?$/,
    );
  });

  it("inside a GitHub job (the host has them) they reach steps and actions, the runtime token masked, and no notice is shown", async (t) => {
    const h = await makeHarness({ hostEnv: { GITHUB_API_URL: api.url, ACTIONS_RUNTIME_TOKEN: "rt-secret-0123456789", ACTIONS_RESULTS_URL: "http://127.0.0.1:9/results/", ACTIONS_CACHE_URL: "http://127.0.0.1:9/cache/", ACTIONS_RUNTIME_URL: "http://127.0.0.1:9/runtime/" } });
    t.after(() => h.dispose());
    const r = await runJob(h, makeJob("web@dev.oncache", [{ id: "probe", run: probe }, { id: "cache", use: "actions/cache@v4" }]));
    assert.equal(r.steps[0].output, "rt=*** results=http://127.0.0.1:9/results/ cache=http://127.0.0.1:9/cache/ url=http://127.0.0.1:9/runtime/");
    assert.equal(r.steps[1].output, "cache action ran token=***");
  });
});

describe("github-actions file commands: heredoc delimiters taken as written, as GitHub's runner does", () => {
  it("a delimiter with a trailing space ends only at that exact line; the value never runs past it", () => {
    assert.deepEqual(parseKeyValueFile("B<<EOF \nx\nEOF \nC=1\n", "GITHUB_ENV"), { B: "x", C: "1" });
    assert.deepEqual(parseKeyValueFile("M<<DELIM\nOK=injected\nDELIM\n", "GITHUB_ENV"), { M: "OK=injected" });
    assert.throws(() => parseKeyValueFile("B<<EOF \nx\nEOF\n", "GITHUB_ENV"), /GITHUB_ENV line 1: matching delimiter "EOF " not found for "B"/);
  });
});

describe("github-actions runner: timeout-minutes beyond Node's timer range", () => {
  it("a timeout-minutes longer than 24.8 days (50000) does not fire at once", async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const long = { id: "long", run: "sleep 0.3; echo finished", "timeout-minutes": 50000 };
    const r = await runJob(h, makeJob("web@dev.longtimeout", [long]));
    assert.equal(r.steps[0]!.error, undefined, r.live);
    assert.equal(r.steps[0]!.output, "finished");
  });
});

describe("github-actions output lines: bounded, whatever a step prints", () => {
  it("a line without newline is handed on in pieces of at most maxLine that join back to it; newlines across chunks still split", () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l), 10);
    s.push("ab");
    s.push("cdefghijklmnopq");
    s.push("rstuvwxyz\nnext ");
    s.push("line\n\nlast");
    s.flush();
    assert.deepEqual(got, ["abcdefghij", "klmnopqrst", "uvwxyz", "next line", "", "last"]);
    assert.ok(got.every((l) => l.length <= 10));
  });

  it("later pieces of a long line are continuations, and a piece never ends between the halves of a surrogate pair", () => {
    const got: [string, boolean][] = [];
    const s = new LineSplitter((l, continuation) => got.push([l, continuation]), 30);
    s.push("xxxxxxxxxxxxxxxxxxxx::set-output name=o::INJECTED\n::set-output name=o::real\n");
    s.push(`${"a".repeat(29)}😀tail\n`);
    assert.deepEqual(got, [
      ["xxxxxxxxxxxxxxxxxxxx::set-outp", false],
      ["ut name=o::INJECTED", true],
      ["::set-output name=o::real", false],
      ["a".repeat(29), false],
      ["😀tail", true],
    ]);
  });

  it("a long line with CRs is cut after the last CR that fits, and the piece after that cut starts a CR-part", () => {
    const got: [string, boolean][] = [];
    const s = new LineSplitter((l, continuation) => got.push([l, continuation]), 20);
    s.push(`${"p".repeat(15)}\r::add-mask::v\rv shown ${"q".repeat(20)}\n`);
    assert.deepEqual(got, [
      [`${"p".repeat(15)}\r`, false],
      ["::add-mask::v\r", false],
      [`v shown ${"q".repeat(12)}`, false],
      ["q".repeat(8), true],
    ]);
  });

  it("200,000 short lines reach the record whole and in order (handed on in batches, not a write per line)", async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const r = await runJob(h, makeJob("web@dev.manylines", [{ id: "many", run: "seq 1 200000" }]));
    assert.equal(r.steps[0]!.error, undefined);
    assert.equal(r.live, `${Array.from({ length: 200_000 }, (_, i) => i + 1).join("\n")}\n`);
  });

  it("text after a 1 MiB piece of a line is never a workflow command (no output, env or mask injection)", async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const r = await runJob(
      h,
      makeJob("web@dev.injection", [
        { id: "a", run: `head -c ${MAX_LINE} /dev/zero | tr '\\000' x; echo '::set-output name=o::INJECTED'; echo '::set-output name=p::real'` },
        { id: "b", run: "echo o=[${{ steps.a.outputs.o }}] p=[${{ steps.a.outputs.p }}]" },
      ]),
    );
    assert.equal(r.steps[0]!.error, undefined);
    assert.equal(r.steps[1]!.output, "o=[] p=[real]");
  });

  it("orun keeps a step that prints 30 MB without a newline (a progress meter redrawn with \\r) and the lines after it", async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const r = await runJob(h, makeJob("web@dev.noline", [{ id: "meter", run: "head -c 30000000 /dev/zero | tr '\\000' '\\r'; echo; echo '::add-mask::after-secret'; echo 'done after-secret'" }]));
    assert.equal(r.steps[0]!.error, undefined);
    assert.match(r.steps[0]!.output, /\ndone \*\*\*$/);
    assert.ok(r.live.length >= 30_000_000, "the whole stream reached the log");
    assert.ok(r.live.split("\n").every((l) => l.length <= MAX_LINE));
  });
});

describe("github-actions file commands: a NUL byte in GITHUB_ENV or GITHUB_PATH", () => {
  it("fails the step that wrote it, naming the variable, and leaves later steps' environment intact", async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const always = { id: "cleanup", if: "always()", run: 'echo "cleanup X=${X-unset} OK=$OK"' };
    const r = await runJob(
      h,
      makeJob("web@dev.nul", [{ id: "writes", run: 'printf "OK=fine\\nX=a\\0b\\n" >> "$GITHUB_ENV"; printf "/opt/a\\0b\\n" >> "$GITHUB_PATH"' }, always]),
      { stopOnFailure: false },
    );
    assert.equal(r.steps[0]!.error, 'GITHUB_ENV: "X" has a NUL byte in its value, which no environment can hold; not set');
    assert.equal(r.steps[1]!.error, undefined, r.live);
    assert.equal(r.steps[1]!.output, "cleanup X=unset OK=fine");
  });
});

describe("github-actions file commands replaced by the step", () => {
  it("a GITHUB_ENV turned into a FIFO or a summary linked to /dev/zero fails the step naming the file, instead of hanging orun", { timeout: 30_000 }, async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const r = await runJob(
      h,
      makeJob("web@dev.replaced", [
        { id: "fifo", run: 'rm "$GITHUB_ENV"; mkfifo "$GITHUB_ENV"' },
        { id: "zero", run: 'ln -sf /dev/zero "$GITHUB_STEP_SUMMARY"' },
        { id: "after", run: "echo still fine" },
      ]),
      { stopOnFailure: false },
    );
    assert.match(r.steps[0]!.error ?? "", /^GITHUB_ENV: \S+ is no longer a regular file \(the step replaced it\); not read$/);
    assert.match(r.steps[1]!.error ?? "", /^GITHUB_STEP_SUMMARY: \S+ is no longer a regular file/);
    assert.equal(r.steps[2]!.output, "still fine");
  });
});

describe("github-actions file commands: size", () => {
  it("a GITHUB_OUTPUT over 64 MiB fails the step naming the file and is not read; the next step runs normally", async (t) => {
    const h = await makeHarness();
    t.after(() => h.dispose());
    const r = await runJob(
      h,
      makeJob("web@dev.huge-output", [
        { id: "runaway", run: 'printf "X=" >> "$GITHUB_OUTPUT"; head -c 70000000 /dev/zero | tr "\\000" y >> "$GITHUB_OUTPUT"' },
        { id: "after", run: "echo fine" },
      ]),
      { stopOnFailure: false },
    );
    assert.match(r.steps[0]!.error ?? "", /^GITHUB_OUTPUT: \S+ holds 67 MiB; file commands over 64 MiB are not read$/);
    assert.equal(r.steps[1]!.output, "fine");
  });
});
