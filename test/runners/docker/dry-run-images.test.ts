// `orun run --dry-run --runner docker` shows the image each job would run in and where it came from, and notes a job
// whose runsOn has no Linux image (windows-latest): the run fails that job at start, so its preview must say so
// rather than pass it. The preview reads no engine: it runs without one.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../../src/model/plan.js";
import { runOrun } from "../../support/cli.js";
import { planJob } from "./contexts.js";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function workspace(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-docker-dry-run-"));
  roots.push(dir);
  const plan: Plan = {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: "dry-images" },
    execution: { concurrency: 1, failFast: false },
    spec: {},
    jobs: [
      planJob("app@dev.img", [{ run: "true" }], { runsOn: "alpine:3.20" }),
      planJob("app@dev.lin", [{ run: "true" }], { runsOn: "ubuntu-24.04" }),
      planJob("app@dev.none", [{ run: "true" }]),
      planJob("app@dev.win", [{ run: "true" }], { runsOn: "windows-latest" }),
    ],
  };
  await writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
  return dir;
}

const env = { ORUN_DOCKER_IMAGE: "", ORUN_DOCKER_PULL: "missing", DOCKER_HOST: "unix:///nonexistent/orun-no-engine.sock" };

test("the docker dry-run shows each job's image and where it came from, and notes a runsOn with no Linux image", async () => {
  const dir = await workspace();
  const result = await runOrun(["run", "plan.json", "--dry-run", "--runner", "docker"], { cwd: dir, env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const out = result.stdout;
  assert.match(out, /1\. app@dev\.img\n(?:.*\n)*? {5}image {4}alpine:3\.20 \(runsOn\)\n/, out);
  assert.match(out, /2\. app@dev\.lin\n(?:.*\n)*? {5}image {4}ubuntu:24\.04 \(stands in for runsOn "ubuntu-24\.04"\)\n/, out);
  assert.match(out, /3\. app@dev\.none\n(?:.*\n)*? {5}image {4}ubuntu:22\.04 \(the image for jobs without runsOn\)\n/, out);
  assert.match(out, /4\. app@dev\.win\n(?:.*\n)*? {5}image {4}none\n(?:.*\n)*? {5}note {5}runsOn "windows-latest" has no Linux container image; set runsOn to an image reference or pass --docker-image: the run will fail the job at start\n/, out);
});

test("--docker-image replaces a label's stand-in in the preview, not an image runsOn; --json carries each image", async () => {
  const dir = await workspace();
  const result = await runOrun(["run", "plan.json", "--dry-run", "--runner", "docker", "--docker-image", "ci-tools:1", "--json"], { cwd: dir, env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const preview = (JSON.parse(result.stdout) as { preview: { id: string; image?: string; note?: string }[] }).preview;
  const byId = new Map(preview.map((job) => [job.id, job]));
  assert.equal(byId.get("app@dev.img")?.image, "alpine:3.20");
  assert.equal(byId.get("app@dev.lin")?.image, "ci-tools:1");
  assert.equal(byId.get("app@dev.none")?.image, "ci-tools:1");
  assert.equal(byId.get("app@dev.win")?.image, "ci-tools:1");
  assert.equal(byId.get("app@dev.win")?.note, undefined, "--docker-image stands in for windows-latest too: the run runs it");
});

test("other runners' previews show no image", async () => {
  const dir = await workspace();
  const result = await runOrun(["run", "plan.json", "--dry-run", "--runner", "local"], { cwd: dir, env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.doesNotMatch(result.stdout, / image /, result.stdout);
});
