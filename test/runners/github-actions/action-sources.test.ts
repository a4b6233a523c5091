// Where remote actions come from: the API server named by GITHUB_API_URL or
// derived from GITHUB_SERVER_URL (GitHub Enterprise), and a cache that keeps
// each server's actions apart. Real HTTP on loopback: the GitHub API twin,
// behind a reverse proxy where an enterprise server's `/api/v3` prefix is needed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { repoCacheDir, serverNamespace } from "../../../src/runners/github-actions/action-cache.js";
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

  describe("with two API servers and one cache", () => {
    let a: GitHubApiTwin;
    let b: GitHubApiTwin;
    let cacheRoot: string;
    before(async () => {
      [a, b] = await Promise.all([new GitHubApiTwin().start(), new GitHubApiTwin().start()]);
      cacheRoot = await tempDir("sources-cache");
      for (const [twin, text] of [[a, "from server A"], [b, "from server B"]] as const) {
        const src = await probeSaying(text);
        await twin.publishDir("acme", "tool", "v1", src);
        await twin.publishDir("Acme", "NodeAct", "v1", src);
        await rm(src, { recursive: true, force: true });
      }
    });
    after(async () => {
      await Promise.all([a.close(), b.close()]);
      await rm(cacheRoot, { recursive: true, force: true });
    });

    /** Ref lookups and downloads each server answered so far. */
    const requests = (): string[] => [a, b].map((twin) => `${twin.count("commits")} lookups, ${twin.count("tarball")} downloads`);
    async function runWith(twin: GitHubApiTwin, uses: string[]): Promise<string[]> {
      const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: { GITHUB_API_URL: twin.url } });
      try {
        const runs = await Promise.all(uses.map((use, i) => runJob(h, makeJob(`svc-${i}@dev.tool`, [{ id: "probe", use }]))));
        return runs.map((r) => {
          assert.equal(r.steps[0].error, undefined, r.steps[0].output);
          return r.steps[0].output.split("\n")[0];
        });
      } finally {
        await h.dispose();
      }
    }

    it("never serves one server's cached action for another's", async () => {
      assert.deepEqual(await runWith(a, ["acme/tool@v1"]), ["from server A"]);
      assert.deepEqual(requests()[1], "0 lookups, 0 downloads");
      assert.deepEqual(await runWith(b, ["acme/tool@v1"]), ["from server B"]);
      assert.equal(requests()[1], "1 lookups, 1 downloads", "server B asked for the ref and the tarball");
      const seen = requests();
      assert.deepEqual(await runWith(a, ["acme/tool@v1"]), ["from server A"], "server A's copy still cached");
      assert.deepEqual(requests(), seen, "both now served from disk");
      const [dirA, dirB] = [repoCacheDir(cacheRoot, a.url, "acme", "tool"), repoCacheDir(cacheRoot, b.url, "acme", "tool")];
      assert.notEqual(dirA, dirB);
      assert.notEqual((await readFile(path.join(dirA, "refs/v1"), "utf8")).trim(), (await readFile(path.join(dirB, "refs/v1"), "utf8")).trim());
      assert.equal(path.relative(cacheRoot, dirA), path.join(`@127.0.0.1_${new URL(a.url).port}`, "acme", "tool"));
    });

    it("keeps api.github.com's actions at <root>/<owner>/<repo>, other servers under @<host>", () => {
      assert.equal(serverNamespace("https://api.github.com"), "");
      assert.equal(serverNamespace("https://api.github.com/"), "");
      assert.equal(serverNamespace("https://GHE.example.com/api/v3/"), "@ghe.example.com_api_v3");
      assert.equal(serverNamespace("http://127.0.0.1:8080"), "@127.0.0.1_8080");
      assert.equal(repoCacheDir("/c", "https://api.github.com", "Actions", "Setup-Node"), path.join("/c", "actions", "setup-node"));
    });

    it("caches and downloads owner/repo once whatever its letter case", async () => {
      const [lookups, downloads] = [a.count("commits"), a.count("tarball")];
      const outputs = await runWith(a, ["Acme/NodeAct@v1", "acme/nodeact@v1", "ACME/NODEACT@v1"]);
      assert.deepEqual(outputs, ["from server A", "from server A", "from server A"]);
      assert.deepEqual([a.count("commits") - lookups, a.count("tarball") - downloads], [1, 1], "one ref lookup and one download for three spellings");
      const seen = requests();
      assert.deepEqual(await runWith(a, ["aCmE/nOdEaCt@v1"]), ["from server A"]);
      assert.deepEqual(requests(), seen, "another spelling in a later run is served from disk");
      assert.deepEqual(await readdir(path.join(cacheRoot, serverNamespace(a.url))), ["acme"]);
      assert.deepEqual((await readdir(path.join(cacheRoot, serverNamespace(a.url), "acme"))).sort(), ["nodeact", "tool"]);
    });

    it("looks a ref up again once its cached version was pruned (orun gc --actions): a tag moved meanwhile brings its new commit", async () => {
      const publish = async (text: string): Promise<string> => {
        const src = await probeSaying(text);
        try {
          return await a.publishDir("acme", "moving", "v1", src);
        } finally {
          await rm(src, { recursive: true, force: true });
        }
      };
      const first = await publish("first commit");
      assert.deepEqual(await runWith(a, ["acme/moving@v1"]), ["first commit"]);
      const second = await publish("second commit");
      assert.deepEqual(await runWith(a, ["acme/moving@v1"]), ["first commit"], "the cached ref serves while its version is cached");
      const repoDir = repoCacheDir(cacheRoot, a.url, "acme", "moving");
      await rm(path.join(repoDir, first), { recursive: true, force: true });
      assert.deepEqual(await runWith(a, ["acme/moving@v1"]), ["second commit"]);
      assert.equal((await readFile(path.join(repoDir, "refs/v1"), "utf8")).trim(), second);
    });

    it("a ref lookup that failed is tried again by the next step of the same run", async () => {
      const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: { GITHUB_API_URL: a.url } });
      try {
        await assert.rejects(runJob(h, makeJob("svc@dev.early", [{ id: "probe", use: "acme/later@v1" }])), /resolve acme\/later@v1: .* answered 404/, "v1 is not published yet");
        const src = await probeSaying("published since");
        await a.publishDir("acme", "later", "v1", src);
        await rm(src, { recursive: true, force: true });
        const found = await runJob(h, makeJob("svc@dev.late", [{ id: "probe", use: "acme/later@v1" }]));
        assert.equal(found.steps[0].error, undefined, found.steps[0].output);
        assert.equal(found.steps[0].output.split("\n")[0], "published since");
      } finally {
        await h.dispose();
      }
    });
  });
});
