// Picks the view for a run: JSON summary, GitHub Actions groups, live TTY region, or plain lines.
import type { Renderer } from "../events.js";
import { ConsoleWriter } from "./console-writer.js";
import { GithubActionsRenderer } from "./github-actions.js";
import { JsonRenderer } from "./json.js";
import { LiveRenderer } from "./live.js";
import { setOutputStream } from "../../util/output-pressure.js";
import { TextRenderer } from "./text.js";
import { withStepSummary } from "./step-summary.js";
import { detectTerminal, palette } from "./terminal.js";

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** Output goes to a log file (a --background run's run.log), not to a console GitHub Actions shows live. */
  logFile?: boolean;
}

export function createRenderer(options: OutputOptions = {}): Renderer {
  const view = createView(options);
  // Inside GitHub Actions the run's summary also goes to the job's summary page (step-summary.ts).
  const summaryFile = (options.env ?? process.env).GITHUB_STEP_SUMMARY;
  return summaryFile ? withStepSummary(view, summaryFile, (message) => void process.stderr.write(`${message}\n`)) : view;
}

function createView(options: OutputOptions): Renderer {
  const stream = options.stream ?? process.stdout;
  // A slow reader of a pipe makes the local runner read step output at its pace (util/output-pressure.ts).
  if (stream === process.stdout) setOutputStream(stream);
  const write = (text: string): void => void stream.write(text);
  if (options.json) return new JsonRenderer(write);
  const env = options.env ?? process.env;
  const caps = detectTerminal(stream, env);
  const colors = palette(caps.color);
  const lines = new ConsoleWriter(stream);
  // Inside GitHub Actions (any runner), --verbose or not: each step a group of its own (spec 20 §6.6). Not in a log
  // file: the groups and stop-commands markers are for GitHub's live log, and run.log is read as text.
  if (env.GITHUB_ACTIONS === "true" && !options.logFile) return new GithubActionsRenderer((line) => lines.writeLine(line), colors);
  if (caps.live && !options.verbose) return new LiveRenderer(stream, colors, false);
  return new TextRenderer({ verbose: options.verbose ?? false, palette: colors, writeLine: (line) => lines.writeLine(line) });
}
