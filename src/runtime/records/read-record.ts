// Reading a record's own files (state.json, journal.jsonl, metadata.json): only a regular file in the
// record itself. A symbolic link would read (and quote in errors) a file elsewhere, and a FIFO would
// block `orun run`, `status` and `logs` for ever — a record is often restored from a CI artifact, so its
// contents are not to be trusted.
import { OrunError } from "../../util/errors.js";
import { MAX_TEXT_FILE_BYTES, readOwnFile } from "../../util/fs-read.js";

/** A record file's text; undefined when it does not exist. Anything but a regular file is an OrunError naming it. */
export async function readRecordFile(file: string, what: string): Promise<string | undefined> {
  const read = await readOwnFile(file, { maxBytes: MAX_TEXT_FILE_BYTES });
  if (read.kind === "missing") return undefined;
  if (read.kind === "text") return read.text;
  const why = read.reason === "a symbolic link" ? "it is a symbolic link, not a file of the record" : read.code ? read.reason : `it is ${read.reason.replace(/ \(.*\)$/, "")}`;
  throw new OrunError(`cannot read ${what}: ${why}`, { location: { file } });
}
