// A plan whose metadata.revision is no commit ID (a hand-edited plan file) is refused by the runner before it
// registers a remote run, naming the field as the plan file has it: the backend refuses such a revision too
// (POST /v1/runs), and promotion evidence is kept by commit. A real CLI process against a real backend on loopback.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";
import { api, backendOnStore } from "./helpers.js";
import { spawnOrun } from "./processes.js";

describe("a remote run of a plan whose revision is no commit ID", () => {
  const on = backendOnStore("sqlite", {}, "acme/plan-revision");

  it("is refused before registering, naming metadata.revision and what it must be; nothing runs", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    await writePlan(dir, makePlan([{ id: "api@dev.deploy", steps: [{ run: "touch ran" }] }], { revision: "main", name: "p" }));
    const env = { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "" };
    const r = await spawnOrun(["run", "plan.json", "--remote-state", "--exec-id", "rev-main-1"], { cwd: dir, env }).done;
    assert.equal(r.code, 1, r.output);
    assert.match(
      r.output,
      /✕ plan [0-9a-f]{12}: metadata\.revision "main" is not a commit ID \(40 or 64 lower-case hex digits, as `orun plan` records the commit it compiled in a git checkout\), and remote state keeps promotion evidence by commit: plan again in a clean checkout, or leave metadata\.revision out\n/,
    );
    assert.equal((await api(on.backend.url, on.token, "GET", "/v1/runs/rev-main-1")).status, 404, "no run was registered");
    await assert.rejects(import("node:fs/promises").then((fs) => fs.access(`${dir}/ran`)), "the job did not run");
  });
});
