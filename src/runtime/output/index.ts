// Picks the view for a run: JSON summary, live TTY region, or plain lines.
import type { Renderer } from "../events.js";
import { ConsoleWriter } from "./console-writer.js";
import { JsonRenderer } from "./json.js";
import { LiveRenderer } from "./live.js";
import { setOutputStream } from "../../util/output-pressure.js";
import { TextRenderer } from "./text.js";
import { detectTerminal, palette } from "./terminal.js";

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export function createRenderer(options: OutputOptions = {}): Renderer {
  const stream = options.stream ?? process.stdout;
  // A slow reader of a pipe makes the local runner read step output at its pace (util/output-pressure.ts).
  if (stream === process.stdout) setOutputStream(stream);
  const write = (text: string): void => void stream.write(text);
  if (options.json) return new JsonRenderer(write);
  const caps = detectTerminal(stream, options.env);
  const colors = palette(caps.color);
  if (caps.live && !options.verbose) return new LiveRenderer(stream, colors, false);
  const lines = new ConsoleWriter(stream);
  return new TextRenderer({ verbose: options.verbose ?? false, palette: colors, writeLine: (line) => lines.writeLine(line) });
}
