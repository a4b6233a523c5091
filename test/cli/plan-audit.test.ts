// Defects an audit found in the plan store and the plan-side CLI, each pinned
// through the real binary: store names that could replace stored plans,
// output formats and views, next-step hints after -o, dotted job IDs in
// describe, the raw environments map and `compositions list -l/-e`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { provideZsh, shellScript } from "../support/bash.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const BODY = `environments:
  dev:
    selectors: { components: ["*"] }
  prod:
    selectors: { components: ["*"] }
    policies: { requireApproval: "true" }
components:
  - name: api
    type: svc
    parameters: { replicas: 3 }
`;

const planIdOf = (stdout: string): string => /│ plan: ([0-9a-f]{12})\n/.exec(stdout)![1]!;

describe("orun plan --name cannot collide with the store's own files", () => {
  test("a plan ID, an ID-like hex name or `latest` is refused and the stored plans keep their bytes", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const first = await runOrun(["plan", "-e", "dev"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const id = planIdOf(first.stdout);
    const plans = path.join(dir, ".orun", "plans");
    const before = await fs.readFile(path.join(plans, `${id}.json`), "utf8");
    const latestBefore = await fs.readFile(path.join(plans, "latest.json"), "utf8");
    for (const name of [id, id.slice(0, 6), id.toUpperCase(), "latest", "Latest", "latest.json", "1234"]) {
      const r = await runOrun(["plan", "--name", name], { cwd: dir });
      assert.equal(r.code, 1, `--name ${name}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`^✕ --name: invalid plan name "${name.replace(".", "\\.")}"`), r.stderr);
    }
    assert.equal(await fs.readFile(path.join(plans, `${id}.json`), "utf8"), before, "the plan stored under its ID is untouched");
    assert.equal(await fs.readFile(path.join(plans, "latest.json"), "utf8"), latestBefore);
    assert.deepEqual((await fs.readdir(plans)).sort(), [`${id}.json`, "latest.json"]);
    // An ordinary name still works and is echoed in the hints.
    const named = await runOrun(["plan", "--name", "nightly-2024"], { cwd: dir });
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /→ orun run nightly-2024\n/);
  });
});

describe("orun plan -o FILE: the next-step hints run the file that was written", () => {
  test("no hint names the ID or --name (nothing was stored); `orun run <file>` as printed works", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const r = await runOrun(["plan", "-e", "dev", "-o", "out/p.json", "--name", "foo"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const hints = [...r.stdout.matchAll(/→ orun run (.+)\n/g)].map((m) => m[1]!);
    assert.deepEqual(hints, ["out/p.json"]);
    // The name is not stored (a warning says so), so the summary does not show it (rev16plan).
    assert.match(r.stdout, /│ components: api\n {2}│ plan: [0-9a-f]{12}\n {2}│ file: out\/p\.json\n/, "ID and file are still reported");
    const run = await runOrun(["run", ...hints], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const spaced = await runOrun(["plan", "-e", "dev", "-o", "my plans/it's.yaml"], { cwd: dir });
    assert.equal(spaced.code, 0, spaced.stderr);
    assert.match(spaced.stdout, /→ orun run 'my plans\/it'\\''s\.yaml'\n$/, "a path with spaces or quotes is one shell word");
  });

  // A control character in the path reached the terminal raw (an ESC coloured it, a newline split the hint); the
  // hint now writes it as a printf escape that `sh` (dash) reads back to the same path.
  test("a path with control characters: the hint holds none raw, and sh runs it as printed", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const odd = "nl\nx\u001b[31m.json";
    const r = await runOrun(["plan", "-e", "dev", "-o", odd], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const hint = /→ (orun run .+)\n$/.exec(r.stdout)?.[1];
    assert.equal(hint, `orun run "$(printf 'nl\\012x\\033[31m.json')"`);
    const bin = path.join(dir, "bin");
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`, { mode: 0o755 });
    const run = await shellScript("sh", hint!, dir, { ...process.env, NO_COLOR: "1", PATH: `${bin}:${process.env.PATH ?? ""}` });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /1 succeeded\n/);
    // The summary's file line held the ESC and the newline raw too.
    assert.match(r.stdout, /│ file: nl x\\u\{1b\}\[31m\.json\n/);
    assert.ok(!r.stdout.includes("\u001b"), r.stdout);
  });

  // `orun plan -o myplan` printed `→ orun run myplan`, which runs the stored plan named myplan (the store is looked
  // in first), `' sp.json'` and `'sp.json '`, which orun run trims to another file, and `=y.json`, which zsh expands
  // to the path of a command named y.json. The hint is now a path that reads as the file, or none when none does.
  test("a bare name, a leading space or `=`: the hint is a path that sh and zsh run as that file; a trailing space: no hint", async () => {
    await provideZsh();
    const dir = await writeRepo(baseRepo(BODY));
    const bin = path.join(dir, "bin");
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, NO_COLOR: "1", PATH: `${bin}:${process.env.PATH ?? ""}` };
    // A stored plan of prod named like the dev plan's file.
    assert.equal((await runOrun(["plan", "-e", "prod", "--name", "myplan"], { cwd: dir })).code, 0);
    const files: Array<[string, string]> = [
      ["myplan", "orun run ./myplan"],
      [" sp.json", "orun run './ sp.json'"],
      ["=y.json", "orun run ./=y.json"],
    ];
    for (const [file, expected] of files) {
      const r = await runOrun(["plan", "-e", "dev", "-o", file], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const hint = /→ (orun run .+)\n$/.exec(r.stdout)?.[1];
      assert.equal(hint, expected);
      for (const shell of ["sh", "zsh"]) {
        const run = await shellScript(shell, `${hint!} --dry-run`, dir, env);
        assert.equal(run.code, 0, `${shell}: ${run.output}`);
        assert.match(run.output, /api@dev\.deploy/, `${shell} ran the file: ${run.output}`);
        assert.doesNotMatch(run.output, /prod/, `${shell} ran the stored plan: ${run.output}`);
      }
    }
    const trailing = await runOrun(["plan", "-e", "dev", "-o", "sp2.json "], { cwd: dir });
    assert.equal(trailing.code, 0, trailing.stderr);
    assert.doesNotMatch(trailing.stdout, /→ orun run /);
    assert.match(trailing.stdout, /→ no orun run names this file \(it trims the whitespace that ends the name\): rename it to run it\n$/);
  });
});

describe("orun describe job accepts the dotted form, prefixes included (decision 1)", () => {
  test("api.dev, api.dev.deploy, api.prod.dep and job/api.prod find the same jobs as their @ forms", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    const cases: [string[], string][] = [
      [["job", "api.dev"], "api@dev.deploy"],
      [["job", "api@dev"], "api@dev.deploy"],
      [["job", "api.dev.deploy"], "api@dev.deploy"],
      [["job", "api.prod.dep"], "api@prod.deploy"],
      [["job/api.prod"], "api@prod.deploy"],
      [["job", "api.p"], "api@prod.deploy"],
    ];
    for (const [args, id] of cases) {
      const r = await runOrun(["describe", ...args], { cwd: dir });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^\\nJob: ${id.replace(".", "\\.")}\\n`), args.join(" "));
    }
    const missing = await runOrun(["describe", "job", "api.qa"], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^✕ job not found: api\.qa \(list jobs with orun get jobs\)\n/);
  });
});

describe("get -o and --view accept only the formats and views they support", () => {
  test("-o yaml prints YAML of the same data as -o json; -o table is the default text", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    for (const what of ["plans", "jobs", "components", "environments"]) {
      const [json, yamlOut, table, text] = await Promise.all(
        [["-o", "json"], ["-o", "yaml"], ["-o", "table"], []].map((args) => runOrun(["get", what, ...args], { cwd: dir })),
      );
      for (const r of [json, yamlOut, table, text]) assert.equal(r!.code, 0, `get ${what}: ${r!.stderr}`);
      assert.deepEqual(parseYaml(yamlOut!.stdout), JSON.parse(json!.stdout), `get ${what} -o yaml`);
      assert.notEqual(yamlOut!.stdout, text!.stdout);
      assert.equal(table!.stdout, text!.stdout, `get ${what} -o table`);
    }
  });

  test("an unknown -o or --view value is a usage error naming the flag and the allowed values", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    const cases: [string[], RegExp][] = [
      [["get", "plans", "-o", "xml"], /'-o, --output <format>' argument 'xml' is invalid\. Allowed choices are json, yaml, table\./],
      [["get", "jobs", "-o", "xml"], /'-o, --output <format>' argument 'xml' is invalid\. Allowed choices are json, yaml, wide, table\./],
      [["get", "components", "-o", "yml"], /'-o, --output <format>' argument 'yml' is invalid\. Allowed choices are json, yaml, table\./],
      [["component", "-o", "csv"], /'-o, --output <format>' argument 'csv' is invalid/],
      [["get", "environments", "-o", "wide"], /'-o, --output <format>' argument 'wide' is invalid\. Allowed choices are json, yaml, table\./],
      [["get", "jobs", "--view", "bogus"], /'--view <view>' argument 'bogus' is invalid\. Allowed choices are tree, compact, table\./],
      [["plan", "--view", "bogus"], /'-v, --view <view>' argument 'bogus' is invalid\. use dag, dag:long, dependencies or component=NAME\./],
      [["plan", "-v", "component="], /argument 'component=' is invalid/],
    ];
    const before = (await fs.readdir(path.join(dir, ".orun", "plans"))).sort();
    for (const [args, message] of cases) {
      const r = await runOrun(args, { cwd: dir });
      assert.notEqual(r.code, 0, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
      assert.match(r.stderr, message, args.join(" "));
    }
    assert.deepEqual((await fs.readdir(path.join(dir, ".orun", "plans"))).sort(), before, "a refused plan --view writes nothing");
    const view = await runOrun(["plan", "-v", "component=api"], { cwd: dir });
    assert.equal(view.code, 0, view.stderr);
    assert.match(view.stdout, /plan view: component/);
  });

  test("get plans shows an unparsable latest.json as unreadable (with the file and a warning), never as a ready 0-job plan", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    assert.equal((await runOrun(["plan"], { cwd: dir })).code, 0);
    const latest = path.join(dir, ".orun", "plans", "latest.json");
    for (const corrupt of ["{not json", JSON.stringify({ apiVersion: "orun.io/v1", kind: "Plan", metadata: {}, jobs: "many" })]) {
      await fs.writeFile(latest, corrupt);
      const r = await runOrun(["get", "plans"], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\nlatest {10}- {7}now {7}✗ unreadable \(.*latest\.json\)\n/);
      assert.doesNotMatch(r.stdout, /latest .*● ready/);
      assert.match(r.stdout, /[0-9a-f]{12} {4}2 {7}now {7}● ready\n/, "the readable plan is still listed");
      assert.match(r.stdout, /2 revision\(s\) · latest: unreadable\n$/);
      assert.match(r.stderr, /⚠ warning: unreadable plan file .*latest\.json: /);
      const json = await runOrun(["get", "plans", "-o", "json"], { cwd: dir });
      const rows = JSON.parse(json.stdout) as { Name: string; Checksum: string }[];
      assert.equal(rows.find((row) => row.Name === "latest")!.Checksum, "");
      assert.match(json.stderr, /unreadable plan file/);
    }
  });
});

describe("orun get environments -o json|yaml: the raw environments map (spec 10 §4)", () => {
  test("only what the intent writes: no name, no empty defaults, sorted by name", async () => {
    const dir = await writeRepo(
      baseRepo(`environments:
  prod:
    selectors: { components: ["*"] }
    policies: { requireApproval: "true" }
    promotion:
      dependsOn: [{ environment: dev }]
  dev:
    selectors: { components: ["*"] }
    env: { LEVEL: debug }
  qa: {}
components:
  - name: api
    type: svc
`),
    );
    const expected = {
      dev: { selectors: { components: ["*"] }, env: { LEVEL: "debug" } },
      prod: { selectors: { components: ["*"] }, policies: { requireApproval: "true" }, promotion: { dependsOn: [{ environment: "dev" }] } },
      qa: {},
    };
    const json = await runOrun(["get", "environments", "-o", "json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, `${JSON.stringify(expected, null, 2)}\n`);
    const yamlOut = await runOrun(["get", "environments", "-o", "yaml"], { cwd: dir });
    assert.deepEqual(parseYaml(yamlOut.stdout), expected);
  });
});

describe("orun compositions list [-l] [-e] (spec 10 §4)", () => {
  test("-l shows every type in full; -e adds job settings and step commands; both also work on one type", async () => {
    const dir = await writeRepo(baseRepo(BODY));
    const long = await runOrun(["compositions", "list", "-l"], { cwd: dir });
    assert.equal(long.code, 0, long.stderr);
    assert.doesNotMatch(long.stdout, /^TYPE /m, "no table");
    const blocks = long.stdout.split(/\nComposition: /).slice(1).map((b) => b.split("\n")[0]);
    assert.deepEqual(blocks, ["svc", "tf"]);
    // Each list's last row closes its tree with └─, and nothing under the last job continues a branch.
    assert.match(long.stdout, /\nParameters\n {2}└─ replicas \(integer\) = 1\n/);
    assert.match(long.stdout, / {2}├─ deploy \(4 steps\) · ubuntu-latest\n {2}│ {4}- main-step\n/);
    assert.match(long.stdout, /\n {2}└─ other \(1 steps\)\n {7}- \(unnamed\)\n/);
    assert.match(long.stdout, /\nProfiles\n {2}├─ apply: drift, plan\n {2}└─ verify: plan\n/);
    assert.doesNotMatch(long.stdout, /├─ [^\n]*\n(?! *[├└│-])/, "a ├─ row is always followed by another row of its tree");
    assert.match(long.stdout, /Default profile: verify\n/);
    assert.match(long.stdout, /\n2 composition type\(s\)\n$/);
    assert.doesNotMatch(long.stdout, /run: /, "step commands only with -e");

    const expanded = await runOrun(["compositions", "list", "-l", "-e"], { cwd: dir });
    assert.equal(expanded.code, 0, expanded.stderr);
    assert.match(expanded.stdout, / {2}├─ deploy \(4 steps\) · ubuntu-latest\n {2}│ {4}timeout: 10m\n {2}│ {4}retries: 2\n/);
    assert.match(expanded.stdout, / {2}│ {4}- pre-a \(pre\)\n {2}│ {8}run: echo pre-a\n {2}│ {8}with\.num: 5\n {2}│ {8}with\.tmpl: \{\{\.orun\.job\.id\}\}\n/);
    assert.match(expanded.stdout, / {2}│ {4}- apply \[tf\.apply\]\n {2}│ {8}run: terraform apply\n/);
    const alone = await runOrun(["compositions", "list", "-e"], { cwd: dir });
    assert.equal(alone.stdout, expanded.stdout, "-e implies -l");

    const one = await runOrun(["compositions", "list", "tf", "-e"], { cwd: dir });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^\nComposition: tf\n/);
    assert.doesNotMatch(one.stdout, /Composition: svc/);
    assert.match(one.stdout, /run: terraform init\n/);
    const short = await runOrun(["compositions", "list"], { cwd: dir });
    assert.match(short.stdout, /^TYPE {29}SOURCE/, "without -l: the table");
  });
});
