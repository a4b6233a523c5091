#!/usr/bin/env node
import { handleClosedOutput } from "./closed-output.js";
import { main } from "./main.js";
import { printable } from "../util/printable.js";

handleClosedOutput();

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`✕ ${printable(err instanceof Error ? err.message : String(err), { keepLineBreaks: true })}\n`);
    process.exitCode = 1;
  },
);
