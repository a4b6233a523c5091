// The message for an integer beyond 2^53 (rev15plan #9): "quote it" only where
// a string may stand, the source as written in the hint, and a document that is
// not a mapping told so by the schema rather than by the integer inside it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SVC, baseRepo, cleanupRepos, compileRepo } from "../support.js";

after(cleanupRepos);

const ENV = `environments:\n  dev:\n    selectors:\n      components: ["*"]\n`;

async function compileError(files: Record<string, string>): Promise<string> {
  try {
    await compileRepo(files);
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail("the compile succeeded");
}

test("retries, timeout and order get no 'quote it' hint: a string is refused there too", async () => {
  for (const [field, replace] of [
    ["retries", (svc: string) => svc.replace("retries: 2", "retries: 9007199254740993")],
    ["timeout", (svc: string) => svc.replace("timeout: 10m", "timeout: 9007199254740993")],
    ["order", (svc: string) => svc.replace("        - id: the-id\n", "        - id: the-id\n          order: 9007199254740993\n")],
  ] as const) {
    const comp = replace(SVC);
    assert.notEqual(comp, SVC, `the ${field} fixture changed nothing`);
    const message = await compileError({ ...baseRepo(`${ENV}components:\n  - {name: api, type: svc}\n`), "comps/svc/compositions.yaml": comp });
    assert.match(message, new RegExp(`${field}: the integer 9007199254740993 is beyond`), message);
    assert.doesNotMatch(message, /quote it/, message);
  }
});

test("a parameter keeps the hint, quoting the source as written (hex stays hex)", async () => {
  const message = await compileError(baseRepo(`${ENV}components:\n  - name: api\n    type: svc\n    parameters:\n      big: 0x20000000000001\n`));
  assert.match(message, /parameters\.big: the integer 9007199254740993 is beyond .*; quote it \("0x20000000000001"\) to keep it as a string/);
});

test("an intent that is a list or one big integer is told it must be a mapping", async () => {
  for (const body of ["- 9007199254740993\n", "9007199254740993\n"]) {
    const message = await compileError({ ...baseRepo(""), "intent.yaml": body });
    assert.doesNotMatch(message, /the integer 9007199254740993/, message);
    assert.match(message, /intent\.yaml/, message);
  }
});
