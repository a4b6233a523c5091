import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { compositionFor } from "../../../src/model/composition.js";
import { COMPOSITIONS_CACHE, load, loadError, makeRepo, repoS, HEADER, STACK, SVC } from "./helpers.js";
import { rawTarGz } from "./tar-writer.js";

const A = `components:\n  - {name: a, type: svc}\n`;

/** A repo whose single composition `x` has the given document text. */
function repoWithComposition(doc: string, extra: Record<string, string> = {}, components = "components: [{name: a, type: x}]\n"): Promise<string> {
  return makeRepo({ "intent.yaml": HEADER + components, "comps/stack.yaml": STACK, "comps/x/compositions.yaml": doc, ...extra });
}

const X = (spec: string): string => `apiVersion: sourceplane.io/v1alpha1\nkind: Composition\nmetadata: {name: x}\nspec:\n  ${spec.split("\n").join("\n  ")}\n`;
const OK_SPEC = "type: x\ndefaultJob: j\nparameterSchema: {type: object}\njobs:\n  - name: j\n    steps: [{name: s, run: echo}]";

test("a dir Stack package with inline compositions loads types, jobs, steps and profiles", async () => {
  const ws = await load(await repoS(A));
  const svc = ws.compositions.byType.svc!;
  assert.equal(svc.key, "local:svc");
  assert.equal(svc.jobRegistryName, "test-stack");
  assert.equal(svc.defaultJob, "deploy");
  assert.deepEqual(svc.jobs.map((j) => j.name), ["deploy", "other"]);
  const deploy = svc.jobs[0]!;
  assert.deepEqual([deploy.runsOn, deploy.timeout, deploy.retries], ["ubuntu-latest", "10m", 2]);
  assert.deepEqual(deploy.steps.map((s) => [s.id, s.name, s.phase, s.order]), [
    ["the-id", "main-step", undefined, undefined],
    [undefined, "post-step", "post", undefined],
    [undefined, "pre-b", "pre", 2],
    [undefined, "pre-a", "pre", 1],
  ]);
  assert.deepEqual(deploy.steps[3]!.with, { num: 5, tmpl: "{{.orun.job.id}}" });
  assert.equal(deploy.steps[3]!.origin.file, "comps/svc/compositions.yaml");
  assert.equal(deploy.steps[3]!.origin.line, 17);
  assert.deepEqual(Object.keys(svc.profiles), []);
  const tf = ws.compositions.byType.tf!;
  assert.equal(tf.defaultProfile, "verify");
  assert.deepEqual(Object.keys(tf.profiles), ["apply", "verify"]);
  assert.deepEqual(tf.profiles.apply!.jobs.plan, { stepsEnabled: ["init", "apply"], includeCapabilities: [], stepOverrides: { apply: { run: "terraform apply -auto-approve" } } });
  assert.equal(compositionFor(ws.compositions, ws.components[0]!)!.key, "local:svc");
  assert.deepEqual(ws.sources, [{ name: "local", kind: "dir", path: "./comps", resolvedDigest: ws.sources[0]!.resolvedDigest, exports: ["svc", "tf"] }]);
  assert.match(ws.sources[0]!.resolvedDigest, /^sha256:[0-9a-f]{64}$/);
});

test("the legacy orun.yaml CompositionPackage manifest works in place of stack.yaml", async () => {
  const dir = await makeRepo({
    "intent.yaml": HEADER + A,
    "comps/orun.yaml": "apiVersion: sourceplane.io/v1alpha1\nkind: CompositionPackage\nmetadata: {name: pkg}\nspec:\n  version: 1.0.0\n  exports: [{composition: svc, path: svc/compositions.yaml}]\n",
    "comps/svc/compositions.yaml": SVC,
  });
  const ws = await load(dir);
  assert.equal(ws.compositions.byType.svc!.jobRegistryName, "pkg");
  assert.deepEqual(ws.sources[0]!.exports, ["svc"]);
  await loadError(
    await makeRepo({ "intent.yaml": HEADER + A, "comps/orun.yaml": "kind: CompositionPackage\nmetadata: {name: pkg}\nspec: {exports: []}\n" }),
    "comps/orun.yaml:3: spec: composition source local must export at least one composition",
  );
  await loadError(await makeRepo({ "intent.yaml": HEADER + A, "comps/README": "" }), "composition source local has no package manifest: expected stack.yaml (or legacy orun.yaml) in comps");
});

test("an archive source behaves like the dir it was made from; its digest is the archive's hash", async () => {
  const dir = await repoS("");
  await tar.c({ gzip: true, file: path.join(dir, "pkg.tgz"), cwd: path.join(dir, "comps"), portable: true }, ["stack.yaml", "svc", "tf"]);
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: archive, path: pkg.tgz}") + A);
  const ws = await load(dir);
  const hex = createHash("sha256").update(await fs.readFile(path.join(dir, "pkg.tgz"))).digest("hex");
  assert.deepEqual(ws.sources, [{ name: "local", kind: "archive", path: "pkg.tgz", resolvedDigest: `sha256:${hex}`, exports: ["svc", "tf"] }]);
  assert.equal(ws.compositions.byType.svc!.jobs[0]!.steps.length, 4);
  assert.ok(existsSync(path.join(COMPOSITIONS_CACHE, hex, "stack.yaml")), "extracted into the content-addressed cache");
  assert.equal(existsSync(path.join(dir, ".orun/cache")), false, "never into the repository");
  const again = await load(dir); // second load reuses the cache
  assert.equal(again.sources[0]!.resolvedDigest, `sha256:${hex}`);
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("{name: local, kind: dir, path: ./comps}", `{name: local, kind: archive, path: pkg.tgz, digest: "sha256:${"0".repeat(64)}"}`) + A);
  await loadError(dir, `intent.yaml:5: compositions.sources[0].digest: composition source local digest mismatch: expected sha256:${"0".repeat(64)}, got sha256:${hex}`);
  // Errors inside an archive name the file within the archive.
  await fs.writeFile(path.join(dir, "comps/svc/compositions.yaml"), SVC.replace("runsOn:", "runOn:"));
  await tar.c({ gzip: true, file: path.join(dir, "bad.tgz"), cwd: path.join(dir, "comps"), portable: true }, ["stack.yaml", "svc", "tf"]);
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: archive, path: bad.tgz}") + A);
  await loadError(dir, 'bad.tgz!/svc/compositions.yaml:10: spec.jobs[0].runOn: unknown key "runOn" (did you mean `runsOn`?)');
});

test("a package one folder down (an archive of the folder, a dir source naming its parent) is refused with where its files are and what to do", async () => {
  const dir = await repoS("");
  await tar.c({ gzip: true, file: path.join(dir, "pkg.tgz"), cwd: dir, portable: true }, ["comps"]);
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: archive, path: pkg.tgz}") + A);
  await loadError(
    dir,
    "composition source local has no package manifest: expected stack.yaml (or legacy orun.yaml) in pkg.tgz!/; the package's files are one folder down, in comps/ (pack the folder's contents, not the folder: tar czf pkg.tgz -C comps .)",
  );
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: dir, path: .}") + A);
  await fs.rm(path.join(dir, "pkg.tgz"));
  await fs.mkdir(path.join(dir, "repo"));
  await fs.rename(path.join(dir, "comps"), path.join(dir, "repo/comps"));
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: dir, path: ./repo}") + A);
  await loadError(dir, "expected stack.yaml (or legacy orun.yaml) in repo; the package's files are one folder down, in comps/ (point the source's path at that folder)");
});

test("hostile archives are refused before anything is written", async () => {
  const cases: [string, Parameters<typeof rawTarGz>[0], string][] = [
    ["dotdot", [{ name: "stack.yaml", content: STACK }, { name: "../escaped.yaml", content: "x" }], "archive entry escapes destination: ../escaped.yaml"],
    ["nested", [{ name: "stack.yaml", content: STACK }, { name: "svc/../../escaped.yaml", content: "x" }], "archive entry escapes destination: svc/../../escaped.yaml"],
    ["absolute", [{ name: "stack.yaml", content: STACK }, { name: "/tmp/orun-escaped.yaml", content: "x" }], "archive entry escapes destination: /tmp/orun-escaped.yaml"],
    ["symlink", [{ name: "stack.yaml", content: STACK }, { name: "link", type: "symlink", linkname: "/etc/passwd" }], "links are not supported in composition archives: link"],
    ["hardlink", [{ name: "stack.yaml", content: STACK }, { name: "hard", type: "hardlink", linkname: "stack.yaml" }], "links are not supported in composition archives: hard"],
    ["bomb", [{ name: "stack.yaml", content: STACK }, { name: "filler.bin", zeros: 65 * 1024 * 1024 }], "the archive unpacks to more than 64 MiB"],
    ["inodes", [{ name: "stack.yaml", content: STACK }, ...Array.from({ length: 10_000 }, (_, i) => ({ name: `f/${i}`, content: "" }))], "the archive has more than 10000 entries"],
  ];
  for (const [label, entries, message] of cases) {
    const dir = await makeRepo({ "intent.yaml": HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: archive, path: evil.tgz}") });
    await fs.writeFile(path.join(dir, "evil.tgz"), rawTarGz(entries));
    await loadError(dir, `failed to extract composition archive local: ${message}`);
    assert.equal(existsSync(path.join(dir, "escaped.yaml")), false, label);
    const digest = createHash("sha256").update(rawTarGz(entries)).digest("hex");
    assert.equal(existsSync(path.join(COMPOSITIONS_CACHE, digest)), false, `${label}: nothing cached`);
  }
  const notTar = await makeRepo({ "intent.yaml": HEADER.replace("kind: dir, path: ./comps", "kind: archive, path: bad.tgz"), "bad.tgz": "not gzip" });
  await loadError(notTar, "failed to extract composition archive local");
  const isDir = await makeRepo({ "intent.yaml": HEADER.replace("kind: dir, path: ./comps", "kind: archive, path: ./comps"), "comps/stack.yaml": STACK });
  await loadError(isDir, "composition source local archive path is a directory: ./comps");
});

test("a malformed oci reference is refused at its field; dir sources must exist, be directories and hold no symlinks", async () => {
  await loadError(
    await makeRepo({ "intent.yaml": HEADER.replace("kind: dir, path: ./comps", "kind: oci, ref: ghcr.io/Acme/Stack:v1") }),
    'intent.yaml:5: compositions.sources[0].ref: composition source local: invalid oci reference "ghcr.io/Acme/Stack:v1"',
  );
  const missing = await makeRepo({ "intent.yaml": HEADER });
  await loadError(missing, `compositions.sources[0].path: composition source local: no directory ./comps (${path.join(missing, "comps")} does not exist)`);
  // A typo in its last part is named beside the folder's entry it was likely meant as.
  const typo = await makeRepo({ "intent.yaml": HEADER.replace("path: ./comps", "path: ./cmops"), "comps/x.yaml": "" });
  await loadError(typo, "composition source local: no directory ./cmops (" + path.join(typo, "cmops") + " does not exist); did you mean ./comps?");
  await loadError(await makeRepo({ "intent.yaml": HEADER, comps: "file" }), "composition source local path is not a directory: ./comps");
  const dir = await repoS("");
  await fs.symlink(path.join(dir, "comps/svc/compositions.yaml"), path.join(dir, "comps/svc/alias.yaml"));
  await loadError(dir, "failed to hash composition source local: symlinks are not supported in composition packages: svc/alias.yaml");
});

test("an extracted archive's files get plain permissions: no setuid bit, executable only where the archive says", async () => {
  const dir = await makeRepo({ "intent.yaml": HEADER.replace("{name: local, kind: dir, path: ./comps}", "{name: local, kind: archive, path: pkg.tgz}") + A });
  const bytes = rawTarGz([
    { name: "stack.yaml", content: STACK, mode: 0o666 },
    { name: "svc/", type: "dir", mode: 0o777 },
    { name: "svc/compositions.yaml", content: SVC, mode: 0o640 },
    { name: "svc/hook.sh", content: "#!/bin/sh\n", mode: 0o4755 },
  ]);
  await fs.writeFile(path.join(dir, "pkg.tgz"), bytes);
  await load(dir);
  const root = path.join(COMPOSITIONS_CACHE, createHash("sha256").update(bytes).digest("hex"));
  const mode = async (rel: string): Promise<string> => ((await fs.stat(path.join(root, rel))).mode & 0o7777).toString(8);
  assert.deepEqual([await mode("stack.yaml"), await mode("svc"), await mode("svc/compositions.yaml"), await mode("svc/hook.sh")], ["644", "755", "644", "755"]);
});

test("a dir source's digest follows the v2.3 hashDirectory algorithm and honours a pin", async () => {
  const dir = await makeRepo({ "intent.yaml": HEADER, "comps/stack.yaml": STACK, "comps/x/compositions.yaml": X(OK_SPEC) });
  const expected = createHash("sha256")
    .update(`stack.yaml\n${STACK}\n`)
    .update(`x/compositions.yaml\n${X(OK_SPEC)}\n`)
    .digest("hex");
  assert.equal((await load(dir)).sources[0]!.resolvedDigest, `sha256:${expected}`);
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("path: ./comps}", `path: ./comps, digest: "sha256:${expected}"}`));
  await load(dir);
  await fs.writeFile(path.join(dir, "intent.yaml"), HEADER.replace("path: ./comps}", `path: ./comps, digest: "sha256:${"a".repeat(64)}"}`));
  await loadError(dir, "composition source local digest mismatch");
});

test("Stack manifests: kind, explicit composition paths, auto-discovery and duplicate exports", async () => {
  const base = { "intent.yaml": HEADER, "comps/x/compositions.yaml": X(OK_SPEC) };
  await loadError(await makeRepo({ ...base, "comps/stack.yaml": "kind: Stak\nmetadata: {name: s}\n" }), 'comps/stack.yaml:1: kind: must be "Stack" (got "Stak")');
  await loadError(await makeRepo({ ...base, "comps/stack.yaml": "kind: Stack\nmetadata: {}\n" }), "comps/stack.yaml:2: metadata.name: is required");
  await loadError(
    await makeRepo({ ...base, "comps/stack.yaml": "kind: Stack\nmetadata: {name: s}\nspec: {compositions: [{path: x.yaml}]}\n" }),
    'stack.yaml path "x.yaml" does not follow the expected compositions/<name>/compositions.yaml pattern',
  );
  await loadError(
    await makeRepo({ ...base, "comps/stack.yaml": "kind: Stack\nmetadata: {name: s}\nspec: {compositions: [{path: ../../etc/x/compositions.yaml}]}\n" }),
    'path "../../etc/x/compositions.yaml" leaves the package root',
  );
  await loadError(await makeRepo({ "intent.yaml": HEADER, "comps/stack.yaml": STACK }), "stack.yaml at comps has no spec.compositions and no composition files were found under it");
  await loadError(
    await makeRepo({ ...base, "comps/stack.yaml": STACK, "comps/x/composition.yaml": X(OK_SPEC) }),
    "package test-stack exports duplicate composition x (x/composition.yaml and x/compositions.yaml)",
  );
  const explicit = await makeRepo({
    ...base,
    "comps/stack.yaml": "kind: Stack\nmetadata: {name: s}\nspec: {compositions: [{path: x/compositions.yaml}]}\n",
    "comps/ignored/compositions.yaml": "not: [valid",
  });
  assert.deepEqual((await load(explicit)).sources[0]!.exports, ["x"], "explicit list: other files are not read");
});

test("Composition documents are checked field by field, in order", async () => {
  const cases: [string, string][] = [
    [X(OK_SPEC).replace("kind: Composition", "kind: JobTemplate"), "composition source local export x must have kind Composition"],
    [X(OK_SPEC).replace("{name: x}", "{name: y}"), 'comps/x/compositions.yaml:3: metadata.name: composition source local export x metadata.name must match the export name (got "y")'],
    [X(OK_SPEC.replace("type: x", "type: y")), "spec.type: composition source local export x must keep spec.type equal to metadata.name"],
    [X(OK_SPEC.replace("type: x\n", "")), "composition source local export x must set spec.type"],
    [X(OK_SPEC.replace("parameterSchema: {type: object}\n", "")), "composition source local export x must define spec.parameterSchema or spec.schemaRef"],
    [X("type: x\ndefaultJob: j\nparameterSchema: {type: object}\njobs: []"), "composition source local export x must define at least one job"],
    [X(OK_SPEC.replace("defaultJob: j\n", "")), "composition source local export x must define spec.defaultJob"],
    [X(OK_SPEC.replace("defaultJob: j", "defaultJob: k")), "composition source local export x defaultJob k is not present in spec.jobs"],
    [X(`${OK_SPEC}\n  - name: j\n    steps: []`), 'spec.jobs[1].name: composition x has duplicate job name "j"'],
    [X(OK_SPEC.replace("steps: [{name: s, run: echo}]", "steps: [{name: s, run: a}, {id: s, run: b}]")), 'composition x job "j" has duplicate step id "s"'],
    [X(OK_SPEC.replace("{name: s, run: echo}", "{name: s, phase: middle, run: echo}")), 'comps/x/compositions.yaml:10: spec.jobs[0].steps[0].phase: must be one of pre, main, post (got "middle")'],
    [X(OK_SPEC.replace("{name: s, run: echo}", "{name: s, runn: echo}")), 'spec.jobs[0].steps[0].runn: unknown key "runn" (did you mean `run`?)'],
    [X(OK_SPEC.replace("name: j\n", "name: j\n    timeout: soon\n")), "spec.jobs[0].timeout: must be a duration such as 30s, 10m or 1h30m"],
    [X(OK_SPEC).replace("apiVersion", "---\nkind: Widget\n---\napiVersion"), 'unknown kind "Widget"; expected one of Composition, ComponentSchema, JobTemplate, ExecutionProfile'],
    [X(OK_SPEC.replace("parameterSchema: {type: object}", 'parameterSchema: {$ref: "https://example.com/s.json"}')), "invalid parameter schema: external schema reference not supported: https://example.com/s.json"],
  ];
  for (const [doc, message] of cases) await loadError(await repoWithComposition(doc), message);
});

test("execution profiles must name real jobs and steps and have a default", async () => {
  const P = (profiles: string, extra = "defaultProfile: p"): string => X(`${OK_SPEC}\n${extra}\nexecutionProfiles:\n  ${profiles.split("\n").join("\n  ")}`);
  const cases: [string, string][] = [
    [P("p: {jobs: {j: {stepsEnabled: [s]}}}", ""), "composition x defines execution profiles but spec.defaultProfile is empty"],
    [P("p: {jobs: {j: {stepsEnabled: [s]}}}", "defaultProfile: q"), 'composition x defaultProfile "q" does not exist in its profiles (did you mean `p`?)'],
    [P("p: {jobs: {}}"), 'composition x profile "p" must select at least one job'],
    [P("p: {jobs: {k: {stepsEnabled: [s]}}}"), 'composition x profile "p" references unknown job "k" (did you mean `j`?)'],
    [P("p: {jobs: {j: {}}}"), 'composition x profile "p" job "j" must specify stepsEnabled or includeCapabilities'],
    [P("p: {jobs: {j: {stepsEnabled: [t]}}}"), 'spec.executionProfiles.p.jobs.j.stepsEnabled[0]: composition x profile "p" job "j" enables unknown step "t"'],
    [P("p: {jobs: {j: {stepsEnabled: [s, s]}}}"), 'composition x profile "p" job "j" has duplicate stepsEnabled "s"'],
    [P("p: {jobs: {j: {stepsEnabled: [s], stepOverrides: {zz: {run: x}}}}}"), 'composition x profile "p" job "j" overrides unknown step "zz"'],
    [X(`${OK_SPEC}\ndefaultProfile: p`), 'composition x defaultProfile "p" names a profile, but it defines none'],
  ];
  for (const [doc, message] of cases) await loadError(await repoWithComposition(doc), message);
});

test("a profile's includeCapabilities must name a capability of the job's steps (and of its capabilities list, when it has one)", async () => {
  const CAPS = "type: x\ndefaultJob: j\nparameterSchema: {type: object}\ndefaultProfile: p\njobs:\n  - name: j\n    steps: [{name: b, capability: x.build, run: b}, {name: d, capability: x.deploy, run: d}]";
  const P = (caps: string, declared = ""): string => X(`${CAPS.replace("  - name: j\n", `  - name: j\n${declared}`)}\nexecutionProfiles:\n  p: {jobs: {j: {includeCapabilities: [${caps}]}}}`);
  // Without the check the misspelt capability kept only x.build: the deploy step vanished with no word.
  await loadError(
    await repoWithComposition(P("x.build, x.deplyo")),
    'comps/x/compositions.yaml:13: spec.executionProfiles.p.jobs.j.includeCapabilities[1]: composition x profile "p" job "j": no step has capability "x.deplyo" (did you mean `x.deploy`?)',
  );
  await loadError(
    await repoWithComposition(P("x.build, x.deploy", "    capabilities: [x.build, x.deploi]\n")),
    'spec.executionProfiles.p.jobs.j.includeCapabilities[1]: composition x profile "p" job "j" does not declare capability "x.deploy" in its capabilities list (did you mean `x.deploi`?)',
  );
  const ws = await load(await repoWithComposition(P("x.build, x.deploy", "    capabilities: [x.build, x.deploy]\n")));
  assert.deepEqual(Object.keys(ws.compositions.byType.x!.profiles), ["p"]);
});

const SPLIT = `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata: {name: x}
spec:
  type: x
  schemaRef: {name: x-schema}
  defaultJob: validate
  defaultProfile: quick
  jobs:
    - name: validate
      templateRef: {name: x-validate}
      timeout: 3m
  profiles:
    - name: quick
      profileRef: {name: x-quick}
`;
const SCHEMA_DOC = "apiVersion: sourceplane.io/v1alpha1\nkind: ComponentSchema\nmetadata: {name: x-schema}\nspec:\n  type: x\n  schema: {type: object, properties: {parameters: {type: object, required: [dir]}}}\n";
const JOB_DOC =
  "apiVersion: sourceplane.io/v1alpha1\nkind: JobTemplate\nmetadata: {name: x-validate}\nspec:\n  runsOn: ubuntu-22.04\n  timeout: 20m\n  capabilities: [x.fmt]\n  steps:\n    - {id: fmt, capability: x.fmt, run: fmt}\n    - {id: lint, run: lint}\n";
const PROFILE_DOC = "apiVersion: sourceplane.io/v1alpha1\nkind: ExecutionProfile\nmetadata: {name: x-quick}\nspec:\n  policies: {requireApproval: true}\n  jobs:\n    validate: {includeCapabilities: [x.fmt]}\n";

/** A component of type x, whose composition is split into schema, job template and profile documents. */
const SPLIT_REPO = {
  "intent.yaml": HEADER + "components: [{name: a, type: x}]\n",
  "comps/stack.yaml": STACK,
  "comps/x/composition.yaml": SPLIT,
  "comps/x/schema.yaml": SCHEMA_DOC,
  "comps/x/jobs/x-validate.yaml": JOB_DOC,
  "comps/x/profiles/x-quick.yaml": PROFILE_DOC,
};

test("split-kind compositions resolve schema, job template and profile documents", async () => {
  const dir = await makeRepo(SPLIT_REPO);
  const x = (await load(dir)).compositions.byType.x!;
  assert.equal(x.schema.name, "x-schema");
  assert.equal(x.schema.origin.file, "comps/x/schema.yaml");
  const job = x.jobs[0]!;
  assert.equal(job.name, "validate");
  assert.equal(job.templateRef, "x-validate");
  assert.equal(job.timeout, "3m", "the composition's job entry wins over the template");
  assert.equal(job.runsOn, "ubuntu-22.04");
  assert.deepEqual(job.steps.map((s) => s.id), ["fmt", "lint"]);
  assert.equal(job.steps[1]!.origin.file, "comps/x/jobs/x-validate.yaml");
  assert.deepEqual(x.profiles.quick!.policies, { requireApproval: true });
  assert.equal(x.profiles.quick!.profileRef, "x-quick");
});

test("a job's runsOn is located where it is written: its JobTemplate document, or the job entry that overrides it", async () => {
  const runsOnAt = async (extra: Record<string, string>) => (await load(await makeRepo({ ...SPLIT_REPO, ...extra }))).compositions.byType.x!.jobs[0]!.runsOnAt;
  assert.deepEqual(await runsOnAt({}), { file: "comps/x/jobs/x-validate.yaml", line: 5, field: "spec.runsOn" });
  assert.deepEqual(await runsOnAt({ "comps/x/composition.yaml": SPLIT.replace("      timeout: 3m\n", "      timeout: 3m\n      runsOn: alpine:3\n") }), {
    file: "comps/x/composition.yaml",
    line: 13,
    field: "spec.jobs[0].runsOn",
  });
});

test("split-kind documents may sit flat next to the composition or in the same multi-document file", async () => {
  const flat = await makeRepo({
    "intent.yaml": HEADER,
    "comps/stack.yaml": STACK,
    "comps/x/composition.yaml": SPLIT,
    "comps/x/x-schema.yaml": SCHEMA_DOC,
    "comps/x/x-validate.yaml": JOB_DOC,
    "comps/x/x-quick.yaml": PROFILE_DOC,
  });
  assert.deepEqual((await load(flat)).compositions.byType.x!.jobs[0]!.steps.length, 2);
  const multi = await makeRepo({
    "intent.yaml": HEADER,
    "comps/stack.yaml": STACK,
    "comps/x/compositions.yaml": [SPLIT, SCHEMA_DOC, JOB_DOC, PROFILE_DOC].join("---\n"),
  });
  const x = (await load(multi)).compositions.byType.x!;
  assert.equal(x.jobs[0]!.steps[0]!.origin.file, "comps/x/compositions.yaml");
  assert.equal(x.jobs[0]!.steps[0]!.origin.line, 32);
  assert.deepEqual(Object.keys(x.profiles), ["quick"]);
});

test("a split-kind reference that misses says where it looked, what the file there names, and the near name", async () => {
  const files = { "intent.yaml": HEADER, "comps/stack.yaml": STACK, "comps/x/composition.yaml": SPLIT, "comps/x/schema.yaml": SCHEMA_DOC, "comps/x/jobs/x-validate.yaml": JOB_DOC, "comps/x/profiles/x-quick.yaml": PROFILE_DOC };
  // The template's own metadata.name misspelt: the file the reference leads to holds another name.
  await loadError(
    await makeRepo({ ...files, "comps/x/jobs/x-validate.yaml": JOB_DOC.replace("{name: x-validate}", "{name: x-validat}") }),
    'JobTemplate "x-validate" not found in comps/x (looked in jobs/x-validate.yaml and x-validate.yaml; jobs/x-validate.yaml holds JobTemplate "x-validat")',
  );
  // The reference misspelt: the template the folders hold is offered.
  await loadError(
    await makeRepo({ ...files, "comps/x/composition.yaml": SPLIT.replace("{name: x-validate}", "{name: x-validat}") }),
    'JobTemplate "x-validat" not found in comps/x (looked in jobs/x-validat.yaml and x-validat.yaml; did you mean `x-validate`?)',
  );
  await loadError(
    await makeRepo({ ...files, "comps/x/composition.yaml": SPLIT.replace("{name: x-quick}", "{name: x-quik}") }),
    'ExecutionProfile "x-quik" not found in comps/x (looked in profiles/x-quik.yaml and x-quik.yaml; did you mean `x-quick`?)',
  );
  await loadError(
    await makeRepo({ ...files, "comps/x/schema.yaml": SCHEMA_DOC.replace("{name: x-schema}", "{name: x-shema}") }),
    'ComponentSchema "x-schema" not found in comps/x (looked in schema.yaml and x-schema.yaml; schema.yaml holds ComponentSchema "x-shema")',
  );
});

test("missing split-kind documents are named with the directory searched", async () => {
  const files = { "intent.yaml": HEADER, "comps/stack.yaml": STACK, "comps/x/composition.yaml": SPLIT, "comps/x/schema.yaml": SCHEMA_DOC, "comps/x/jobs/x-validate.yaml": JOB_DOC, "comps/x/profiles/x-quick.yaml": PROFILE_DOC };
  await loadError(await makeRepo({ ...files, "comps/x/schema.yaml": SCHEMA_DOC.replace("x-schema", "other") }), 'comps/x/composition.yaml:6: spec.schemaRef.name: ComponentSchema "x-schema" not found in comps/x');
  await loadError(await makeRepo({ ...files, "comps/x/jobs/x-validate.yaml": "" }), 'spec.jobs[0].templateRef.name: failed to resolve jobs for composition x from source local: JobTemplate "x-validate" not found in comps/x');
  await loadError(await makeRepo({ ...files, "comps/x/profiles/x-quick.yaml": PROFILE_DOC.replace("kind: ExecutionProfile", "kind: JobTemplate").replace(/spec:[\s\S]*/, "spec: {}\n") }), 'ExecutionProfile "x-quick" not found in comps/x');
  await loadError(
    await makeRepo({ ...files, "comps/x/composition.yaml": SPLIT.replace("{name: x-validate}", "{name: ../../../outside}"), "outside.yaml": JOB_DOC }),
    "comps/x/composition.yaml:11: spec.jobs[0].templateRef.name: must start with a letter or digit and contain only letters, digits, '.', '-' and '_' (no path separators)",
  );
  await loadError(await makeRepo({ ...files, "comps/x/jobs/x-validate.yaml": JOB_DOC.replace("runsOn", "runOn") }), 'comps/x/jobs/x-validate.yaml:5: spec.runOn: unknown key "runOn" (did you mean `runsOn`?)');
});

const twoSources = (resolution: string, components: string): Record<string, string> => ({
  "intent.yaml": `${HEADER.replace("sources: [{name: local, kind: dir, path: ./comps}]", "sources:\n    - {name: core, kind: dir, path: ./core}\n    - {name: overrides, kind: dir, path: ./over}")}${resolution}${components}`,
  "core/stack.yaml": STACK.replace("test-stack", "core-stack"),
  "core/svc/compositions.yaml": SVC,
  "over/stack.yaml": STACK.replace("test-stack", "over-stack"),
  "over/svc/compositions.yaml": SVC.replace("defaultJob: deploy", "defaultJob: other"),
});

test("a type exported by several sources needs a binding or precedence; compositionRef pins a source", async () => {
  await loadError(await makeRepo(twoSources("", A)), "composition type svc is exported by multiple sources (core, overrides); declare resolution.precedence or a binding");
  const prec = await load(await makeRepo(twoSources("  resolution: {precedence: [overrides, core]}\n", A)));
  assert.equal(prec.compositions.byType.svc!.key, "overrides:svc");
  assert.equal(prec.compositions.byType.svc!.jobRegistryName, "over-stack");
  const bound = await load(
    await makeRepo(twoSources("  resolution: {bindings: {svc: core}}\n", "components:\n  - {name: a, type: svc}\n  - {name: api, type: svc, compositionRef: {source: overrides, name: svc}}\n")),
  );
  assert.equal(bound.compositions.byType.svc!.key, "core:svc");
  assert.equal(bound.compositions.componentBindings.a, "core:svc");
  assert.equal(bound.compositions.componentBindings.api, "overrides:svc");
  assert.equal(compositionFor(bound.compositions, { name: "api", type: "svc" })!.defaultJob, "other");
  await loadError(await makeRepo(twoSources("  resolution: {precedence: [core], bindings: {nosuch: core}}\n", A)), "composition binding nosuch=core does not match an exported composition");
});

test("component composition errors: unknown type, undeclared source, missing export", async () => {
  await loadError(await repoS(`components:\n  - {name: a, type: nosuch}\n`), "intent.yaml:7: components[0].type: component type not found: nosuch; available types: svc, tf");
  await loadError(await repoS(`components:\n  - {name: a, type: scv}\n`), "component type not found: scv (did you mean `svc`?)");
  await loadError(await repoS(`components:\n  - {name: a, type: svc, compositionRef: {source: remote}}\n`), "components[0].compositionRef.source: component a compositionRef.source remote is not declared");
  await loadError(
    await repoS(`components:\n  - {name: a, type: svc, compositionRef: {source: local, name: helm}}\n`),
    "components[0].compositionRef.name: component a requested composition helm from source local, but that export was not found",
  );
  const disabled = await load(await repoS(`components:\n  - {name: a, type: nosuch, enabled: false}\n`));
  assert.equal(disabled.components[0]!.enabled, false, "a disabled component needs no composition");
  assert.equal(disabled.compositions.componentBindings.a, undefined);
});

test("a package with a few hundred compositions resolves quickly and completely", async () => {
  const files: Record<string, string> = { "intent.yaml": HEADER, "comps/stack.yaml": STACK };
  for (let i = 0; i < 300; i++) files[`comps/t${i}/compositions.yaml`] = X(OK_SPEC).replace(/\bx\b/g, `t${i}`);
  const ws = await load(await makeRepo(files));
  assert.equal(Object.keys(ws.compositions.byType).length, 300);
  assert.equal(ws.sources[0]!.exports!.length, 300);
});

