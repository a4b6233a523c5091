// gc counted the records it keeps for the user (a lock it cannot read or take over, a state.json it cannot read) in
// two places — the lines it prints and its exit status — each listing the kinds itself, so a kind added to one was
// missed by the other (listed but exit 0, or exit 1 naming nothing). Both now read the one list, KEPT_FOR_USER: each
// reason there is printed and fails gc.
import { test } from "node:test";
import assert from "node:assert/strict";
import { KEPT_FOR_USER, type KeptForUser, type KeptForUserReason } from "../../src/runtime/gc.js";
import { keptForUserLines, keptForUserRefusal } from "../../src/runtime/gc-kept-for-user.js";

const REASONS = Object.keys(KEPT_FOR_USER) as KeptForUserReason[];

test("every reason gc keeps a record for the user is listed with its note and fails gc (exit 1), except under --dry-run", () => {
  assert.deepEqual(REASONS.sort(), ["lock-blocked", "lock-read-error", "lock-unreadable", "metadata-unreadable", "state-unreadable"]);
  for (const reason of REASONS) {
    const kept = new Map<string, KeptForUser>([[`r-${reason}`, { reason, note: `note of ${reason}` }]]);
    assert.deepEqual(keptForUserLines(kept), [`  kept r-${reason} (note of ${reason})`], reason);
    assert.match(keptForUserRefusal(kept, false)?.message ?? "", /^gc kept 1 execution whose (lock|state\.json|metadata\.json) /, reason);
    assert.equal(keptForUserRefusal(kept, true), undefined, reason);
  }
  assert.equal(keptForUserRefusal(new Map(), false), undefined);
});

test("the records kept for the user are listed by reason, in the list's order, and the exit names the locks to settle", () => {
  const kept = new Map<string, KeptForUser>([
    ["c", { reason: "state-unreadable", note: "state.json truncated" }],
    ["b", { reason: "lock-blocked", note: "lock not taken over" }],
    ["a", { reason: "lock-unreadable", note: "lock unreadable: a directory\u001b[2J" }],
  ]);
  assert.deepEqual(keptForUserLines(kept), ["  kept a (lock unreadable: a directory\\u{1b}[2J)", "  kept b (lock not taken over)", "  kept c (state.json truncated)"]);
  assert.equal(keptForUserRefusal(kept, false)?.message, "gc kept 2 executions whose lock it could not read or take over: see the note above for what to remove, then run orun gc again");
  const retry = new Map<string, KeptForUser>([["d", { reason: "lock-read-error", note: "EACCES" }], ["e", { reason: "state-unreadable", note: "bad" }]]);
  assert.match(keptForUserRefusal(retry, false)?.message ?? "", /^gc kept 1 execution whose lock it could not read \(named above, left as it was\); run orun gc again once/);
  retry.set("f", { reason: "lock-read-error", note: "EIO" });
  assert.match(keptForUserRefusal(retry, false)?.message ?? "", /^gc kept 2 executions whose lock it could not read \(named above, left as they were\); run orun gc again once/);
});
