// The values a step masks (`::add-mask::value`, or the old `##[add-mask]value` anywhere in a line), read from its
// output as it arrives, the way GitHub's runner reads them (actions/runner ActionCommandManager.TryProcessCommand):
// the `::` syntax first, then the first `##[` of the line; nothing but the resume token while the step's own
// `::stop-commands::` holds. Inside GitHub Actions a step's output is printed between stop-commands markers, so the
// runner around orun never sees these masks: the presenter applies them itself and hands them on.
import { KNOWN_COMMANDS, LineSplitter, MAX_LINE, parseCommandLine, unsafeStopToken } from "../../runners/github-actions/workflow-commands.js";

/** The old syntax's escapes, replaced one after another in this order as the runner does (ActionCommand.Unescape). */
const OLD_ESCAPES: [string, string][] = [
  ["%3B", ";"],
  ["%0D", "\r"],
  ["%0A", "\n"],
  ["%5D", "]"],
  ["%25", "%"],
];

/** `##[name props]data` at the line's first `##[` (ActionCommand.TryParse): its lower-case name and unescaped data. */
export function parseOldCommandLine(line: string, known: ReadonlySet<string> = KNOWN_COMMANDS): { name: string; message: string } | undefined {
  const start = line.indexOf("##[");
  if (start < 0) return undefined;
  const end = line.indexOf("]", start);
  if (end < 0) return undefined;
  const name = line.slice(start + 3, end).split(" ")[0]!.toLowerCase();
  if (!name || !known.has(name)) return undefined;
  let message = line.slice(end + 1);
  for (const [escaped, char] of OLD_ESCAPES) message = message.split(escaped).join(char);
  return { name, message };
}

/**
 * Reads one step's output for its masks; `onMask` gets each value when its line ends, at a CR as the runner reads it:
 * a progress meter's `::add-mask::v\r…` is read when its CR arrives, not when the meter's line feed does.
 */
export class StepMaskScanner {
  private readonly lines = new LineSplitter((line, continuation) => this.line(line, continuation), MAX_LINE, true);
  /** The step's own stop-commands token (lower case) while it holds. */
  private stopToken: string | undefined;

  constructor(private readonly onMask: (value: string) => void) {}

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  /** The step (or one attempt of it, a retry's output following) ended: its last line, if it had no newline. */
  end(): void {
    this.lines.flush();
  }

  /** Characters pushed whose line the scanner has not read yet (no CR or LF has ended it, nor a piece's size). */
  get unread(): number {
    return this.lines.pending;
  }

  private line(text: string, continuation: boolean): void {
    // A continuation piece of an overlong line starts no line.
    if (!continuation) this.command(text);
  }

  private command(line: string): void {
    const known = this.stopToken === undefined ? KNOWN_COMMANDS : new Set([...KNOWN_COMMANDS, this.stopToken]);
    const command = parseCommandLine(line, known) ?? parseOldCommandLine(line, known);
    if (!command) return;
    if (this.stopToken !== undefined) {
      if (command.name === this.stopToken) this.stopToken = undefined;
    } else if (command.name === "stop-commands") {
      // A token the runner refuses leaves commands on (workflow-commands.ts).
      if (!unsafeStopToken(command.message)) this.stopToken = command.message.toLowerCase();
    } else if (command.name === "add-mask" && command.message.trim() !== "") {
      this.onMask(command.message);
    }
  }
}
