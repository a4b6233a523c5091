// A local twin of the parts of GitHub's REST API the github-actions runner
// uses: `GET /repos/{owner}/{repo}/commits/{ref}` and
// `GET /repos/{owner}/{repo}/tarball/{sha}` (answered, like GitHub, with a
// redirect to a codeload-style URL serving a tar.gz whose entries sit under
// `<owner>-<repo>-<sha7>/`). Tarballs are built with the `tar` package from
// real directories; hand-made entries allow hostile archives. Every request
// is recorded so tests can count API calls.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
}

export interface RawEntry {
  path: string;
  content?: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link";
  linkpath?: string;
  mode?: number;
}

interface Repo {
  refs: Map<string, string>;
  tarballs: Map<string, Buffer>;
}

export class GitHubApiTwin {
  readonly requests: RecordedRequest[] = [];
  /** Delay before answering commit lookups, so concurrent callers overlap. */
  commitDelayMs = 0;
  private readonly repos = new Map<string, Repo>();
  private server?: Server;
  private work?: string;
  url = "";

  async start(): Promise<this> {
    this.work = await mkdtemp(path.join(os.tmpdir(), "orun-github-twin-"));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: String(err) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections?.();
    if (this.work) await rm(this.work, { recursive: true, force: true });
  }

  count(kind: "commits" | "tarball"): number {
    return this.requests.filter((r) => r.path.includes(`/${kind}/`)).length;
  }

  private repo(owner: string, name: string): Repo {
    const key = `${owner}/${name}`.toLowerCase();
    let repo = this.repos.get(key);
    if (!repo) {
      repo = { refs: new Map(), tarballs: new Map() };
      this.repos.set(key, repo);
    }
    return repo;
  }

  /** Publishes a directory as `owner/repo` at `ref`; returns the commit SHA. */
  async publishDir(owner: string, name: string, ref: string, dir: string): Promise<string> {
    const sha = createHash("sha1").update(`${owner}/${name}@${ref}:${dir}:${Date.now()}:${Math.random()}`).digest("hex");
    const prefix = `${owner}-${name}-${sha.slice(0, 7)}`;
    const stage = await mkdtemp(path.join(this.work!, "stage-"));
    await cp(dir, path.join(stage, prefix), { recursive: true, verbatimSymlinks: true });
    const file = path.join(stage, "out.tar.gz");
    await tar.c({ gzip: true, cwd: stage, file, portable: true }, [prefix]);
    const repo = this.repo(owner, name);
    repo.tarballs.set(sha, await readFile(file));
    repo.refs.set(ref, sha);
    await rm(stage, { recursive: true, force: true });
    return sha;
  }

  /** Publishes a hand-made archive (entries as given, no prefix added); returns the commit SHA. */
  publishRaw(owner: string, name: string, ref: string, entries: RawEntry[]): string {
    const sha = createHash("sha1").update(`${owner}/${name}@${ref}:raw:${Math.random()}`).digest("hex");
    const blocks: Buffer[] = [];
    for (const entry of entries) {
      const body = Buffer.from(entry.content ?? "");
      const type = entry.type ?? "File";
      const header = new tar.Header({
        path: entry.path,
        type,
        linkpath: entry.linkpath,
        mode: entry.mode ?? (type === "Directory" ? 0o755 : 0o644),
        size: type === "File" ? body.length : 0,
        mtime: new Date(0),
        uid: 0,
        gid: 0,
      });
      const block = Buffer.alloc(512);
      header.encode(block, 0);
      blocks.push(block);
      if (type === "File" && body.length) {
        blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
      }
    }
    blocks.push(Buffer.alloc(1024));
    const repo = this.repo(owner, name);
    repo.tarballs.set(sha, gzipSync(Buffer.concat(blocks)));
    repo.refs.set(ref, sha);
    return sha;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push({ method: req.method ?? "GET", path: url.pathname, authorization: req.headers.authorization });
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (segments[0] === "repos" && segments.length >= 5 && segments[3] === "commits") {
      const repo = this.repos.get(`${segments[1]}/${segments[2]}`.toLowerCase());
      const ref = segments.slice(4).join("/");
      if (this.commitDelayMs) await new Promise((r) => setTimeout(r, this.commitDelayMs));
      const sha = repo?.refs.get(ref) ?? (repo?.tarballs.has(ref) ? ref : undefined);
      if (!sha) return json(404, { message: "No commit found for SHA: " + ref });
      return json(200, { sha, commit: { message: "twin" } });
    }
    if (segments[0] === "repos" && segments.length === 5 && segments[3] === "tarball") {
      const repo = this.repos.get(`${segments[1]}/${segments[2]}`.toLowerCase());
      if (!repo?.tarballs.has(segments[4])) return json(404, { message: "Not Found" });
      res.writeHead(302, { location: `/_codeload/${segments[1]}/${segments[2]}/legacy.tar.gz/${segments[4]}` });
      return void res.end();
    }
    if (segments[0] === "_codeload" && segments.length === 5) {
      const repo = this.repos.get(`${segments[1]}/${segments[2]}`.toLowerCase());
      const body = repo?.tarballs.get(segments[4]);
      if (!body) return json(404, { message: "Not Found" });
      res.writeHead(200, { "content-type": "application/x-gzip", "content-length": body.length });
      return void res.end(body);
    }
    json(404, { message: "Not Found" });
  }
}
