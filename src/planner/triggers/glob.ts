// Branch and tag patterns of `automation.triggerBindings.*.on` (v2.3 semantics):
// `*` alone matches any non-empty value; a pattern containing `*` is split at
// its FIRST `*` into a prefix and a suffix the value must start and end with
// (so `release/*` matches `release/a/b`); anything else is an exact match.

export function matchPattern(pattern: string, value: string): boolean {
  if (value === "") return false;
  if (pattern === "*") return true;
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  if (!value.startsWith(prefix)) return false;
  return suffix === "" || (value.length >= prefix.length + suffix.length && value.endsWith(suffix));
}

/** True when some pattern matches; an empty pattern list matches nothing. */
export function matchAnyPattern(value: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchPattern(pattern, value));
}
