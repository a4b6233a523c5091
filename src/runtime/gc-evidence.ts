// Promotion-gate evidence in local history (gates.ts): `orun gc` keeps, for each component × environment, the newest
// record in which all of that component's jobs there completed, for each of the `revisions` newest revisions it
// succeeded at there. A release promotes a commit staging validated, often not the newest one (main moves on), so the
// newest success alone would strand it. Older successes go as any record does; --drop-evidence removes these too.
// Each success gc removes is noted (removed-evidence.ts), so a gate it leaves without evidence says why
// (the backend keeps its own evidence: `backend serve --evidence-retention`).
import { readRecordedPlan, succeededComponents } from "./gate-evidence.js";
import { readStateFile } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";

type Entries = Awaited<ReturnType<ExecutionStore["list"]>>;

/** How many revisions of each component × environment keep their newest success by default (gc --evidence-revisions). */
export const DEFAULT_EVIDENCE_REVISIONS = 5;

/** A component's success in an environment at a revision. */
export interface Success {
  component: string;
  environment: string;
  revision: string;
}

/** Successes a record holds that gc would lose with it (none when a newer record at that revision has the same). */
export interface HeldSuccess {
  /** What the record is the newest success of at its revision. */
  pairs: Success[];
  /** The successes among `pairs` it is kept for (within the newest `revisions` revisions); the rest are past that. */
  kept: Success[];
}

/**
 * The records holding the newest evidence of some component × environment at one of its `revisions` newest revisions,
 * each with what it is evidence of (`holders`: `the newest success of api, web in dev at revision 490387c0ddab`), and
 * every record that is the newest success of some pair at its revision (`held`), kept or not. `entries` come newest
 * first (store.list). The revision is the one the component's jobs ran at (gate-evidence.ts), as gates judge it.
 */
export async function evidenceHolders(
  store: ExecutionStore,
  entries: Entries,
  revisions = DEFAULT_EVIDENCE_REVISIONS,
): Promise<{ holders: Map<string, string>; held: Map<string, HeldSuccess>; unreadable: Map<string, unknown> }> {
  // Maps: an exec ID may be any name, __proto__ included.
  const holders = new Map<string, string>();
  const held = new Map<string, HeldSuccess>();
  // The records whose state.json cannot be read, each with its error: gc keeps them (it cannot tell what they hold),
  // told here so that gc reads each state.json once.
  const unreadable = new Map<string, unknown>();
  const seen = new Map<string, Set<string>>();
  for (const entry of entries) {
    const state = await readStateFile(store.stateFile(entry.execId)).catch((err: unknown) => void unreadable.set(entry.execId, err));
    if (!state) continue;
    // A run that vouched for no revision records no evidence: its results say so (or, from an older orun, its metadata).
    const successes = succeededComponents(state, (await readRecordedPlan(store, entry.execId))?.jobIds, entry.meta?.revision);
    const record: HeldSuccess = { pairs: [], kept: [] };
    for (const [environment, found] of successes) {
      for (const { component, revision } of found) {
        const key = JSON.stringify([component, environment]);
        const revisionsSeen = seen.get(key) ?? seen.set(key, new Set()).get(key)!;
        if (revisionsSeen.has(revision)) continue; // a newer record has the same success
        revisionsSeen.add(revision);
        const success = { component, environment, revision };
        record.pairs.push(success);
        if (revisionsSeen.size <= revisions) record.kept.push(success);
      }
    }
    if (record.pairs.length) held.set(entry.execId, record);
    if (record.kept.length) holders.set(entry.execId, `the newest success of ${describeSuccesses(record.kept)}`);
  }
  return { holders, held, unreadable };
}

/** `api, web in dev; api in staging at revision 490387c0ddab` (successes in order of environment, then revision). */
function describeSuccesses(successes: Success[]): string {
  const byRevision = new Map<string, Map<string, string[]>>();
  for (const { component, environment, revision } of successes) {
    const environments = byRevision.get(revision) ?? byRevision.set(revision, new Map()).get(revision)!;
    (environments.get(environment) ?? environments.set(environment, []).get(environment)!).push(component);
  }
  return [...byRevision]
    .map(([revision, environments]) => `${[...environments].map(([environment, components]) => `${components.join(", ")} in ${environment}`).join("; ")} at revision ${revision.slice(0, 12)}`)
    .join("; ");
}
