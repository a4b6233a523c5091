// The one shell table: GitHub's templates, each runner's default, fallbacks
// found on a real PATH (temp folders of stub programs) and inside `sh`.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fallbackInShell, locateShell, resolveShell, shellNotFound, splitTemplate, withScriptPath } from "../../../src/runners/process/shell.js";
import { OrunError } from "../../../src/util/errors.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A folder of stub programs, each printing its name and its arguments. */
function binDir(programs: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "orun-shell-"));
  dirs.push(dir);
  for (const name of programs) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

const WHERE = "job api@dev.build step s1";

describe("resolveShell", () => {
  it("without shell: runs `sh -c <run>` for local/docker and GitHub's `bash -e {0}` (else sh) for github-actions", () => {
    assert.deepEqual(resolveShell(undefined, "echo hi", WHERE, "sh -c"), { name: "", command: "sh", args: ["-c", "echo hi"] });
    assert.deepEqual(resolveShell("  ", "echo hi", WHERE, "sh -c").args, ["-c", "echo hi"]);
    const github = resolveShell(undefined, "echo hi", WHERE, "bash-or-sh");
    assert.deepEqual(github, { name: "", command: "bash", args: ["-e", "{0}"], scriptExtension: ".sh", fallback: "sh" });
  });

  it("keywords follow GitHub's templates", () => {
    const pick = (shell: string) => {
      const { command, args, scriptExtension, fallback } = resolveShell(shell, "x", WHERE, "sh -c");
      return [command, ...args, scriptExtension, fallback ?? "-"].join("|");
    };
    assert.equal(pick("bash"), "bash|--noprofile|--norc|-eo|pipefail|{0}|.sh|-");
    assert.equal(pick(" sh "), "sh|-e|{0}|.sh|-");
    assert.equal(pick("python"), "python|{0}|.py|python3");
    assert.equal(pick("pwsh"), "pwsh|-command|. '{0}'|.ps1|-");
    assert.equal(pick("powershell"), "powershell|-command|. '{0}'|.ps1|pwsh");
  });

  it("custom templates: words as GitHub splits them, the extension of the named program", () => {
    const perl = resolveShell("perl -w {0}", "x", WHERE, "sh -c");
    assert.deepEqual([perl.command, perl.args, perl.scriptExtension, perl.fallback], ["perl", ["-w", "{0}"], ".sh", undefined]);
    const file = resolveShell("pwsh -NoProfile -File {0}", "x", WHERE, "bash-or-sh");
    assert.equal(file.scriptExtension, ".ps1", "pwsh -File refuses a script without .ps1");
    assert.equal(resolveShell("/usr/bin/python -u {0}", "x", WHERE, "sh -c").scriptExtension, ".py");
    const quoted = resolveShell('pwsh -command ". \'{0}\'"', "x", WHERE, "sh -c");
    assert.deepEqual(quoted.args, ["-command", ". '{0}'"]);
  });

  it("rejects a template without {0} and cmd, naming the step", () => {
    for (const shell of ["fish", "python3", "bash -x", '""']) {
      assert.throws(
        () => resolveShell(shell, "x", WHERE, "sh -c"),
        (err: unknown) =>
          err instanceof OrunError &&
          err.message.includes(`unsupported shell "${shell}" for ${WHERE}`) &&
          err.message.includes("supported: bash, sh, python, pwsh, powershell, or a custom command containing {0}"),
      );
    }
    assert.throws(() => resolveShell("cmd", "x", WHERE, "bash-or-sh"), /shell "cmd" for job api@dev.build step s1 is only available on Windows runners/);
  });

  it("withScriptPath puts the file wherever {0} appears", () => {
    const shell = withScriptPath(resolveShell("sh -c 'cat {0}; sh {0}'", "x", WHERE, "sh -c"), "/tmp/a b.sh");
    assert.deepEqual(shell.args, ["-c", "'cat", "/tmp/a b.sh;", "sh", "/tmp/a b.sh'"]);
    assert.deepEqual(withScriptPath(resolveShell("pwsh", "x", WHERE, "sh -c"), "/s/x.ps1").args, ["-command", ". '/s/x.ps1'"]);
  });
});

describe("splitTemplate", () => {
  it("splits on whitespace, groups double quotes and honours backslash-escaped quotes", () => {
    assert.deepEqual(splitTemplate("  perl   -w\t{0} "), ["perl", "-w", "{0}"]);
    assert.deepEqual(splitTemplate('bash -c "source {0}" x'), ["bash", "-c", "source {0}", "x"]);
    assert.deepEqual(splitTemplate('a "" b'), ["a", "", "b"]);
    assert.deepEqual(splitTemplate('say \\"hi\\" c:\\dir\\ {0}'), ["say", '"hi"', "c:\\dir\\", "{0}"]);
    assert.deepEqual(splitTemplate('x \\\\"a b\\\\" y'), ["x", "\\a b\\", "y"]);
    assert.deepEqual(splitTemplate("it's {0}"), ["it's", "{0}"]);
  });
});

describe("locateShell (programs found on the step's PATH)", () => {
  const python = () => resolveShell("python", "x", WHERE, "sh -c");

  it("python falls back to python3 when only python3 is on PATH, and uses python when it is there", () => {
    const only3 = binDir(["python3"]);
    assert.equal(locateShell(python(), only3)?.command, path.join(only3, "python3"));
    const both = binDir(["python", "python3"]);
    const located = locateShell(python(), `${only3}${path.delimiter}${both}`);
    assert.equal(located?.command, path.join(both, "python"), "python anywhere on PATH wins over python3");
    assert.equal(located?.fallback, undefined);
  });

  it("GitHub's default takes bash, else sh; a missing shell is a clear error", () => {
    const empty = binDir([]);
    mkdirSync(path.join(empty, "python"));
    assert.equal(locateShell(python(), empty), undefined, "a folder named python is not a program");
    assert.equal(shellNotFound(python()), 'shell "python": python not found in PATH');
    const custom = resolveShell("no-such-shell-xyz {0}", "x", WHERE, "bash-or-sh");
    assert.equal(locateShell(custom, empty), undefined);
    assert.equal(shellNotFound(custom), 'shell "no-such-shell-xyz {0}": no-such-shell-xyz not found in PATH');

    const byDefault = resolveShell(undefined, "x", WHERE, "bash-or-sh");
    assert.equal(locateShell(byDefault, empty), undefined);
    assert.equal(shellNotFound(byDefault), "no shell for run steps: neither bash nor sh is on PATH");
    symlinkSync("/bin/sh", path.join(empty, "sh"));
    assert.equal(locateShell(byDefault, empty)?.command, path.join(empty, "sh"));
    const withBash = binDir(["bash"]);
    assert.equal(locateShell(byDefault, `${empty}${path.delimiter}${withBash}`)?.command, path.join(withBash, "bash"));
  });
});

describe("fallbackInShell (the choice made by sh where the step runs)", () => {
  const run = (shell: string, pathValue: string) => {
    const command = withScriptPath(fallbackInShell(resolveShell(shell, "x", WHERE, "sh -c")), "/scripts/step.py");
    assert.equal(command.command, "sh");
    return spawnSync("/bin/sh", command.args, { encoding: "utf8", env: { PATH: pathValue } });
  };

  it("runs python when it is on PATH, else python3, with the script file", () => {
    assert.equal(run("python", binDir(["python3"])).stdout, "python3 /scripts/step.py\n");
    assert.equal(run("python", binDir(["python", "python3"])).stdout, "python /scripts/step.py\n");
    assert.equal(run("powershell", binDir(["pwsh"])).stdout, "pwsh -command . '/scripts/step.py'\n");
  });

  it("leaves shells without a fallback as they are", () => {
    const bash = resolveShell("bash", "x", WHERE, "sh -c");
    assert.equal(fallbackInShell(bash), bash);
  });
});
