// Follows a documentation page's transcript (`$ command` lines in ```text blocks, each with the output the page shows
// under it) and checks what orun prints against it. Plan IDs, commits, record suffixes and times differ on every
// machine: a hex word of 6 to 40 digits and a duration match any; `…` alone on a line skips output, inside a line any text.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN } from "./cli.js";

/** The text of a page's `## title` section (`level` 3: its `### title` section, up to the next `##` or `###`). */
export function section(page: string, title: string, level = 2): string {
  const marks = "#".repeat(level);
  const start = page.indexOf(`\n${marks} ${title}\n`);
  assert.ok(start >= 0, `the page has a "${marks} ${title}" section`);
  const ends = Array.from({ length: level - 1 }, (_, i) => page.indexOf(`\n${"#".repeat(i + 2)} `, start + 1)).filter((at) => at >= 0);
  return page.slice(start, ends.length ? Math.min(...ends) : undefined);
}

/**
 * Each `$ command` of a section's ```text blocks, with the output lines shown under it. A block that starts with no
 * `$` line shows more output of a command still running (a runner that waits for another's job): its command is
 * undefined.
 */
export function transcript(text: string): { command?: string; expected: string[] }[] {
  const out: { command?: string; expected: string[] }[] = [];
  for (const block of text.matchAll(/```text\n([\s\S]*?)```/g)) {
    const lines = block[1]!.replace(/\n$/, "").split("\n");
    if (!lines[0]!.startsWith("$ ")) out.push({ expected: [] });
    for (const line of lines) {
      if (line.startsWith("$ ")) out.push({ command: line.slice(2), expected: [] });
      else out.at(-1)!.expected.push(line);
    }
  }
  return out;
}

/** A shown line as a pattern: machine-dependent IDs and times match any, `…` any text. */
function linePattern(line: string): RegExp {
  const parts = line.split(/(…|(?<![0-9A-Za-z])(?=[a-f]*\d)[0-9a-f]{6,40}(?![0-9A-Za-z])|<1s|\b\d+(?:\.\d+)?m?s\b)/);
  const source = parts
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (part === "…") return ".*";
      if (/^[0-9a-f]{6,}$/.test(part)) return "[0-9a-f]+";
      return "(?:<1s|\\d+(?:\\.\\d+)?m?s)";
    })
    .join("");
  return new RegExp(`^${source}$`);
}

const JOB_LINE = /^ {2}[✓✗⚡↷○●] (\S+·\S+)/;

/**
 * Jobs that run at once end in any order: each run of consecutive job result lines (`  ✓ api·dev/build  0.1s`, with
 * the deeper-indented lines of a failed job's block under it) sorted by job, in the page's lines and orun's alike.
 */
function jobsSorted(lines: string[]): string[] {
  const out: string[] = [];
  let run: string[][] = [];
  const flush = () => {
    out.push(...run.sort((a, b) => JOB_LINE.exec(a[0]!)![1]!.localeCompare(JOB_LINE.exec(b[0]!)![1]!)).flat());
    run = [];
  };
  for (const line of lines) {
    if (JOB_LINE.test(line)) run.push([line]);
    else if (run.length && /^ {5}\S/.test(line)) run.at(-1)!.push(line);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

/** Whether `actual` shows `expected` in order: a `…` line skips any lines, up to the next shown one. */
export function assertShows(actual: string, expectedLines: string[], command: string): void {
  const printed = actual.replace(/\n$/, "");
  const lines = jobsSorted(printed ? printed.split("\n") : []);
  const expected = jobsSorted(expectedLines);
  let at = 0;
  let skipping = false;
  for (const shown of expected) {
    if (shown === "…") {
      skipping = true;
      continue;
    }
    const pattern = linePattern(shown);
    while (skipping && at < lines.length && !pattern.test(lines[at]!)) at++;
    assert.ok(at < lines.length && pattern.test(lines[at]!), `$ ${command}\nshown:   ${shown}\nprinted: ${lines[at] ?? "(nothing more)"}\n---\n${actual}`);
    at++;
    skipping = false;
  }
  if (!skipping) assert.equal(at, lines.length, `$ ${command} printed more than the page shows:\n${lines.slice(at).join("\n")}`);
}

/** A scratch folder with `orun` on PATH as the built binary, and a shell environment free of remote settings. */
export async function docShell(prefix: string): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const bin = path.join(dir, ".bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`);
  await chmod(path.join(bin, "orun"), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" };
  Object.assign(env, { GIT_AUTHOR_NAME: "Quick Start", GIT_AUTHOR_EMAIL: "qs@orun.invalid", GIT_COMMITTER_NAME: "Quick Start", GIT_COMMITTER_EMAIL: "qs@orun.invalid" });
  for (const name of ["ORUN_TOKEN", "ORUN_BACKEND_URL", "ORUN_EXEC_ID", "ORUN_REMOTE_STATE", "ORUN_RUNNER", "ORUN_PLAN_ID", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"]) delete env[name];
  return { dir, env };
}
