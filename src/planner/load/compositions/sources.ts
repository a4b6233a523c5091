// Resolving `compositions.sources` entries to package directories with a
// content digest: `dir` (read in place), `archive` (tar.gz extracted into
// the user's package cache, cache.ts), `oci` (pulled from a registry into the
// same cache, keyed by the manifest digest: oci.ts).

import { promises as fs } from "node:fs";
import path from "node:path";
import type { Composition, ResolvedCompositionSource } from "../../../model/composition.js";
import type { CompositionSourceSpec } from "../../../model/intent.js";
import type { CompositionSourceRecord } from "../../../model/plan.js";
import { closeNames } from "../../../util/edit-distance.js";
import { OrunError } from "../../../util/errors.js";
import { isInside } from "../../../util/paths.js";
import { printable } from "../../../util/printable.js";
import { errorAtOrigin } from "../yaml.js";
import { extractArchive } from "./archive.js";
import { compositionsCache } from "./cache.js";
import { hashDirectory, hashFile } from "./digest.js";
import { OciStepError, parseOciReference, pullPackage, type OciReference } from "./oci.js";
import { dockerCredentials } from "./registry-credentials.js";
import { DocumentCache, loadComposition } from "./documents.js";
import { readPackageManifest } from "./package.js";

export interface SourceContext {
  /** Intent directory: relative source paths and `.orun/` are resolved from here. */
  rootDir: string;
  /**
   * The package cache (cache.ts), opened on first use. resolveSources shares one
   * opening among all sources of a compile: opening checks the folder's owner and
   * mode and sweeps interrupted pulls, once is enough.
   */
  cacheRoot?: () => Promise<string>;
}

/** `open`, called at most once (a failed opening is not retried within the compile). */
export function once<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined;
  return () => (opened ??= open());
}

/** Shows a path relative to the intent directory when inside it, else absolute. */
export function displayPath(rootDir: string, abs: string): string {
  const rel = path.relative(rootDir, abs);
  if (rel === "") return ".";
  if (!isInside(rootDir, abs)) return abs;
  return rel.split(path.sep).join("/");
}

async function statOrFail(abs: string, spec: CompositionSourceSpec, what: string): Promise<import("node:fs").Stats> {
  try {
    return await fs.stat(abs);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    if (code !== "ENOENT") throw errorAtOrigin(spec.origin, "path", `composition source ${spec.name}: cannot access ${what} ${spec.path} (${code})`);
    const link = await fs.readlink(abs).catch(() => undefined);
    if (link !== undefined) throw errorAtOrigin(spec.origin, "path", `composition source ${spec.name}: ${spec.path} is a symbolic link to ${printable(link)}, which does not exist`);
    // Most often a typo in the last part of the path: named beside the entries of its kind its folder has.
    const typed = spec.path!.replace(/\/+$/, "");
    const name = path.basename(abs);
    const siblings = await fs.readdir(path.dirname(abs), { withFileTypes: true }).catch(() => []);
    const kindOf = (entry: import("node:fs").Dirent) => (what === "directory" ? entry.isDirectory() : entry.isFile());
    const [meant] = closeNames(name, siblings.filter(kindOf).map((entry) => entry.name).filter((other) => other !== name), { limit: 1 });
    const hint = meant !== undefined && typed.endsWith(name) ? `; did you mean ${typed.slice(0, typed.length - name.length)}${meant}?` : "";
    throw errorAtOrigin(spec.origin, "path", `composition source ${spec.name}: no ${what} ${spec.path} (${abs} does not exist)${hint}`);
  }
}

/** Locates the package content of one source and computes its digest. */
async function materialize(spec: CompositionSourceSpec, ctx: SourceContext): Promise<{ dir: string; digest: string }> {
  switch (spec.kind) {
    case "dir": {
      const abs = path.resolve(ctx.rootDir, spec.path!);
      const stat = await statOrFail(abs, spec, "directory");
      if (!stat.isDirectory()) throw errorAtOrigin(spec.origin, "path", `composition source ${spec.name} path is not a directory: ${spec.path}`);
      let digest: string;
      try {
        digest = await hashDirectory(abs);
      } catch (err) {
        throw errorAtOrigin(spec.origin, "path", `failed to hash composition source ${spec.name}: ${(err as Error).message}`);
      }
      return { dir: abs, digest };
    }
    case "archive": {
      const abs = path.resolve(ctx.rootDir, spec.path!);
      const stat = await statOrFail(abs, spec, "archive");
      if (stat.isDirectory()) throw errorAtOrigin(spec.origin, "path", `composition source ${spec.name} archive path is a directory: ${spec.path}`);
      // A FIFO or a device (a symlink to /dev/zero) would be read for ever.
      if (!stat.isFile()) throw errorAtOrigin(spec.origin, "path", `composition source ${spec.name} archive path is not a regular file: ${spec.path}`);
      const digest = await hashFile(abs);
      checkPin(spec, digest);
      try {
        const dest = path.join(await cacheRoot(ctx), digest.replace(/^sha256:/, ""));
        await extractArchive(abs, dest);
        return { dir: dest, digest };
      } catch (err) {
        throw errorAtOrigin(spec.origin, "path", `failed to extract composition archive ${spec.name}: ${(err as Error).message}`);
      }
    }
    case "oci": {
      let ref: OciReference;
      try {
        ref = parseOciReference(spec.ref ?? "");
      } catch (err) {
        throw errorAtOrigin(spec.origin, "ref", `composition source ${spec.name}: ${(err as Error).message}`);
      }
      try {
        return await pullPackage(ref, {
          cacheRoot: await cacheRoot(ctx),
          pin: spec.digest,
          onPinMismatch: (expected, actual) => {
            throw errorAtOrigin(spec.origin, "digest", `composition source ${spec.name} digest mismatch: expected ${expected}, got ${actual}`);
          },
          login: () => dockerCredentials(ref.registry),
        });
      } catch (err) {
        if (!(err instanceof OciStepError)) throw err;
        throw errorAtOrigin(spec.origin, "ref", `failed to ${err.step} oci composition source ${spec.name}: ${err.message}`);
      }
    }
    default:
      throw errorAtOrigin(spec.origin, "kind", `unsupported composition source kind "${String(spec.kind)}" for source ${spec.name}`);
  }
}

function cacheRoot(ctx: SourceContext): Promise<string> {
  return ctx.cacheRoot ? ctx.cacheRoot() : compositionsCache();
}

function checkPin(spec: CompositionSourceSpec, digest: string): void {
  if (spec.digest && spec.digest !== digest) {
    throw errorAtOrigin(spec.origin, "digest", `composition source ${spec.name} digest mismatch: expected ${spec.digest}, got ${digest}`);
  }
}

/** Resolves one source: content, manifest, and every exported composition. */
export async function resolveSource(spec: CompositionSourceSpec, ctx: SourceContext): Promise<ResolvedCompositionSource> {
  const { dir, digest } = await materialize(spec, ctx);
  if (spec.kind === "dir") checkPin(spec, digest);
  // Files of an extracted archive or pulled package are named inside it (`pkg.tgz!/svc/compositions.yaml`), not in the cache.
  const display =
    spec.kind === "archive" || spec.kind === "oci"
      ? (abs: string): string => `${spec.kind === "oci" ? spec.ref : spec.path}!/${path.relative(dir, abs).split(path.sep).join("/")}`
      : (abs: string): string => displayPath(ctx.rootDir, abs);
  const kind = spec.kind === "archive" || spec.kind === "oci" ? spec.kind : "dir";
  const manifest = await readPackageManifest(dir, spec.name, display, (message) => errorAtOrigin(spec.origin, spec.kind === "oci" ? "ref" : "path", message), kind);
  const cache = new DocumentCache(display);
  const exports: Record<string, Composition> = {};
  for (const exp of manifest.exports) {
    const file = path.join(dir, ...exp.path.split("/"));
    exports[exp.name] = await loadComposition(cache, file, exp.name, {
      sourceName: spec.name,
      sourceKind: spec.kind,
      packageName: manifest.name,
      display,
    });
  }
  // Key order = lock file / plan order: name, kind, ref, path, resolvedDigest, exports.
  const record = { name: spec.name, kind: spec.kind } as CompositionSourceRecord;
  if (spec.ref) record.ref = spec.ref;
  if (spec.path) record.path = spec.path;
  record.resolvedDigest = digest;
  const names = Object.keys(exports).sort();
  if (names.length > 0) record.exports = names;
  const resolved: ResolvedCompositionSource = {
    record,
    rootDir: dir,
    packageName: manifest.name,
    intentPresets: manifest.intentPresets,
    exports,
  };
  if (manifest.version !== undefined) resolved.packageVersion = manifest.version;
  return resolved;
}

/**
 * Every declared source, in declaration order. No sources is an error unless a
 * legacy --config-dir registry stands in (`hasLegacy`).
 */
export async function resolveSources(
  specs: readonly CompositionSourceSpec[],
  ctx: SourceContext,
  intentFile: string,
  hasLegacy = false,
): Promise<ResolvedCompositionSource[]> {
  if (specs.length === 0 && !hasLegacy) {
    throw new OrunError("intent does not declare compositions and no legacy --config-dir fallback was provided", {
      location: { file: intentFile, line: 1 },
      hint: "add compositions.sources (a dir, archive or oci composition package) to the intent, or pass -c/--config-dir (or set ORUN_CONFIG_DIR) to a legacy job registry directory",
    });
  }
  const shared: SourceContext = { ...ctx, cacheRoot: once(ctx.cacheRoot ?? (() => compositionsCache())) };
  const out: ResolvedCompositionSource[] = [];
  for (const spec of specs) out.push(await resolveSource(spec, shared));
  return out;
}
