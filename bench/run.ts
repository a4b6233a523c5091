// `npm run bench`: imports every bench/*.ts module that exports a
// `run…Bench` function and runs them one after another, printing figures.
// Pass names to run a subset: node dist/bench/run.js scheduler compile
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = (await readdir(here)).filter((file) => file.endsWith(".js") && file !== "run.js").sort();
  let failures = 0;
  for (const file of files) {
    if (only.length && !only.some((name) => file.startsWith(name))) continue;
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as Record<string, unknown>;
    for (const [exported, fn] of Object.entries(mod)) {
      if (!/^run\w*Bench$/.test(exported) || typeof fn !== "function") continue;
      console.log(`\n=== ${file.replace(/\.js$/, "")}: ${exported}`);
      const started = Date.now();
      try {
        await (fn as () => Promise<unknown>)();
      } catch (err) {
        failures++;
        console.log(`  ✗ ${exported} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      console.log(`  (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    }
  }
  if (failures) process.exitCode = 1;
}

await main();
