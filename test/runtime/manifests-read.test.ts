// status --all shares the parse of identical manifests between records (ManifestsRead), and keeps only the last few:
// records of many plans each hold a manifest of their own, and keeping every one held them all until the list was
// printed (rev28c: 400 MB for 200 records of a 2,000-job plan).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManifestsRead, type RecordedManifest } from "../../src/runtime/records/store.js";

const manifestOf = (text: string): RecordedManifest => ({ metadata: { name: text }, jobs: [] });

test("one parse for records that keep the same manifest text", () => {
  const read = new ManifestsRead(4);
  let parsed = 0;
  const parse = (text: string) => (parsed++, manifestOf(text));
  const first = read.read('{"jobs":[]}', parse);
  assert.equal(read.read('{"jobs":[]}', parse), first);
  assert.equal(parsed, 1);
  // Another text (a manifest edited in one record) is parsed on its own.
  assert.notEqual(read.read('{"jobs":[] }', parse), first);
  assert.equal(parsed, 2);
});

test("only the last few manifests are kept: an older one is parsed again", () => {
  const read = new ManifestsRead(4);
  let parsed = 0;
  const parse = (text: string) => (parsed++, manifestOf(text));
  for (let i = 0; i < 20; i++) read.read(`{"plan":${i}}`, parse);
  assert.equal(read.size, 4);
  assert.equal(parsed, 20);
  read.read('{"plan":19}', parse);
  assert.equal(parsed, 20, "the newest is still kept");
  read.read('{"plan":0}', parse);
  assert.equal(parsed, 21, "the oldest was let go");
});
