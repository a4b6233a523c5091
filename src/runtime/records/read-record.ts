// Reading a record's own files (state.json, journal.jsonl, metadata.json): only a regular file in the
// record itself. A symbolic link would read (and quote in errors) a file elsewhere, and a FIFO would
// block `orun run`, `status` and `logs` for ever — a record is often restored from a CI artifact, so its
// contents are not to be trusted.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { OrunError, errorMessage } from "../../util/errors.js";

/** A record file's text; undefined when it does not exist. Anything but a regular file is an OrunError naming it. */
export async function readRecordFile(file: string, what: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    const why = code === "ELOOP" ? "it is a symbolic link, not a file of the record" : errorMessage(err);
    throw new OrunError(`cannot read ${what}: ${why}`, { location: { file } });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new OrunError(`cannot read ${what}: ${stat.isDirectory() ? "it is a directory" : "it is not a regular file"}`, { location: { file } });
    return await handle.readFile("utf8");
  } catch (err) {
    if (err instanceof OrunError) throw err;
    throw new OrunError(`cannot read ${what}: ${errorMessage(err)}`, { location: { file } });
  } finally {
    await handle.close();
  }
}
