// The plan's model and plan files sit below the stages that run it: src/model and src/plan import from
// each other and src/util only, so the planner, runtime, runners and remote state can all take them without
// pulling in one another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const SRC = fileURLToPath(new URL("../../../src/", import.meta.url));
const BELOW = new Set(["model", "plan", "util"]);

function importsLeavingBelow(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(path.join(SRC, folder), { recursive: true }).map(String)) {
    if (!name.endsWith(".ts")) continue;
    const file = path.join(SRC, folder, name);
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
      const top = path.relative(SRC, path.resolve(path.dirname(file), specifier!)).split(path.sep)[0]!;
      if (!BELOW.has(top)) found.push(`src/${folder}/${name}: ${specifier}`);
    }
  }
  return found;
}

test("src/model and src/plan import only src/model, src/plan and src/util", () => {
  assert.deepEqual([...importsLeavingBelow("model"), ...importsLeavingBelow("plan")], []);
});
