import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseKeyValueFile, isProtectedEnvKey } from "../../../src/runners/github-actions/file-commands.js";
import { allowsUnsecureCommands, allowsUnsecureStopTokens, CommandProcessor, LineSplitter, parseCommandLine, unescapeCommandValue } from "../../../src/runners/github-actions/workflow-commands.js";
import { Masker } from "../../../src/runners/github-actions/masker.js";
import { formatRemoteRef, parseActionRef } from "../../../src/runners/github-actions/action-ref.js";
import { parseActionMetadata } from "../../../src/runners/github-actions/action-metadata.js";

describe("github-actions workflow commands", () => {
  it("parses names, properties and escaped values", () => {
    assert.deepEqual(parseCommandLine("::warning file=a%2Cb.js,line=3::msg%0Anext"), { name: "warning", properties: { file: "a,b.js", line: "3" }, message: "msg\nnext" });
    assert.equal(parseCommandLine("not ::a command::"), undefined);
    assert.equal(parseCommandLine("::no-end"), undefined);
    // GitHub's runner decodes %25, %0D and %0A in a message, and %3A and %2C too in a property value: nothing else.
    assert.equal(unescapeCommandValue("a%2Fb%3Dc%20d %25 %3A %0D"), "a%2Fb%3Dc%20d % %3A \r");
    // Case-sensitive, as the runner's ordinal String.Replace: a lower-case escape is data.
    assert.equal(unescapeCommandValue("%0a%0d%2c"), "%0a%0d%2c");
    assert.deepEqual(parseCommandLine("::set-output name=u%3Av::https%3A%2F%2Fx%2Fq%3Fa%3D1%2C2"), { name: "set-output", properties: { name: "u:v" }, message: "https%3A%2F%2Fx%2Fq%3Fa%3D1%2C2" });
  });

  it("reads commands as GitHub's runner does: indented, any case, known names only", () => {
    assert.deepEqual(parseCommandLine("   ::Add-Mask::s3cr3t"), { name: "add-mask", properties: {}, message: "s3cr3t" });
    assert.deepEqual(parseCommandLine("::SET-OUTPUT NAME=x::v"), { name: "set-output", properties: { name: "x" }, message: "v" });
    assert.equal(parseCommandLine("::std::vector<int> v;"), undefined, "not a command GitHub knows");
    const masker = new Masker();
    const p = new CommandProcessor(masker);
    const shown = ["  ::add-mask::indented-secret", "see indented-secret", "::std::vector<int> v;", "::stop-commands::TOK-1", "::warning::not a command now", "::tok-1::", "::warning::again"].map((l) => p.line(l));
    assert.deepEqual(shown, [undefined, "see ***", "::std::vector<int> v;", undefined, "::warning::not a command now", undefined, "warning: again"]);
  });

  it("masks secrets in output printed while commands are stopped and in the later pieces of an over-long line", () => {
    const masker = new Masker();
    masker.add("hunter2-secret");
    const p = new CommandProcessor(masker);
    const stopped = ["::stop-commands::pause-tok", "plain hunter2-secret", "::add-mask::hunter2-secret", "::pause-tok::"].map((l) => p.line(l));
    assert.deepEqual(stopped, [undefined, "plain ***", "::add-mask::***", undefined]);
    assert.equal(p.line("tail of a long line: hunter2-secret", true), "tail of a long line: ***");
  });

  it("drops the carriage return of a CRLF line before reading the command", () => {
    const p = new CommandProcessor(new Masker());
    assert.equal(p.line("::set-output name=out::value\r"), undefined);
    assert.equal(p.line("::warning::careful\r"), "warning: careful");
    assert.deepEqual(p.effects.outputs, { out: "value" });
  });

  it("reads each part of a line a lone CR ends as a line of its own, as GitHub's runner does", () => {
    const masker = new Masker();
    const p = new CommandProcessor(masker);
    assert.equal(p.line("::add-mask::cr-secret\rusing cr-secret\r::set-output name=o::v"), "using ***");
    assert.deepEqual(p.effects.outputs, { o: "v" });
    assert.equal(p.line("::add-mask::only-commands\r::endgroup::\r"), undefined, "a line of commands alone is hidden");
    // A later piece of an over-long line starts no line: its first part is output, the parts after a CR are lines.
    assert.equal(p.line("::warning::mid-line\r::add-mask::piece-secret\rpiece-secret", true), "::warning::mid-line\r***");
  });

  it("enables set-env and add-path only for ACTIONS_ALLOW_UNSECURE_COMMANDS=true, as GitHub's runner does", () => {
    assert.equal(allowsUnsecureCommands({ ACTIONS_ALLOW_UNSECURE_COMMANDS: " TRUE " }), true);
    for (const value of ["1", "yes", "on", "", undefined]) assert.equal(allowsUnsecureCommands({ ACTIONS_ALLOW_UNSECURE_COMMANDS: value }), false, String(value));
    for (const value of ["true", "1"]) assert.equal(allowsUnsecureStopTokens({ ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS: value }), true, value);
    for (const value of ["yes", "on", "0", undefined]) assert.equal(allowsUnsecureStopTokens({ ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS: value }), false, String(value));
  });

  it("captures the legacy command block and masks what add-mask registers", () => {
    const masker = new Masker();
    const p = new CommandProcessor(masker, { allowUnsecureCommands: true });
    const lines = ["::group::g", "::debug::d", "::add-mask::secret", "::set-output name=result::done", "::save-state name=token::secret", "::add-path::/tmp/bin", "::set-env name=GREETING::hello", "::add-matcher::/tmp/matcher.json", "visible output", "a secret here", "::endgroup::"];
    const shown = lines.map((l) => p.line(l)).filter((l) => l !== undefined);
    assert.deepEqual(shown, ["▸ g", "visible output", "a *** here"]);
    assert.deepEqual(p.effects, { outputs: { result: "done" }, state: { token: "secret" }, env: { GREETING: "hello" }, paths: ["/tmp/bin"] });
  });

  it("masks multi-line secrets line by line and longest first", () => {
    const m = new Masker();
    m.add("abc");
    m.add("abcdef");
    m.add("line-one\nline-two");
    assert.equal(m.mask("x abcdef y abc line-two"), "x *** y *** ***");
    m.add("   ");
    assert.equal(m.size, 5);
  });

  it("splits streams into lines and flushes the remainder", () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l));
    s.push("a\nb");
    s.push("c\n");
    s.push("tail");
    s.flush();
    assert.deepEqual(got, ["a", "bc", "tail"]);
  });
});

describe("github-actions file commands", () => {
  it("parses KEY=VALUE and heredocs byte-exact, with BOM and CRLF", () => {
    assert.deepEqual(parseKeyValueFile("\uFEFFFOO=bar\r\nMULTI<<EOF\nline1\nline2\nEOF\nB64=a+b/c==\n\nEMPTY=\n", "GITHUB_ENV"), { FOO: "bar", MULTI: "line1\nline2", B64: "a+b/c==", EMPTY: "" });
  });

  it("reads `<<` after the `=` as part of the value, and before it as a heredoc", () => {
    assert.deepEqual(parseKeyValueFile("SHIFT=1<<3\nNOTE=see <<EOF\nDOC<<END=x\nbody\nEND=x\n", "GITHUB_OUTPUT"), { SHIFT: "1<<3", NOTE: "see <<EOF", DOC: "body" });
  });

  it("names the file and line of malformed content", () => {
    assert.throws(() => parseKeyValueFile("OK=1\nbroken\n", "GITHUB_OUTPUT"), /GITHUB_OUTPUT line 2: invalid file-command assignment "broken"/);
    assert.throws(() => parseKeyValueFile("K<<EOF\nno end\n", "GITHUB_ENV"), /GITHUB_ENV line 1: matching delimiter "EOF" not found/);
    assert.throws(() => parseKeyValueFile("<<EOF\nEOF\n", "GITHUB_ENV"), /invalid heredoc assignment/);
  });

  it("protects runner-owned variables", () => {
    for (const key of ["GITHUB_SHA", "runner_temp", "ORUN_JOB_ID", "node_options"]) assert.equal(isProtectedEnvKey(key), true, key);
    assert.equal(isProtectedEnvKey("OK"), false);
  });
});

describe("github-actions action references and metadata", () => {
  it("parses local, remote and docker references and rejects the rest", () => {
    assert.deepEqual(parseActionRef("./tools/x"), { kind: "local", path: "./tools/x" });
    assert.deepEqual(parseActionRef("actions/setup-node@v4"), { kind: "remote", owner: "actions", repo: "setup-node", path: "", ref: "v4" });
    assert.deepEqual(parseActionRef("github/codeql-action/init@v3"), { kind: "remote", owner: "github", repo: "codeql-action", path: "init", ref: "v3" });
    assert.deepEqual(parseActionRef("docker://alpine:3"), { kind: "docker-image", image: "alpine:3" });
    for (const bad of ["actions/setup-node", "a/../b@v1", "owner/repo/../../x@v1", "owner/repo/./x@v1", "just-a-name@v1"]) assert.throws(() => parseActionRef(bad), /unsupported action reference/, bad);
    // A quoted `uses:` may keep spaces around the reference; messages name it as GitHub writes it.
    assert.deepEqual(parseActionRef("  actions/checkout@v4 "), { kind: "remote", owner: "actions", repo: "checkout", path: "", ref: "v4" });
    for (const uses of ["actions/setup-node@v4", "github/codeql-action/init@v3"]) {
      const ref = parseActionRef(uses);
      assert.equal(ref.kind === "remote" ? formatRemoteRef(ref) : ref.kind, uses);
    }
  });

  it("reports metadata errors with file, line and field", () => {
    const parse = (text: string) => parseActionMetadata(text, "/a/action.yml", "/a");
    assert.throws(() => parse("name: x\nruns:\n  using: node20\n"), /\/a\/action\.yml:3: runs\.main: is required for a node20 action/);
    assert.throws(() => parse("name: x\n"), /\/a\/action\.yml:1: runs: is required/);
    assert.throws(() => parse("runs:\n  using: composite\n  steps:\n    - name: both\n      run: x\n      uses: ./y\n"), /action\.yml:4: runs\.steps\[0\]: needs exactly one of run or uses/);
    assert.throws(() => parse("inputs: [1]\nruns: {using: composite, steps: []}\n"), /action\.yml:1: inputs: must be a mapping/);
    assert.throws(() => parse("name: a\nname: b\n"), /invalid YAML/);
    const meta = parse("inputs:\n  n:\n    required: true\n    default: 3\nruns:\n  using: NODE20\n  main: x.js\n  post-if: failure()\n");
    assert.deepEqual(meta.inputs.n, { description: undefined, required: true, default: "3", line: 2 });
    assert.deepEqual(meta.runs, { using: "node", version: "node20", main: "x.js", pre: undefined, post: undefined, preIf: undefined, postIf: "failure()" });
  });
});
