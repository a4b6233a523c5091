// Output kept in memory to be handed on whole rather than streamed: a job's finish log (its post hooks'
// output, given to the scheduler as one string when the job ends) and a pre's output (run at job start,
// shown when its step runs). A hook may print without limit; what it printed past the first and last
// `limit` characters is dropped and counted, so memory stays bounded whatever it prints (a post printing
// 200 MB held about 1.5 GB before).
//
// Lines starting with "▸ " head a section (`▸ Post <step>`, `▸ Pre <step>`, `▸ Job summary`): when the
// middle dropped a section's header, the kept end of that section is headed `▸ <title> (continued)`, so its
// lines are not read as the previous section's.

const SECTION = "▸ ";

export class KeptLines {
  private readonly head: string[] = [];
  private headChars = 0;
  /** The last lines; entries before tailStart were dropped (emptied, so their text can be collected). */
  private tail: string[] = [];
  /** The section header each tail line belongs to. */
  private tailSections: Array<string | undefined> = [];
  private tailStart = 0;
  private tailChars = 0;
  private droppedLines = 0;
  private droppedChars = 0;
  private section: string | undefined;

  constructor(private readonly limit: number) {}

  push(line: string): void {
    if (line.startsWith(SECTION)) this.section = line;
    if (this.droppedLines === 0 && this.tail.length === 0 && this.headChars + line.length + 1 <= this.limit) {
      this.head.push(line);
      this.headChars += line.length + 1;
      return;
    }
    this.tail.push(line);
    this.tailSections.push(this.section);
    this.tailChars += line.length + 1;
    while (this.tailChars > this.limit && this.tail.length - this.tailStart > 1) {
      const dropped = this.tail[this.tailStart]!;
      // Emptied, not just skipped: a slot still holding its line would keep up to a MiB alive until compaction.
      this.tail[this.tailStart] = "";
      this.tailStart++;
      this.tailChars -= dropped.length + 1;
      this.droppedLines++;
      this.droppedChars += dropped.length + 1;
    }
    if (this.tailStart > 4096) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailSections = this.tailSections.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  get length(): number {
    return this.head.length + this.tail.length - this.tailStart + this.droppedLines;
  }

  lines(): string[] {
    const kept = this.tail.slice(this.tailStart);
    if (this.droppedLines === 0) return [...this.head, ...kept];
    const omitted = `[… ${this.droppedLines} lines (${this.droppedChars} characters) not kept …]`;
    const section = this.tailSections[this.tailStart];
    const continued = section !== undefined && kept[0] !== section ? [`${section} (continued)`] : [];
    return [...this.head, omitted, ...continued, ...kept];
  }
}
