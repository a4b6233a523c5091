// Workflow commands (`::name key=value::message` lines on stdout/stderr),
// as the GitHub runner understands them. The processor consumes commands,
// renders annotations, masks secrets and hands back the text to display.
import type { Masker } from "./masker.js";
import { plainRecord, userRecord } from "./job-state.js";

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

/**
 * The commands GitHub's runner knows (ActionCommandManager). A `::name::` line
 * with any other name is not a command there: it is printed as it is, so
 * output such as `::std::vector<int> v;` is never mangled.
 */
export const KNOWN_COMMANDS: ReadonlySet<string> = new Set([
  "add-mask",
  "add-matcher",
  "remove-matcher",
  "echo",
  "debug",
  "error",
  "warning",
  "notice",
  "group",
  "endgroup",
  "set-output",
  "set-env",
  "add-path",
  "save-state",
  "stop-commands",
]);

/**
 * Percent escapes as GitHub's runner decodes them (ActionCommand): a message
 * only knows `%25`, `%0D` and `%0A`; a property value also `%3A` and `%2C`.
 * Anything else stays as written (a URL's `%2F` in an output is data), and so
 * does a lower-case `%0a`: the runner's String.Replace is ordinal.
 */
const DATA_ESCAPES: Record<string, string> = { "%25": "%", "%0D": "\r", "%0A": "\n" };
const PROPERTY_ESCAPES: Record<string, string> = { ...DATA_ESCAPES, "%3A": ":", "%2C": "," };

export function unescapeCommandValue(value: string): string {
  return value.replace(/%(25|0D|0A)/g, (m) => DATA_ESCAPES[m]!);
}

export function unescapeCommandProperty(value: string): string {
  return value.replace(/%(25|0D|0A|3A|2C)/g, (m) => PROPERTY_ESCAPES[m]!);
}

/**
 * Parses one line as GitHub's runner does (TryParseV2): leading whitespace is
 * ignored, the name is case-insensitive, property names too (kept lower-case
 * here). Undefined when the line is not a command, or names one not in `known`.
 */
export function parseCommandLine(line: string, known: ReadonlySet<string> = KNOWN_COMMANDS): ParsedCommand | undefined {
  const text = line.trimStart();
  if (!text.startsWith("::")) return undefined;
  const end = text.indexOf("::", 2);
  if (end < 0) return undefined;
  const header = text.slice(2, end);
  const space = header.indexOf(" ");
  const name = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  if (!name || !known.has(name)) return undefined;
  const properties = userRecord();
  if (space >= 0) {
    for (const pair of header.slice(space + 1).trim().split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq).trim().toLowerCase()] = unescapeCommandProperty(pair.slice(eq + 1));
    }
  }
  return { name, properties: plainRecord(properties), message: unescapeCommandValue(text.slice(end + 2)) };
}

/** Handles the command stream of one process. Feed it whole lines. */
export class CommandProcessor {
  readonly effects: CommandEffects = { outputs: {}, state: {}, env: {}, paths: [] };
  /** Commands GitHub's runner refuses (set-env, add-path without opting in): each fails the step. */
  readonly failures: string[] = [];
  private stopToken: string | undefined;

  constructor(
    private readonly masker: Masker,
    private readonly options: { debug?: boolean; allowUnsecureCommands?: boolean; allowUnsecureStopTokens?: boolean } = {},
  ) {}

  /**
   * Returns the text to display for this line (masked), or undefined to hide it. GitHub's runner ends a line at a
   * lone CR too, so each CR-separated part is a command or not by itself (`::add-mask::v\rprogress 1` masks `v`, not
   * `v\rprogress 1`); the parts shown keep their CRs, masked once the whole line's commands are read.
   * `continuation`: a later piece of a line too long to take whole (LineSplitter), which starts no line.
   */
  line(raw: string, continuation = false): string | undefined {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const shown: string[] = [];
    line.split("\r").forEach((part, i) => {
      const text = i === 0 && continuation ? part : this.part(part);
      if (text !== undefined) shown.push(text);
    });
    return shown.length === 0 ? undefined : this.masker.mask(shown.join("\r"));
  }

  /** One line's text to display, unmasked (a command's, masked), or undefined when it is a command hidden. */
  private part(line: string): string | undefined {
    if (this.stopToken !== undefined) {
      // Only the token resumes (as a command name, any case); everything else is plain output.
      if (parseCommandLine(line, new Set([this.stopToken])) !== undefined) {
        this.stopToken = undefined;
        return undefined;
      }
      return line;
    }
    const cmd = parseCommandLine(line);
    return cmd ? this.apply(cmd) : line;
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
        if (!this.options.allowUnsecureCommands) return this.refuse(cmd);
        if (properties.name) this.effects.env[properties.name] = message;
        return undefined;
      case "add-path":
        if (!this.options.allowUnsecureCommands) return this.refuse(cmd);
        if (message.trim()) this.effects.paths.push(message.trim());
        return undefined;
      case "stop-commands":
        // GitHub's runner refuses a token that a command or a stray line resumes with (actions/runner#1371),
        // failing the step, unless the step opts in; commands go on being processed.
        if (unsafeStopToken(message) && !this.options.allowUnsecureStopTokens) return this.refuse(cmd, STOP_TOKEN_REFUSED);
        // An empty token could never resume: ignored.
        if (message) this.stopToken = message.toLowerCase();
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
        return undefined;
    }
  }

  /**
   * GitHub disabled set-env and add-path (CVE-2020-15228: any text a step prints, a pull request title say,
   * could set LD_PRELOAD or PATH) unless the step's env has ACTIONS_ALLOW_UNSECURE_COMMANDS=true; the step fails.
   */
  private refuse(cmd: ParsedCommand, why = unsecureCommandDisabled(cmd.name)): string {
    const message = `Unable to process command '::${cmd.name}${Object.keys(cmd.properties).length ? ` ${Object.entries(cmd.properties).map(([k, v]) => `${k}=${v}`).join(",")}` : ""}::${cmd.message}' successfully. ${why}`;
    this.failures.push(this.masker.mask(message));
    return this.masker.mask(`error: ${message}`);
  }
}

/** GitHub's runner's message for a disabled command. */
export function unsecureCommandDisabled(name: string): string {
  return `The \`${name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`;
}

/** GitHub's runner's message for a refused stop token. */
const STOP_TOKEN_REFUSED =
  "You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command. For more information see: https://docs.github.com/actions/learn-github-actions/workflow-commands-for-github-actions#example-stopping-and-starting-workflow-commands or opt into insecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS` environment variable to `true`.";

/** An empty token, `pause-logging` or a command's name: any line could resume with it (or it resumes on a real command). */
export function unsafeStopToken(token: string): boolean {
  const name = token.toLowerCase();
  return name === "" || name === "pause-logging" || KNOWN_COMMANDS.has(name);
}

/** Does a step's environment opt into stop tokens GitHub refuses (`ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS: true`)? */
export function allowsUnsecureStopTokens(env: Record<string, string | undefined>): boolean {
  return /^\s*(true|1)\s*$/i.test(env.ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS ?? "");
}

/** Does a step's environment opt into set-env and add-path (`ACTIONS_ALLOW_UNSECURE_COMMANDS: true`)? */
export function allowsUnsecureCommands(env: Record<string, string | undefined>): boolean {
  return /^\s*true\s*$/i.test(env.ACTIONS_ALLOW_UNSECURE_COMMANDS ?? "");
}

/**
 * The longest line handed on whole. Output without a newline (a progress meter redrawn with \r, a binary
 * dumped to the terminal) is handed on in pieces of at most this size, so it costs neither unbounded memory nor
 * the time of re-scanning it for each chunk. Each piece is masked alone: a splitter given a `safeCut` (the
 * masker's) cuts where no masked value lies across the cut.
 */
export const MAX_LINE = 1024 * 1024;

/**
 * Splits a byte stream into lines (of at most `maxLine` characters); the caller flushes the remainder at the end.
 * `crEndsLine`: a CR ends a line too, as GitHub's runner reads commands (a CRLF is then a line and an empty one).
 */
export class LineSplitter {
  /** The current line so far, in the pieces it arrived in (joined once, when it ends). */
  private parts: string[] = [];
  private size = 0;
  /** A piece of the current line was handed on already: what follows is its continuation. */
  private continuing = false;
  private readonly ends: RegExp;
  /**
   * `safeCut`: where a line's start may be cut so that no masked value lies across the cut (Masker.safeCut), for
   * a caller that masks each piece alone; 0 (every place inside one) keeps the size cut.
   */
  constructor(
    private readonly onLine: (line: string, continuation: boolean) => void,
    private readonly maxLine = MAX_LINE,
    crEndsLine = false,
    private readonly safeCut?: (text: string) => number,
  ) {
    this.ends = crEndsLine ? /[\r\n]/g : /\n/g;
  }

  push(chunk: string): void {
    let start = 0;
    this.ends.lastIndex = 0;
    for (let end = this.ends.exec(chunk); end; end = this.ends.exec(chunk)) {
      this.add(chunk.slice(start, end.index));
      this.end();
      start = end.index + 1;
    }
    if (start < chunk.length) this.add(chunk.slice(start));
  }

  /** Characters of the current line not handed on yet. */
  get pending(): number {
    return this.size;
  }

  flush(): void {
    if (this.size > 0) this.end();
  }

  private end(): void {
    const continuation = this.continuing;
    this.continuing = false;
    this.onLine(this.take(), continuation);
  }

  private add(text: string): void {
    if (text === "") return;
    this.parts.push(text);
    this.size += text.length;
    while (this.size > this.maxLine) {
      const line = this.take();
      // After the last CR that fits, when there is one: the next piece then starts a CR-part (a workflow command
      // GitHub's runner reads, it splitting at CRs too) rather than continuing one. Never between the two halves
      // of a surrogate pair.
      const lastCr = line.lastIndexOf("\r", this.maxLine - 1);
      let cut = lastCr >= 0 ? lastCr + 1 : isHighSurrogate(line.charCodeAt(this.maxLine - 1)) ? this.maxLine - 1 : this.maxLine;
      cut = this.safeCut?.(line.slice(0, cut)) || cut;
      this.onLine(line.slice(0, cut), this.continuing);
      this.continuing = line.charCodeAt(cut - 1) !== CR;
      const rest = line.slice(cut);
      if (rest) {
        this.parts = [rest];
        this.size = rest.length;
      }
    }
  }

  private take(): string {
    const line = this.parts.length === 1 ? this.parts[0]! : this.parts.join("");
    this.parts = [];
    this.size = 0;
    return line;
  }
}

const CR = 0x0d;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
