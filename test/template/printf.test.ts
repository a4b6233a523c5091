// printf through the template, each row checked against what Go's fmt prints.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTemplate } from "../../src/template/index.js";
import { stepData } from "./data.js";

type Row = [template: string, expected: string];

const rows: Row[] = [
  ['{{printf "%s" "x"}}', "x"],
  ['{{printf "%d" 42}}', "42"],
  ['{{printf "%5d|" 42}}', "   42|"],
  ['{{printf "%-5d|" 42}}', "42   |"],
  ['{{printf "%05d" 42}}', "00042"],
  ['{{printf "%05d" -42}}', "-0042"],
  ['{{printf "%+d %+d" 5 -5}}', "+5 -5"],
  ['{{printf "%x %X %#x %o %b" 255 255 255 8 5}}', "ff FF 0xff 10 101"],
  ['{{printf "%c%c" 72 105}}', "Hi"],
  ['{{printf "%q" "a\\"b\\n"}}', '"a\\"b\\n"'],
  ['{{printf "%q" 65}}', "'A'"],
  ['{{printf "%U" 233}}', "U+00E9"],
  ['{{printf "%v" .parameters.tags}}', "[a b]"],
  ['{{printf "%v" .parameters.labels}}', "map[a:first m:mid z:last]"],
  ['{{printf "%q" .parameters.tags}}', '["a" "b"]'],
  ['{{printf "%d" .parameters.nums}}', "[1 2 3 4]"],
  ['{{printf "%t %t" true false}}', "true false"],
  ['{{printf "%f" 3.14159}}', "3.141590"],
  ['{{printf "%.2f" 3.14159}}', "3.14"],
  ['{{printf "%8.3f|" 3.14159}}', "   3.142|"],
  ['{{printf "%-8.2f|" 3.14159}}', "3.14    |"],
  ['{{printf "%06.2f" -2.5}}', "-02.50"],
  ['{{printf "%e" 1234.5678}}', "1.234568e+03"],
  ['{{printf "%E" 0.000123}}', "1.230000E-04"],
  ['{{printf "%g %g %g" 0.000012 100000.5 1e21}}', "1.2e-05 100000.5 1e+21"],
  ['{{printf "%.3g %.3g" 3.14159 1234.5}}', "3.14 1.23e+03"],
  ['{{printf "%v" 2.5}}', "2.5"],
  ['{{printf "%5s|%-5s|" "ab" "cd"}}', "   ab|cd   |"],
  ['{{printf "%.2s" "hello"}}', "he"],
  ['{{printf "%5.1s|" "héllo"}}', "    h|"],
  ['{{printf "%x" "hi"}}', "6869"],
  ['{{printf "100%%"}}', "100%"],
  ['{{printf "%[2]s %[1]s" "a" "b"}}', "b a"],
  ['{{printf "%*d|" 4 7}}', "   7|"],
  ['{{printf "%T %T %T %T %T %T" 1 1.5 "s" true .parameters.tags .parameters.labels}}', "int float64 string bool []interface {} map[string]interface {}"],
  ['{{printf "%v|%s" .parameters.nothing .parameters.nothing}}', "<nil>|%!s(<nil>)"],
  // Go's error forms
  ['{{printf "%d" "x"}}', "%!d(string=x)"],
  ['{{printf "%d" 1.5}}', "%!d(float64=1.5)"],
  ['{{printf "%s" 1}}', "%!s(int=1)"],
  ['{{printf "%s" .parameters.nested.k}}', "[%!s(int=1) two]"],
  ['{{printf "%t" 1}}', "%!t(int=1)"],
  ['{{printf "%s %s" "a"}}', "a %!s(MISSING)"],
  ['{{printf "%s" "a" 1 "b"}}', "a%!(EXTRA int=1, string=b)"],
  ['{{printf "%z" 1}}', "%!z(int=1)"],
  ['{{printf "abc%"}}', "abc%!(NOVERB)"],
  ['{{printf "%[3]s" "a"}}', "%!s(BADINDEX)"],
  // print / println formatting of values
  ["{{print .parameters.labels .parameters.tags}}", "map[a:first m:mid z:last] [a b]"],
  ["{{println .parameters.replicas .parameters.ratio}}", "3 0.75\n"],
];

for (const [template, expected] of rows) {
  test(`printf: ${template}`, () => {
    assert.equal(renderTemplate(template, stepData()), expected);
  });
}

test("printf: float verbs accept integral numbers (YAML 2.0 arrives as 2)", () => {
  assert.equal(renderTemplate('{{printf "%.2f" .cpu}}', { cpu: 2 }), "2.00");
});

test("printf: int and float compare with each other (YAML 2.0 arrives as 2)", () => {
  assert.equal(renderTemplate("{{lt .cpu 2.5}} {{eq .cpu 2.0}}", { cpu: 2 }), "true true");
});
