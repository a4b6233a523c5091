import { appendFileSync } from "node:fs";
const label = process.env.INPUT_LABEL;
appendFileSync(process.env.GITHUB_OUTPUT, `label=${label}\n`);
appendFileSync(process.env.GITHUB_OUTPUT, `multi<<EOF_X\nline one\nline two\nEOF_X\n`);
console.log(`::set-output name=legacy::${label}-legacy`);
console.log(`label=${label} space=${process.env["INPUT_MY_INPUT"] ?? ""} job=${process.env.JOB_MARK} leaked=${process.env.LEAK ?? "none"}`);
console.log(`cwd=${process.cwd()}`);
appendFileSync(process.env.GITHUB_ENV, `LEAK=${process.env.JOB_MARK}\n`);
