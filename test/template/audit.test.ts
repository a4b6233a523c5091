// Audit of the template engine against Go's text/template and fmt. Each row
// is a case the engine got wrong, with what Go prints (or refuses) for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTemplate, TemplateError } from "../../src/template/index.js";
import { stepData } from "./data.js";

type Row = [template: string, expected: string];

function rendersAs(rows: Row[]): void {
  for (const [template, expected] of rows) {
    assert.equal(renderTemplate(template, stepData()), expected, template);
  }
}

function refused(template: string, reason: RegExp | string, kind: TemplateError["kind"] = "parse"): TemplateError {
  let error: unknown;
  try {
    const out = renderTemplate(template, stepData(), { name: "t" });
    assert.fail(`${template}: expected an error, got ${JSON.stringify(out)}`);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof TemplateError, `${template}: ${String(error)}`);
  assert.equal(error.kind, kind, template);
  if (typeof reason === "string") assert.equal(error.reason, reason, template);
  else assert.match(error.reason, reason, template);
  return error;
}

test("printf rounds an exact half to even, as strconv does", () => {
  rendersAs([
    ['{{printf "%.0f %.0f %.0f %.0f" 0.5 1.5 2.5 3.5}}', "0 2 2 4"],
    ['{{printf "%.1f %.2f %.2f" 0.25 1.125 1.375}}', "0.2 1.12 1.38"],
    ['{{printf "%.1e %.0e" 1.25 2.5}}', "1.2e+00 2e+00"],
    ['{{printf "%.2g %.1g" 2.25 0.25}}', "2.2 0.2"],
    // not exact halves (the binary value is just above or below): plain rounding
    ['{{printf "%.1f %.2f %.3e" 0.35 2.675 1.0005}}', "0.3 2.67 1.000e+00"],
    ['{{printf "%5.1f|%.0f|%.1f" -0.05 9.5 9.96}}', " -0.1|10|10.0"],
  ]);
});

test("printf precision beyond 100 digits prints the exact decimal expansion", () => {
  rendersAs([
    ['{{printf "%.60f" 0.1}}', "0.100000000000000005551115123125782702118158340454101562500000"],
    ['{{printf "%.120f" 1.5 | len}}', "122"],
    ['{{printf "%.110e" 0.1}}', "1.00000000000000005551115123125782702118158340454101562500000000000000000000000000000000000000000000000000000000e-01"],
    ['{{printf "%.105g" 0.5}}', "0.5"],
    ['{{printf "%.3f" 1e300 | len}}', "305"],
  ]);
});

test("printf widths and precisions: Go's limits and %!(BADWIDTH)/%!(BADPREC)", () => {
  rendersAs([
    // a literal width past a million swallows the rest of the format
    ['{{printf "%999999999999d|" 1}}', "%!(NOVERB)%!(EXTRA int=1)"],
    ['{{printf "%.99999999999f" 1.5}}', "%!(NOVERB)%!(EXTRA float64=1.5)"],
    ['{{printf "%*d|%-*d|%*d|" 4 1 3 2 -3 7}}', "   1|2  |7  |"],
    ['{{printf "%*d|" "x" 5}}', "%!(BADWIDTH)5|"],
    ['{{printf "%*d|" 10000000 5}}', "%!(BADWIDTH)5|"],
    ['{{printf "%.*f|" 2 3.14159}}', "3.14|"],
    ['{{printf "%.*f|" "x" 2.5}}', "%!(BADPREC)2.500000|"],
    ['{{printf "%.*f|" -1 2.5}}', "%!(BADPREC)2.500000|"],
    ['{{printf "%*d"}}', "%!(BADWIDTH)%!d(MISSING)"],
  ]);
  assert.equal(renderTemplate('{{printf "%9999999d" 1}}', {}).length, 9999999);
});

test("printf %+q quotes to ASCII and %#q prints a raw string when it can", () => {
  rendersAs([
    ['{{printf "%+q" "héllo ☺"}}', '"h\\u00e9llo \\u263a"'],
    ['{{printf "%+q" "\\U0001F600"}}', '"\\U0001f600"'],
    ['{{printf "%+q" 233}}', "'\\u00e9'"],
    ['{{printf "%#q" "a \\"b\\""}}', '`a "b"`'],
    ['{{printf "%#q" "a`b"}}', '"a`b"'],
    ['{{printf "%#q" "line\\n"}}', '"line\\n"'],
    ['{{printf "%#q" "tab\\tok"}}', "`tab\tok`"],
    ['{{printf "%q" "héllo"}}', '"héllo"'],
  ]);
});

test("character constants: \\xNN and \\NNN are the code point itself, as in a Go rune literal", () => {
  rendersAs([
    ["{{'\\x80'}} {{'\\377'}} {{'\\x41'}} {{'\\101'}} {{'\\u00e9'}}", "128 255 65 65 233"],
    ["{{printf \"%c\" '\\xe9'}}", "é"],
  ]);
  refused("{{'\\400'}}", "malformed character constant: '\\400'");
});

test("number literals Go refuses, or that would print as another number, are refused", () => {
  refused("{{09}}", 'illegal number syntax: "09"');
  refused("{{-0_8}}", 'illegal number syntax: "-0_8"');
  refused("{{99999999999999999999}}", "99999999999999999999 overflows int");
  refused("{{0x10000000000000000}}", "0x10000000000000000 overflows int");
  refused("{{1e400}}", 'illegal number syntax: "1e400"');
  // within int64 but not exactly a JavaScript number: refusing beats printing 9007199254740992
  refused("{{9007199254740993}}", /^integer 9007199254740993 is beyond 2\^53/);
  rendersAs([
    ["{{9007199254740991}} {{-9007199254740991}} {{0x1F}} {{-0b101}} {{0o_17}} {{1_000}}", "9007199254740991 -9007199254740991 31 -5 15 1000"],
    ["{{1e3}} {{1.5e300}} {{0x1.8p1}} {{08.5}}", "1000 1.5e+300 3 8.5"],
  ]);
});

test("templates that call each other twice per level stop instead of running 2^n calls", () => {
  const explode =
    '{{define "a"}}{{if .}}{{template "a" (slice . 1)}}{{template "a" (slice . 1)}}{{end}}{{end}}' +
    '{{template "a" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}';
  const error = refused(explode, "template calls exceed 1000000", "exec");
  assert.match(error.message, /^template: t:1:\d+: executing "a" at <\{\{template "a"/);
  // a big page of text per call stops at the output limit, not at an out-of-memory crash
  const page = "x".repeat(200_000);
  refused(`{{define "p"}}${page}{{if .}}{{template "p" (slice . 1)}}{{template "p" (slice . 1)}}{{end}}{{end}}{{template "p" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}`, /^output exceeds \d+ characters$/, "exec");
  // an honest recursion still works
  assert.equal(renderTemplate('{{define "r"}}{{if .}}{{len .}}{{template "r" (slice . 1)}}{{end}}{{end}}{{template "r" "abcd"}}', {}), "4321");
});

test("printf %x on strings takes the space and # flags and a precision in bytes; %#v quotes a string", () => {
  rendersAs([
    ['{{printf "% x|%# x|% #X|%.1x|%#x|%5x|" "hi" "hi" "hi" "hi" "hi" "a"}}', "68 69|0x68 0x69|0X68 0X69|68|0x6869|   61|"],
    ['{{printf "% x|%.2x|" "é" "héllo"}}', "c3 a9|68c3|"],
    ['{{printf "%#v|%#v|%#v" "a\\"b" .parameters.tags 3}}', '"a\\"b"|[]interface {}{"a", "b"}|3'],
  ]);
});

test("map keys print and range in byte order (code points), not UTF-16 order", () => {
  // U+FFFF is EF BF BF in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 the surrogate D83D comes first.
  const data = { m: { "\uffff": 1, "\u{1F600}": 2, a: 3, "\ue000": 4, "\ud7ff": 5 } };
  assert.equal(renderTemplate("{{range $k, $v := .m}}{{$v}}{{end}}", data), "35412");
  assert.equal(renderTemplate("{{.m}}", data), "map[a:3 \ud7ff:5 \ue000:4 \uffff:1 \u{1F600}:2]");
});

test("field and variable names may hold letters outside the BMP, as Go's unicode.IsLetter allows", () => {
  const data = { m: { "\u{1D4B3}": "x", "a\u{1D4B3}b": "y" } };
  assert.equal(renderTemplate("{{.m.\u{1D4B3}}}{{.m.a\u{1D4B3}b}}{{$\u{1D4B3} := 1}}{{$\u{1D4B3}}}", data), "xy1");
  // an emoji is not a letter
  assert.throws(() => renderTemplate("{{.m.\u{1F600}}}", data), /bad character U\+1F600/);
});

test("runaway output from printf widths stops at the output limit with a template error", () => {
  // each %9999999d is within Go's width limit; together they pass the 64 MiB output limit
  const many = '{{printf "%9999999d" 1}}'.repeat(8);
  refused(many, /^output exceeds \d+ characters$/, "exec");
  // and inside one print/printf/html call, the result is refused before it is built past the limit
  const args = ' (printf "%9999999d" 1)'.repeat(8);
  refused(`{{print${args}}}`, /^error calling print: result exceeds \d+ characters$/, "exec");
  refused(`{{html${args}}}`, /^error calling html: result exceeds \d+ characters$/, "exec");
  refused(`{{printf "${"%s".repeat(8)}"${args}}}`, /^error calling printf: result exceeds \d+ characters$/, "exec");
});

test("a nil literal is refused where Go's builtin takes reflect.Value (all but print, printf's arguments, println, html, js, urlquery)", () => {
  for (const template of ["{{eq .parameters.nothing nil}}", "{{not nil}}", "{{len nil}}", "{{index nil 0}}", "{{and 1 nil}}", "{{ne nil 1}}", "{{slice nil}}"]) {
    const error = refused(template, "cannot assign nil to reflect.Value", "exec");
    assert.match(error.message, /executing "t" at <nil>: cannot assign nil to reflect\.Value$/, template);
  }
  refused("{{printf nil}}", "cannot assign nil to string", "exec");
  // and/or stop before reaching it, as in Go
  rendersAs([
    ["{{or 1 nil}} {{and 0 nil}}", "1 0"],
    ['{{print nil}} {{printf "%v" nil}} {{println nil}}{{html nil}} {{js nil}} {{urlquery nil}}', "<nil> <nil> <nil>\n&lt;nil&gt; \\u003Cnil\\u003E %3Cnil%3E"],
    // a null value (not the literal) compares as before
    ["{{eq .parameters.nothing .parameters.nothing}} {{eq .parameters.nothing 1}}", "true false"],
  ]);
});

test("printf integer prefixes and zero padding follow fmt.fmtInteger", () => {
  rendersAs([
    // the zero flag pads the digits to the width, then the 0x prefix is added (Go prints 10 characters)
    ['{{printf "%#08x|%08x|%#x|%-#8x|" 255 255 0 255}}', "0x000000ff|000000ff|0x0|0xff    |"],
    // %#o adds a leading 0 only when the digits do not already start with one
    ['{{printf "%#o|%#o|%#.3o|%O|%#O|" 0 8 8 8 8}}', "0|010|010|0o10|0o010|"],
    ['{{printf "%08b|%#b|%+08d|% 08d|%08d|" 5 0 7 7 -7}}', "00000101|0b0|+0000007| 0000007|-0000007|"],
    // precision 0 and value 0 print nothing but the padding
    ['{{printf "[%.0d|%5.0d|%#5.0x]" 0 0 0}}', "[|     |     ]"],
  ]);
});

test("printf %#U adds the character only when it is printable; %c of a surrogate or negative value is U+FFFD", () => {
  rendersAs([['{{printf "%#U|%#U|%#U|%#U" 10 32 128512 173}}', "U+000A|U+0020 ' '|U+1F600 '\u{1F600}'|U+00AD"]]);
  rendersAs([['{{printf "%c|%c|%c" 55296 -5 1114112}}', "\ufffd|\ufffd|\ufffd"]]);
});

test("error columns count characters: one outside the BMP counts once", () => {
  const error = refused("\u{1F600}\u{1F600} {{ .parameters.nope }}", 'map has no entry for key "nope"', "missing-key");
  assert.equal(error.column, 7);
  assert.match(error.message, /^template: t:1:7: /);
  assert.equal(refused("é\u{1F600}{{ 1x }}", 'bad number syntax: "1x"').column, 6);
});

test("call names its callee as Go 1.21+ does, and a nil one is 'call of nil'", () => {
  const error = refused("{{call .parameters.replicas 1}}", "error calling call: non-function .parameters.replicas of type int", "exec");
  assert.match(error.message, /executing "t" at <call \.parameters\.replicas 1>: error calling call: non-function/);
  refused("{{call .parameters.nothing}}", "error calling call: call of nil", "exec");
  refused('{{"x" | call}}', "error calling call: non-function <string Value> of type string", "exec");
});

test("lt/le/gt/ge order strings by bytes (code points) as Go does", () => {
  const data = { a: "\uffff", b: "\u{1F600}" };
  assert.equal(renderTemplate("{{lt .a .b}} {{gt .a .b}} {{le .b .a}} {{ge .b .a}}", data), "true false false true");
  assert.equal(renderTemplate('{{lt "a" "b"}} {{lt "b" "a"}} {{lt "ab" "abc"}} {{le "é" "é"}}', {}), "true false true true");
});

test("printf # flag on floats keeps the decimal point and %g's trailing zeros", () => {
  rendersAs([
    ['{{printf "%#.0f|%#.0e|%#.3g|%#.3g|%#g|%#g|%#g" 2.5 1.0 0 1.0 1.5 0.0001 1e6}}', "2.|1.e+00|0.00|1.00|1.50000|0.000100000|1.00000e+06"],
    // without a precision Go starts from the shortest digits, so nothing is added past six
    ['{{printf "%#g|%#v|%+#010.2g" 246.256903 1.5 3.0}}', "246.256903|1.5|+0000003.0"],
  ]);
});

test("printf %x/%X/%b of a float print strconv's hexadecimal and binary forms", () => {
  rendersAs([
    ['{{printf "%x|%X|%x|%x|%x" 1.5 3.25 0.1 -1e-300 5e-324}}', "0x1.8p+00|0X1.AP+01|0x1.999999999999ap-04|-0x1.56e1fc2f8f359p-997|0x1p-1074"],
    // a precision rounds the hex digits, half to even
    ['{{printf "%.0x|%.0x|%.3x|%10.2x|%#.0x|%+x" 1.5 2.5 0.1 0.1 1.5 1.5}}', "0x1p+01|0x1p+01|0x1.99ap-04|0x1.9ap-04|0x1.p+01|+0x1.8p+00"],
    ['{{printf "%b|%b" 1.5 0.1}}', "6755399441055744p-52|7205759403792794p-56"],
  ]);
});

test("printf's 0 flag: zeros for numbers (after the sign), booleans, <nil> and characters; ignored for strings, as Go's fmt documents", () => {
  rendersAs([
    ['{{printf "%05s|%05q|%05x|%05v|%05v|%-05s|" "ab" "a" "a" "-a" .parameters.tags "ab"}}', '   ab|  "a"|   61|   -a|[    a     b]|ab   |'],
    ['{{printf "%05t|%06v|%05c|%07U|" true nil 65 65}}', "0true|0<nil>|0000A| U+0041|"],
    ['{{printf "%06.2f|%06.2f|%+06.1f|% 06.1f|%08.3d|%05v" -2.5 2.5 2.5 2.5 7 .parameters.nums}}', "-02.50|002.50|+002.5| 002.5|     007|[00001 00002 00003 00004]"],
  ]);
});

test("printf explicit argument indexes follow fmt's argNumber, including Go's documented examples", () => {
  rendersAs([
    ['{{printf "%[2]d %[1]d" 11 22}}', "22 11"],
    // the fmt documentation's examples
    ['{{printf "%[2]*[1]d" 12 2}}|{{printf "%[3]*.[2]*[1]f" 12.0 2 6}}|{{printf "%d %d %#[1]x %#x" 16 17}}', "12| 12.00|16 17 0x10 0x11"],
    // a width or precision right after an index is a bad index: %[3]2d, %[3].2d
    ['{{printf "%[1]2d|%[1].2f|%[x]d|%[0]d|%[9]d|%[d" 1 2}}', "%!d(BADINDEX)|%!f(BADINDEX)|%!d(BADINDEX)|%!d(BADINDEX)|%!d(BADINDEX)|%!d(BADINDEX)"],
    // an unclosed [ looks for the next ] anywhere in the format, as Go's parseArgNumber does
    ['{{printf "%[d|%[2]d" 1 2}}', "%!d(BADINDEX)"],
  ]);
});

test("strings kept in variables count too: a recursion holding a large printf result per level ends with an error, not out of memory", () => {
  const recursion = '{{define "a"}}{{$x := printf "%q" .}}{{template "a" .}}{{end}}{{template "a" (printf "%9999999d" 1)}}';
  refused(recursion, /function results exceed 134217728 characters in all/, "exec");
  // A long precision costs no work per digit beyond the value's own: refused by the same budget at once.
  refused('{{range 100}}{{$x := printf "%.9999999x" 1.5}}{{end}}done', /function results exceed 134217728 characters in all/, "exec");
  assert.equal(renderTemplate('{{printf "%.20x" 1.5}}', {}), "0x1.80000000000000000000p+00");
});

test("%x of a long string is refused before it is built; %.Ns takes the first N runes without spreading the string", () => {
  const doubling = '{{$a := "€€€€€€€€"}}' + '{{$a = printf "%s%s" $a $a}}'.repeat(22);
  refused(`${doubling}{{$x := printf "%x" $a}}`, /result exceeds 67108864 characters/, "exec");
  assert.equal(renderTemplate(`${doubling}{{printf "%.2s|% x|%#x" $a "ab" "ab"}}`, {}), "€€|61 62|0x6162");
  assert.equal(renderTemplate('{{printf "%.1s%.3q" "😀x" "a😀bc"}}', {}), '😀"a😀b"');
});
