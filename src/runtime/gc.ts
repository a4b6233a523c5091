// `orun gc`: remove old execution records. The newest `keep` records that
// are younger than `maxAgeDays` stay; a record whose run is still alive is
// never removed.
import { rm, readlink } from "node:fs/promises";
import path from "node:path";
import { isAlive } from "./records/lock.js";
import type { ExecutionStore } from "./records/store.js";

export interface GcOptions {
  keep: number;
  maxAgeDays: number;
  dryRun: boolean;
  now?: number;
}

export interface GcResult {
  removed: string[];
  keptRunning: string[];
}

export async function collectGarbage(store: ExecutionStore, options: GcOptions): Promise<GcResult> {
  const now = options.now ?? Date.now();
  const cutoff = now - options.maxAgeDays * 86_400_000;
  const entries = await store.list();
  const removed: string[] = [];
  const keptRunning: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const started = Date.parse(entry.startedAt ?? "");
    const young = !Number.isFinite(started) || started >= cutoff;
    if (index < options.keep && young) continue;
    if (entry.meta?.status === "running" && entry.meta.pid !== undefined && isAlive(entry.meta.pid)) {
      keptRunning.push(entry.execId);
      continue;
    }
    removed.push(entry.execId);
  }
  if (options.dryRun) return { removed, keptRunning };
  for (const id of removed) await rm(store.execDir(id), { recursive: true, force: true });
  // Keep `latest` pointing at something that exists.
  const link = path.join(store.executionsDir, "latest");
  const target = await readlink(link).catch(() => undefined);
  if (target !== undefined && removed.includes(path.basename(target))) {
    const survivor = entries.find((entry) => !removed.includes(entry.execId));
    if (survivor) await store.pointLatest(survivor.execId);
    else await rm(link, { force: true });
  }
  return { removed, keptRunning };
}
