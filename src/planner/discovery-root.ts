// A discovered component's working path defaults to its folder. When the
// discovery root it was found under lies outside the intent's folder (legal:
// spec 11 §2.4), that path leaves the intent root and is refused; the value to
// change is then the root in intent.yaml, not a `spec.path` the component never
// set, so errors about that path name `discovery.roots[i]` at its line.
import { posix } from "node:path";
import type { Component, Intent } from "../model/intent.js";
import type { SourceLocation } from "../util/errors.js";
import { normalizeRoots } from "./load/components.js";

export interface DiscoveryRootBlame {
  /** The root as written in intent.yaml. */
  root: string;
  /** Its file and line, and the field `discovery.roots[i]`. */
  at: SourceLocation | undefined;
}

/** The root a discovered component was found under, when its path is still the default its folder gave it. */
export function discoveryRootOf(intent: Intent, component: Component): DiscoveryRootBlame | undefined {
  if (component.source !== "discovered" || component.sourcePath === undefined) return undefined;
  const folder = posix.dirname(component.sourcePath);
  if (component.path !== (folder === "." ? "./" : folder)) return undefined;
  let best: { index: number; length: number } | undefined;
  intent.discovery.roots.forEach((raw, index) => {
    const root = normalizeRoots([raw])[0]!;
    const holds = root === "." || component.sourcePath!.startsWith(`${root}/`);
    if (holds && (best === undefined || root.length > best.length)) best = { index, length: root.length };
  });
  if (best === undefined) return undefined;
  return { root: intent.discovery.roots[best.index]!, at: intent.origin?.at(["discovery", "roots", best.index]) };
}
