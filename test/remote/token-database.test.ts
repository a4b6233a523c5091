// The token commands work on the database `orun backend serve` uses. Run in another folder without
// --database, they refused nothing and created an empty .orun/backend.db there: the token went into it and
// the backend refused it ("Invalid or revoked token"). They now refuse a SQLite file that does not exist
// unless the database is named explicitly, and `serve` prints the absolute path of the database it uses.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { killAllChildren, spawnOrun } from "./processes.js";

describe("backend token commands and the backend's database", () => {
  let dir: string;
  const env = { ORUN_BACKEND_DATABASE: "" };
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-token-db-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("token create/list/revoke in a folder without the default database refuse, name its path and create nothing", async () => {
    const folder = await fs.mkdtemp(path.join(dir, "elsewhere-"));
    const expected = path.join(folder, ".orun", "backend.db");
    for (const args of [["create", "--namespace", "local:acme/widgets"], ["list"], ["revoke", "tok_123"]]) {
      const r = await spawnOrun(["backend", "token", ...args], { cwd: folder, env }).done;
      assert.equal(r.code, 1, `${args[0]}: ${r.output}`);
      assert.ok(r.output.includes(`no backend database at ${expected}`), `${args[0]}: ${r.output}`);
      assert.match(r.output, /--database/, args[0]);
    }
    await assert.rejects(fs.stat(path.join(folder, ".orun")), { code: "ENOENT" });
  });

  it("an explicit --database (or ORUN_BACKEND_DATABASE) may name a new file for token create, which is created", async () => {
    const file = path.join(dir, "fresh", "tokens.db");
    const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/widgets", "--database", `sqlite:${file}`], { cwd: dir, env }).done;
    assert.equal(created.code, 0, created.output);
    await fs.stat(file);
    const other = path.join(dir, "fresh", "env.db");
    const byEnv = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/widgets"], { cwd: dir, env: { ORUN_BACKEND_DATABASE: `sqlite:${other}` } }).done;
    assert.equal(byEnv.code, 0, byEnv.output);
    await fs.stat(other);
    const listed = await spawnOrun(["backend", "token", "list", "--database", `sqlite:${file}`], { cwd: dir, env }).done;
    assert.equal(listed.code, 0, listed.output);
    assert.match(listed.output, /tok_\w+\tlocal:acme\/widgets/);
  });

  it("token list and revoke refuse a named SQLite file that does not exist (a typo), name it and its source, and create nothing", async () => {
    const folder = await fs.mkdtemp(path.join(dir, "typo-"));
    const typo = path.join(folder, "bakend.db");
    const cases: { args: string[]; env: Record<string, string>; source: string }[] = [
      { args: ["list", "--database", `sqlite:${typo}`], env, source: "--database" },
      { args: ["revoke", "tok_123", "--database", `sqlite:${typo}`], env, source: "--database" },
      { args: ["list"], env: { ORUN_BACKEND_DATABASE: `sqlite:${typo}` }, source: "ORUN_BACKEND_DATABASE" },
      { args: ["revoke", "tok_123"], env: { ORUN_BACKEND_DATABASE: `sqlite:${typo}` }, source: "ORUN_BACKEND_DATABASE" },
    ];
    for (const { args, env: given, source } of cases) {
      const r = await spawnOrun(["backend", "token", ...args], { cwd: folder, env: given }).done;
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.output}`);
      assert.ok(r.output.includes(`${source}: no backend database at ${typo}`), `${args.join(" ")}: ${r.output}`);
      await assert.rejects(fs.stat(typo), { code: "ENOENT" });
    }
  });

  it("serve prints the absolute database path; token commands in that folder use it by default", async () => {
    const repo = await fs.mkdtemp(path.join(dir, "repo-"));
    // A relative --database is relative to the folder serve runs in: printed absolute.
    const relative = await serveIn(repo, ["--database", "sqlite:state/backend.db"]);
    await relative.stop();
    assert.ok(relative.output.includes(`(database sqlite:${path.join(repo, "state", "backend.db")},`), relative.output);
    // A missing database is made, folders and all, and said to be new: a mistyped path is seen starting from nothing.
    const made = `created a new, empty database ${path.join(repo, "state", "backend.db")} in the new folder ${path.join(repo, "state")}: if you meant an existing one, check the path (--database)\n`;
    assert.ok(relative.output.includes(made), relative.output);
    const again = await serveIn(repo, ["--database", "sqlite:state/backend.db"]);
    await again.stop();
    assert.doesNotMatch(again.output, /created a new/, "an existing database is not new");
    const serve = await serveIn(repo, []);
    try {
      assert.ok(serve.output.includes(`(database sqlite:${path.join(repo, ".orun", "backend.db")},`), serve.output);
      const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/widgets"], { cwd: repo, env }).done;
      assert.equal(created.code, 0, created.output);
      const listed = await spawnOrun(["backend", "token", "list"], { cwd: repo, env }).done;
      assert.equal(listed.code, 0, listed.output);
      assert.match(listed.output, /tok_\w+\tlocal:acme\/widgets/);
    } finally {
      await serve.stop();
    }
  });

  /** `orun backend serve` in `cwd`, once it says it listens. */
  async function serveIn(cwd: string, args: string[]): Promise<{ output: string; stop(): Promise<void> }> {
    const proc = spawnOrun(["backend", "serve", "--port", "0", ...args], { cwd, env });
    await new Promise<void>((resolve, reject) => {
      // The whole line, which the tests read the database from: a pipe read may end inside it.
      proc.child.stdout?.on("data", () => /listening on [^\n]*\n/.test(proc.output()) && resolve());
      void proc.done.then(() => reject(new Error(`serve exited: ${proc.output()}`)));
    });
    return {
      output: proc.output(),
      async stop() {
        proc.child.kill("SIGTERM");
        await proc.done;
      },
    };
  }
});
