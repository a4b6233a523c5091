// The secrets orun's own environment holds, which GitHub would mask in every log: each `ORUN_SECRET_<NAME>` value
// (the github-actions runner's `secrets` context), `GITHUB_TOKEN`, and a GitHub runner's service tokens (orun running
// inside a GitHub job). The github-actions runner masks them in what it shows; the runner uploading logs to a backend
// masks them in every runner's logs (the local runner's steps inherit them with the host's environment).

/** A real GitHub runner's tokens, which reach its steps (and orun's) in their environment. */
const GITHUB_SERVICE_TOKENS = ["ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"] as const;

/** `GITHUB_TOKEN` and each `ORUN_SECRET_<NAME>`, by the name the `secrets` context gives it (empty values left out). */
export function secretsContext(env: NodeJS.ProcessEnv): Map<string, string> {
  const secrets = new Map<string, string>();
  if (env.GITHUB_TOKEN) secrets.set("GITHUB_TOKEN", env.GITHUB_TOKEN);
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith("ORUN_SECRET_") && value) secrets.set(key.slice("ORUN_SECRET_".length), value);
  }
  return secrets;
}

/** Every value above that `env` sets: the secrets context's and the service tokens. */
export function hostSecretValues(env: NodeJS.ProcessEnv): string[] {
  const tokens = GITHUB_SERVICE_TOKENS.map((key) => env[key]).filter((value): value is string => !!value);
  return [...secretsContext(env).values(), ...tokens];
}
