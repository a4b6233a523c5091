// Output kept in memory to be handed on whole rather than streamed: a job's finish log (its post hooks'
// output, given to the scheduler as one string when the job ends) and a pre's output (run at job start,
// shown when its step runs). A hook may print without limit; what it printed past the first and last
// `limit` characters is dropped and counted, so memory stays bounded whatever it prints (a post printing
// 200 MB held about 1.5 GB before).

export class KeptLines {
  private readonly head: string[] = [];
  private headChars = 0;
  private tail: string[] = [];
  private tailStart = 0;
  private tailChars = 0;
  private droppedLines = 0;
  private droppedChars = 0;

  constructor(private readonly limit: number) {}

  push(line: string): void {
    if (this.droppedLines === 0 && this.tail.length === 0 && this.headChars + line.length + 1 <= this.limit) {
      this.head.push(line);
      this.headChars += line.length + 1;
      return;
    }
    this.tail.push(line);
    this.tailChars += line.length + 1;
    while (this.tailChars > this.limit && this.tail.length - this.tailStart > 1) {
      const dropped = this.tail[this.tailStart++]!;
      this.tailChars -= dropped.length + 1;
      this.droppedLines++;
      this.droppedChars += dropped.length + 1;
    }
    if (this.tailStart > 4096) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  get length(): number {
    return this.head.length + this.tail.length - this.tailStart + this.droppedLines;
  }

  lines(): string[] {
    const omitted = this.droppedLines === 0 ? [] : [`[… ${this.droppedLines} lines (${this.droppedChars} characters) not kept …]`];
    return [...this.head, ...omitted, ...this.tail.slice(this.tailStart)];
  }
}
