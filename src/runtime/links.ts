// Links a step prints (`Preview URL: https://pr-42.example.dev`): found in
// step output, deduplicated by URL (first one wins), and shown where a user
// looks for the result of a run — the run summary, `--json`, metadata.json
// and `orun status` (spec 20 §4.5, §6.3).
import type { RunEvent } from "./events.js";

export interface RunLink {
  label: string;
  url: string;
  jobId?: string;
  stepId?: string;
}

const URL_PATTERN = /https?:\/\/\S+/g;
// Colour codes around a URL are not part of it.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
// Sentence punctuation right after a URL (`see https://x.dev.`) is not part of it either.
const TRAILING = /[.,;:!?)\]}'"`>]+$/;
const MAX_LABEL = 20;
/** A run's summary lists links, not every download a package manager logged. */
export const MAX_LINKS = 20;

/** A URL carrying credentials (`https://x-access-token:…@github.com/…`) is never recorded or shown. */
function safeUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === "" && parsed.password === "";
  } catch {
    return false;
  }
}

/** Every URL in `output` with the text before it on its line as the label (`Link` when there is none). */
export function extractLinks(output: string): { label: string; url: string }[] {
  if (!output.includes("http")) return [];
  const links: { label: string; url: string }[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.replace(ANSI, "").trim();
    let from = 0;
    for (const match of line.matchAll(URL_PATTERN)) {
      const url = match[0].replace(TRAILING, "");
      const end = match.index + match[0].length;
      if (!safeUrl(url)) {
        from = end;
        continue;
      }
      const label = line.slice(from, match.index).trim().replace(/:$/, "").replace(/\s*-$/, "").trim() || "Link";
      links.push({ label: label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 3)}...` : label, url });
      from = end;
    }
  }
  return links;
}

/** Collects the links of a run from its step-end events: the first MAX_LINKS distinct URLs. */
export class LinkCollector {
  private readonly byUrl = new Map<string, RunLink>();

  observe(event: RunEvent): void {
    if (event.type !== "step-end" || !event.output) return;
    for (const link of extractLinks(event.output)) {
      if (this.byUrl.size >= MAX_LINKS) return;
      if (!this.byUrl.has(link.url)) this.byUrl.set(link.url, { ...link, jobId: event.job.id, stepId: event.stepKey });
    }
  }

  list(): RunLink[] {
    return [...this.byUrl.values()];
  }
}
