// Copies a bundled example (examples/<name>) into a test's folder, without the state a user's run of it
// leaves there: `npm run demo` writes examples/platform/.orun/, and a copy with those records would see the
// demo's plans and executions.
import { cp } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "./cli.js";

const LEFT_BY_A_RUN = /[/\\](\.orun|dist)$/;

export async function copyExample(name: string, dest: string): Promise<void> {
  await cp(path.join(PROJECT_ROOT, "examples", name), dest, { recursive: true, filter: (src) => !LEFT_BY_A_RUN.test(src) });
}
