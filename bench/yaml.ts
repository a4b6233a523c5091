// YAML reading benchmark: one mapping of 12,500 to 200,000 keys (a component's labels, a big env or
// parameterDefaults) through parseYamlText, duplicate-key check included. The library's own check compared
// each key with every earlier one (16,000 keys took 5 s of CPU, 200,000 did not finish in 12 min); the
// Set-per-map check keeps it linear: "vs prev" near 1.00× (time per key relative to the previous size).
import { performance } from "node:perf_hooks";
import { parseYamlText } from "../src/planner/load/yaml.js";

const SIZES = [12_500, 25_000, 50_000, 200_000];

export interface YamlBenchRow {
  keys: number;
  bytes: number;
  ms: number;
  /** (time per key) / (time per key at the previous size): 1.00× = linear. */
  stepGrowth: number;
}

function bigMap(keys: number): string {
  const lines = ["labels:"];
  for (let i = 0; i < keys; i++) lines.push(`  k${i}: v${i}`);
  return `${lines.join("\n")}\n`;
}

export async function runYamlBench(sizes: number[] = SIZES, log: (line: string) => void = console.log): Promise<YamlBenchRow[]> {
  const rows: YamlBenchRow[] = [];
  log(`  ${"keys".padStart(8)} ${"size".padStart(9)} ${"parse".padStart(9)} ${"vs prev".padStart(8)}`);
  parseYamlText(bigMap(1_000), "warm.yaml", "/warm.yaml");
  for (const keys of sizes) {
    const text = bigMap(keys);
    const started = performance.now();
    const [doc] = parseYamlText(text, "big.yaml", "/big.yaml");
    const ms = performance.now() - started;
    if (Object.keys((doc!.value as { labels: object }).labels).length !== keys) throw new Error(`expected ${keys} keys`);
    const prev = rows.at(-1);
    const stepGrowth = prev ? ms / keys / (prev.ms / prev.keys) : 1;
    rows.push({ keys, bytes: text.length, ms, stepGrowth });
    log(`  ${String(keys).padStart(8)} ${`${(text.length / 1024).toFixed(0)}kB`.padStart(9)} ${`${ms.toFixed(0)}ms`.padStart(9)} ${`${stepGrowth.toFixed(2)}×`.padStart(8)}`);
  }
  log("  vs prev = time per key relative to the previous size (1.00× = linear)");
  return rows;
}
