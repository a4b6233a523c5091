const core = require("@actions/core");
core.saveState("pre-ran", "yes");
console.log("pre for " + core.getInput("who"));
