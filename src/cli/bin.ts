#!/usr/bin/env node
import { handleClosedOutput } from "./closed-output.js";
import { main } from "./main.js";

handleClosedOutput();

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`✕ ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
