// The live TTY region as a terminal shows it: its writes are replayed on a small screen model (cursor up, erase
// down), so what is left on screen is asserted, not the escape codes. The region lists at most 8 running jobs and
// counts the rest, fits each line in the terminal's width, never rounds its progress up to 100% before the last
// job ends, and leaves nothing of itself on screen once the run ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRenderer } from "../../src/runtime/output/index.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { makePlan } from "./helpers.js";

/** The screen a terminal shows after `text`: each line, colours dropped. Only the codes the region uses are kept. */
function screen(text: string): string[] {
  const rows: string[] = [];
  let current = "";
  let cursor: number | undefined;
  // eslint-disable-next-line no-control-regex -- the escape codes are what is parsed
  for (const [token, count, code] of text.matchAll(/\u001b\[(\d*)([A-Za-z])|\n|[^\u001b\n]+/g)) {
    if (code === "A") cursor = rows.length - Number(count || 1);
    else if (code === "J") rows.length = cursor ?? rows.length;
    else if (code !== undefined) continue;
    else if (token === "\n") {
      rows.push(current);
      current = "";
    }
    else current += token;
  }
  return current ? [...rows, current] : rows;
}

/** A stream the region takes for a terminal, `columns` wide; `frame()` resolves at the region's next redraw. */
function terminal(columns: number) {
  let waiting: (() => void) | undefined;
  const stream = {
    isTTY: true,
    columns,
    text: "",
    write(chunk: string) {
      stream.text += chunk;
      if (chunk.includes("%  ·  ")) waiting?.();
      return true;
    },
  };
  // The region's timer is unref'd: a ref'd one keeps the test's process alive until the frame comes.
  const frame = () => {
    const alive = setInterval(() => undefined, 1000);
    return new Promise<void>((resolve) => (waiting = resolve)).finally(() => clearInterval(alive));
  };
  return { stream: stream as unknown as NodeJS.WriteStream & { text: string }, frame };
}

const runner = { name: "local" as const, source: "default" as const };
const summary = {
  execId: "e1", planId: "abc", planName: "test", runner: "local", status: "completed" as const, dryRun: false,
  startedAt: "", durationMs: 1200, concurrency: 10,
  counts: { total: 10, succeeded: 10, failed: 0, skipped: 0, blocked: 0, cached: 0, waiting: 0, released: 0 }, jobs: [],
};

test("live region on screen: 8 running jobs listed and the rest counted, lines cut to the width, gone at the end", async () => {
  const plan = makePlan(Array.from({ length: 10 }, (_, i) => ({ id: `service-with-a-rather-long-name-${i}@dev.build`, steps: [{ run: "true" }] })));
  const { stream, frame } = terminal(40);
  const renderer = await createRenderer({ stream, env: { TERM: "xterm" } });
  renderer.handle({ type: "run-start", plan, planId: "abc", execId: "e1", runner, concurrency: 10, failFast: false, jobs: plan.jobs, resumed: 0 });
  for (const job of plan.jobs) renderer.handle({ type: "job-start", job });
  await frame();

  const running = screen(stream.text);
  assert.match(running.find((line) => line.includes("%  ·")) ?? "", /^ {2}\S+ {3}0% {2}· {2}0\/1/, running.join("\n"));
  assert.equal(running.filter((line) => line.includes("service-with")).length, 8, running.join("\n"));
  assert.equal(running.at(-1), "  + 2 more running", running.join("\n"));
  // The region's lines (the run's header above it is the text view's).
  for (const line of running.slice(running.findIndex((line) => line.includes("%  ·")))) assert.ok(line.length <= 39, `fits 40 columns (one left free): ${JSON.stringify(line)}`);

  for (const job of plan.jobs) renderer.handle({ type: "job-end", job, status: "completed", durationMs: 10, output: "" });
  renderer.handle({ type: "run-end", summary });
  renderer.close();
  const end = screen(stream.text);
  assert.ok(!end.some((line) => / jobs {2}· {2}|running/.test(line)), `the region is erased:\n${end.join("\n")}`);
  assert.equal(end.filter((line) => line.includes("✓ service-with")).length, 10, end.join("\n"));
});

test("live region on screen: two of three jobs done is 66%, not rounded up", async () => {
  const plan = makePlan(["a", "b", "c"].map((name) => ({ id: `api@dev.${name}`, steps: [{ run: "true" }] })));
  const { stream, frame } = terminal(100);
  const renderer = await createRenderer({ stream, env: { TERM: "xterm" } });
  const events: RunEvent[] = [
    { type: "run-start", plan, planId: "abc", execId: "e1", runner, concurrency: 3, failFast: false, jobs: plan.jobs, resumed: 0 },
    ...plan.jobs.map((job): RunEvent => ({ type: "job-start", job })),
    ...plan.jobs.slice(0, 2).map((job): RunEvent => ({ type: "job-end", job, status: "completed", durationMs: 10, output: "" })),
  ];
  for (const event of events) renderer.handle(event);
  await frame();
  renderer.close();
  const progress = [...stream.text.matchAll(/(\d+)% {2}· {2}2\/3 jobs/g)].map((m) => m[1]);
  assert.ok(progress.length > 0, stream.text);
  assert.deepEqual([...new Set(progress)], ["66"]);
});
