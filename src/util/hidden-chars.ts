// The characters orun never prints raw (util/printable.ts shows each as `\u{hex}`, util/shell-word.ts writes each as
// printf octal bytes): one definition, so a printed ID and a printed command that names it agree.
//
// - C0 controls (line feed and tab included: printable keeps or folds line feeds itself), DEL and C1: an escape
//   sequence would drive the terminal, a CR or BS rewrite the line, a tab pass for spaces.
// - The bidi controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), marks (U+200E, U+200F,
//   U+061C): they reorder what the line shows.
// - The line and paragraph separators (U+2028, U+2029): a terminal shows nothing or a break, an editor a new line.
// - The characters Unicode says show nothing (Default_Ignorable_Code_Point), so two IDs that differ only by one look
//   the same: soft hyphen U+00AD, combining grapheme joiner U+034F, the Hangul fillers (U+115F, U+1160, U+3164,
//   U+FFA0), Khmer U+17B4–U+17B5, Mongolian U+180B–U+180F, zero-width space, joiners (U+200B–U+200D), word joiner
//   and the invisible operators and deprecated format controls (U+2060–U+206F), the BOM / zero-width no-break space
//   U+FEFF, U+FFF0–U+FFF8, shorthand format controls U+1BCA0–U+1BCA3, musical format controls U+1D173–U+1D17A and
//   the tag characters U+E0000–U+E007F (they can spell hidden ASCII) with the unassigned rest of that block
//   (U+E0080–U+E00FF, U+E01F0–U+E0FFF), plus the interlinear annotation controls U+FFF9–U+FFFB.
//   Not the variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF): they pick an emoji's or ideograph's look (❤️ is
//   U+2764 U+FE0F) and shown escaped would make ordinary text unreadable. The zero-width joiner is escaped although
//   emoji sequences use it (👨‍👩‍👧 shows as its three people joined by `\u{200d}`): an ID with one looks like one without.
// - The spaces other than U+0020 (Zs): no-break U+00A0, ogham U+1680, the en quad to hair space U+2000–U+200A, narrow
//   no-break U+202F, medium mathematical U+205F, ideographic U+3000. Each looks like a space: an ID holding one reads
//   as two words, and a command typed from what was shown (with a plain space) names another job.

/** One hidden character (no `g` flag: safe to `.test` repeatedly). */
// Combining characters stand alone in the class on purpose: each one is escaped, not what it would combine with.
// eslint-disable-next-line no-control-regex, no-misleading-character-class
export const HIDDEN_CHAR = /[\u0000-\u001f\u007f-\u009f\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufeff\uffa0\ufff0-\ufffb\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e00ff}\u{e01f0}-\u{e0fff}]/u;

/** Every hidden character of a text, for `replace`. */
// eslint-disable-next-line no-misleading-character-class
export const HIDDEN_CHARS = new RegExp(HIDDEN_CHAR.source, "gu");
