// The remote runner's own lines (`say` in src/remote/cli.ts, on stderr) quote job IDs from the plan, which accepts
// bidi controls in them, and a backend's reasons, which another backend may fill with escape sequences: each is
// shown escaped (src/util/printable.ts). A scripted backend on loopback, the built CLI as a real process.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

// ESC, BEL, C1, TAB and the bidi controls: none may reach the output raw.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const FAILING = "app@dev.b\u202eroke";

test("a remote runner's lines show a job ID's bidi controls and a backend's reason's escapes as \\u{hex}", async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const at = new URL(req.url ?? "/", "http://x").pathname;
      const failing = at.includes(encodeURIComponent(FAILING));
      const body = at === "/v1/runs"
        ? { runId: "R", status: "running", createdAt: new Date().toISOString() }
        : at.endsWith("/claim")
          ? failing
            ? { claimed: true, leaseMs: 60_000 }
            : { claimed: false, depsBlocked: true, reason: "held\u001b]0;pwn\u0007 by \u001b[31mthe \u202ebackend" }
          : at.includes("/logs/") ? { ok: true, bytes: 1 } : { ok: true };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await planDir(t, [{ id: FAILING, steps: [{ id: "main", run: "exit 3" }] }, { id: "app@dev.held", steps: [{ id: "main", run: "true" }] }], { name: "p" }, "orun-runner-lines-");
  const env = { NO_COLOR: "1", ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "" };
  const run = await runOrun(["run", "plan.json", "--remote-state", "--backend-url", url, "--exec-id", "R"], { cwd: dir, env, timeoutMs: 60_000 });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.doesNotMatch(run.stderr, RAW, JSON.stringify(run.stderr));
  const lines = run.stderr.split("\n");
  assert.ok(lines.some((line) => line.startsWith("✕ job app@dev.b\\u{202e}roke failed in remote run R; ")), run.stderr);
  assert.ok(lines.includes("✕ job app@dev.held will not run: upstream dependencies are blocked or failed (held\\u{1b}]0;pwn\\u{7} by \\u{1b}[31mthe \\u{202e}backend)"), run.stderr);
});
