// plan.yaml is read by other tools too, many of them YAML 1.1 readers (PyYAML,
// Ruby's Psych, older yq): every string must read back as the same string there
// as well as in YAML 1.2, keys included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { encodeShapedYaml } from "../../src/plan/format-yaml.js";

const TRICKY = [
  "on", "On", "OFF", "yes", "Yes", "no", "NO", "y", "Y", "n", "N", "true", "False",
  "<<", "=", "1:20", "-1:30:00.5", "1_000", "0b1010", "+0x_1F", "1_0.5", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
  "0123", "1e3", "0x10", "0o17", ".5", "+1", "~", "null", ".inf", ".NaN", "", " lead", "#c", "- x", "a: b", "*x", "!t", "@x", "%x",
];
// Plain words stay plain: quoting only where a reader would take something else.
const PLAIN = ["deploy", "1.2.3", "v1_0", "production", "_", "a_b", "x=1"];

test("strings YAML 1.1 would read as booleans, numbers, timestamps or merge keys are quoted, values and keys alike", async () => {
  const value: Record<string, unknown> = {};
  for (const s of [...TRICKY, ...PLAIN]) value[`k-${s}`] = s;
  for (const s of TRICKY) if (s !== "") value[s] = "key";
  const text = encodeShapedYaml({ env: value, list: [...TRICKY, ...PLAIN] });
  for (const version of ["1.1", "1.2"] as const) {
    assert.deepEqual(parse(text, { version }), { env: value, list: [...TRICKY, ...PLAIN] }, `read as YAML ${version}:\n${text}`);
  }
  for (const s of PLAIN) assert.ok(text.includes(`\n    - ${s}\n`), `${s} stays plain`);
  assert.match(text, /\n {4}"on": key\n/);
  assert.match(text, /\n {4}k-on: "on"\n/);
});

test("strings with a tab, DEL, C1 controls, U+0085/U+2028/U+2029, U+FFFF or a lone surrogate are double-quoted with escapes (PyYAML reads them back)", () => {
  const strings = ["a\tb", "\tlead", "del\x7f", "c1\x9b", "nel\u0085x", "ls\u2028x", "ps\u2029x", "ff\uffff", "fe\ufffe", "lone\ud800x", "multi\nline\u2028", "ok 🚀 emoji", "multi\nline\twith tab", "bell\x07"];
  for (const s of strings) {
    const text = encodeShapedYaml({ k: s, list: [s], m: { [s]: 1 } });
    // Nothing a YAML 1.1 reader refuses or breaks lines at is written raw.
    // (A block scalar may hold a tab: only a single-line string's tab must be escaped.)
    assert.doesNotMatch(text, s.includes("\n") ? /[\x7f-\x9f\u2028\u2029\ufffe\uffff]/ : /[\x7f-\x9f\u2028\u2029\ufffe\uffff]|\t/, JSON.stringify(s));
    assert.deepEqual(parse(text, { version: "1.1" }), { k: s, list: [s], m: { [s]: 1 } }, JSON.stringify(s));
  }
  assert.equal(encodeShapedYaml({ k: "ok 🚀 emoji" }), "k: ok 🚀 emoji\n", "a surrogate pair is not a lone surrogate");
  assert.equal(encodeShapedYaml({ k: "a\tb" }), 'k: "a\\tb"\n');
  assert.equal(encodeShapedYaml({ k: "ls\u2028x" }), 'k: "ls\\u2028x"\n');
});
