// What GitHub's runner makes of a process's stdout, written from its source (actions/runner: ActionCommand.TryParseV2
// and TryParse, ActionCommandManager.TryProcessCommand, the group/error/add-mask command extensions), kept apart from
// orun's own parsers so a test of orun's output does not grade it with orun's code:
// - a line is a command if, leading whitespace trimmed, it starts `::name…::` with a known name (any case), or else if
//   its first `##[` (anywhere in the line) opens `##[name…]` with a known name;
// - `stop-commands` stops processing until a line that is a command named by its token; nothing else is processed;
// - `add-mask` hides its value (`***`) in every log line written after it; `group`, `endgroup` and `error` write the
//   runner's own `##[group]title`, `##[endgroup]`, `##[error]message` lines, which GitHub's log view shows as groups
//   and error lines: a line of a step that starts with them would look the same.

const KNOWN = new Set([
  "add-mask", "add-matcher", "remove-matcher", "echo", "debug", "error", "warning", "notice", "group", "endgroup",
  "set-output", "set-env", "add-path", "save-state", "stop-commands",
]);

export interface RunnerCommand {
  name: string;
  data: string;
  /** The stdout line (0-based) it came from. */
  line: number;
}

export interface RunnerLog {
  /** The commands processed, in order (stop-commands and the resume lines included). */
  commands: RunnerCommand[];
  /** The log as GitHub's view reads it, masks applied. */
  log: string[];
}

function unescape(text: string, pairs: [string, string][]): string {
  let out = text;
  for (const [escaped, char] of pairs) out = out.split(escaped).join(char);
  return out;
}

function parseV2(line: string, known: Set<string>): { name: string; data: string } | undefined {
  const text = line.trimStart();
  if (!text.startsWith("::")) return undefined;
  const end = text.indexOf("::", 2);
  if (end < 0) return undefined;
  const info = text.slice(2, end);
  const name = info.split(" ")[0]!.toLowerCase();
  if (!known.has(name)) return undefined;
  return { name, data: unescape(text.slice(end + 2), [["%0D", "\r"], ["%0A", "\n"], ["%25", "%"]]) };
}

function parseOld(line: string, known: Set<string>): { name: string; data: string } | undefined {
  const start = line.indexOf("##[");
  if (start < 0) return undefined;
  const end = line.indexOf("]", start);
  if (end < 0) return undefined;
  const name = line.slice(start + 3, end).split(" ")[0]!.toLowerCase();
  if (!known.has(name)) return undefined;
  return { name, data: unescape(line.slice(end + 1), [["%3B", ";"], ["%0D", "\r"], ["%0A", "\n"], ["%5D", "]"], ["%25", "%"]]) };
}

export function runnerLog(stdout: string): RunnerLog {
  const commands: RunnerCommand[] = [];
  const log: string[] = [];
  const masks: string[] = [];
  const write = (text: string): void => {
    for (const line of text.split(/\r\n|\r|\n/)) log.push(masks.reduce((shown, mask) => shown.split(mask).join("***"), line));
  };
  let stopToken: string | undefined;
  stdout.split("\n").forEach((line, index) => {
    const known = stopToken === undefined ? KNOWN : new Set([...KNOWN, stopToken]);
    const command = parseV2(line, known) ?? parseOld(line, known);
    if (command && stopToken !== undefined) {
      if (command.name !== stopToken) return write(line);
      stopToken = undefined;
      commands.push({ ...command, line: index });
      return write(line);
    }
    if (!command) return write(line);
    commands.push({ ...command, line: index });
    switch (command.name) {
      case "stop-commands":
        stopToken = command.data.toLowerCase();
        return write(line);
      case "add-mask":
        if (command.data.trim()) masks.push(command.data);
        return;
      case "group":
        return write(`##[group]${command.data}`);
      case "endgroup":
        return write("##[endgroup]");
      case "error":
        return write(`##[error]${command.data}`);
      default:
        return write(line);
    }
  });
  return { commands, log };
}

/** The log lines GitHub's view shows as a group's start or end or as an error line. */
export function shapingLines(log: string[]): string[] {
  return log.filter((line) => /^\s*##\[(?:group|endgroup|error|warning|notice|debug|command|section)\]/i.test(line));
}
