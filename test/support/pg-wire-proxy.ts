// A loopback TCP proxy in front of PostgreSQL that shows a test what each client connection sent: its startup
// parameters and the text of every statement, in order, whichever protocol carried it: a simple query ('Q') or an
// extended-protocol Parse ('P', what a parameterized query sends), so an assertion on what came first cannot miss a
// parameterized query. `rewrite` may change a statement's text on its way to the server, so a test can have the real
// server answer a statement the client did not send (e.g. an unknown setting).
import net from "node:net";

export interface PgConnectionSeen {
  /** The startup message's parameters (user, database, options, …). */
  startup: Record<string, string>;
  /** Texts of the statements the client sent, simple queries ('Q') and Parse messages ('P') alike, before any rewrite. */
  queries: string[];
}

export interface PgWireProxy {
  /** `url` with its host and port pointing at the proxy. */
  url: string;
  connections: PgConnectionSeen[];
  close(): Promise<void>;
}

const PROTOCOL_3 = 196_608;

export async function startPgWireProxy(url: string, rewrite: (query: string) => string = (query) => query): Promise<PgWireProxy> {
  const target = new URL(url);
  const connections: PgConnectionSeen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const seen: PgConnectionSeen = { startup: {}, queries: [] };
    connections.push(seen);
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        // Before startup, messages have no type byte (SSLRequest, StartupMessage); after it, a type byte leads.
        const head = started ? 1 : 0;
        if (pending.length < head + 4) return;
        const length = pending.readInt32BE(head);
        if (pending.length < head + length) return;
        let message = pending.subarray(0, head + length);
        pending = pending.subarray(head + length);
        if (!started && message.readInt32BE(4) === PROTOCOL_3) {
          started = true;
          const fields = message.subarray(8, message.length - 1).toString("utf8").split("\0");
          for (let i = 0; i + 1 < fields.length; i += 2) seen.startup[fields[i]] = fields[i + 1];
        } else if (started && (message[0] === 0x51 /* Q */ || message[0] === 0x50) /* P */) {
          // Q: the query text. P: the statement's name, its text, then the parameter types (kept as they are).
          const textStart = message[0] === 0x51 ? 5 : message.indexOf(0, 5) + 1;
          const textEnd = message.indexOf(0, textStart);
          const text = message.subarray(textStart, textEnd).toString("utf8");
          seen.queries.push(text);
          message = Buffer.concat([message.subarray(0, textStart), Buffer.from(rewrite(text), "utf8"), message.subarray(textEnd)]);
          message.writeInt32BE(message.length - 1, 1);
        }
        upstream.write(message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
