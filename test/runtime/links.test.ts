import { test } from "node:test";
import assert from "node:assert/strict";
import { extractLinks, LinkCollector, MAX_LINKS } from "../../src/runtime/links.js";

test("extractLinks: the text before a URL is its label; trailing ':' and ' -' go, long labels are cut, none → Link", () => {
  assert.deepEqual(
    extractLinks(
      [
        "building…",
        "  Preview URL: https://pr-42.example.dev  ",
        "Deployed - http://10.0.0.1:8080/app?x=1",
        "https://bare.example.dev",
        "A very long description of the thing: https://long.example.dev/a",
      ].join("\n"),
    ),
    [
      { label: "Preview URL", url: "https://pr-42.example.dev" },
      { label: "Deployed", url: "http://10.0.0.1:8080/app?x=1" },
      { label: "Link", url: "https://bare.example.dev" },
      { label: "A very long descr...", url: "https://long.example.dev/a" },
    ],
  );
});

test("extractLinks: colour codes and sentence punctuation are not part of a URL; two URLs on a line; no URL → nothing", () => {
  assert.deepEqual(extractLinks("see \x1b[36mhttps://docs.example.dev/guide\x1b[0m."), [{ label: "see", url: "https://docs.example.dev/guide" }]);
  assert.deepEqual(extractLinks("(docs: https://a.example.dev), api https://b.example.dev/v1;"), [
    { label: "(docs", url: "https://a.example.dev" },
    { label: "api", url: "https://b.example.dev/v1" },
  ]);
  assert.deepEqual(extractLinks("no links here, not even http:// alone"), []);
  assert.deepEqual(extractLinks(""), []);
});

test("a URL with credentials is never a link; a run keeps at most MAX_LINKS distinct links, the first ones", () => {
  assert.deepEqual(extractLinks("origin\thttps://x-access-token:ghs_SECRET@github.com/o/r.git (fetch)\nsite: https://ok.example.dev"), [{ label: "site", url: "https://ok.example.dev" }]);
  assert.deepEqual(extractLinks("https://user@host.example.dev/x"), []);

  const collector = new LinkCollector();
  const job = { id: "a@dev.x", name: "x", component: "a", environment: "dev", steps: [] };
  const output = Array.from({ length: MAX_LINKS + 5 }, (_, i) => `GET https://cdn.example.dev/asset${i}`).join("\n");
  collector.observe({ type: "step-end", job, stepKey: "s", status: "completed", durationMs: 1, output });
  collector.observe({ type: "step-end", job, stepKey: "t", status: "completed", durationMs: 1, output: "late: https://late.example.dev" });
  const links = collector.list();
  assert.equal(links.length, MAX_LINKS);
  assert.equal(links[0]!.url, "https://cdn.example.dev/asset0");
  assert.ok(!links.some((l) => l.url === "https://late.example.dev"));
});

test("links are read from the output as it streams: a URL split across chunks, and one after more output than a step-end keeps", () => {
  const collector = new LinkCollector();
  const job = { id: "a@dev.x", name: "x", component: "a", environment: "dev", steps: [] };
  const chunk = (text: string): void => collector.observe({ type: "step-output", job, stepKey: "s", chunk: text });
  chunk("building\nPreview URL: https://pr-");
  chunk("7.example.dev\nlog ");
  chunk("line\nDocs: https://docs.example.dev"); // no final newline
  collector.observe({ type: "step-end", job, stepKey: "s", status: "completed", durationMs: 1, output: "(capped: links are not taken from here)" });
  collector.observe({ type: "step-end", job, stepKey: "t", status: "completed", durationMs: 1, output: "Returned at the end: https://end.example.dev" });
  assert.deepEqual(
    collector.list().map((l) => [l.label, l.url, l.stepId]),
    [
      ["Preview URL", "https://pr-7.example.dev", "s"],
      ["Docs", "https://docs.example.dev", "s"],
      ["Returned at the end", "https://end.example.dev", "t"],
    ],
  );
});
