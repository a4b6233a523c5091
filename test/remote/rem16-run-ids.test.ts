// Reading a remote run by a wrong or hostile run ID. `orun status`/`orun logs` name the run and the backend when
// it has no such run (they said a bare "Run not found (NOT_FOUND)"), and `.`/`..` — dot segments every URL
// parser removes, so `/v1/runs/..` asked `/v1/` and answered "Not found" — are refused before any request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";

describe("status and logs of a run the backend does not have", () => {
  let bed: RemoteTestbed;
  let requests: string[] = [];
  before(async () => {
    bed = await startRemoteTestbed("orun-rem16-ids-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    bed.backend.server.on("request", (req: { url?: string }) => requests.push(req.url ?? ""));
  });
  after(() => bed?.close());

  const read = (args: string[], execId: string) =>
    spawnOrun([...args, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", execId], {
      cwd: bed.dir,
      env: { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" },
    }).done;

  for (const args of [["status"], ["status", "--json"], ["logs"], ["logs", "--follow"]]) {
    it(`orun ${args.join(" ")} names the missing run and the backend`, async () => {
      const r = await read(args, "nightly-42");
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, new RegExp(`✕ remote run nightly-42 not found on the backend at ${bed.backend.url.replace(/\./g, "\\.")} \\(name the run ID its runners printed`));
    });
  }

  for (const id of [".", ".."]) {
    it(`refuses run ID "${id}" before asking the backend anything`, async () => {
      requests = [];
      for (const args of [["status"], ["logs"]]) {
        const r = await read(args, id);
        assert.equal(r.code, 1, r.output);
        assert.match(r.output, new RegExp(`✕ "${id.replace(/\./g, "\\.")}" cannot name a run or job`));
      }
      assert.deepEqual(requests, []);
    });
  }
});
