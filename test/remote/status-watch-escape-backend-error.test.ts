// `orun status --watch --remote-state` quotes a backend's error in its `Error fetching remote state: …` line: the
// body of another backend may hold escape sequences (an OSC one retitles the terminal) and bidi controls, shown
// escaped as `orun status` without --watch shows them (src/util/printable.ts). A loopback server answering 400, the
// built CLI as a real process.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { killAllChildren, spawnOrun } from "./processes.js";
import { until } from "../support/wait.js";

// ESC, BEL, C1, TAB and the bidi controls: none may reach the output raw.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test("status --watch shows a backend's error body escaped in its Error fetching remote state line", async (t) => {
  const body = JSON.stringify({ error: "bad\u001b[31m red\u001b]0;pwn\u0007 \u202eevil", code: "BAD_REQUEST" });
  const server = http.createServer((_req, res) => res.writeHead(400, { "content-type": "application/json" }).end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    killAllChildren();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "" };
  const watch = spawnOrun(["status", "--watch", "--remote-state", "--backend-url", url, "--exec-id", "R", "--interval", "200ms"], { env });
  await until(() => /Error fetching remote state: .*polls failed since/.test(watch.output()), "the error line", 30_000);
  watch.child.kill("SIGKILL");
  const output = (await watch.done).output;
  const line = output.split("\n").find((text) => text.startsWith("Error fetching remote state: "))!;
  assert.ok(line.startsWith("Error fetching remote state: bad\\u{1b}[31m red\\u{1b}]0;pwn\\u{7} \\u{202e}evil (BAD_REQUEST) — "), line);
  assert.doesNotMatch(output, RAW, JSON.stringify(output));
});
