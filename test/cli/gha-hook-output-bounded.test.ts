// An action's post hook that prints a lot: its output is handed to the scheduler as one string when the job
// ends (the job's finish log), and orun held all of it, several times over — a post printing 200 MB took
// orun's peak RSS to 1.55 GB (3.1 GB under --verbose behind a slow reader). Now the finish log keeps the
// first and last 4 MiB and says how much it left out between them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

/** Numbered lines of 40 characters: ~12 MB, well past the 2 × 4 MiB kept. */
const LINES = 300_000;

describe("orun run --gha: a post hook printing a lot", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("ci16-post");
    const action = path.join(ws, "loud-post");
    await mkdir(action);
    await writeFile(path.join(action, "action.yml"), "name: loud post\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n");
    await writeFile(path.join(action, "main.js"), 'console.log("main ran");\n');
    const pre = path.join(ws, "loud-pre");
    await mkdir(pre);
    await writeFile(path.join(pre, "action.yml"), "name: loud pre\nruns:\n  using: node20\n  pre: post.js\n  main: main.js\n");
    await writeFile(path.join(pre, "main.js"), 'console.log("main ran");\n');
    await writeFile(
      path.join(action, "post.js"),
      `let i = 1;
const next = () => {
  while (i <= ${LINES}) {
    let chunk = "";
    for (let n = 0; n < 1000 && i <= ${LINES}; n++, i++) chunk += "post line " + String(i).padStart(29, "0") + "\\n";
    if (!process.stdout.write(chunk)) return process.stdout.once("drain", next);
  }
};
next();
`,
    );
    await writeFile(path.join(pre, "post.js"), await readFile(path.join(action, "post.js"), "utf8"));
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  it("keeps the start and the end of its output in the job's finish log, and says how many lines it left out", async () => {
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([makeJob("app@dev.post", [{ id: "loud", use: "./loud-post" }])], "ci16-post")));
    const result = await runOrun(["run", "plan.json", "--gha", "--exec-id", "post"], { cwd: ws, env: ghaEnv(ws) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const logs = path.join(ws, ".orun/executions/post/logs");
    const [jobDir] = await readdir(logs);
    const finish = (await readdir(path.join(logs, jobDir!))).find((name) => name.includes("finish"));
    assert.ok(finish, "a finish log");
    const text = await readFile(path.join(logs, jobDir!, finish), "utf8");
    const lines = text.trimEnd().split("\n");
    assert.equal(lines[0], "▸ Post loud");
    assert.equal(lines[1], `post line ${"1".padStart(29, "0")}`);
    assert.equal(lines.at(-1), `post line ${String(LINES).padStart(29, "0")}`);
    const marker = text.match(/^\[… (\d+) lines \((\d+) characters\) not kept …\]$/m);
    assert.ok(marker, "the log says what it left out");
    const numbered = lines.filter((line) => line.startsWith("post line "));
    assert.equal(numbered.length + Number(marker[1]), LINES, "every line is either kept or counted");
    assert.ok(text.length < 9 * 1024 * 1024, `the finish log holds ${text.length} characters`);
  });

  it("a pre hook (run at job start, shown with its step) is kept the same way", async () => {
    await writeFile(path.join(ws, "pre.json"), JSON.stringify(makePlan([makeJob("app@dev.pre", [{ id: "loud", use: "./loud-pre" }])], "ci16-pre")));
    const result = await runOrun(["run", "pre.json", "--gha", "--exec-id", "pre"], { cwd: ws, env: ghaEnv(ws) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const logs = path.join(ws, ".orun/executions/pre/logs");
    const [jobDir] = await readdir(logs);
    const text = await readFile(path.join(logs, jobDir!, "loud.log"), "utf8");
    const lines = text.trimEnd().split("\n");
    assert.equal(lines[0], "▸ Pre loud");
    assert.equal(lines[1], `post line ${"1".padStart(29, "0")}`);
    const marker = text.match(/^\[… (\d+) lines \((\d+) characters\) not kept …\]$/m);
    assert.ok(marker, "the log says what it left out");
    assert.equal(lines.filter((line) => line.startsWith("post line ")).length + Number(marker[1]), LINES);
    assert.equal(lines.at(-1), "main ran");
  });
});
