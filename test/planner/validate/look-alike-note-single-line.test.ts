// A look-alike note ("; "е" (U+0435) is not an ASCII letter") is added only to a rule that allows ASCII letters
// alone (a name): `namespace: "Équipe\e[31m"` is refused for its escape, and nothing calls É (valid there) the fault
// (rev29c #2). Real CLI, temp repos.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, HEADER, writeRepo } from "../support.js";

after(cleanupRepos);

const withNamespace = (value: string): string => HEADER.replace("  name: s-test\n", `  name: s-test\n  namespace: "${value}"\n`) + DEV_API;

test("a value refused for a control character is not said to break an ASCII-letter rule it does not have", async () => {
  const valid = await runOrun(["validate"], { cwd: await writeRepo(baseRepo(DEV_API, { "intent.yaml": withNamespace("Équipe") })) });
  assert.equal(valid.code, 0, `a namespace with É is valid: ${valid.stderr}`);
  const run = await runOrun(["validate"], { cwd: await writeRepo(baseRepo(DEV_API, { "intent.yaml": withNamespace("Équipe\\e[31m") })) });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /metadata\.namespace: must not contain control characters .*\(got "Équipe\\u\{1b\}\[31m"\)/, run.stderr);
  assert.doesNotMatch(run.stderr, /is not an ASCII letter/, `É is allowed there; the escape is the fault: ${run.stderr}`);
});
