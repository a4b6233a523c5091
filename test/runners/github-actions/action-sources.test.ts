// Where remote actions come from: the API server named by GITHUB_API_URL or
// derived from GITHUB_SERVER_URL (GitHub Enterprise), and a cache that keeps
// each server's actions apart. Real HTTP on loopback: the GitHub API twin,
// behind a reverse proxy where an enterprise server's `/api/v3` prefix is needed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { githubUrls } from "../../../src/runners/github-actions/github-context.js";
import { GitHubApiTwin } from "../../support/github-api.js";
import { ACTIONS_SRC, makeHarness, makeJob, runJob, tempDir } from "./helpers.js";

/** A GitHub Enterprise Server look-alike: `<url>/api/v3/…` answered by the twin; every path it was asked for is kept. */
class EnterpriseProxy {
  readonly paths: string[] = [];
  url = "";
  private server?: Server;

  constructor(private readonly twin: GitHubApiTwin) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const asked = req.url ?? "/";
      this.paths.push(asked);
      // The API lives under /api/v3; the tarball redirect's codeload path is served as-is.
      const forward = asked.startsWith("/api/v3/") ? asked.slice("/api/v3".length) : asked;
      const upstream = request(`${this.twin.url}${forward}`, { method: req.method, headers: { ...req.headers, host: new URL(this.twin.url).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }
}

/** The remote-probe action with its file.txt saying `text`. */
async function probeSaying(text: string): Promise<string> {
  const dir = await tempDir("probe-src");
  await cp(path.join(ACTIONS_SRC, "remote-probe"), dir, { recursive: true });
  await writeFile(path.join(dir, "file.txt"), `${text}\n`);
  return dir;
}

describe("github-actions runner: where remote actions come from", () => {
  it("derives the API from GITHUB_SERVER_URL as GitHub does, an explicit GITHUB_API_URL winning", () => {
    assert.deepEqual(githubUrls({}), { server_url: "https://github.com", api_url: "https://api.github.com", graphql_url: "https://api.github.com/graphql" });
    assert.deepEqual(githubUrls({ GITHUB_SERVER_URL: "https://ghe.example.com/" }), {
      server_url: "https://ghe.example.com",
      api_url: "https://ghe.example.com/api/v3",
      graphql_url: "https://ghe.example.com/api/graphql",
    });
    assert.deepEqual(githubUrls({ GITHUB_SERVER_URL: "https://octocorp.ghe.com" }), {
      server_url: "https://octocorp.ghe.com",
      api_url: "https://api.octocorp.ghe.com",
      graphql_url: "https://api.octocorp.ghe.com/graphql",
    });
    assert.deepEqual(githubUrls({ GITHUB_SERVER_URL: "https://ghe.example.com", GITHUB_API_URL: "https://api.ghe.example.com/" }), {
      server_url: "https://ghe.example.com",
      api_url: "https://api.ghe.example.com",
      graphql_url: "https://api.ghe.example.com/graphql",
    });
    assert.equal(githubUrls({ GITHUB_API_URL: "https://ghe.example.com/api/v3", GITHUB_GRAPHQL_URL: "https://gql.example.com" }).graphql_url, "https://gql.example.com");
  });

  describe("with an enterprise server", () => {
    let twin: GitHubApiTwin;
    let ghe: EnterpriseProxy;
    before(async () => {
      twin = await new GitHubApiTwin().start();
      ghe = await new EnterpriseProxy(twin).start();
      const src = await probeSaying("served by the enterprise server");
      await twin.publishDir("acme", "probe", "v1", src);
      await rm(src, { recursive: true, force: true });
    });
    after(async () => {
      await ghe.close();
      await twin.close();
    });

    it("fetches remote actions from <GITHUB_SERVER_URL>/api/v3 when only the server is set", async () => {
      const h = await makeHarness({ hostEnv: { GITHUB_SERVER_URL: ghe.url } });
      try {
        const r = await runJob(h, makeJob("svc@dev.ghe", [{ id: "probe", use: "acme/probe@v1" }, { id: "where", run: 'echo "$GITHUB_API_URL|${{ github.api_url }}|${{ github.server_url }}"' }]));
        assert.equal(r.steps[0].error, undefined, r.steps[0].output);
        assert.match(r.steps[0].output, /served by the enterprise server/);
        assert.equal(r.steps[1].output, `${ghe.url}/api/v3|${ghe.url}/api/v3|${ghe.url}`);
        assert.ok(ghe.paths.includes("/api/v3/repos/acme/probe/commits/v1"), ghe.paths.join(" "));
        assert.ok(ghe.paths.some((p) => p.startsWith("/api/v3/repos/acme/probe/tarball/")), ghe.paths.join(" "));
      } finally {
        await h.dispose();
      }
    });
  });
});
