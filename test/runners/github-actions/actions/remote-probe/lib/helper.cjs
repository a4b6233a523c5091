console.log("helper from", require("node:path").basename(__dirname));
