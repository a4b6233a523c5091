// docs/getting-started.md's "When something goes wrong" table quotes what orun prints: each quoted `✕`,
// `⚠ warning:`, `⊘` or `sh:` line is reproduced here, and what orun prints must match the quote (`…` and
// `<placeholders>` match any text), so the table cannot drift from the messages it tells a newcomer to look for.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT, runOrun, type CliResult } from "./support/cli.js";
import { copyExample } from "./support/examples.js";

const created: string[] = [];
after(() => Promise.all(created.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-docs-trouble-"));
  created.push(dir);
  return dir;
}

// Unset (spawn leaves out undefined values): the settings a developer's shell may hold.
const NO_REMOTE: NodeJS.ProcessEnv = Object.fromEntries(
  ["ORUN_TOKEN", "ORUN_BACKEND_URL", "ORUN_EXEC_ID", "ORUN_REMOTE_STATE", "ORUN_RUNNER", "ORUN_PLAN_ID", "ORUN_BACKEND_DATABASE"].map((name) => [name, undefined]),
);
const output = (r: CliResult) => r.stdout + r.stderr;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd });
  assert.equal(r.status, 0, r.stderr.toString());
}

/** A one-component repository whose only step uses a bash-only test, as a newcomer's first step might. */
async function bashismRepo(commit: boolean): Promise<string> {
  const dir = await tempDir();
  await mkdir(path.join(dir, "pkg/compositions/t"), { recursive: true });
  await mkdir(path.join(dir, "apps/a"), { recursive: true });
  await writeFile(path.join(dir, "intent.yaml"), "apiVersion: sourceplane.io/v1\nkind: Intent\nmetadata: {name: trouble}\ncompositions:\n  sources: [{name: p, kind: dir, path: ./pkg}]\ndiscovery: {roots: [apps]}\nenvironments:\n  dev: {selectors: {components: [\"*\"]}}\n");
  await writeFile(path.join(dir, "pkg/stack.yaml"), "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: p, version: 0.1.0}\n");
  await writeFile(path.join(dir, "pkg/compositions/t/compositions.yaml"), "apiVersion: sourceplane.io/v1alpha1\nkind: Composition\nmetadata: {name: t}\nspec:\n  type: t\n  defaultJob: j\n  parameterSchema: {type: object}\n  jobs:\n    - name: j\n      steps:\n        - name: s\n          run: '[[ 1 == 1 ]] && echo ok'\n");
  await writeFile(path.join(dir, "apps/a/component.yaml"), "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata: {name: a}\nspec: {type: t}\n");
  await writeFile(path.join(dir, ".gitignore"), ".orun/\n");
  git(dir, "init", "-q");
  if (commit) {
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "trouble");
  }
  return dir;
}

/** What each quoted message's reproduction prints, keyed by a fragment of the quote. */
const reproductions: { fragment: string; run: (quote: string) => Promise<{ printed: string; quote: string }> }[] = [
  {
    fragment: "no intent.yaml found",
    run: async (quote) => ({ printed: output(await runOrun(["plan"], { cwd: await tempDir(), env: NO_REMOTE })), quote }),
  },
  {
    fragment: "the repository has no commit yet",
    run: async (quote) => ({ printed: output(await runOrun(["plan"], { cwd: await bashismRepo(false), env: NO_REMOTE })), quote }),
  },
  {
    fragment: "[[: not found",
    run: async (quote) => ({ printed: output(await runOrun(["run"], { cwd: await bashismRepo(true), env: NO_REMOTE })), quote }),
  },
  {
    fragment: "policy requireApproval",
    run: async (quote) => {
      const repo = await releaseFlow();
      assert.equal((await runOrun(["run", "--trigger", "push-main"], { cwd: repo, env: NO_REMOTE })).code, 0);
      return { printed: output(await runOrun(["run", "--trigger", "release-tag"], { cwd: repo, env: NO_REMOTE })), quote };
    },
  },
  {
    fragment: "promotion gate:",
    run: async (quote) => ({ printed: output(await runOrun(["run", "--trigger", "release-tag", "--approve"], { cwd: await releaseFlow(), env: NO_REMOTE })), quote }),
  },
  {
    fragment: "cannot listen on",
    run: async (quote) => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const port = (taken.address() as net.AddressInfo).port;
      try {
        const r = await runOrun(["backend", "serve", "--port", String(port), "--database", `sqlite:${path.join(await tempDir(), "b.db")}`], { env: NO_REMOTE });
        return { printed: output(r), quote: quote.replace(":8787", `:${port}`) };
      } finally {
        taken.close();
      }
    },
  },
  {
    fragment: "no backend database at",
    run: async (quote) => ({ printed: output(await runOrun(["backend", "token", "create", "--namespace", "local:acme/app"], { cwd: await tempDir(), env: NO_REMOTE })), quote }),
  },
  {
    fragment: "no credentials for the orun backend",
    run: async (quote) => {
      const r = await runOrun(["run", "--remote-state", "--backend-url", "http://127.0.0.1:1", "--exec-id", "t1"], { cwd: await bashismRepo(true), env: NO_REMOTE });
      return { printed: output(r), quote };
    },
  },
];

async function releaseFlow(): Promise<string> {
  const repo = path.join(await tempDir(), "release-flow");
  await copyExample("release-flow", repo);
  git(repo, "init", "-q");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "example");
  return repo;
}

/** The quote as a pattern: `…` and `<placeholder>` match any text on the line. */
function quotePattern(quote: string): RegExp {
  const parts = quote.split(/…|<[^>]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join(".*?"));
}

test("getting-started's troubleshooting table quotes the messages orun prints", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/getting-started.md"), "utf8");
  const start = page.indexOf("## When something goes wrong");
  assert.ok(start >= 0, "the section exists");
  const section = page.slice(start, page.indexOf("\n## ", start + 1));
  const rows = section.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| ---") && !line.startsWith("| you see"));
  const quotes = rows.flatMap((row) => [...row.split(" | ")[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)).filter((q) => /^(?:✕|⚠ warning:|⊘|sh:) /.test(q));
  assert.ok(quotes.length >= 8, `quoted messages: ${quotes.join(" / ")}`);
  for (const quote of quotes) {
    const reproduction = reproductions.find((r) => quote.includes(r.fragment));
    assert.ok(reproduction, `no reproduction for the quoted message ${quote}`);
    const { printed, quote: expected } = await reproduction.run(quote);
    assert.match(printed, quotePattern(expected), `${quote}\n--- printed:\n${printed}`);
  }
});
