// The help of flags many commands share, written once so every command's
// --help says the same thing, default included.

const WALK_UP = "(default: intent.yaml found walking up from the working directory)";

/** `-i, --intent` of the commands that compile or read the intent. */
export const INTENT_HELP = `intent file ${WALK_UP}`;

/** `-i, --intent` of the commands that read execution records, which live in `.orun/` beside the intent. */
export const RECORDS_INTENT_HELP = `intent file, whose folder's .orun/ holds the records ${WALK_UP}`;

/** `-c, --config-dir`: the v2.3 registry used when the intent declares no composition sources. */
export const CONFIG_DIR_HELP = "legacy composition registry: <type>/job.yaml (JobRegistry) + schema.yaml per type; `*` globs allowed (env ORUN_CONFIG_DIR)";
