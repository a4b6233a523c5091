// Secret masking: every value registered here is replaced by `***` in
// anything the runner emits (live output, logs, error messages) — and so are
// the encoded forms a step is likely to print it in, as GitHub's runner does
// (its ValueEncoders): JSON string, URI component, XML text, a value without
// its surrounding quotes, and base64 at each of the three byte alignments it
// can have inside a larger base64 payload (e.g. `base64("user:" + secret)`).

/** Encoded forms shorter than this are not masked: a short secret's fragments would hide ordinary text. */
export const MIN_ENCODED_LENGTH = 6;

/** What a masked value is replaced by. A log masked by orun says `::add-mask::***`: that is no value to hide. */
export const MASKED = "***";

export class Masker {
  /** `onAdd`: told each value `add` is given that it did not hold yet, as given. */
  constructor(private readonly onAdd?: (value: string) => void) {}

  /** The values registered (each secret, and each line of a multi-line one). */
  private readonly values = new Set<string>();
  /** Those values and their encoded forms: what gets replaced. */
  private readonly forms = new Set<string>();
  private ordered: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    const parts = [value, ...value.split(/\r?\n/)].map((v) => v.trim()).filter((v) => v.length > 0 && v !== MASKED);
    let changed = false;
    for (const part of parts) {
      if (this.values.has(part)) continue;
      this.values.add(part);
      for (const form of [part, ...encodedForms(part).filter((f) => f.length >= MIN_ENCODED_LENGTH)]) this.forms.add(form);
      changed = true;
    }
    // Longest first: safeCut holds back as many characters as the longest form has.
    if (changed) this.ordered = [...this.forms].sort((a, b) => b.length - a.length);
    if (changed) this.onAdd?.(value);
  }

  /**
   * `text` with every place a value (or form) lies replaced, overlapping or touching places as one `***` — as GitHub's
   * masker does. Replacing one value after another instead showed what a value overlapping an earlier one left
   * uncovered: with `cdefgh` and `abcdefg` masked, `abcdefghij` gave `***hij`, the `h` of a masked value in clear.
   */
  mask(text: string): string {
    const places: { start: number; end: number }[] = [];
    for (const form of this.ordered) {
      let last: { start: number; end: number } | undefined;
      for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
        // A form's own overlapping places (`aa` in `aaaa`) extend the place before: one entry each run of them.
        if (last && at <= last.end) last.end = at + form.length;
        else places.push((last = { start: at, end: at + form.length }));
      }
    }
    if (places.length === 0) return text;
    places.sort((a, b) => a.start - b.start);
    let out = "";
    let from = 0;
    let current = places[0]!;
    for (const place of places) {
      if (place.start <= current.end) current.end = Math.max(current.end, place.end);
      else {
        out += text.slice(from, current.start) + MASKED;
        from = current.end;
        current = place;
      }
    }
    return out + text.slice(from, current.start) + MASKED + text.slice(current.end);
  }

  /**
   * Where `text`, the start of a line still being written, can be cut so that its part before the cut is masked
   * alone: no value (nor encoded form) that may be there lies across the cut, nor one that may go on in what follows.
   * 0 when every place is inside one (the line is then held whole until it ends).
   */
  safeCut(text: string): number {
    const longest = this.ordered[0]?.length ?? 0;
    let cut = Math.max(0, text.length - Math.max(0, longest - 1));
    for (let moved = true; moved && cut > 0; ) {
      moved = false;
      for (const form of this.ordered) {
        const start = text.lastIndexOf(form, cut - 1);
        if (start >= 0 && start + form.length > cut) {
          cut = start;
          moved = true;
        }
      }
      const code = text.charCodeAt(cut - 1);
      if (cut > 0 && code >= 0xd800 && code <= 0xdbff) {
        cut--;
        moved = true;
      }
    }
    return cut;
  }

  /** How many values are registered (encoded forms not counted). */
  get size(): number {
    return this.values.size;
  }
}

/** The forms of `value` other than itself (possibly equal to it, or empty). */
export function encodedForms(value: string): string[] {
  return [jsonEscape(value), ...uriEscapes(value), xmlEscape(value), trimDoubleQuotes(value), ...base64Forms(value)];
}

/** The value inside a JSON string literal (`JSON.stringify` without its quotes). */
function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** encodeURIComponent's form and the strict RFC 3986 one (.NET's Uri.EscapeDataString also escapes !'()*). */
function uriEscapes(value: string): string[] {
  try {
    const component = encodeURIComponent(value);
    return [component, component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)];
  } catch {
    return []; // a lone surrogate has no URI form
  }
}

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function xmlEscape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

/** A quoted secret (`"…"`, longer than 8) is often printed without its quotes. */
function trimDoubleQuotes(value: string): string {
  return value.length > 8 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : "";
}

/**
 * The value's standalone base64 (padded) and, for each alignment — the
 * secret starting 0, 1 or 2 bytes into a 3-byte group of a larger payload —
 * the run of base64 digits made of the secret's bits alone (digits shared
 * with the bytes before or after depend on them and are left out). Each in
 * the standard and the URL-safe alphabet.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = [bytes.toString("base64")];
  for (let offset = 0; offset < 3; offset++) {
    const aligned = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    forms.push(aligned.slice(first, end));
  }
  return [...forms, ...forms.map((form) => form.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""))];
}
