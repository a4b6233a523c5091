// Local actions (`use: ./path`): relative to the repository root (the run's workspace), not to the step's
// working directory. The runner says so when one is missing, and the run's hint reads the root back out of
// that error (runtime/output/text.ts).

/** The error for a local action whose folder is missing; names the folder and the root it is relative to. */
export function localActionMissing(uses: string, dir: string, root: string): string {
  return `local action ${uses}: ${dir} does not exist (local actions are relative to the repository root ${root})`;
}

/** The repository root a localActionMissing() error names, if `error` holds one. */
export function missingLocalActionRoot(error: string): string | undefined {
  return /local action \S+: .+ does not exist \(local actions are relative to the repository root (.+?)\)/.exec(error)?.[1];
}
