// github-actions audit, round 2: composite env precedence, the step summary cap, the runtime/cache
// service variables. The runner drives real processes in real temp folders.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeHarness, makeJob, runJob, type Harness } from "./helpers.js";

async function writeAction(h: Harness, dir: string, yaml: string, files: Record<string, string> = {}): Promise<string> {
  const root = path.join(h.workspace, dir);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, "action.yml"), yaml);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
  return `./${dir}`;
}

describe("github-actions runner: env inside composite actions, as GitHub's runner layers it", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("the calling step's env (over the job env and GITHUB_ENV as they were at the call) beats GITHUB_ENV; a child's own env beats both", async () => {
    const show = 'echo "$1 J=$J SHARED=$SHARED EXP=$EXP CALL=$CALL CHILD=$CHILD NEW=${NEW:-} ctx=${{ env.CALL }}" >> TRACE';
    const use = await writeAction(
      h,
      "acts/layers",
      `name: layers
runs:
  using: composite
  steps:
    - run: ${JSON.stringify(show.replace("$1", "first"))}
      shell: bash
      env:
        CHILD: child
    - run: |
        echo "CALL=inner" >> "$GITHUB_ENV"
        echo "NEW=new" >> "$GITHUB_ENV"
      shell: bash
    - run: ${JSON.stringify(show.replace("$1", "second"))}
      shell: bash
`,
    );
    const jobDir = path.join(h.workspace, "layers-job");
    const r = await runJob(
      h,
      makeJob(
        "web@dev.layers",
        [
          { id: "export", run: 'printf "SHARED=exported\\nEXP=exported\\nCALL=exported\\n" >> "$GITHUB_ENV"' },
          { id: "call", use, env: { CALL: "call", CHILD: "call" } },
          { id: "after", run: 'echo "after CALL=$CALL NEW=$NEW" >> TRACE' },
        ],
        { J: "job", SHARED: "job" },
      ),
      { jobDir },
    );
    assert.deepEqual(
      r.steps.map((s) => s.error),
      [undefined, undefined, undefined],
      r.live,
    );
    assert.equal(
      await readFile(path.join(jobDir, "TRACE"), "utf8"),
      [
        // GITHUB_ENV beats the job env at job level; the calling step's env beats GITHUB_ENV; the child's env beats the calling step's.
        "first J=job SHARED=exported EXP=exported CALL=call CHILD=child NEW= ctx=call",
        // A child's export of a variable the calling step set does not reach its later siblings (the call's env wins); a new one does.
        "second J=job SHARED=exported EXP=exported CALL=call CHILD=call NEW=new ctx=call",
        // After the composite, the export is the job's.
        "after CALL=inner NEW=new",
        "",
      ].join("\n"),
    );
  });
});
