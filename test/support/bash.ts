// Runs a documentation block as a reader would paste it: `bash -e` (each command must succeed), output kept.
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "./cli.js";

/** Runs `script` with `bash -e -c` in `cwd`; stdout and stderr together; killed after 2 minutes. */
export function bashScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return shellScript("bash", script, cwd, env);
}

/** Runs `script` with `<shell> -e -c` (`sh`: dash on Debian) in `cwd`; stdout and stderr together; killed after 2 minutes. */
export function shellScript(shell: string, script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(shell, ["-e", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

let zsh: Promise<void> | undefined;

/** Installs zsh on first use (scripts/setup-zsh.sh), for a test that pastes a printed command into it: never skipped. */
export function provideZsh(): Promise<void> {
  zsh ??= new Promise((resolve, reject) =>
    execFile(path.join(PROJECT_ROOT, "scripts/setup-zsh.sh"), { timeout: 300_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`zsh is needed and scripts/setup-zsh.sh failed: ${stderr || err.message}`)) : resolve(),
    ),
  );
  return zsh;
}
