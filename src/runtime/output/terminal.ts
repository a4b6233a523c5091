// What the output stream can do: colour (NO_COLOR, ORUN_NO_COLOR,
// CLICOLOR_FORCE, TERM=dumb) and live redraw (a TTY outside CI).
export interface TerminalCaps {
  color: boolean;
  live: boolean;
  columns: number;
}

const CI_VARS = ["CI", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "BUILDKITE", "JENKINS_URL"];

export function detectTerminal(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): TerminalCaps {
  const tty = stream.isTTY === true;
  const set = (name: string): boolean => (env[name] ?? "") !== "";
  let color: boolean;
  if (set("CLICOLOR_FORCE") && env.CLICOLOR_FORCE !== "0") color = true;
  else if (set("NO_COLOR") || set("ORUN_NO_COLOR") || env.CLICOLOR === "0" || env.TERM === "dumb") color = false;
  else color = tty;
  const ci = CI_VARS.some((name) => set(name) && env[name]!.toLowerCase() !== "false");
  return { color, live: tty && !ci && env.TERM !== "dumb", columns: stream.columns || 100 };
}

export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function palette(color: boolean): Palette {
  const wrap = (code: string) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { green: wrap("32"), red: wrap("31"), yellow: wrap("33"), cyan: wrap("36"), dim: wrap("2"), bold: wrap("1") };
}
