// How a remote runner's printed commands name the plan (src/runtime/plan-reference.ts): as the runner was given it.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { absoluteDir, carriedEnv, carriedFlags, planReference, printedBackendUrl } from "../../src/runtime/plan-reference.js";
import type { Plan } from "../../src/model/plan.js";

describe("planReference", () => {
  let dir: string;
  const plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p", checksum: "sha256-0123456789abcdef0123" }, spec: {}, jobs: [] } as unknown as Plan;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-plan-ref-"));
    await fs.mkdir(path.join(dir, "sub"));
    for (const name of ["sub/p.json", "plan file.json", "noext"]) await fs.writeFile(path.join(dir, name), "{}");
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("a plan file: relative to cwd when shorter, else absolute; quoted as one shell word; never read as a stored plan's name or an option", () => {
    const file = (name: string): string => path.join(dir, name);
    assert.equal(planReference("./sub/p.json", plan, dir, file("sub/p.json")), "sub/p.json");
    assert.equal(planReference(file("sub/p.json"), plan, dir, file("sub/p.json")), "sub/p.json");
    assert.equal(planReference(file("sub/p.json"), plan, "/", file("sub/p.json")), file("sub/p.json").slice(1));
    const deep = path.join(dir, "sub", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    assert.equal(planReference(file("sub/p.json"), plan, deep, file("sub/p.json")), file("sub/p.json"));
    assert.equal(planReference("plan file.json", plan, dir, file("plan file.json")), "'plan file.json'");
    assert.equal(planReference("noext", plan, dir, file("noext")), "./noext");
    assert.equal(planReference("-dash.json", plan, dir, file("-dash.json")), "./-dash.json");
    assert.equal(planReference("nl\nx.json", plan, dir, file("nl\nx.json")), `"$(printf 'nl\\012x.json')"`);
    // A local run's resume: always absolute (pasted in another folder, a relative path names another file).
    assert.equal(planReference("./sub/p.json", plan, dir, file("sub/p.json"), { absolute: true }), file("sub/p.json"));
  });

  it("a stored plan or component by name as given, even beside a file of that name; latest as the plan's ID; none for a fresh plan", () => {
    const stored = path.join(dir, ".orun", "plans", "noext.json");
    assert.equal(planReference("noext", plan, dir, stored), "noext");
    assert.equal(planReference("noext", plan, dir, undefined), "noext");
    assert.equal(planReference("remote-e2e", plan, dir, undefined), "remote-e2e");
    assert.equal(planReference("0123456789ab", plan, dir, undefined), "0123456789ab");
    assert.equal(planReference("latest", plan, dir, path.join(dir, ".orun", "plans", "latest.json")), "0123456789ab");
    assert.equal(planReference(undefined, plan, dir, undefined), "");
    assert.equal(planReference("  ", plan, dir, undefined), "");
  });
});

describe("carriedFlags", () => {
  it("repeats the flags that choose the plan, the backend and the runner, each value one shell word", () => {
    assert.equal(carriedFlags({}, true), "");
    const options = { intent: "ci/intent.yaml", env: ["dev", "prod*"], component: ["api"], backendUrl: "http://127.0.0.1:8787", gha: true, runner: "local", approve: true, workdir: "my dir" };
    assert.equal(carriedFlags(options, true), "-i ci/intent.yaml -e dev -e 'prod*' --component api --backend-url http://127.0.0.1:8787 --gha --approve --workdir 'my dir'");
    // Of a given plan, -e/--component only filter jobs: the command names its job with --job.
    assert.equal(carriedFlags(options, false), "-i ci/intent.yaml --backend-url http://127.0.0.1:8787 --gha --approve --workdir 'my dir'");
    assert.equal(carriedFlags({ runner: "docker", dockerImage: "node:20", pull: "missing", configDir: "legacy" }, false), "--config-dir legacy --runner docker --docker-image node:20 --pull missing");
    // Values orun reads trimmed are repeated trimmed: quoted, a trailing newline split the printed command in two.
    assert.equal(carriedFlags({ env: ["dev\n"], runner: "docker\n", dockerImage: "node:20\n", pull: "never\n", backendUrl: "http://h\n" }, true), "-e dev --backend-url http://h --runner docker --docker-image node:20 --pull never");
  });
});

describe("absoluteDir", () => {
  it("a directory as an absolute path, ending in /. when its name ends in a newline (no shell word ends in one on one line)", () => {
    assert.equal(absoluteDir("/a/b", "../wd"), "/a/wd");
    assert.equal(absoluteDir("/a/b", "/x y"), "/x y");
    assert.equal(absoluteDir("/a/b", "wd\n"), "/a/b/wd\n/.");
  });
});

describe("carriedEnv", () => {
  const env = { ORUN_CONFIG_DIR: "legacy dir", ORUN_DOCKER_IMAGE: "node:20", ORUN_DOCKER_PULL: "never", ORUN_DOCKER_USER: "image", ORUN_BACKEND_URL: "http://127.0.0.1:8787", ORUN_TOKEN: "secret", ORUN_RUNNER: "docker" };
  it("repeats the ORUN_* settings that change what the command does, as NAME=value words, only where they apply", () => {
    const all = { compiles: true, docker: true };
    assert.equal(carriedEnv({}, env, all), "ORUN_CONFIG_DIR='legacy dir' ORUN_DOCKER_IMAGE=node:20 ORUN_DOCKER_PULL=never ORUN_DOCKER_USER=image");
    assert.equal(carriedEnv({}, env, { compiles: false, docker: false }), "");
    // A flag wins over its variable, and is repeated as a flag.
    assert.equal(carriedEnv({ configDir: "c", dockerImage: "alpine", pull: "missing" }, env, all), "ORUN_DOCKER_USER=image");
    // Unset or blank: nothing.
    assert.equal(carriedEnv({}, { ORUN_DOCKER_IMAGE: " ", ORUN_DOCKER_PULL: "" }, all), "");
    // The docker settings are read trimmed: repeated so, on one line.
    assert.equal(carriedEnv({}, { ORUN_DOCKER_IMAGE: "node:20\n", ORUN_DOCKER_USER: "1000\n" }, all), "ORUN_DOCKER_IMAGE=node:20 ORUN_DOCKER_USER=1000");
  });
});

// A URL's password is a secret: the retry commands repeat ORUN_BACKEND_URL as --backend-url, but never with it.
describe("printedBackendUrl", () => {
  it("repeats a backend URL as given, without the password it holds", () => {
    assert.equal(printedBackendUrl("http://127.0.0.1:8787"), "http://127.0.0.1:8787");
    assert.equal(printedBackendUrl(" https://orun.example/api "), "https://orun.example/api");
    assert.equal(printedBackendUrl("https://ci:s3cret@orun.example:8443/api"), "https://ci@orun.example:8443/api");
    assert.doesNotMatch(printedBackendUrl("http://:s3cret@orun.example") ?? "", /s3cret/);
    assert.equal(printedBackendUrl(undefined), undefined);
    assert.equal(printedBackendUrl(" "), undefined);
  });
});
