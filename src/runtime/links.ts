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

/** A line longer than this without a newline keeps only its tail while it streams. */
const MAX_PENDING_LINE = 64 * 1024;

/**
 * Collects the links of a run — the first MAX_LINKS distinct URLs — from the output as it streams, so a
 * link printed after a long log still counts (the output a step-end carries is capped); runners that
 * return their output only at the end are read from the step-end.
 */
export class LinkCollector {
  private readonly byUrl = new Map<string, RunLink>();
  /** Per streaming step: the unfinished last line. */
  private readonly pending = new Map<string, string>();

  observe(event: RunEvent): void {
    if (this.byUrl.size >= MAX_LINKS) return;
    if (event.type === "step-output") {
      const key = `${event.job.id}\n${event.stepKey}`;
      const text = (this.pending.get(key) ?? "") + event.chunk;
      const cut = text.lastIndexOf("\n");
      const rest = cut < 0 ? text : text.slice(cut + 1);
      this.pending.set(key, rest.length > MAX_PENDING_LINE ? rest.slice(-4096) : rest);
      if (cut >= 0) this.add(extractLinks(text.slice(0, cut)), event.job.id, event.stepKey);
    } else if (event.type === "step-end") {
      const key = `${event.job.id}\n${event.stepKey}`;
      const rest = this.pending.get(key);
      if (rest === undefined) this.add(extractLinks(event.output), event.job.id, event.stepKey);
      else {
        this.pending.delete(key);
        this.add(extractLinks(rest), event.job.id, event.stepKey);
      }
    }
  }

  list(): RunLink[] {
    return [...this.byUrl.values()];
  }

  private add(links: readonly { label: string; url: string }[], jobId: string, stepId: string): void {
    for (const link of links) {
      if (this.byUrl.size >= MAX_LINKS) return;
      if (!this.byUrl.has(link.url)) this.byUrl.set(link.url, { ...link, jobId, stepId });
    }
  }
}

/** Earlier links, then this run's (a URL printed again takes its new label and step); omitted when none. */
export function recordLinks(earlier: readonly RunLink[] = [], current: readonly RunLink[] = []): { links?: RunLink[] } {
  const byUrl = new Map<string, RunLink>();
  for (const link of [...earlier, ...current]) byUrl.set(link.url, link);
  return byUrl.size ? { links: [...byUrl.values()] } : {};
}
