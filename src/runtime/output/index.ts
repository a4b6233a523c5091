// Picks the view for a run: JSON summary, GitHub Actions groups, live TTY region, or plain lines.
// Each view is imported when chosen: a run loads one of them, not all four and the GitHub Actions
// masking code behind the groups view (start-up of every `orun run`, issue 3).
import type { Renderer } from "../events.js";
import { setOutputStream } from "../../util/output-pressure.js";

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** Output goes to a log file (a --background run's run.log), not to a console GitHub Actions shows live. */
  logFile?: boolean;
}

export async function createRenderer(options: OutputOptions = {}): Promise<Renderer> {
  const view = await createView(options);
  // Inside GitHub Actions the run's summary also goes to the job's summary page (step-summary.ts).
  const summaryFile = (options.env ?? process.env).GITHUB_STEP_SUMMARY;
  if (!summaryFile) return view;
  const { withStepSummary } = await import("./step-summary.js");
  return withStepSummary(view, summaryFile, (message) => void process.stderr.write(`${message}\n`));
}

async function createView(options: OutputOptions): Promise<Renderer> {
  const stream = options.stream ?? process.stdout;
  // A slow reader of a pipe makes the local runner read step output at its pace (util/output-pressure.ts).
  if (stream === process.stdout) setOutputStream(stream);
  const write = (text: string): void => void stream.write(text);
  const env = options.env ?? process.env;
  // Inside GitHub Actions the summary lands in the workflow's log: masked with what the run's steps masked (run-masks.ts).
  if (options.json) return new (await import("./json.js")).JsonRenderer(write, env.GITHUB_ACTIONS === "true" ? new (await import("./run-masks.js")).RunMasks() : undefined);
  const [{ detectTerminal, palette }, { ConsoleWriter }] = await Promise.all([import("./terminal.js"), import("./console-writer.js")]);
  const caps = detectTerminal(stream, env);
  const colors = palette(caps.color);
  const lines = new ConsoleWriter(stream);
  // Inside GitHub Actions (any runner), --verbose or not: each step a group of its own (spec 20 §6.6). Not in a log
  // file: the groups and stop-commands markers are for GitHub's live log, and run.log is read as text.
  if (env.GITHUB_ACTIONS === "true" && !options.logFile) return new (await import("./github-actions.js")).GithubActionsRenderer((line) => lines.writeLine(line), colors);
  if (caps.live && !options.verbose) return new (await import("./live.js")).LiveRenderer(stream, colors, false);
  return new (await import("./text.js")).TextRenderer({ verbose: options.verbose ?? false, palette: colors, writeLine: (line) => lines.writeLine(line) });
}
