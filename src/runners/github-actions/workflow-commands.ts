// Workflow commands (`::name key=value::message` lines on stdout/stderr),
// as the GitHub runner understands them. The processor consumes commands,
// renders annotations, masks secrets and hands back the text to display.
import type { Masker } from "./masker.js";

export interface CommandEffects {
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  paths: string[];
}

export interface ParsedCommand {
  name: string;
  properties: Record<string, string>;
  message: string;
}

const ESCAPES: Record<string, string> = {
  "%25": "%",
  "%0D": "\r",
  "%0A": "\n",
  "%3A": ":",
  "%2C": ",",
  "%2B": "+",
  "%2F": "/",
  "%3D": "=",
  "%20": " ",
};

export function unescapeCommandValue(value: string): string {
  return value.replace(/%(25|0D|0A|3A|2C|2B|2F|3D|20)/gi, (m) => ESCAPES[m.toUpperCase()] ?? m);
}

/** Parses one line; undefined when it is not a workflow command. */
export function parseCommandLine(line: string): ParsedCommand | undefined {
  if (!line.startsWith("::")) return undefined;
  const end = line.indexOf("::", 2);
  if (end < 0) return undefined;
  const header = line.slice(2, end);
  const space = header.indexOf(" ");
  const name = (space < 0 ? header : header.slice(0, space)).trim().toLowerCase();
  if (!name) return undefined;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of header.slice(space + 1).split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0) properties[pair.slice(0, eq).trim()] = unescapeCommandValue(pair.slice(eq + 1));
    }
  }
  return { name, properties, message: unescapeCommandValue(line.slice(end + 2)) };
}

/** Handles the command stream of one process. Feed it whole lines. */
export class CommandProcessor {
  readonly effects: CommandEffects = { outputs: {}, state: {}, env: {}, paths: [] };
  private stopToken: string | undefined;

  constructor(
    private readonly masker: Masker,
    private readonly options: { debug?: boolean } = {},
  ) {}

  /** Returns the text to display for this line (already masked), or undefined to hide it. */
  line(raw: string): string | undefined {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (this.stopToken !== undefined) {
      if (line === `::${this.stopToken}::`) {
        this.stopToken = undefined;
        return undefined;
      }
      return this.masker.mask(line);
    }
    const cmd = parseCommandLine(line);
    if (!cmd) return this.masker.mask(line);
    return this.apply(cmd);
  }

  private apply(cmd: ParsedCommand): string | undefined {
    const { name, properties, message } = cmd;
    switch (name) {
      case "add-mask":
        this.masker.add(message);
        return undefined;
      case "set-output":
        if (properties.name) this.effects.outputs[properties.name] = message;
        return undefined;
      case "save-state":
        if (properties.name) this.effects.state[properties.name] = message;
        return undefined;
      case "set-env":
        if (properties.name) this.effects.env[properties.name] = message;
        return undefined;
      case "add-path":
        if (message.trim()) this.effects.paths.push(message.trim());
        return undefined;
      case "stop-commands":
        if (message) this.stopToken = message;
        return undefined;
      case "group":
        return this.masker.mask(`▸ ${message}`);
      case "endgroup":
      case "echo":
      case "add-matcher":
      case "remove-matcher":
        return undefined;
      case "debug":
        return this.options.debug ? this.masker.mask(`debug: ${message}`) : undefined;
      case "error":
      case "warning":
      case "notice": {
        const where = properties.file ? ` (${properties.file}${properties.line ? `:${properties.line}` : ""})` : "";
        const title = properties.title ? `${properties.title}: ` : "";
        return this.masker.mask(`${name}: ${title}${message}${where}`);
      }
      default:
        return message ? this.masker.mask(message) : undefined;
    }
  }
}

/** Splits a byte stream into lines; the caller flushes the remainder at the end. */
export class LineSplitter {
  private pending = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.pending + chunk;
    const lines = text.split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.onLine(line);
  }

  flush(): void {
    if (this.pending !== "") {
      const rest = this.pending;
      this.pending = "";
      this.onLine(rest);
    }
  }
}
