// A real git repository in a temp folder for change-detection tests.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export class GitRepo {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static create(files: Record<string, string> = {}): GitRepo {
    const repo = new GitRepo(realpathSync(mkdtempSync(path.join(os.tmpdir(), "orun-changes-"))));
    repo.git("init", "-q", "-b", "main");
    repo.git("config", "user.name", "Orun Test");
    repo.git("config", "user.email", "test@orun.invalid");
    repo.git("config", "commit.gpgsign", "false");
    repo.write(files);
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync("git", ["-C", this.dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  }

  write(files: Record<string, string>): this {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(this.dir, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    return this;
  }

  /** Stages everything and commits; returns the new commit's SHA. */
  commit(message: string, files: Record<string, string> = {}): string {
    this.write(files);
    this.git("add", "-A");
    this.git("commit", "-q", "--allow-empty", "-m", message);
    return this.sha("HEAD");
  }

  sha(ref: string): string {
    return this.git("rev-parse", ref);
  }

  path(rel = "."): string {
    return path.join(this.dir, rel);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function tempDir(prefix = "orun-test-"): string {
  return realpathSync(mkdtempSync(path.join(os.tmpdir(), prefix)));
}
