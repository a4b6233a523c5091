// `orun backend serve` timing flags: values that would break coordination
// (a 0 lease hands a healthy job to a duplicate runner at once; a 0 sweep
// interval spins) are refused before anything starts, naming the flag.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../../support/cli.js";
import { testDatabase, type TestDatabase } from "../helpers.js";
import { killAllChildren, startBackendProcess } from "../processes.js";

describe("orun backend serve: timing flags", () => {
  let db: TestDatabase;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
  });
  after(async () => {
    killAllChildren();
    await db?.cleanup();
  });

  it("refuses a lease, sweep interval, retention or retry grace below its minimum, naming the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--lease-timeout", "0"], /--lease-timeout 0: must be at least 5s/],
      [["--lease-timeout", "4999ms"], /--lease-timeout 4999ms: must be at least 5s/],
      [["--sweep-interval", "0"], /--sweep-interval 0: must be at least 100ms/],
      [["--sweep-interval", "50ms"], /--sweep-interval 50ms: must be at least 100ms/],
      [["--retention", "0s"], /--retention 0s: must be at least 1m/],
      [["--retention", "2d", "--evidence-retention", "1d"], /--evidence-retention 1d: must be at least --retention \(2d\)/],
      [["--evidence-retention", "later"], /--evidence-retention: invalid duration "later"/],
      [["--retry-grace", "0"], /--retry-grace 0: must be at least 1s/],
      [["--retry-grace", "soon"], /--retry-grace: invalid duration "soon"/],
      // A burst of 0 answers every request 429: a backend no runner can use.
      [["--rate-limit", "0/100"], /--rate-limit: expected BURST\/PER_SECOND \(e\.g\. 200\/100\), got "0\/100"/],
      [["--rate-limit", "200/0"], /--rate-limit: expected BURST\/PER_SECOND \(e\.g\. 200\/100\), got "200\/0"/],
      [["--auth-failure-limit", "0/10"], /--auth-failure-limit: expected BURST\/PER_SECOND \(e\.g\. 100\/10\) or off, got "0\/10"/],
      [["--request-timeout", "500ms"], /--request-timeout 500ms: must be at least 1s/],
      [["--max-connections", "0"], /--max-connections: expected at least 1 connection, got "0"/],
    ];
    const results = await Promise.all(cases.map(([args]) => runOrun(["backend", "serve", "--port", "0", "--database", db.url, ...args], { timeoutMs: 30_000 })));
    results.forEach((res, i) => {
      const [args, message] = cases[i]!;
      assert.equal(res.code, 1, `${args.join(" ")}: exits on its own with an error (${res.stdout}${res.stderr})`);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stdout, /listening/);
    });
  });

  // Off unless asked for: behind a reverse proxy every client has the proxy's address, so a default limit would let
  // anyone's bad tokens hold off every runner arriving there with a new token.
  for (const args of [[], ["--auth-failure-limit", "off"]]) {
    it(`${args.length ? args.join(" ") : "no --auth-failure-limit"}: every bad token is answered 401, however many`, async () => {
      const server = await startBackendProcess(db.url, [...args, "--rate-limit", "1/1"]);
      try {
        const statuses = [];
        for (let i = 0; i < 120; i++) statuses.push((await fetch(`${server.url}/v1/runs/r`, { headers: { Authorization: `Bearer orun_bad${i}` } })).status);
        assert.deepEqual([...new Set(statuses)], [401]);
      } finally {
        await server.stop();
      }
    });
  }

  it("--auth-failure-limit 3/0.01 answers a fourth bad token from one address 429", async () => {
    const server = await startBackendProcess(db.url, ["--auth-failure-limit", "3/0.01"]);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${server.url}/v1/runs/r`, { headers: { Authorization: `Bearer orun_bad${i}` } })).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await server.stop();
    }
  });

  it("a --retention longer than the default evidence retention raises it instead of refusing to start", async () => {
    const server = await startBackendProcess(db.url, ["--retention", "200d"]);
    try {
      assert.equal((await fetch(`${server.url}/`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  it("starts with the minimums themselves", async () => {
    const server = await startBackendProcess(db.url, ["--lease-timeout", "5s", "--sweep-interval", "100ms", "--retention", "1m", "--request-timeout", "1s", "--max-connections", "1"]);
    try {
      assert.equal((await fetch(`${server.url}/`)).status, 200);
    } finally {
      await server.stop();
    }
  });
});
