// Builds tar.gz archives byte by byte, including entries a well-behaved tar
// tool refuses to write (`../` paths, absolute paths, links), to prove the
// loader rejects them.
import { gzipSync } from "node:zlib";

export interface RawEntry {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink";
  content?: string;
  linkname?: string;
  /** Permission bits (default 0644, 0755 for folders). */
  mode?: number;
  /** A body of this many zero bytes instead of `content` (a large file, cheaply). */
  zeros?: number;
}

function header(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (s: string, off: number, len: number): void => void h.write(s.slice(0, len), off, len, "utf8");
  const octal = (n: number, len: number): string => n.toString(8).padStart(len - 1, "0") + "\0";
  put(e.name, 0, 100);
  put(octal(e.mode ?? (e.type === "dir" ? 0o755 : 0o644), 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put("        ", 148, 8);
  put({ file: "0", dir: "5", symlink: "2", hardlink: "1" }[e.type ?? "file"], 156, 1);
  put(e.linkname ?? "", 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

export function rawTarGz(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.zeros !== undefined ? Buffer.alloc(e.zeros) : Buffer.from(e.type === undefined || e.type === "file" ? (e.content ?? "") : "");
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}
