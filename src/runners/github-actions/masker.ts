// Secret masking: every value registered here is replaced by `***` in
// anything the runner emits (live output, logs, error messages).
export class Masker {
  private readonly values = new Set<string>();
  private ordered: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    const parts = [value, ...value.split(/\r?\n/)].map((v) => v.trim()).filter((v) => v.length > 0);
    let changed = false;
    for (const part of parts) {
      if (!this.values.has(part)) {
        this.values.add(part);
        changed = true;
      }
    }
    // Longest first, so a secret that contains another is masked whole.
    if (changed) this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.ordered) if (out.includes(value)) out = out.split(value).join("***");
    return out;
  }

  get size(): number {
    return this.values.size;
  }
}
