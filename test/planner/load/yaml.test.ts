import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { decodeText, parseYamlText, originAt, formatField, splitField } from "../../../src/planner/load/yaml.js";
import { loadError, repoS, makeRepo } from "./helpers.js";

test("a YAML syntax error names file:line:col", async () => {
  const dir = await repoS(`environments:\n  dev: [1\n  prod: {}\n`);
  await loadError(dir, /^intent\.yaml:8:\d+: invalid YAML: /);
  const indent = await repoS(`environments:\n  dev: {}\n prod: {}\n`);
  await loadError(indent, /^intent\.yaml:8:\d+: invalid YAML: /);
});

test("duplicate keys are errors naming the key and its line", async () => {
  const dir = await repoS(`environments:\n  dev: {}\n  dev: {}\n`);
  await loadError(dir, "intent.yaml:8:3: invalid YAML: duplicate key: dev");
});

test("keys that become one field once read (1 and \"1\", true and \"true\", ~ and \"\") are duplicates, not a silent overwrite", () => {
  const cases: [string, string][] = [
    ['labels: {1: a, "1": b}\n', "1:16"],
    ["parameters:\n  true: x\n  'true': y\n", "3:3"],
    ['m: {~: a, "": b}\n', "1:11"],
    ["m: {1.0: a, 1: b}\n", "1:13"],
  ];
  for (const [text, at] of cases) {
    assert.throws(() => parseYamlText(text, "c.yaml", "/c.yaml"), new RegExp(`^OrunError: c\\.yaml:${at}: invalid YAML: duplicate key: `), text);
  }
  // Keys that stay distinct still load.
  assert.deepEqual(parseYamlText('m: {1: a, "01": b, "true ": c}\n', "c.yaml", "/c.yaml")[0]!.value, { m: { 1: "a", "01": "b", "true ": "c" } });
});

test("duplicate keys are found in nested maps, in lists, in flow maps and in maps of 50,000 keys, at the second key's line", () => {
  const cases: [string, string, string][] = [
    ["a:\n  - x: 1\n    y: 2\n    x: 3\n", "4:5", "x"],
    ["a: {b: {c: 1, d: 2, c: 3}}\n", "1:21", "c"],
    ["a:\n  b: 1\nc:\n  b: 2\na: 3\n", "5:1", "a"],
    // A duplicate before a syntax error is the first problem in the text; a syntax error before one is.
    ["a: 1\na: 2\nb: [1\n", "2:1", "duplicate key: a"],
  ];
  for (const [text, at, reason] of cases) {
    assert.throws(() => parseYamlText(text, "c.yaml", "/c.yaml"), new RegExp(`^OrunError: c\\.yaml:${at}: invalid YAML: (duplicate key: )?${reason}`), text);
  }
  assert.throws(() => parseYamlText("b: [1\na: 1\na: 2\n", "c.yaml", "/c.yaml"), (err: Error) => !/duplicate key/.test(err.message) && /^c\.yaml:[12]:\d+: invalid YAML/.test(err.message));
  // Same-named keys of different maps are no duplicates.
  assert.deepEqual(parseYamlText("a: {x: 1}\nb: {x: 2}\n", "c.yaml", "/c.yaml")[0]!.value, { a: { x: 1 }, b: { x: 2 } });
  const keys = 50_000;
  let big = "labels:\n";
  for (let i = 0; i < keys; i++) big += `  k${i}: v${i}\n`;
  assert.equal(Object.keys((parseYamlText(big, "c.yaml", "/c.yaml")[0]!.value as { labels: object }).labels).length, keys);
  assert.throws(() => parseYamlText(`${big}  k17: again\n`, "c.yaml", "/c.yaml"), new RegExp(`^OrunError: c\\.yaml:${keys + 2}:3: invalid YAML: duplicate key: k17$`));
});

test("a lone CR is a line break, as YAML says: a file ending in CR without LF, and old Mac line endings", () => {
  assert.equal(decodeText(Buffer.from("a: b\r"), "c.yaml"), "a: b\n");
  assert.equal(decodeText(Buffer.from("a: b\r\nc: |\r  x\r  y\r"), "c.yaml"), "a: b\r\nc: |\n  x\n  y\n");
  assert.deepEqual(parseYamlText(decodeText(Buffer.from("a: b\rc: |\r  x\r  y\r"), "c.yaml"), "c.yaml", "/c.yaml")[0]!.value, { a: "b", c: "x\ny\n" });
});

test("intent.yaml must be one non-empty document", async () => {
  await loadError(await makeRepo({ "intent.yaml": "" }), "intent.yaml:1: file is empty");
  await loadError(await makeRepo({ "intent.yaml": "# just a comment\n" }), "file is empty");
  await loadError(await repoS(`---\nkind: Other\n`), "intent.yaml:6: expected a single YAML document");
  await loadError(await makeRepo({ "intent.yaml": "- a\n- b\n" }), "must be a mapping (got a list)");
});

test("unresolved aliases and alias bombs are refused with the file named", async () => {
  await loadError(await repoS(`env: {A: *nothing}\n`), /^intent\.yaml:\d+(:\d+)?: invalid YAML/);
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 8; i++) bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]\n`;
  const docs = (): unknown => parseYamlText(bomb, "bomb.yaml", "/tmp/bomb.yaml");
  assert.throws(docs, /bomb\.yaml:\d+: invalid YAML: .*alias/i);
});

test("one anchor may be used thousands of times (labels shared by every component); aliases multiplying are refused", () => {
  // The yaml library's per-anchor count refused the 1,001st use: a 2,000-component intent sharing `labels: *l`.
  let text = "base: &l {team: core, tier: [a, b]}\nall:\n";
  for (let i = 0; i < 3000; i++) text += `  - *l\n`;
  const [yd] = parseYamlText(text, "many.yaml", "/many.yaml");
  assert.equal((yd!.value as { all: unknown[] }).all.length, 3000);
  assert.deepEqual((yd!.value as { all: unknown[] }).all[2999], { team: "core", tier: ["a", "b"] });
  // 7 levels of 10 aliases: 10^7 values from a few hundred bytes.
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 7; i++) bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]\n`;
  assert.throws(() => parseYamlText(bomb, "bomb.yaml", "/bomb.yaml"), /^OrunError: bomb\.yaml:1: invalid YAML: its aliases expand to more than 5,000,000 values \(aliases of aliases multiply\)$/);
});

test("absurd nesting and oversized files are refused with the file named", async () => {
  assert.throws(() => parseYamlText(`a: ${"[".repeat(50000)}${"]".repeat(50000)}\n`, "deep.yaml", "/deep.yaml"), /^OrunError: deep\.yaml:1:\d+: invalid YAML: /);
  const dir = await repoS("", { "apps/big/component.yaml": "" });
  await fs.truncate(path.join(dir, "apps/big/component.yaml"), 17 * 1024 * 1024);
  await loadError(dir, "apps/big/component.yaml: file is too large (17825792 bytes; orun reads YAML files up to 16777216 bytes)");
});

test("a __proto__ key is refused wherever it appears", async () => {
  await loadError(await repoS(`environments:\n  dev:\n    parameterDefaults:\n      __proto__: {x: 1}\n`), "intent.yaml:9: environments.dev.parameterDefaults.__proto__: the key __proto__ is not allowed");
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test(".inf and .nan are refused: a plan is JSON", async () => {
  await loadError(await repoS(`components:\n  - name: a\n    type: svc\n    parameters: {limit: .inf}\n`), "intent.yaml:9: components[0].parameters.limit: Infinity cannot be represented in a plan");
  await loadError(await repoS(`components:\n  - {name: a, type: svc, parameters: {l: [1, .NaN]}}\n`), "components[0].parameters.l[1]: NaN cannot be represented in a plan");
});

test("an alias inside the node it names is refused, naming where (it used to overflow the stack)", async () => {
  await loadError(await repoS(`components:\n  - name: a\n    type: svc\n    parameters: {loop: &x [1, *x]}\n`), "intent.yaml:9: components[0].parameters.loop[1]: an alias refers to a node that contains it");
  await loadError(await repoS(`components:\n  - name: a\n    type: svc\n    parameters: &p {self: *p}\n`), "components[0].parameters.self: an alias refers to a node that contains it");
  // The same node used twice side by side is fine: only containment is refused.
  const [yd] = parseYamlText("a: &x [1]\nb: *x\nc: [*x, *x]\n", "f.yaml", "/f.yaml");
  assert.deepEqual(yd!.value, { a: [1], b: [1], c: [[1], [1]] });
});

test("origins give the line of any field below an object, or the closest existing ancestor", () => {
  const [yd] = parseYamlText("a:\n  b:\n    - x: 1\n      y: 2\n  c: 3\n", "f.yaml", "/f.yaml");
  const o = originAt(yd!, ["a"]);
  assert.equal(o.line, 1);
  assert.equal(o.lineOf("b[0].y"), 4);
  assert.equal(o.lineOf(["b", 0, "x"]), 3);
  assert.equal(o.lineOf("c"), 5);
  assert.equal(o.lineOf("b[0].missing"), 3, "absent field: nearest existing ancestor");
  assert.deepEqual(o.at("b[0].y"), { file: "f.yaml", line: 4, field: "a.b[0].y" });
  assert.equal(formatField(["x", 0, "y"]), "x[0].y");
  assert.deepEqual(splitField("x[0].y"), ["x", 0, "y"]);
});

test("errors point at the line where the problem is written: an alias naming no anchor, a NUL character", () => {
  assert.throws(() => parseYamlText("a: 1\nb:\n  c: *nothing\n", "c.yaml", "/c.yaml"), /^OrunError: c\.yaml:3: invalid YAML: /);
  assert.throws(() => decodeText(Buffer.from("a: 1\nb: 2\nc: \0\n"), "n.yaml"), /^OrunError: n\.yaml:3: contains a NUL character/);
});

test("a field reached through an alias is located where its anchor writes it", () => {
  const [yd] = parseYamlText("common: &c\n  x: 1\n  y: 2\nuse: *c\nlist:\n  - &i {a: 1}\n  - *i\n", "a.yaml", "/a.yaml");
  assert.equal(originAt(yd!, ["use"]).lineOf("y"), 3);
  assert.equal(originAt(yd!, ["list", 1]).lineOf("a"), 6);
});

test("a field brought in by a merge key (<<) is located where its anchor writes it, in block and flow style", () => {
  const [block] = parseYamlText("base: &b\n  k: 1\n  j: 2\nmerged:\n  <<: *b\n  z: 3\n", "m.yaml", "/m.yaml");
  assert.equal(originAt(block!, ["merged"]).lineOf("j"), 3);
  assert.equal(originAt(block!, ["merged"]).lineOf("z"), 6, "its own field where it is written");
  const [flow] = parseYamlText("one: &o {k: 1}\ntwo: &t {j: 2}\nmerged: {<<: [*o, *t], z: 3}\n", "f.yaml", "/f.yaml");
  assert.equal(originAt(flow!, ["merged"]).lineOf("k"), 1);
  assert.equal(originAt(flow!, ["merged"]).lineOf("j"), 2);
});

test("numbers and booleans in string maps keep their source text", async () => {
  const dir = await repoS(`environments: {dev: {env: {A: 1.0, B: 0x10, C: true, D: 007}}}\n`);
  const { load } = await import("./helpers.js");
  const ws = await load(dir);
  assert.deepEqual(ws.intent.environments.dev!.env, { A: "1.0", B: "0x10", C: "true", D: "007" });
});

test("plain scalars read as yaml.v3 (orun v2.3) reads them, spec 10 §1.10: YAML 1.1 octal and underscores are numbers, yes/on strings", () => {
  // [scalar, value]: the value orun v2.3 (gopkg.in/yaml.v3) gives a free-form value (parameters, with).
  const rows: [string, unknown][] = [
    ["010", 8], // YAML 1.2 alone: 10
    ["0777", 511], // 777
    ["-010", -8],
    ["0o17", 15],
    ["0O17", 15], // a string
    ["0x10", 16],
    ["0X1f", 31], // a string
    ["-0x10", -16], // a string
    ["0b101", 5], // a string
    ["1_000", 1000], // a string
    ["1_0.5", 10.5], // a string
    ["+12", 12],
    ["08", 8], // a float64 8 in Go: not octal
    ["0", 0],
    ["1.0", 1],
    ["1e3", 1000],
    ["True", true],
    ["yes", "yes"],
    ["on", "on"],
    ["off", "off"],
    ["y", "y"],
    ["_100", "_100"], // starts with neither a digit nor a sign
    ["0_", 0],
    ["12:30:00", "12:30:00"], // YAML 1.1 sexagesimal: yaml.v3 does not read it
    ["'010'", "010"],
    ['"1_000"', "1_000"],
    ["!!str 010", "010"],
  ];
  for (const [scalar, value] of rows) {
    const doc = parseYamlText(`v: ${scalar}\nl: [${scalar}]\n`, "c.yaml", "/c.yaml")[0]!.value;
    assert.deepEqual(doc, { v: value, l: [value] }, scalar);
  }
  // An integer beyond 2^53 written in an old form stays exact (a bigint, which exactIntegers refuses), not rounded.
  assert.deepEqual(parseYamlText("v: 0777777777777777777777\n", "c.yaml", "/c.yaml")[0]!.value, { v: 9223372036854775807n });
  // Keys stay as written; merge keys merge.
  assert.deepEqual(parseYamlText("m: {010: a}\nbase: &b {k: 010}\nmerged: {<<: *b, z: 1_0}\n", "c.yaml", "/c.yaml")[0]!.value, { m: { 10: "a" }, base: { k: 8 }, merged: { k: 8, z: 10 } });
});

test("string maps keep the source text of the numbers yaml.v3 reads differently", async () => {
  const dir = await repoS(`environments: {dev: {env: {A: 010, B: 1_000, C: 0b1}}}\n`);
  const { load } = await import("./helpers.js");
  const ws = await load(dir);
  assert.deepEqual(ws.intent.environments.dev!.env, { A: "010", B: "1_000", C: "0b1" });
});

test("a plain number or boolean where a string goes is its text as written, as v2.3 reads it (1_000 is not 1000)", async () => {
  // rev27b: once `1_000` read as a number (yaml.v3), a name such as 2024_01_15 was refused where it was accepted.
  const { load } = await import("./helpers.js");
  for (const written of ["1_000", "010", "true", "2024_01_15", "10"]) {
    const dir = await repoS(`environments: {dev: {}}\ncomponents:\n  - {name: web, type: svc, domain: ${written}}\n`);
    const ws = await load(dir);
    assert.equal(ws.intent.components?.[0]?.domain, written);
  }
});

test("a large intent with thousands of components loads and points at the right lines", async () => {
  const n = 3000;
  let body = "components:\n";
  for (let i = 0; i < n; i++) body += `  - name: c${i}\n    type: svc\n`;
  const dir = await repoS(body);
  const { load } = await import("./helpers.js");
  const ws = await load(dir);
  assert.equal(ws.components.length, n);
  const last = ws.components.find((c) => c.name === `c${n - 1}`)!;
  assert.equal(last.origin.line, 7 + 2 * (n - 1));
});
