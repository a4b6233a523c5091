// Every link in README.md, docs/ and the examples' READMEs to a page of the repository names a file that exists and,
// with a `#fragment`, a heading that page has (GitHub's anchors: the heading lower-cased, punctuation dropped,
// spaces as hyphens), so that reorganising a page cannot leave a link pointing at nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "./support/cli.js";

/** GitHub's anchor of each heading of a Markdown page (fenced blocks left out). */
function anchors(page: string): Set<string> {
  const text = page.replace(/```[\s\S]*?```/g, "");
  const out = new Set<string>();
  for (const m of text.matchAll(/^#+ (.*)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replaceAll(" ", "-"));
  }
  return out;
}

async function pages(): Promise<string[]> {
  const out = ["README.md", ...(await readdir(path.join(PROJECT_ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  for (const example of await readdir(path.join(PROJECT_ROOT, "examples"), { withFileTypes: true })) {
    if (example.isDirectory() && existsSync(path.join(PROJECT_ROOT, "examples", example.name, "README.md"))) out.push(`examples/${example.name}/README.md`);
  }
  return out;
}

test("every link between the repository's Markdown pages names a page that exists and a heading it has", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of await pages()) {
    const text = await readFile(path.join(PROJECT_ROOT, page), "utf8");
    for (const m of text.matchAll(/\]\(([^)\s:]*?)(?:#([^)\s]+))?\)/g)) {
      const [link, file, fragment] = m;
      if (!file && !fragment) continue;
      const target = file ? path.join(path.dirname(page), file) : page;
      checked++;
      if (!existsSync(path.join(PROJECT_ROOT, target))) broken.push(`${page}: ${link} (no file ${target})`);
      else if (fragment && target.endsWith(".md") && !anchors(await readFile(path.join(PROJECT_ROOT, target), "utf8")).has(fragment)) {
        broken.push(`${page}: ${link} (no heading #${fragment} in ${target})`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 50, `the pages link to each other (found ${checked})`);
});
