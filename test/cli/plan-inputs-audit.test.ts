// Input defects an audit of `orun plan` found, each pinned through the built
// CLI with real files in a temp dir.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { existsSync } from "node:fs";
import os from "node:os";
import { FIXTURES_DIR, runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

/** An intent with one component, a, of type svc in dev. */
const ONE_COMPONENT = `environments:
  dev: { selectors: { components: ["*"] } }
components:
  - name: a
    type: svc
`;

const copies: string[] = [];
after(async () => {
  await cleanupRepos();
  await Promise.all(copies.map((d) => fs.rm(d, { recursive: true, force: true })));
});

/** A copy of the v2.3 example repository to modify (the fixture itself is read-only). */
async function fixtureCopy(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-plan-inputs-"));
  copies.push(dir);
  await fs.cp(FIXTURES_DIR, dir, { recursive: true, filter: (src) => !/[/\\]\.orun$/.test(src) });
  return dir;
}

const planIdOf = (stdout: string): string => /│ plan: ([0-9a-f]{12})\n/.exec(stdout)![1]!;

describe("map keys that collide once read", () => {
  test("labels {1: a, \"1\": b} is a duplicate-key error at its line, not a plan with one label silently dropped", async () => {
    const dir = await writeRepo(
      baseRepo(`environments:
  dev: { selectors: { components: ["*"] } }
components:
  - name: a
    type: svc
    labels: { 1: first, "1": second }
`),
    );
    const r = await runOrun(["plan"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, '✕ intent.yaml:15:25: invalid YAML: duplicate key: "1"\n');
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans", "latest.json")), "no plan was stored");
  });
});

describe("YAML files in UTF-16 (what Windows PowerShell's > writes)", { skip: !existsSync(FIXTURES_DIR) && "no /work/shared fixtures" }, () => {
  test("intent.yaml in UTF-16BE and a component.yaml in UTF-16LE, each with a byte-order mark, plan as their UTF-8 originals", async () => {
    const dir = await fixtureCopy();
    const utf8 = await runOrun(["plan", "-o", "utf8.json"], { cwd: dir });
    assert.equal(utf8.code, 0, utf8.stderr);
    const manifest = path.join(dir, "infra/infra-1/component.yaml");
    await fs.writeFile(manifest, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(await fs.readFile(manifest, "utf8"), "utf16le")]));
    const intent = path.join(dir, "intent.yaml");
    await fs.writeFile(intent, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(await fs.readFile(intent, "utf8"), "utf16le").swap16()]));
    const utf16 = await runOrun(["plan", "-o", "utf16.json"], { cwd: dir });
    assert.equal(utf16.code, 0, utf16.stderr);
    assert.equal(planIdOf(utf16.stdout), planIdOf(utf8.stdout));
  });

  test("without a byte-order mark, or in Latin-1, the file is refused by name (it was a 'must be a mapping' error quoting the whole garbled file)", async () => {
    const dir = await fixtureCopy();
    const manifest = path.join(dir, "infra/infra-1/component.yaml");
    const text = await fs.readFile(manifest, "utf8");
    await fs.writeFile(manifest, Buffer.from(text, "utf16le"));
    const noBom = await runOrun(["plan"], { cwd: dir });
    assert.equal(noBom.code, 1, noBom.stdout);
    assert.equal(noBom.stderr, "✕ infra/infra-1/component.yaml:1: contains a NUL character: save it as UTF-8 (UTF-16 needs a byte-order mark)\n");
    await fs.writeFile(manifest, Buffer.from(`${text}# caf\u00e9\n`, "latin1"));
    const latin1 = await runOrun(["plan"], { cwd: dir });
    assert.equal(latin1.code, 1, latin1.stdout);
    assert.equal(latin1.stderr, "✕ infra/infra-1/component.yaml: is not UTF-8 text: save it as UTF-8 (or UTF-16 with a byte-order mark)\n");
  });
});

describe("schema errors quote a long offending value briefly", () => {
  test("a 5,000-character string where a mapping belongs is shown cut to 80 characters", async () => {
    const dir = await writeRepo(baseRepo(`environments:\n  dev: ${"x".repeat(5000)}\n`));
    const r = await runOrun(["plan"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^✕ intent\.yaml:11: environments\.dev: must be a mapping \(got string "x{78}…\)\n$/);
  });
});

describe("a composition package that holds the intent's own folder (source path: .)", () => {
  test("its digest ignores .orun/ and .git/: plans stay byte-identical after orun plan and orun run, and the run's latest symlink is no 'symlink in package' error", async () => {
    const files = baseRepo(ONE_COMPONENT);
    const root: Record<string, string> = { "intent.yaml": files["intent.yaml"]!.replace("path: ./comps", "path: .") };
    for (const [rel, text] of Object.entries(files)) if (rel.startsWith("comps/")) root[rel.slice("comps/".length)] = text;
    const dir = await writeRepo(root);
    const out = await writeRepo({}); // plan files go elsewhere: in the package they would be package content
    const first = await runOrun(["plan", "-o", path.join(out, "first.json")], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    await fs.mkdir(path.join(dir, ".git", "refs"), { recursive: true });
    await fs.writeFile(path.join(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
    const run = await runOrun(["run"], { cwd: dir });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok((await fs.lstat(path.join(dir, ".orun", "executions", "latest"))).isSymbolicLink(), "the run left its latest symlink");
    const again = await runOrun(["plan", "-o", path.join(out, "again.json")], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    const bytes = async (name: string): Promise<string> => (await fs.readFile(path.join(out, name), "utf8")).replace(/"generatedAt": "[^"]*"/, "");
    assert.equal(await bytes("again.json"), await bytes("first.json"));
  });
});

describe("a stack without spec.compositions at the intent's folder, next to an archive source", () => {
  test("the archive extracted under .orun/cache is not discovered as the stack's own exports (a duplicate-export error)", async () => {
    const files = baseRepo("");
    const root: Record<string, string> = {};
    for (const [rel, text] of Object.entries(files)) if (rel.startsWith("comps/")) root[rel.slice("comps/".length)] = text;
    const pkgDir = await writeRepo({ "stack.yaml": files["comps/stack.yaml"]!.replace("test-stack", "archived"), "other/compositions.yaml": files["comps/svc/compositions.yaml"]!.replace(/\bsvc\b/g, "other") });
    const tar = await import("tar");
    const dir = await writeRepo({
      ...root,
      "intent.yaml": `apiVersion: sourceplane.io/v1
kind: Intent
metadata:
  name: s-test
compositions:
  sources:
    - { name: here, kind: dir, path: . }
    - { name: packed, kind: archive, path: ./packed.tgz }
environments:
  dev: { selectors: { components: ["*"] } }
components:
  - { name: a, type: svc }
  - { name: b, type: other }
`,
    });
    await tar.c({ gzip: true, file: path.join(dir, "packed.tgz"), cwd: pkgDir }, ["stack.yaml", "other"]);
    for (const round of [1, 2]) {
      const r = await runOrun(["plan", "-o", path.join(pkgDir, `plan-${round}.json`)], { cwd: dir });
      assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      assert.match(r.stdout, /2 components × 1 env → 2 jobs/);
    }
  });
});

describe("parameterDefaults keyed by a type no source exports", () => {
  test("a misspelt type is named in a warning with its line and a did-you-mean (the defaults silently applied to nothing)", async () => {
    const dir = await writeRepo(
      baseRepo(`groups:
  core: { parameterDefaults: { svcc: { replicas: 4 }, "*": { region: eu } } }
environments:
  dev:
    selectors: { components: ["*"] }
    parameterDefaults:
      sv: { replicas: 3 }
      tf: {}
      helm: { chart: x }
components:
  - { name: a, type: svc, domain: core }
`),
    );
    for (const command of ["plan", "validate"]) {
      const r = await runOrun([command], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const warnings = r.stderr.split("\n").filter((l) => l.startsWith("⚠"));
      assert.deepEqual(warnings, [
        "⚠ warning: intent.yaml:18: environment dev parameterDefaults.helm: no composition type helm, so these defaults apply to nothing",
        "⚠ warning: intent.yaml:16: environment dev parameterDefaults.sv: no composition type sv (did you mean `svc`?), so these defaults apply to nothing",
        "⚠ warning: intent.yaml:11: group core parameterDefaults.svcc: no composition type svcc (did you mean `svc`?), so these defaults apply to nothing",
      ], command);
    }
  });
});

describe("an environment selector naming no component", () => {
  test("is named in a warning with its line and a did-you-mean; patterns and existing names are not", async () => {
    const dir = await writeRepo(
      baseRepo(`environments:
  dev:
    selectors:
      components: [api, wbe, "w*", nothing-like-it]
components:
  - { name: api, type: svc }
  - { name: web, type: svc }
`),
    );
    const r = await runOrun(["plan"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stderr.split("\n").filter((l) => l.startsWith("⚠")), [
      '⚠ warning: intent.yaml:13: environment dev selects component "wbe", but no component has that name (did you mean `web`?)',
      '⚠ warning: intent.yaml:13: environment dev selects component "nothing-like-it", but no component has that name',
    ]);
  });
});

describe("orun plan -e ENV COMPONENT where the component is not in ENV", () => {
  test("is refused naming the component and the environments, instead of a plan of its dependencies alone", async () => {
    const dir = await writeRepo(
      baseRepo(`environments:
  dev: {}
  prod: {}
components:
  - { name: db, type: svc, subscribe: { environments: [dev, prod] } }
  - { name: web, type: svc, subscribe: { environments: [prod] }, dependsOn: [{ component: db }] }
  - { name: api, type: svc, subscribe: { environments: [dev, prod] } }
`),
    );
    // Named as given: the positional argument is no --component flag.
    for (const [args, field] of [[["-e", "dev", "web"], "component argument"], [["-e", "dev", "--component", "api", "--component", "web"], "--component"]] as const) {
      const r = await runOrun(["plan", ...args], { cwd: dir });
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
      assert.equal(r.stderr, `✕ ${field}: component web (${field} "web") applies to none of the planned environments (dev) (drop -e/--env, or name an environment the component is planned in (orun get components lists them))\n`);
    }
    await assert.rejects(fs.access(path.join(dir, ".orun", "plans", "latest.json")), "no plan was stored");
    // In an environment where it is planned, it comes with its dependency.
    const ok = await runOrun(["plan", "-e", "prod", "web", "-o", "p.json"], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    const jobs = (JSON.parse(await fs.readFile(path.join(dir, "p.json"), "utf8")) as { jobs: { id: string }[] }).jobs.map((j) => j.id);
    assert.deepEqual(jobs.sort(), ["db@prod.deploy", "web@prod.deploy"]);
  });
});

describe("a step name with a control character", () => {
  test("is refused when compiling, naming the file, line and field — orun plan wrote a plan that orun run then refused", async () => {
    const files = baseRepo(ONE_COMPONENT);
    files["comps/svc/compositions.yaml"] = files["comps/svc/compositions.yaml"]!.replace("        - name: post-step", '        - name: "post\\tstep"');
    const dir = await writeRepo(files);
    const r = await runOrun(["plan"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, '✕ comps/svc/compositions.yaml:26: spec.jobs[0].steps[1].name: step name "post\\u{9}step" contains a control character (a tab, newline or escape)\n');
    const override = await writeRepo(
      baseRepo(`environments:
  dev: { selectors: { components: ["*"] } }
components:
  - name: a
    type: svc
    overrides:
      steps:
        - { name: "x\\u001b[2Jy", run: echo x }
`),
    );
    const o = await runOrun(["plan"], { cwd: override });
    assert.equal(o.code, 1, o.stdout);
    assert.match(o.stderr, /^✕ intent\.yaml:17: components\[0\]\.overrides\.steps\[0\]\.name: step name "x\\u\{1b\}\[2Jy" contains a control character/);
  });
});

describe("a trigger that activates an environment without its same-plan promotion source", () => {
  test("validate and plan warn at the promotion's line; planning for that trigger fails as the warning says", async () => {
    const dir = await writeRepo(
      baseRepo(`automation:
  triggerBindings:
    tag:
      on: { provider: github, event: push, tags: ["v*"] }
      plan: { scope: full }
    main:
      on: { provider: github, event: push, branches: [main] }
      plan: { scope: full }
environments:
  staging:
    activation: { triggerRefs: [main] }
  prod:
    activation: { triggerRefs: [tag, main] }
    promotion:
      dependsOn:
        - { environment: staging, satisfy: same-plan }
components:
  - { name: a, type: svc, subscribe: { environments: [staging, prod] } }
`),
    );
    const expected = "⚠ warning: intent.yaml:25: environment prod requires same-plan promotion from staging, but trigger binding tag activates prod without staging: planning for tag will fail (use satisfy: same-plan-or-previous-success, or activate staging too)";
    for (const command of ["validate", "plan"]) {
      const r = await runOrun([command], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stderr.split("\n").filter((l) => l.startsWith("⚠")), [expected], command);
    }
    const tag = await runOrun(["plan", "--trigger", "tag"], { cwd: dir });
    assert.equal(tag.code, 1, tag.stdout);
    assert.match(tag.stderr, /requires same-plan promotion from staging, but staging is not active in this plan/);
    assert.equal((await runOrun(["plan", "--trigger", "main"], { cwd: dir })).code, 0, "main activates both: no problem");
  });
});

describe("a trigger that activates a component's environment without its cross-environment dependency's", () => {
  test("plan warns at the dependency's line, once per binding and dependency", async () => {
    const dir = await writeRepo(
      baseRepo(`automation:
  triggerBindings:
    tag:
      on: { provider: github, event: push, tags: ["v*"] }
      plan: { scope: full }
environments:
  shared: {}
  prod:
    activation: { triggerRefs: [tag] }
  prod-eu:
    activation: { triggerRefs: [tag] }
components:
  - name: db
    type: svc
    subscribe: { environments: [shared] }
  - name: api
    type: svc
    subscribe: { environments: [prod, prod-eu] }
    dependsOn: [{ component: db, environment: shared }]
`),
    );
    const r = await runOrun(["plan"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stderr.split("\n").filter((l) => l.startsWith("⚠")), [
      "⚠ warning: intent.yaml:28: component api depends on db in environment shared, but trigger binding tag activates prod without shared: planning for tag will fail (activate shared for tag too)",
    ]);
    const tag = await runOrun(["plan", "--trigger", "tag"], { cwd: dir });
    assert.equal(tag.code, 1, tag.stdout);
    assert.match(tag.stderr, /dependency not found: api@prod depends on db@shared/);
  });
});
