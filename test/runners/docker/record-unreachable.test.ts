// A step in a job container cannot reach the execution record through the workspace mount: the record
// (`.orun`) is mounted read-only over its place in /workspace, and the folders between /workspace and it are
// pinned (mount points cannot be renamed or removed). Regression (aud17dock #1): a step could forge other
// jobs' state and logs, and swap record folders for links that orun then wrote through.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../../src/model/plan.js";
import { recordFolder, recordMask, type RecordMount } from "../../../src/runners/docker/record-mask.js";
import { runOrun } from "../../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { planJob } from "./contexts.js";

const availability = await provideContainerEngine();

function plan(name: string, jobs: Plan["jobs"]): Plan {
  return { apiVersion: PLAN_API_VERSION, kind: PLAN_KIND, metadata: { name }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs };
}

interface Status {
  state: { jobs: Record<string, { status: string; steps: Record<string, string> }> };
}

const roots: string[] = [];
const tempRoot = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-record-unreachable-"));
  roots.push(dir);
  return dir;
};

after(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the execution record inside a docker job container", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  const env = () => ({ ...engine.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" });
  const execIds: string[] = [];

  after(async () => {
    for (const execId of execIds) {
      const listed = await docker(engine, ["ps", "--all", "--quiet", "--filter", `label=io.orun.exec-id=${execId}`]);
      const ids = listed.stdout.split("\n").filter(Boolean);
      if (ids.length) await docker(engine, ["rm", "--force", ...ids]);
    }
  });

  it("cannot be forged, moved or swapped for links by a step; the record stays valid and status tells the truth", async () => {
    const root = await tempRoot();
    const dir = path.join(root, "ws");
    const elsewhere = path.join(root, "elsewhere");
    await mkdir(dir);
    await mkdir(elsewhere);
    const execId = `record-forge-${process.pid}`;
    execIds.push(execId);
    const record = `/workspace/.orun/executions/${execId}`;
    // Every attempt may fail; the step goes on and says which ones got through.
    const attempts = [
      `printf '{"jobs":{}}' > ${record}/state.json`,
      `echo forged > ${record}/logs/app@dev.a/s1.log`,
      `echo forged > ${record}/metadata.json`,
      `ln -s /workspace/planted ${record}/logs/app@dev.c`,
      `mv ${record}/tmp/docker ${record}/tmp/docker.old`,
      `mkdir -p /workspace/.orun/plans/forged`,
      `mv /workspace/.orun /workspace/moved`,
      `rm -rf /workspace/.orun`,
      `ln -s /workspace/planted /workspace/.orun`,
      `ln -sfn /workspace/planted /workspace/.orun`,
      `mv /workspace /workspace-moved`,
    ];
    const hostile = attempts.map((attempt) => `if ${attempt} 2>/dev/null; then echo "GOT THROUGH: ${attempt.replace(/"/g, "")}"; fi`).join("\n");
    const jobs = [
      planJob("app@dev.a", [{ id: "s1", run: "echo a-output; mkdir -p out && echo built > out/a.txt" }]),
      planJob("app@dev.b", [{ id: "s1", run: `mkdir -p planted\n${hostile}\necho b-done > out/b.txt` }], { dependsOn: ["app@dev.a"] }),
      planJob("app@dev.c", [{ id: "s1", run: "echo c-output; cat out/a.txt out/b.txt" }], { dependsOn: ["app@dev.b"] }),
    ];
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan("record-forge", jobs)));
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", execId, "--verbose"], { cwd: dir, env: env(), timeoutMs: 120_000 });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, output);
    assert.doesNotMatch(output, /GOT THROUGH/, "every attempt on the record failed");
    // Legitimate writes to the workspace went through.
    assert.equal(await readFile(path.join(dir, "out/a.txt"), "utf8"), "built\n");
    assert.equal(await readFile(path.join(dir, "out/b.txt"), "utf8"), "b-done\n");

    const orunDir = path.join(dir, ".orun");
    assert.ok((await lstat(orunDir)).isDirectory(), ".orun is still the real folder");
    assert.deepEqual(await readdir(path.join(dir, "planted")), [], "nothing was written through a planted link");
    assert.equal((await lstat(path.join(orunDir, "executions", execId, "logs", "app@dev.c"))).isDirectory(), true);
    const state = JSON.parse(await readFile(path.join(orunDir, "executions", execId, "state.json"), "utf8")) as Status["state"];
    assert.deepEqual(Object.fromEntries(Object.entries(state.jobs).map(([id, job]) => [id, job.status])), {
      "app@dev.a": "completed",
      "app@dev.b": "completed",
      "app@dev.c": "completed",
    });
    const metadata = JSON.parse(await readFile(path.join(orunDir, "executions", execId, "metadata.json"), "utf8")) as { status: string };
    assert.equal(metadata.status, "completed");
    assert.match(await readFile(path.join(orunDir, "executions", execId, "logs", "app@dev.a", "s1.log"), "utf8"), /a-output/);
    assert.doesNotMatch(await readFile(path.join(orunDir, "executions", execId, "logs", "app@dev.a", "s1.log"), "utf8"), /forged/);

    const status = await runOrun(["status", "--exec-id", execId, "--json"], { cwd: dir });
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as Status;
    assert.deepEqual(Object.values(shown.state.jobs).map((job) => job.status), ["completed", "completed", "completed"]);
    const logs = await runOrun(["logs", "--exec-id", execId, "--job", "app@dev.c", "--raw"], { cwd: dir });
    assert.match(logs.stdout, /c-output\nbuilt\nb-done/);
  });

  it("with --workdir above the store, the record stays pinned in place and the folders around it writable", async () => {
    const root = await tempRoot();
    const app = path.join(root, "ws", "app");
    await mkdir(app, { recursive: true });
    const execId = `record-workdir-${process.pid}`;
    execIds.push(execId);
    const jobs = [
      planJob("app@dev.build", [
        {
          id: "s1",
          run: [
            "echo top > top.txt && echo inside > app/inside.txt && mkdir -p app/dist && echo d > app/dist/x",
            "mv app app-moved 2>/dev/null && echo GOT THROUGH: mv app",
            "rm -rf app 2>/dev/null; [ -d app/.orun/executions ] || echo GOT THROUGH: rm app",
            `echo forged > app/.orun/executions/${execId}/state.json 2>/dev/null && echo GOT THROUGH: state`,
            "true",
          ].join("\n"),
        },
      ]),
    ];
    await writeFile(path.join(app, "plan.json"), JSON.stringify(plan("record-workdir", jobs)));
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--workdir", "..", "--exec-id", execId, "--verbose"], { cwd: app, env: env(), timeoutMs: 120_000 });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, output);
    assert.doesNotMatch(output, /GOT THROUGH/);
    assert.equal(await readFile(path.join(root, "ws", "top.txt"), "utf8"), "top\n");
    // rm -rf removed what it could in app/ (the step's own files), never the record or the pinned folder.
    const state = JSON.parse(await readFile(path.join(app, ".orun", "executions", execId, "state.json"), "utf8")) as Status["state"];
    assert.equal(state.jobs["app@dev.build"]?.status, "completed");
  });

  it("a .orun that is a link inside the workspace is masked where it really is, and orun warns that the link is exposed", async () => {
    const root = await tempRoot();
    const dir = path.join(root, "ws");
    await mkdir(path.join(dir, "state", "orun"), { recursive: true });
    await symlink("state/orun", path.join(dir, ".orun"));
    const execId = `record-link-${process.pid}`;
    execIds.push(execId);
    const jobs = [
      planJob("app@dev.a", [{ id: "s1", run: `echo forged > state/orun/executions/${execId}/state.json 2>/dev/null && echo GOT THROUGH; echo x > state/ok` }]),
      planJob("app@dev.b", [{ id: "s1", run: "true" }], { dependsOn: ["app@dev.a"] }),
    ];
    await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan("record-link", jobs)));
    const result = await runOrun(["run", "plan.json", "--runner", "docker", "--exec-id", execId, "--verbose"], { cwd: dir, env: env(), timeoutMs: 120_000 });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, output);
    assert.doesNotMatch(output, /GOT THROUGH/);
    assert.equal(await readFile(path.join(dir, "state", "ok"), "utf8"), "x\n", "the folder around the record stays writable");
    const warnings = result.stderr.match(/the execution record is reached through the link .*\/ws\/\.orun inside the workspace/g) ?? [];
    assert.equal(warnings.length, 1, `warned once for the two jobs: ${result.stderr}`);
    const state = JSON.parse(await readFile(path.join(dir, "state", "orun", "executions", execId, "state.json"), "utf8")) as Status["state"];
    assert.equal(state.jobs["app@dev.a"]?.status, "completed");
  });
});

/** The mask's mounts and link, failing on an error. */
function masked(workspace: string, record: string): { mounts: RecordMount[]; exposedLink?: string } {
  const mask = recordMask(workspace, record);
  if (mask.error !== undefined) assert.fail(mask.error);
  return mask;
}

describe("recordMask", () => {
  it("masks the store's .orun read-only and pins each folder between the workspace and it", async () => {
    const ws = await tempRoot();
    const orun = path.join(ws, "a", "b", ".orun");
    const scratch = path.join(orun, "executions", "x", "tmp");
    await mkdir(scratch, { recursive: true });
    assert.equal(recordFolder(scratch), orun);
    const mask = masked(ws, recordFolder(scratch));
    assert.deepEqual(mask.mounts, [
      { hostDir: path.join(ws, "a"), target: "/workspace/a", readOnly: false },
      { hostDir: path.join(ws, "a", "b"), target: "/workspace/a/b", readOnly: false },
      { hostDir: orun, target: "/workspace/a/b/.orun", readOnly: true },
    ]);
    assert.equal(mask.exposedLink, undefined);
  });

  it("needs no mounts for a record outside the workspace; refuses a workspace inside the record", async () => {
    const root = await tempRoot();
    const ws = path.join(root, "ws");
    const orun = path.join(root, "store", ".orun");
    await mkdir(ws);
    await mkdir(path.join(orun, "executions", "x"), { recursive: true });
    assert.deepEqual(masked(ws, orun).mounts, []);
    assert.match(recordMask(path.join(orun, "executions", "x"), orun).error ?? "", /the workspace .* is inside the execution record/);
    assert.match(recordMask(orun, orun).error ?? "", /inside the execution record/);
  });

  it("a scratch folder outside any .orun is masked itself", () => {
    assert.equal(recordFolder("/tmp/ws/.orun-scratch"), "/tmp/ws/.orun-scratch");
  });

  it("masks where a linked .orun really is, and names the link a step could replace", async () => {
    const ws = await tempRoot();
    await mkdir(path.join(ws, "state", "orun"), { recursive: true });
    await symlink("state/orun", path.join(ws, ".orun"));
    const mask = masked(ws, path.join(ws, ".orun"));
    assert.deepEqual(mask.mounts, [
      { hostDir: path.join(ws, "state"), target: "/workspace/state", readOnly: false },
      { hostDir: path.join(ws, "state", "orun"), target: "/workspace/state/orun", readOnly: true },
    ]);
    assert.equal(mask.exposedLink, path.join(ws, ".orun"));
    // A link outside the workspace cannot be reached by steps.
    const other = await tempRoot();
    await symlink(path.join(ws, "state", "orun"), path.join(other, ".orun"));
    assert.equal(masked(ws, path.join(other, ".orun")).exposedLink, undefined);
  });
});
