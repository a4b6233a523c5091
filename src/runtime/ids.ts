// Execution IDs and the mapping of job/step IDs to file names. Everything
// that becomes a path segment goes through here, so a hostile ID (`../../x`,
// `a/b`, `..`) can never leave the execution folder.
import { createHash, randomBytes } from "node:crypto";
import { OrunError } from "../util/errors.js";
import { quoted } from "../util/printable.js";

const EXEC_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `<name>-<YYYYMMDD>-<6 hex>`; name lower-cased, unsafe characters folded to `-`. */
export function generateExecId(planName: string | undefined, now = new Date()): string {
  const name =
    (planName ?? "")
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-._]+|[-._]+$/g, "")
      .slice(0, 30)
      .replace(/[-._]+$/, "") || "run";
  const date = `${now.getFullYear()}${String(now.getMonth() + 1).padStart(2, "0")}${String(now.getDate()).padStart(2, "0")}`;
  return `${name}-${date}-${randomBytes(3).toString("hex")}`;
}

/** A remote runner's own record of its part in remote run `runId`: `<run>.<6 hex>` (its header's `Local record:`). */
export function runnerRecordId(runId: string): string {
  const safe = runId.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 100) || "remote";
  return `${safe}.${randomBytes(3).toString("hex")}`;
}

/**
 * The run a record ID of runnerRecordId's form names (its ID before `.<6 hex>`, as far as it could be kept), else
 * undefined: generateExecId's IDs never have that form, so a record without it is no remote runner's.
 */
export function runnerRecordRun(execId: string): string | undefined {
  return /^(.+)\.[0-9a-f]{6}$/.exec(execId)?.[1];
}

/**
 * Accepts a user-supplied exec ID (`--exec-id`, ORUN_EXEC_ID) only if it is one safe path segment. Names
 * ending in `.tmp` are orun's own temporary entries in executions/ (listings skip them, gc sweeps some),
 * so a record by such a name would be invisible to status and gc, or removed by gc under a live run.
 */
export function validateExecId(id: string, source: string): string {
  const trimmed = id.trim();
  // executions/latest is the link to the newest record: valid by the rules below, so said apart.
  if (trimmed === "latest") {
    // Cut as the other refusal's: "latest" with 500 tabs after it filled the screen with \u{9}.
    throw new OrunError(`invalid exec id ${quoted(id, 80)} from ${source}: "latest" is reserved for the link to the most recent run; pick another ID`);
  }
  if (!EXEC_ID.test(trimmed) || /^\.+$/.test(trimmed) || trimmed.toLowerCase().endsWith(".tmp")) {
    throw new OrunError(
      // Quoted as \u{hex} and cut: a line break in it split the message, and a long one buried the rule it broke.
      `invalid exec id ${quoted(id, 80)} from ${source}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (no '/' or '..', not ending in .tmp)`,
    );
  }
  return trimmed;
}

/**
 * A job or step ID as a single file-name segment: `/`, `\`, `:` and other
 * unsafe characters become `_`; names made only of dots get a prefix; altered
 * names get a hash suffix. The mapping is deterministic and one-to-one so
 * `orun logs` finds what `orun run` wrote.
 */
export function safeSegment(id: string): string {
  let out = id.replace(/[^A-Za-z0-9@._+=-]/g, "_");
  if (out === "" || /^\.+$/.test(out)) out = `_${out}`;
  if (out.length > 180) out = out.slice(0, 180);
  // Folding is lossy (`a/b` and `a_b` would share one file): a name that had to
  // change carries a short hash of the original, so distinct IDs never collide.
  if (out !== id) out = `${out}~${createHash("sha256").update(id).digest("hex").slice(0, 8)}`;
  return out;
}
