import { printable } from "../../util/printable.js";

/**
 * The line offering to approve the jobs a run blocked for want of --approve (a policy's requireApproval): the run's
 * summary and `orun status` print the same. `command` is a printed command (its words shell-quoted).
 */
export function approvalOffer(approval: { blocked: string[]; command: string; alsoApproves?: string[] }): string {
  const { blocked, command, alsoApproves } = approval;
  const also = alsoApproves?.length ? ` (also approves ${printable(alsoApproves.join(", "))})` : "";
  return `  approve ${printable(blocked.join(", "))} blocked (policy requireApproval); to approve and run ${blocked.length > 1 ? "them" : "it"}: ${printable(command)}${also}`;
}
