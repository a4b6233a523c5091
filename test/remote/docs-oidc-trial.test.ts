// docs/remote-state.md "Trying OIDC without GitHub" works as written: its issuer script (taken from the doc) serves
// discovery, keys and GitHub's token request; `orun backend serve --oidc-issuer … --allow-repo id:123456` trusts it;
// a runner with the doc's three variables runs a plan under remote state and `orun status` reads it; the two refusals
// the doc shows are the ones a user gets. Real processes on loopback.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT } from "../support/cli.js";
import { until } from "../support/wait.js";
import { testDatabase, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan, type BackendProcess } from "./processes.js";

/** The doc's section, and its first fenced block of `lang`. */
async function docBlock(lang: string): Promise<string> {
  const doc = await fs.readFile(path.join(PROJECT_ROOT, "docs/remote-state.md"), "utf8");
  const section = doc.slice(doc.indexOf("### Trying OIDC without GitHub"));
  const block = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section)?.[1];
  assert.ok(block, `docs/remote-state.md's OIDC trial has a ${lang} block`);
  return block;
}

describe("docs/remote-state.md: trying OIDC without GitHub", () => {
  let dir: string | undefined;
  let issuer: ChildProcess | undefined;
  let db: TestDatabase | undefined;
  const backends: BackendProcess[] = [];
  after(async () => {
    issuer?.kill();
    killAllChildren();
    for (const b of backends) await b.stop();
    await db?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("the issuer script, the backend and a runner with the documented variables run a plan; the documented refusals", { timeout: 120_000 }, async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-docs-oidc-"));
    await fs.writeFile(path.join(dir, "dev-oidc-issuer.mjs"), await docBlock("js"));
    const commands = await docBlock("sh");
    // The commands as documented (the port the doc's issuer and backend use aside: these are picked free).
    assert.match(commands, /^node dev-oidc-issuer\.mjs$/m);
    assert.match(commands, /^orun backend serve --database \S+ --oidc-issuer http:\/\/127\.0\.0\.1:8790 --allow-repo id:123456$/m);
    const exported = /^export (GITHUB_ACTIONS=true ACTIONS_ID_TOKEN_REQUEST_URL=http:\/\/127\.0\.0\.1:8790\/token ACTIONS_ID_TOKEN_REQUEST_TOKEN=(\S+))$/m.exec(commands);
    assert.ok(exported, commands);
    assert.match(commands, /^orun run --remote-state --runner local --backend-url http:\/\/127\.0\.0\.1:8787 --exec-id try-1\b/m);

    let printed = "";
    issuer = spawn(process.execPath, ["dev-oidc-issuer.mjs"], { cwd: dir, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] });
    issuer.stdout!.on("data", (d: Buffer) => (printed += d.toString()));
    await until(() => /OIDC issuer (http:\S+), token requests at (\S+)\n/.test(printed), "the issuer to listen", 30_000);
    const [, issuerUrl, tokenUrl] = /OIDC issuer (http:\S+), token requests at (\S+)\n/.exec(printed)!;

    db = (await testDatabase("sqlite"))!;
    const backend = await startBackendProcess(db.url, ["--oidc-issuer", issuerUrl, "--allow-repo", "id:123456"]);
    backends.push(backend);
    // The banner's second line may arrive after the first, which is what the start waits for.
    await until(() => /accepting OIDC tokens from: repository id:123456/.test(backend.proc.output()), "the backend to name its allow-list", 30_000);

    await writePlan(dir, "plan", [{ id: "a@dev.build", run: "echo built-with-oidc" }]);
    const env = { GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: exported[2], ORUN_TOKEN: "", ORUN_BACKEND_URL: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_OIDC_AUDIENCE: "" };
    const ran = await spawnOrun(["run", "plan.json", "--remote-state", "--runner", "local", "--backend-url", backend.url, "--exec-id", "try-1"], { cwd: dir, env }).done;
    assert.equal(ran.code, 0, ran.output);
    const status = ["status", "--exec-id", "try-1", "--remote-state", "--backend-url", backend.url];
    const shown = await spawnOrun(status, { cwd: dir, env }).done;
    assert.equal(shown.code, 0, shown.output);
    assert.match(shown.output, /✓ a@dev\.build +success/);

    const otherAudience = await spawnOrun(status, { cwd: dir, env: { ...env, ORUN_OIDC_AUDIENCE: "other" } }).done;
    assert.equal(otherAudience.code, 1, otherAudience.output);
    assert.ok(otherAudience.output.includes('Invalid claim aud: the token is for audience "other", and this backend requires "orun"'), otherAudience.output);

    await backend.stop();
    const strict = await startBackendProcess(db.url, ["--oidc-issuer", issuerUrl, "--allow-repo", "id:999"]);
    backends.push(strict);
    const notAllowed = await spawnOrun(["status", "--exec-id", "try-1", "--remote-state", "--backend-url", strict.url], { cwd: dir, env }).done;
    assert.equal(notAllowed.code, 1, notAllowed.output);
    assert.ok(notAllowed.output.includes("Repository acme/app is not allowed to use this backend"), notAllowed.output);
  });
});
