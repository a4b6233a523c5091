// Where UTF-8 text may be cut: raw bytes are passed on whole characters at a time where a reader decodes
// them in pieces (orun logs --follow --raw to a terminal; the console decoding a step's combined output).

/** How many bytes at the end of `data` begin a UTF-8 character that is not complete (0–3). */
export function incompleteCharacter(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const byte = data[data.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const needed = byte >= 0xf0 && byte <= 0xf7 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 && byte <= 0xdf ? 2 : 1;
    return needed > back && byte >= 0xc0 && byte <= 0xf7 ? back : 0;
  }
  return 0;
}
