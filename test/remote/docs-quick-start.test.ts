// docs/remote-state.md's quick start, followed as written on a copy of examples/platform set up as running.md's
// quick start sets it up: a backend in the repository's folder, a token, a runner that waits for a job of another
// runner, the run read back, and a failed job retried in its run. Each `$ command` runs with `bash -e`, the
// terminals' `cd` and `export`s kept from one command to the next, and its output is matched against the lines the
// page shows (test/support/doc-transcript.ts). The only changes: the backend listens on a free port, not 8787, and
// /tmp/platform is the test's folder.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../support/cli.js";
import { bashScript } from "../support/bash.js";
import { copyExample } from "../support/examples.js";
import { assertShows, docShell, section, transcript } from "../support/doc-transcript.js";

const created: string[] = [];
after(async () => {
  await Promise.all(created.map((d) => rm(d, { recursive: true, force: true })));
});

/** A command pasted into a terminal whose `cd` and `export`s carry over to the next one (kept in `state`). */
function terminalScript(command: string, state: string): string {
  return `. '${state}'\n{ ${command}; } 2>&1 && rc=0 || rc=$?\n{ export -p; echo "cd '$(pwd)'"; } > '${state}'\nexit $rc`;
}

/** Runs a script in the background, resolving `printed(text)` once its output holds that text. */
function background(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn("bash", ["-e", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const gained = (d: Buffer) => {
    output += d.toString();
    for (const w of waiters.filter((w) => output.includes(w.text))) w.resolve();
  };
  child.stdout.on("data", gained);
  child.stderr.on("data", gained);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on("close", (code) => resolve({ code, output })));
  const printed = (text: string) => new Promise<void>((resolve) => (output.includes(text) ? resolve() : waiters.push({ text, resolve })));
  return { child, done, printed, output: () => output };
}

test("docs/remote-state.md's quick start prints what the page shows: two runners share a run, it is read back, a failed job is retried", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/remote-state.md"), "utf8");
  const quickStart = section(page, "Quick start: two runners on a laptop");
  const running = section(await readFile(path.join(PROJECT_ROOT, "docs/running.md"), "utf8"), "Quick start: run, inspect, fix, resume");
  const setup = /```sh\ncp -r examples\/platform \/tmp\/platform && cd \/tmp\/platform\n([\s\S]*?)```/.exec(running)?.[1];
  assert.ok(setup, "running.md's quick start sets up /tmp/platform");

  const { dir, env } = await docShell("orun-remote-quick-start-");
  created.push(dir);
  const repo = path.join(dir, "platform");
  await copyExample("platform", repo);
  assert.equal((await bashScript(setup, repo, env)).code, 0);
  const state = path.join(dir, "terminal.sh");
  await writeFile(state, `cd '${repo}'\n`);

  let backend: ReturnType<typeof background> | undefined;
  let port = "";
  const shown = (output: string) => output.replaceAll(repo, "/tmp/platform").replaceAll(`127.0.0.1:${port}`, "127.0.0.1:8787");
  const steps = transcript(quickStart);
  assert.ok(steps.length >= 9, `the quick start shows its commands (found ${steps.length})`);
  let waiting: { command: string; expected: string[]; run: ReturnType<typeof background> } | undefined;
  try {
    for (const { command, expected } of steps) {
      if (command === undefined) {
        // More of the waiting runner's output: it ends once the other runner has run its dependency.
        assert.ok(waiting, "a block without a command continues a runner that waits");
        const { code, output } = await waiting.run.done;
        assert.equal(code, 0, output);
        assertShows(shown(output), [...waiting.expected, ...expected], waiting.command);
        waiting = undefined;
        continue;
      }
      if (command.includes("orun backend serve")) {
        // Terminal 1: the backend the page starts, in the repository's folder, on a free port; one pipe keeps the
        // order of its stdout and stderr lines.
        assert.equal(command, "cd /tmp/platform && orun backend serve");
        backend = background("exec orun backend serve --port 0 2>&1", repo, env);
        await backend.printed("warning: no --allow-owner");
        port = /listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(backend.output())![1]!;
        assertShows(shown(backend.output()), expected, command);
        continue;
      }
      if (command === "export ORUN_EXEC_ID=shared-2") {
        // What the page says before it: worker's build broken and committed, the plan stored again.
        assert.match(quickStart, /`worker`'s build fails \(its `worker\.txt` removed and committed, the plan stored\nagain with `orun plan --name shared`\)/);
        const broken = await bashScript("git rm -q services/worker/worker.txt && git commit -qm 'break worker' && orun plan --name shared", repo, env);
        assert.equal(broken.code, 0, broken.output);
      }
      const script = terminalScript(command.replaceAll("/tmp/platform", repo).replaceAll("127.0.0.1:8787", `127.0.0.1:${port}`), state);
      if (expected.at(-1)?.startsWith("○ waiting for dependencies of ")) {
        // Terminal 2's runner waits for terminal 3's: it runs on in the background.
        const run = background(script, repo, env);
        await run.printed(expected.at(-1)!.replace(/\.\.\.$/, ""));
        waiting = { command, expected, run };
        continue;
      }
      const result = await bashScript(script, repo, env);
      const fails = expected.some((line) => /^ *✗ /.test(line));
      assert.equal(result.code, fails ? 1 : 0, `$ ${command}\n${result.output}`);
      assertShows(shown(result.output), expected, command);
    }
    assert.equal(waiting, undefined, "the waiting runner's end is shown");
  } finally {
    backend?.child.kill("SIGTERM");
    await backend?.done;
  }
});
