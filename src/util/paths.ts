// Path containment, the one way: by path.relative, so `/a/bc` is not inside `/a/b` and a folder named `..x` is.
import path from "node:path";

/** Is `target` the folder `root` or inside it? Both absolute (or both relative to the same folder). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
