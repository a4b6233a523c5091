const core = require("@actions/core");
const fs = require("node:fs");
const path = require("node:path");
const line = `post: started=${core.getState("started")} pre=${core.getState("pre-ran")}`;
console.log(line);
if (process.env.TOOLKIT_POST_LOG) fs.appendFileSync(process.env.TOOLKIT_POST_LOG, `toolkit ${core.getState("started")}\n`);
void path;
