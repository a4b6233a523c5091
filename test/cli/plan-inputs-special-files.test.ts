// Inputs that are not regular files — a symlink to /dev/zero or to a named pipe
// in place of a component.yaml or a source archive (a checkout can hold such
// links) — are refused naming the file. Reading them hung orun plan (a FIFO)
// or filled memory (/dev/zero). (Files of a dir source are safe already: a
// package holding a symlink is refused when it is hashed.)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

let tmp: string;
let fifo: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-special-"));
  fifo = path.join(tmp, "pipe");
  execFileSync("mkfifo", [fifo]);
});
after(async () => {
  await cleanupRepos();
  await fs.rm(tmp, { recursive: true, force: true });
});

const ENV = `environments:\n  dev:\n    selectors:\n      components: ["*"]\n`;

async function planWithLink(files: Record<string, string>, link: string, target: string): Promise<{ code: number | null; stderr: string }> {
  const dir = await writeRepo(files);
  await fs.mkdir(path.dirname(path.join(dir, link)), { recursive: true });
  await fs.rm(path.join(dir, link), { force: true });
  await fs.symlink(target, path.join(dir, link));
  return runOrun(["plan", "-o", "plan.json"], { cwd: dir, timeoutMs: 20_000 });
}

for (const [what, target] of [
  ["a named pipe", (): string => fifo],
  ["/dev/zero", (): string => "/dev/zero"],
] as const) {
  test(`a component.yaml that is a symlink to ${what} is refused naming it`, async () => {
    const result = await planWithLink(baseRepo(ENV), "svc/api/component.yaml", target());
    assert.notEqual(result.code, null, "orun plan hung");
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /svc\/api\/component\.yaml: is not a regular file \(a device, FIFO or socket\)/);
  });

}

test("a source archive that is a named pipe is refused, naming the intent line of its path", async () => {
  const files = baseRepo(`${ENV}components:\n  - {name: api, type: svc}\n`);
  files["intent.yaml"] = files["intent.yaml"]!.replace("kind: dir\n      path: ./comps", "kind: archive\n      path: ./pkg.tgz");
  const result = await planWithLink(files, "pkg.tgz", fifo);
  assert.notEqual(result.code, null, "orun plan hung");
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /intent\.yaml:9.*composition source local archive path is not a regular file: \.\/pkg\.tgz/);
});
