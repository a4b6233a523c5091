import { test } from "node:test";
import assert from "node:assert/strict";
import { extractLinks } from "../../src/runtime/links.js";

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
