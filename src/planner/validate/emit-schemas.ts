// Writes schemas/<name>.schema.json from src/planner/validate/schemas.ts.
// Run after changing a schema: `npx tsc -p . && node dist/src/planner/validate/emit-schemas.js`.

import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMAS } from "./schemas.js";

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../schemas");

/** The exact text each schema file must contain. */
export function schemaFileText(name: keyof typeof SCHEMAS): string {
  return `${JSON.stringify(SCHEMAS[name], null, 2)}\n`;
}

async function main(): Promise<void> {
  for (const name of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
    const file = path.join(SCHEMA_DIR, `${name}.schema.json`);
    await fs.writeFile(file, schemaFileText(name));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
