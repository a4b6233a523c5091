// Renderers of the run event stream: colour rules, the live TTY region,
// and the text view's two layouts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { detectTerminal, palette } from "../../src/runtime/output/terminal.js";
import { createRenderer } from "../../src/runtime/output/index.js";
import { MAX_PARTIAL_LINE, TextRenderer } from "../../src/runtime/output/text.js";
import { describedError } from "../../src/runtime/output/failure-text.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { makePlan } from "./helpers.js";

const ESC = "\u001b[";

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, columns: 80, text: "", write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

test("colour: NO_COLOR / ORUN_NO_COLOR / TERM=dumb turn it off, CLICOLOR_FORCE turns it on, pipes get none", () => {
  assert.equal(detectTerminal(fakeStream(true), {}).color, true);
  assert.equal(detectTerminal(fakeStream(true), { NO_COLOR: "1" }).color, false);
  assert.equal(detectTerminal(fakeStream(true), { ORUN_NO_COLOR: "1" }).color, false);
  assert.equal(detectTerminal(fakeStream(true), { TERM: "dumb" }).color, false);
  assert.equal(detectTerminal(fakeStream(false), {}).color, false);
  assert.equal(detectTerminal(fakeStream(false), { CLICOLOR_FORCE: "1", NO_COLOR: "1" }).color, true);
  assert.equal(detectTerminal(fakeStream(true), { CI: "true" }).live, false);
  assert.equal(detectTerminal(fakeStream(true), { CI: "false" }).live, true);
  assert.equal(detectTerminal(fakeStream(false), {}).live, false);
});

const plan = makePlan([
  { id: "api@dev.build", steps: [{ run: "true" }] },
  { id: "web@prod.deploy", steps: [{ run: "true" }] },
]);
const [build, deploy] = plan.jobs as [typeof plan.jobs[0], typeof plan.jobs[0]];
const runner = { name: "local" as const, source: "default" as const };
const summary = {
  execId: "e1", planId: "abc", planName: "test", runner: "local", status: "completed" as const, dryRun: false,
  startedAt: "", durationMs: 1200, concurrency: 2,
  counts: { total: 2, succeeded: 2, failed: 0, skipped: 0, blocked: 0, cached: 0, waiting: 0, released: 0 }, jobs: [],
};

function events(concurrency: number): RunEvent[] {
  return [
    { type: "run-start", plan, planId: "abc", execId: "e1", runner, concurrency, failFast: false, jobs: plan.jobs, resumed: 0 },
    { type: "job-start", job: build },
    { type: "step-start", job: build, step: build.steps[0]!, stepKey: "s1", index: 0, total: 1, cwd: "/w", attempt: 1, attempts: 1 },
    { type: "step-output", job: build, stepKey: "s1", chunk: "hello\nwor" },
    { type: "step-output", job: build, stepKey: "s1", chunk: "ld\n" },
    { type: "step-end", job: build, stepKey: "s1", status: "completed", durationMs: 10, output: "hello\nworld" },
    { type: "job-end", job: build, status: "completed", durationMs: 10, output: "hello\nworld" },
    { type: "job-start", job: deploy },
    { type: "job-end", job: deploy, status: "failed", durationMs: 300, error: "step s1: exit status 1", failedStep: "s1", output: "boom" },
    { type: "run-end", summary },
  ];
}

test("the live region redraws on a TTY and leaves only persistent lines behind", async () => {
  const stream = fakeStream(true);
  const renderer = await createRenderer({ stream, env: { TERM: "xterm" } });
  const list = events(2);
  for (const event of list.slice(0, 3)) renderer.handle(event);
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the 120 ms redraw timer tick
  assert.ok(stream.text.includes("api·dev/build"), "running job shown in the region");
  assert.ok(stream.text.includes(`${ESC}`), "ANSI redraw on a TTY");
  for (const event of list.slice(3)) renderer.handle(event);
  renderer.close();
  assert.match(stream.text, /✓.*api·dev\/build/);
  assert.match(stream.text, /Done in 1\.2s/);
  assert.ok(!stream.text.includes("hello"), "step output only with --verbose");
});

test("the live region's progress counts finished jobs only: jobs blocked or skipped (not run) leave it at 0%", async () => {
  const stream = fakeStream(true);
  const renderer = await createRenderer({ stream, env: { TERM: "xterm" } });
  renderer.handle(events(2)[0]!);
  // Each job-not-run prints its line above the region, which is redrawn under it.
  renderer.handle({ type: "job-not-run", job: build, status: "blocked", reason: "policy requireApproval" });
  renderer.handle({ type: "job-not-run", job: deploy, status: "skipped", reason: "dependency api@dev.build was blocked" });
  renderer.close();
  const frames = [...stream.text.matchAll(/(\d+)% {2}· {2}(\d+)\/2 jobs/g)].map((m) => `${m[1]}% ${m[2]}/2`);
  assert.ok(frames.length >= 2, stream.text);
  assert.deepEqual([...new Set(frames)], ["0% 0/2"], stream.text);
});

test("text view: sequential groups under headers, concurrent prefixes; verbose streams whole lines", () => {
  const lines: string[] = [];
  const sequential = new TextRenderer({ verbose: true, palette: palette(false), writeLine: (line) => lines.push(line) });
  for (const event of events(1)) sequential.handle(event);
  assert.ok(lines.includes("  api  ·  dev"));
  assert.ok(lines.includes("  web  ·  prod"));
  assert.ok(lines.some((line) => /^ {4}✓ build {2}0\.0s$/.test(line)));
  assert.ok(lines.some((line) => line.endsWith("│ hello")) && lines.some((line) => line.endsWith("│ world")));
  assert.ok(lines.some((line) => line.includes("logs  orun logs --exec-id e1 --job web@prod.deploy")));

  const concurrent: string[] = [];
  const text = new TextRenderer({ verbose: false, palette: palette(false), writeLine: (line) => concurrent.push(line) });
  for (const event of events(2)) text.handle(event);
  assert.ok(concurrent.some((line) => /^ {2}✓ api·dev\/build {2}0\.0s$/.test(line)));
  assert.ok(concurrent.some((line) => /^ {2}✗ web·prod\/deploy {2}0\.3s {2}command exited with code 1$/.test(line)));
  assert.ok(!concurrent.some((line) => line.includes("  api  ·  dev")), "no group headers under concurrency");
  assert.ok(concurrent.some((line) => line.includes("│ boom")), "failure output shown without --verbose");
});

test("verbose output: a chunk's lines go out in one write, a long line is kept whole, and a line that never ends is shown in pieces as it grows", () => {
  const writes: string[] = [];
  const text = new TextRenderer({ verbose: true, palette: palette(false), writeLine: (line) => writes.push(line) });
  const [start, jobStart, stepStart] = events(1);
  text.handle(start!);
  text.handle(jobStart!);
  text.handle(stepStart!);
  const before = writes.length;
  text.handle({ type: "step-output", job: build, stepKey: "s1", chunk: "one\ntwo\nthr" });
  assert.deepEqual(writes.slice(before), ["      │ one\n      │ two"], "both complete lines, each prefixed, in one write");
  text.handle({ type: "step-output", job: build, stepKey: "s1", chunk: "ee\n" });

  // A 300 KiB JSON document on one line, in 10 kB chunks (as a pipe hands it over): one line, whole (it was cut every 64 KiB).
  const json = JSON.stringify({ items: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item-${i}` })) });
  assert.ok(json.length > 300 * 1024);
  writes.length = 0;
  for (let at = 0; at < json.length; at += 10_000) text.handle({ type: "step-output", job: build, stepKey: "s1", chunk: json.slice(at, at + 10_000) });
  text.handle({ type: "step-output", job: build, stepKey: "s1", chunk: "\n" });
  assert.deepEqual(writes, [`      │ ${json}`], "the line kept whole");
  assert.deepEqual(JSON.parse(writes[0]!.slice("      │ ".length)), JSON.parse(json));

  // 2.5 MiB without a newline (binary output, a progress bar): pieces of MAX_PARTIAL_LINE appear while the step runs.
  const endless = "x".repeat(2.5 * MAX_PARTIAL_LINE);
  writes.length = 0;
  for (let at = 0; at < endless.length; at += 64 * 1024) text.handle({ type: "step-output", job: build, stepKey: "s1", chunk: endless.slice(at, at + 64 * 1024) });
  assert.equal(writes.length, 2, "shown before the line ends");
  assert.ok(writes.every((write) => write.length === "      │ ".length + MAX_PARTIAL_LINE));
  text.handle({ type: "step-end", job: build, stepKey: "s1", status: "completed", durationMs: 10, output: "" });
  const shown = writes.flatMap((write) => write.split("\n")).filter((line) => line.startsWith("      │ ")).map((line) => line.slice("      │ ".length));
  assert.equal(shown.join(""), endless, "nothing lost or added");
});

test("--json prints a single parseable summary and nothing else", async () => {
  const stream = fakeStream(false);
  const renderer = await createRenderer({ json: true, stream });
  for (const event of events(2)) renderer.handle(event);
  const parsed = JSON.parse(stream.text) as { execId: string; counts: { succeeded: number } };
  assert.equal(parsed.execId, "e1");
  assert.equal(parsed.counts.succeeded, 2);
});

test("live region: jobs already done count once each — resumed ones and ones another runner completed mid-run", async () => {
  const stream = fakeStream(true);
  const renderer = await createRenderer({ stream, env: {} });
  renderer.handle({ type: "run-start", plan, planId: "abc", execId: "e1", runner, concurrency: 2, failFast: false, jobs: plan.jobs, resumed: 1 });
  renderer.handle({ type: "job-cached", job: build }); // resumed: completed in an earlier run of this execution
  assert.match(stream.text.slice(stream.text.lastIndexOf("%")), /1\/2 jobs/);
  renderer.handle({ type: "job-cached", job: deploy }); // remote state: completed by another runner during this run
  assert.match(stream.text.slice(stream.text.lastIndexOf("%")), /2\/2 jobs/);
  renderer.close();
});

test("a failed job's hint: a step-level guess for step errors, none for a runner that could not start the job", () => {
  const hints = (error: string): string[] => {
    const lines: string[] = [];
    const renderer = new TextRenderer({ verbose: false, palette: palette(false), writeLine: (line) => lines.push(line) });
    renderer.handle({ type: "job-end", job: deploy, status: "failed", durationMs: 1, error, output: "" });
    return lines.filter((line) => line.trimStart().startsWith("hint"));
  };
  assert.match(hints("step s1: cd: /nope: No such file or directory").join(""), /check the component path/);
  // The docker runner's own message names the engine's cause (and its own advice); "set --workdir" would mislead.
  assert.deepEqual(hints("start job: the container engine could not mount a folder: bind source path does not exist: /w"), []);
  assert.deepEqual(hints("start job: slirp4netns failed: open(\"/dev/net/tun\"): Permission denied"), []);
});

test("a missing local action's hint names the root the runner passes with the failure, not one read out of the error's words", () => {
  const hints = (localActionRoot: string | undefined): string[] => {
    const lines: string[] = [];
    const renderer = new TextRenderer({ verbose: false, palette: palette(false), writeLine: (line) => lines.push(line) });
    const error = "step report: local action ./actions/nope: /repo/actions/nope does not exist (local actions are relative to the repository root /repo)";
    renderer.handle({ type: "job-end", job: deploy, status: "failed", durationMs: 1, error, failedStep: "report", ...(localActionRoot !== undefined ? { localActionRoot } : {}), output: "" });
    return lines.map((line) => line.trim()).filter((line) => line.startsWith("hint"));
  };
  assert.deepEqual(
    hints("/work/repo"),
    ["hint  local actions (use: ./path) are relative to the repository root /work/repo, not to the step's working directory; fix the path in use: or add the action there"],
  );
  // The same words without the runner saying so: the general guess, not the local-action hint.
  assert.doesNotMatch(hints(undefined).join(""), /local actions/);
  // A root with a bidi control is shown escaped, as the error is.
  assert.match(hints("/work/re\u202epo").join(""), /repository root \/work\/re\\u\{202e\}po,/);
});

test("verbose output under concurrency: every line carries its job's prefix as it is, `$` patterns in names included", () => {
  const odd = makePlan([{ id: "a$&b@dev.x$1y", steps: [{ run: "true" }] }]).jobs[0]!;
  const writes: string[] = [];
  const text = new TextRenderer({ verbose: true, palette: palette(false), writeLine: (line) => writes.push(line) });
  text.handle({ type: "run-start", plan, planId: "abc", execId: "e1", runner, concurrency: 2, failFast: false, jobs: [odd], resumed: 0 });
  writes.length = 0;
  text.handle({ type: "step-output", job: odd, stepKey: "s1", chunk: "one\n\ntwo $& $$\nrest" });
  text.handle({ type: "step-end", job: odd, stepKey: "s1", status: "completed", durationMs: 10, output: "" });
  const lead = "    │ a$&b·dev/x$1y › ";
  assert.deepEqual(writes.slice(0, 2), [`${lead}one\n${lead}\n${lead}two $& $$`, `${lead}rest`]);
});

test("bidi controls in job IDs and step keys are shown as \\u{hex} in the live region and the lines above it", async () => {
  // A plan refuses control characters in IDs, not bidi controls: U+202E would reverse the rest of the row.
  const odd = makePlan([
    { id: "api@dev.b\u202euild", steps: [{ id: "s\u2066x", run: "true" }] },
    { id: "api@dev.done", steps: [{ run: "true" }] },
  ]);
  const [job, done] = odd.jobs as [typeof odd.jobs[0], typeof odd.jobs[0]];
  const stream = fakeStream(true);
  const renderer = await createRenderer({ stream, env: { NO_COLOR: "1" } });
  renderer.handle({ type: "run-start", plan: odd, planId: "abc", execId: "e1", runner, concurrency: 2, failFast: false, jobs: odd.jobs, resumed: 0 });
  renderer.handle({ type: "job-start", job });
  renderer.handle({ type: "step-start", job, step: job.steps[0]!, stepKey: "s\u2066x", index: 0, total: 1, cwd: "/w", attempt: 1, attempts: 1 });
  // A line above the region (a job done elsewhere) redraws it, with the running job's step.
  renderer.handle({ type: "job-cached", job: done });
  renderer.handle({ type: "job-end", job, status: "failed", durationMs: 5, error: "step s\u2066x: exit \u202estatus 1", failedStep: "s\u2066x", output: "" });
  renderer.close();
  assert.ok(stream.text.includes("api·dev/b\\u{202e}uild  s\\u{2066}x 1/1 · "), stream.text);
  assert.ok(stream.text.includes("api·dev/b\\u{202e}uild  "), stream.text);
  assert.ok(stream.text.includes("step  s\\u{2066}x"), stream.text);
  assert.ok(stream.text.includes("error exit \\u{202e}status 1"), stream.text);
  // The `logs` command names the ID as it is, to be pasted back; nothing else shows it raw.
  assert.doesNotMatch(stream.text.replace(/ {2}logs {2}orun logs .*/g, ""), /[\u202a-\u202e\u2066-\u2069]/);
});

test("the rejoin line's comment names every job released here, not the first", () => {
  // rev27: Ctrl-C at --concurrency 2 released two jobs; the comment named one, while the command takes over both.
  const lines: string[] = [];
  const renderer = new TextRenderer({ verbose: false, palette: palette(false), writeLine: (line) => lines.push(line) });
  const released = (id: string) => ({ id, component: "c", environment: "dev", name: id, status: "released" as const });
  renderer.handle({
    type: "run-end",
    summary: { ...summary, status: "canceled", remoteRunId: "r1", rejoinCommand: "orun run p.json --remote-state --exec-id r1", jobs: [released("a@dev.one"), released("b@dev.two")] },
  });
  assert.match(lines.join("\n"), /rejoin {2}orun run p\.json --remote-state --exec-id r1 {2}# takes a@dev\.one, b@dev\.two over unless another runner has/);
});

test("describedError: a recorded error on a line of its own, the step kept; a timeout keeps its limit, there being no hint beside it", () => {
  assert.equal(describedError("step build: exit status 3"), "step build: command exited with code 3");
  assert.equal(describedError("step build: timed out after 300ms"), "step build: command timed out after 300ms");
  assert.equal(describedError("step build: canceled"), "step build: command canceled");
  assert.equal(describedError("step build: working directory /x does not exist"), "step build: working directory /x does not exist");
});

test("a failed job shows its output's last 8 non-blank lines, saying how many came before", () => {
  const lines: string[] = [];
  const renderer = new TextRenderer({ verbose: false, palette: palette(false), writeLine: (line) => lines.push(line) });
  const output = Array.from({ length: 11 }, (_, i) => `line ${i + 1}`).join("\n\n");
  renderer.handle({ type: "job-end", job: deploy, status: "failed", durationMs: 1, error: "step s1: exit status 1", failedStep: "s1", output });
  const tail = lines.filter((line) => /^\s+(…|│)/.test(line)).map((line) => line.trim());
  assert.deepEqual(tail, ["… 3 earlier line(s)", ...Array.from({ length: 8 }, (_, i) => `│ line ${i + 4}`)]);
});

test("the summary of a completed run names 3 jobs its execution still has to run and counts the rest; a failed run's does not list them", () => {
  const unfinished = ["a@dev.one", "b@dev.two", "c@dev.three", "d@dev.four", "e@dev.five"].map((id) => ({ id, status: "pending" as const }));
  const summaryLines = (status: "completed" | "failed"): string[] => {
    const lines: string[] = [];
    const renderer = new TextRenderer({ verbose: false, palette: palette(false), writeLine: (line) => lines.push(line) });
    renderer.handle({ type: "run-end", summary: { ...summary, status, executionStatus: "incomplete", unfinished } });
    return lines.filter((line) => line.includes("still to run"));
  };
  assert.deepEqual(summaryLines("completed"), ["  ! execution e1 is incomplete, 5 jobs still to run: a@dev.one (pending), b@dev.two (pending), c@dev.three (pending), … 2 more"]);
  assert.deepEqual(summaryLines("failed"), []);
  unfinished.pop();
  assert.match(summaryLines("completed")[0] ?? "", /4 jobs still to run: .*c@dev\.three \(pending\), … 1 more$/, "a fourth job is counted, not dropped");
});
