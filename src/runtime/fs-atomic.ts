// Execution records use the project's one crash-safe writer (src/util/fs-atomic.ts).
export { writeFileAtomic, writeFileAtomicSync } from "../util/fs-atomic.js";

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
