// findJob, the job lookup of `orun describe job` / `orun get jobs <ref>`: exact IDs in either form, prefixes that
// end at a part boundary before bare prefixes, and ambiguity refused with the matches named (mut30's PL3, PL5).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { PlanJob } from "../../src/model/plan.js";
import { findJob } from "../../src/cli/commands/plan-actions.js";
import { OrunError } from "../../src/util/errors.js";

const jobs = (...ids: string[]): PlanJob[] =>
  ids.map((id) => {
    const [component, rest] = id.split("@") as [string, string];
    const [environment, name] = rest.split(".") as [string, string];
    return { id, name, component, environment, steps: [] } as unknown as PlanJob;
  });

const idOf = (all: PlanJob[], ref: string): string | undefined => findJob(all, ref)?.id;

describe("findJob", () => {
  test("an exact ID wins in either form, even when it is a prefix of others", () => {
    const all = jobs("api@dev.build", "api@dev.build-image", "api@prod.build");
    assert.equal(idOf(all, "api@dev.build"), "api@dev.build");
    assert.equal(idOf(all, "api.dev.build"), "api@dev.build");
  });

  test("a prefix ending at a part boundary is not matched by an environment that only starts with it", () => {
    // `api.dev` is api@dev; api@dev-eu only shares its first letters: counting it would make the ref ambiguous.
    const all = jobs("api@dev.deploy", "api@dev-eu.deploy");
    assert.equal(idOf(all, "api.dev"), "api@dev.deploy");
    assert.equal(idOf(all, "api@dev"), "api@dev.deploy");
    assert.equal(idOf(all, "api@dev-eu"), "api@dev-eu.deploy");
  });

  test("a component prefix prefers the component over a longer name sharing its letters", () => {
    const all = jobs("api@dev.build", "api-gw@dev.build");
    assert.equal(idOf(all, "api"), "api@dev.build");
    assert.equal(idOf(all, "api-"), "api-gw@dev.build");
  });

  test("no match is undefined, not an error", () => {
    assert.equal(idOf(jobs("api@dev.build"), "web"), undefined);
  });

  test("a prefix several jobs share is refused naming them; past ten, the rest are counted", () => {
    const two = jobs("api@dev.build", "api@dev.deploy");
    assert.throws(() => findJob(two, "api@dev"), (error: unknown) => {
      assert.ok(error instanceof OrunError);
      assert.equal(error.message, "job ID prefix api@dev is ambiguous: it matches 2 jobs: api@dev.build, api@dev.deploy (give the whole job ID (component@environment.job))");
      return true;
    });
    const many = jobs(...Array.from({ length: 12 }, (_, i) => `api@dev.step${String(i).padStart(2, "0")}`));
    assert.throws(() => findJob(many, "api.dev"), (error: unknown) => {
      assert.ok(error instanceof OrunError);
      assert.match(error.message, /^job ID prefix api\.dev is ambiguous: it matches 12 jobs: api@dev\.step00, .*api@dev\.step09, and 2 more \(/);
      assert.doesNotMatch(error.message, /step10/);
      return true;
    });
  });
});
