// A real CONNECT proxy on loopback (what squid and corporate proxies speak;
// undici tunnels http and https alike through it). It resolves a few names of
// its own to 127.0.0.1 — servers "outside the corporate network" that a test's
// client cannot resolve — so a request reaching one proves it went through the
// proxy. Every tunnel asked for is recorded with the credentials sent.
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** `host:port` of every CONNECT it was asked for, with the Proxy-Authorization sent. */
  tunnels: { target: string; auth?: string }[];
  close(): Promise<void>;
}

export interface ConnectProxyOptions {
  /** Names only this proxy resolves (to 127.0.0.1). */
  names?: string[];
  /** `user:password`: only a client sending these credentials gets a tunnel (else 407). */
  requireAuth?: string;
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const tunnels: ConnectProxy["tunnels"] = [];
  const sockets = new Set<net.Socket>();
  const names = new Set((options.names ?? []).map((n) => n.toLowerCase()));
  const server = http.createServer((_req, res) => res.writeHead(405).end("CONNECT only"));
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    const auth = req.headers["proxy-authorization"];
    tunnels.push({ target: req.url ?? "", ...(auth ? { auth } : {}) });
    if (options.requireAuth && auth !== `Basic ${Buffer.from(options.requireAuth).toString("base64")}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const target = req.url ?? "";
    const colon = target.lastIndexOf(":");
    const host = target.slice(0, colon).replace(/^\[|\]$/g, "");
    let connected = false;
    const upstream = net.connect(Number(target.slice(colon + 1)), names.has(host.toLowerCase()) ? "127.0.0.1" : host, () => {
      connected = true;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    const drop = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", () => {
      // A target the proxy cannot reach: say so as squid does, then hang up.
      if (connected) drop();
      else client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    });
    client.on("error", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
