/**
 * A loopback TCP proxy in front of a local service (Azurite) that a rehearsal can take down and bring back:
 * down, it stops listening and drops every open connection, so the app meets what a storage outage looks like
 * from a client (ECONNREFUSED, or a reset mid-request); up, it listens on the same port again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface OutageProxy {
  port: number;
  readonly isDown: boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startOutageProxy(targetPort: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = createServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop);
        upstream.on('error', drop);
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        if (addr && typeof addr === 'object') port = addr.port;
        server = srv;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const srv = server;
      server = undefined;
      for (const s of sockets) s.destroy();
      if (!srv) return resolve();
      srv.close(() => resolve());
    });
  await listen();
  return {
    get port() {
      return port;
    },
    get isDown() {
      return server === undefined;
    },
    down: stop,
    up: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}
