// Promotion-gate evidence in local history (gates.ts): `orun gc` keeps, for each component × environment, the newest
// record in which all of that component's jobs there completed at a recorded revision, so a gate at the revision last
// promoted keeps working after a clean-up (the backend keeps its own evidence: `backend serve --evidence-retention`).
// Older successes go as any record does; --drop-evidence removes the newest too.
import { succeededComponents } from "./gates.js";
import { readStateFile } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";

type Entries = Awaited<ReturnType<ExecutionStore["list"]>>;

/**
 * The records holding the newest evidence of some component × environment, each with what it is evidence of:
 * `the newest success of api, web in dev at revision 490387c0ddab`. `entries` come newest first (store.list).
 */
export async function evidenceHolders(store: ExecutionStore, entries: Entries): Promise<Map<string, string>> {
  // A Map: an exec ID may be any name, __proto__ included.
  const holders = new Map<string, string>();
  const claimed = new Set<string>();
  for (const entry of entries) {
    const revision = entry.meta?.revision;
    // A run that vouched for no revision records no evidence (gates.ts reads it the same way).
    if (!revision) continue;
    const state = await readStateFile(store.stateFile(entry.execId)).catch(() => undefined);
    if (!state) continue;
    const held: string[] = [];
    for (const [environment, components] of succeededComponents(state)) {
      const newest = components.filter((component) => !claimed.has(JSON.stringify([component, environment])));
      for (const component of newest) claimed.add(JSON.stringify([component, environment]));
      if (newest.length) held.push(`${newest.join(", ")} in ${environment}`);
    }
    if (held.length) holders.set(entry.execId, `the newest success of ${held.join("; ")} at revision ${revision.slice(0, 12)}`);
  }
  return holders;
}
