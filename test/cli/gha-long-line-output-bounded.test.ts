// What the github-actions runner keeps of a step's or a hook's output stays bounded also when the lines are
// long (up to the 1 MiB a line is cut at): the kept tail dropped its oldest lines by moving an index past
// them, leaving them in the array until 4096 had piled up — up to 4 GiB alive for a step or a post printing
// 1 MiB lines (rev16ci #2). orun runs here with a 200 MB heap while the step and the post each print 300 MiB in
// 1 MiB lines: it ran out of memory before. And when the middle of a finish log is dropped, the kept end of
// a post whose header was dropped with it is headed "(continued)", not read as the previous post's (#3).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

const LONG_LINES = 300;
/** Prints LONG_LINES lines of 1 MiB - 1 characters and a newline, numbered at their start. */
const PRINT_LONG_LINES = `const body = "x".repeat(1024 * 1024 - 8);
let i = 1;
const next = () => {
  while (i <= ${LONG_LINES}) {
    const ok = process.stdout.write(String(i++).padStart(6, "0") + " " + body + "\\n");
    if (!ok) return process.stdout.once("drain", next);
  }
};
next();
`;
/** Heap limit for orun (and the action's node): far below what 300 MiB of kept lines need. */
const SMALL_HEAP = { NODE_OPTIONS: "--max-old-space-size=200" };

async function finishLog(ws: string, execId: string): Promise<string> {
  const logs = path.join(ws, ".orun/executions", execId, "logs");
  const [jobDir] = await readdir(logs);
  const finish = (await readdir(path.join(logs, jobDir!))).find((name) => name.includes("finish"));
  assert.ok(finish, "a finish log");
  return readFile(path.join(logs, jobDir!, finish), "utf8");
}

describe("orun run --gha: kept output of steps and hooks printing long lines", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("rev16ci-kept");
    for (const [name, post] of [["long-post", PRINT_LONG_LINES], ["short-post", 'console.log("short post ran");\n']] as const) {
      const action = path.join(ws, name);
      await mkdir(action);
      await writeFile(path.join(action, "action.yml"), `name: ${name}\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n`);
      await writeFile(path.join(action, "main.js"), 'console.log("main ran");\n');
      await writeFile(path.join(action, "post.js"), post);
    }
    await writeFile(path.join(ws, "print.js"), PRINT_LONG_LINES);
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("a run: step printing 300 MiB in 1 MiB lines runs in a 200 MB heap", async () => {
    await writeFile(path.join(ws, "step.json"), JSON.stringify(makePlan([makeJob("app@dev.step", [{ id: "long", run: "node print.js; echo done" }])], "rev16ci-step")));
    const result = await runOrun(["run", "step.json", "--gha", "--exec-id", "step"], { cwd: ws, env: ghaEnv(ws, SMALL_HEAP), timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stdout.slice(-2000) + result.stderr.slice(-2000));
    await rm(path.join(ws, ".orun"), { recursive: true, force: true });
  });

  it("a post printing 300 MiB in 1 MiB lines runs in a 200 MB heap; a post after it whose header was left out reads as continued", async () => {
    // Posts run in reverse: short-post's post first, then long-post's.
    const plan = makePlan([makeJob("app@dev.post", [{ id: "long", use: "./long-post" }, { id: "short", use: "./short-post" }])], "rev16ci-post");
    await writeFile(path.join(ws, "post.json"), JSON.stringify(plan));
    const result = await runOrun(["run", "post.json", "--gha", "--exec-id", "post"], { cwd: ws, env: ghaEnv(ws, SMALL_HEAP), timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stdout.slice(-2000) + result.stderr.slice(-2000));
    const lines = (await finishLog(ws, "post")).trimEnd().split("\n");
    const marker = lines.findIndex((line) => /^\[… \d+ lines \(\d+ characters\) not kept …\]$/.test(line));
    assert.ok(marker > 0, "the middle was left out, and said so");
    assert.deepEqual(lines.slice(0, 3), ["▸ Post short", "short post ran", "▸ Post long"]);
    assert.equal(lines[marker + 1], "▸ Post long (continued)");
    assert.match(lines.at(-1)!, new RegExp(`^000${LONG_LINES} x+$`));
    await rm(path.join(ws, ".orun"), { recursive: true, force: true });
  });
});
