// A small HTTP server on loopback (or the given host) for the emulators: listen, the address it got, extra pages
// mounted in front of the emulator's own routes (the demo's /demo), and a close that does not wait for idle
// keep-alive connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An extra page; answers true when it handled the request. */
export type MountedHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface LocalServer {
  server: Server;
  /** http://<host>:<port> */
  url: string;
  port: number;
  /** Adds a page served before the emulator's own routes. */
  mount(handler: MountedHandler): void;
  close(): Promise<void>;
}

export async function listenLocal(
  handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  options: { port?: number; host?: string } = {},
): Promise<LocalServer> {
  const mounted: MountedHandler[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      for (const page of mounted) if (await page(req, res)) return;
      await handle(req, res);
    })().catch(() => {
      // The emulator answers its own failures; one that escapes (a client gone mid-request) ends the exchange.
      if (!res.headersSent) res.writeHead(500).end();
      else req.socket.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${host}:${port}`,
    port,
    mount(handler) {
      mounted.push(handler);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
