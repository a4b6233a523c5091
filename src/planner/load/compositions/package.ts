// The package manifest at a composition package's root: `stack.yaml` (kind
// Stack) or the legacy `orun.yaml` (kind CompositionPackage), and the list of
// compositions it exports.

import { promises as fs } from "node:fs";
import path from "node:path";
import { OrunError } from "../../../util/errors.js";
import { validateDocument } from "../../validate/documents.js";
import { obj, list } from "../decode.js";
import { errorAt, readSingleDocument, type YamlDoc } from "../yaml.js";

export interface PackageExport {
  /** Export name = composition type. */
  name: string;
  /** Path of the composition file relative to the package root (forward slashes). */
  path: string;
}

export interface PackageManifest {
  name: string;
  version?: string;
  description?: string;
  exports: PackageExport[];
  intentPresets: { name: string; path: string }[];
  /** The manifest file as shown in messages. */
  file: string;
}

// `.orun/` holds orun's state, extracted archive packages included: their
// compositions.yaml files are another source's, not this package's exports.
const SKIPPED = new Set([".git", ".orun", "node_modules"]);
const COMPOSITION_FILES = new Set(["compositions.yaml", "composition.yaml"]);

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads the manifest of the package at `root`. `display(abs)` names files in
 * messages (relative to the intent directory for dir sources).
 */
export async function readPackageManifest(
  root: string,
  sourceName: string,
  display: (abs: string) => string,
  /** The error for a package with no manifest, located where intent.yaml names the source. */
  missing: (message: string) => OrunError = (message) => new OrunError(message),
  /** How the package came (an archive, an OCI artifact or a folder): what the hint for a package one folder down says. */
  kind: "dir" | "archive" | "oci" = "dir",
): Promise<PackageManifest> {
  const stackFile = path.join(root, "stack.yaml");
  if (await isFile(stackFile)) return readStack(root, await readSingleDocument(stackFile, display(stackFile)), display);
  const legacyFile = path.join(root, "orun.yaml");
  if (await isFile(legacyFile)) return readLegacy(await readSingleDocument(legacyFile, display(legacyFile)), sourceName);
  throw missing(`composition source ${sourceName} has no package manifest: expected stack.yaml (or legacy orun.yaml) in ${display(root)}${await oneFolderDown(root, kind, display(root).replace(/!\/$/, ""))}`);
}

/**
 * `; its files are one folder down, in platform/ …` when `root` holds just one folder and that folder holds the
 * manifest: `tar czf platform.tgz platform` packs the folder, not its contents.
 */
async function oneFolderDown(root: string, kind: "dir" | "archive" | "oci", packed: string): Promise<string> {
  const entries = (await fs.readdir(root, { withFileTypes: true }).catch(() => [])).filter((entry) => !entry.name.startsWith("."));
  const only = entries.length === 1 && entries[0]!.isDirectory() ? entries[0]!.name : undefined;
  if (!only || !((await isFile(path.join(root, only, "stack.yaml"))) || (await isFile(path.join(root, only, "orun.yaml"))))) return "";
  const how =
    kind === "archive"
      ? `pack the folder's contents, not the folder: tar czf ${packed} -C ${only} .`
      : kind === "oci"
        ? "push the folder's contents, not the folder"
        : `point the source's path at that folder`;
  return `; the package's files are one folder down, in ${only}/ (${how})`;
}

async function readStack(root: string, yd: YamlDoc, display: (abs: string) => string): Promise<PackageManifest> {
  validateDocument(yd, "stack");
  const v = obj(yd.value);
  const meta = obj(v.metadata);
  const spec = obj(v.spec);
  let exports: PackageExport[];
  const declared = list(spec.compositions);
  if (declared.length > 0) {
    exports = declared.map((entry, i) => {
      const rel = String(obj(entry).path).replace(/\\/g, "/");
      if (!rel.trim()) throw errorAt(yd, ["spec", "compositions", i, "path"], "stack.yaml has a compositions entry with an empty path");
      const norm = path.posix.normalize(rel);
      if (norm.startsWith("../") || path.posix.isAbsolute(norm)) {
        throw errorAt(yd, ["spec", "compositions", i, "path"], `path "${rel}" leaves the package root`);
      }
      const parent = path.posix.dirname(norm);
      if (parent === ".") {
        throw errorAt(
          yd,
          ["spec", "compositions", i, "path"],
          `stack.yaml path "${rel}" does not follow the expected compositions/<name>/compositions.yaml pattern`,
        );
      }
      return { name: path.posix.basename(parent), path: norm };
    });
  } else {
    exports = (await findCompositionFiles(root)).map((rel) => ({ name: path.posix.basename(path.posix.dirname(rel)), path: rel }));
    exports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : 1));
    if (exports.length === 0) {
      throw new OrunError(`stack.yaml at ${display(root)} has no spec.compositions and no composition files were found under it`, {
        location: { file: yd.file, line: 1 },
      });
    }
  }
  const manifest: PackageManifest = {
    name: String(meta.name),
    exports,
    intentPresets: list(spec.intentPresets).map((p) => ({ name: String(obj(p).name), path: String(obj(p).path) })),
    file: yd.file,
  };
  if (typeof meta.version === "string") manifest.version = meta.version;
  if (typeof meta.description === "string") manifest.description = meta.description;
  checkExports(manifest, yd, ["spec", "compositions"]);
  return manifest;
}

function readLegacy(yd: YamlDoc, sourceName: string): PackageManifest {
  validateDocument(yd, "composition-package");
  const v = obj(yd.value);
  const meta = obj(v.metadata);
  const spec = obj(v.spec);
  const exports = list(spec.exports).map((e, i) => {
    const o = obj(e);
    const name = typeof o.composition === "string" ? o.composition.trim() : "";
    const p = typeof o.path === "string" ? o.path.trim() : "";
    if (!name) throw errorAt(yd, ["spec", "exports", i], `composition source ${sourceName} contains an export without a composition name`);
    if (!p) throw errorAt(yd, ["spec", "exports", i], `composition source ${sourceName} export ${name} is missing a path`);
    const norm = path.posix.normalize(p.replace(/\\/g, "/"));
    if (norm.startsWith("../") || path.posix.isAbsolute(norm)) throw errorAt(yd, ["spec", "exports", i, "path"], `path "${p}" leaves the package root`);
    return { name, path: norm };
  });
  if (exports.length === 0) throw errorAt(yd, ["spec"], `composition source ${sourceName} must export at least one composition`);
  const manifest: PackageManifest = { name: String(meta.name), exports, intentPresets: [], file: yd.file };
  if (typeof spec.version === "string") manifest.version = spec.version;
  if (typeof meta.description === "string") manifest.description = meta.description;
  checkExports(manifest, yd, ["spec", "exports"]);
  return manifest;
}

function checkExports(manifest: PackageManifest, yd: YamlDoc, at: (string | number)[]): void {
  const seen = new Map<string, string>();
  for (const e of manifest.exports) {
    const prior = seen.get(e.name);
    if (prior !== undefined) {
      throw errorAt(yd, at, `package ${manifest.name} exports duplicate composition ${e.name} (${prior} and ${e.path})`);
    }
    seen.set(e.name, e.path);
  }
}

/** compositions.yaml / composition.yaml files below the root (not at the root itself), byte-sorted. */
async function findCompositionFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED.has(e.name)) await walk(abs);
      } else if (e.isFile() && COMPOSITION_FILES.has(e.name) && dir !== root) {
        out.push(path.relative(root, abs).split(path.sep).join("/"));
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
