// Uses the real toolkit: inputs, outputs, exportVariable, addPath, setSecret,
// saveState/getState and the job summary.
const core = require("@actions/core");
const path = require("node:path");
const fs = require("node:fs");

const who = core.getInput("who", { required: true });
const greeting = core.getInput("greeting");
const secret = core.getInput("secret");
if (secret) core.setSecret(secret);
core.info(`pre state: ${core.getState("pre-ran") || "none"}`);
core.info(`secret is ${secret}`);
core.setOutput("message", `${greeting} ${who}`);
core.exportVariable("TOOLKIT_GREETING", `${greeting} ${who}`);
const bin = path.join(process.env.RUNNER_TEMP, "toolkit-bin");
fs.mkdirSync(bin, { recursive: true });
fs.writeFileSync(path.join(bin, "toolkit-tool"), "#!/bin/sh\necho tool says hi\n", { mode: 0o755 });
core.addPath(bin);
core.saveState("started", `${who}-state`);
core.warning("careful now");
core.startGroup("details");
core.info("inside group");
core.endGroup();
core.summary.addHeading("Toolkit report").addRaw(`greeted ${who}`).write().then(
  () => undefined,
  (err) => core.setFailed(err.message),
);
