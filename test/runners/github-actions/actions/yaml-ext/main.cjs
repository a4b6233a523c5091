const fs = require("node:fs");
fs.appendFileSync(process.env.GITHUB_OUTPUT, `where=${process.env.GITHUB_ACTION_PATH}\n`);
console.log(`node ${process.version}`);
