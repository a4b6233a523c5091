// A loopback relay in front of a real backend that forwards every request and, while `lose` is above zero,
// drops the answer to a log upload after the backend took it: the runner sees a lost answer for an append that
// landed (the case the log resync handles). It keeps each request's method and path, so a test can count a
// watcher's polls.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface AnswerDroppingRelay {
  url: string;
  /** How many more log-upload answers to drop. */
  lose: number;
  /** Every request forwarded, as `GET /v1/runs/x`, in the order they came. */
  requests: string[];
  close(): void;
}

/** `target`: the backend's URL, read per request (it may be known only once the backend started). */
export async function startAnswerDroppingRelay(target: () => string): Promise<AnswerDroppingRelay> {
  const relay: AnswerDroppingRelay = { url: "", lose: 0, requests: [], close: () => undefined };
  const server = http.createServer((req, res) => {
    relay.requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "x-orun-lease"]) if (req.headers[name]) headers[name] = String(req.headers[name]);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      void fetch(target() + (req.url ?? "/"), { method: req.method, headers, body }).then(async (answer) => {
        const text = Buffer.from(await answer.arrayBuffer());
        if (req.method === "POST" && req.url?.includes("/logs/") && relay.lose > 0) {
          relay.lose--;
          return void req.socket.destroy();
        }
        res.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json" }).end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  relay.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return relay;
}
