// A loopback relay in front of a real backend that forwards every request except those `down` picks, which it
// answers 503 as a backend out of reach for them would (the client retries those). It records what it forwarded,
// with when the answer went back: tests see which requests a runner made during the outage and after. Those
// `stall` picks it accepts and never answers, as a backend or proxy that hangs would.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RelayedRequest {
  method: string;
  path: string;
  status: number;
  /** When the answer went back to the runner (Date.now()). */
  at: number;
}

export interface SelectiveOutageRelay {
  url: string;
  /** Which requests get a 503 instead of reaching the backend (read per request). */
  down: (method: string, path: string) => boolean;
  /** Which requests are read and never answered (read per request; before `down`). */
  stall: (method: string, path: string) => boolean;
  readonly requests: RelayedRequest[];
  /** When each stalled request had been read, in order (Date.now()). */
  readonly stallsHeld: number[];
  /** When the runner gave up each stalled request (its connection closed), in order (Date.now()). */
  readonly stallsDropped: number[];
  close(): void;
}

export async function startSelectiveOutageRelay(target: string): Promise<SelectiveOutageRelay> {
  const relay: SelectiveOutageRelay = { url: "", down: () => false, stall: () => false, requests: [], stallsHeld: [], stallsDropped: [], close: () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const method = req.method ?? "GET";
      const path = req.url ?? "/";
      const answer = (status: number, type: string, body: Buffer | string) => {
        relay.requests.push({ method, path, status, at: Date.now() });
        res.writeHead(status, { "Content-Type": type }).end(body);
      };
      if (relay.stall(method, path)) {
        relay.stallsHeld.push(Date.now());
        res.on("close", () => relay.stallsDropped.push(Date.now()));
        return;
      }
      if (relay.down(method, path)) return answer(503, "application/json", '{"error":"unavailable","code":"UNAVAILABLE"}');
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "x-orun-lease"]) if (req.headers[name]) headers[name] = String(req.headers[name]);
      fetch(target + path, { method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }).then(
        async (upstream) => answer(upstream.status, upstream.headers.get("content-type") ?? "application/json", Buffer.from(await upstream.arrayBuffer())),
        () => answer(502, "application/json", '{"error":"relay: backend unreachable","code":"BAD_GATEWAY"}'),
      );
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
