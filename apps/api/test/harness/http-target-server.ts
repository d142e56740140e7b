import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the target server received, for assertions (headers lower-cased). */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HttpTargetServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for a REST API. Routes:
 * - `/redirect?to=<url>&status=302` answers a redirect to `to`;
 * - `/status/<code>` answers that status;
 * - `/big?bytes=<n>` answers n bytes of `x`;
 * - anything else answers 200 with a JSON echo of the request.
 */
export async function startHttpTarget(): Promise<HttpTargetServer> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://target.test');
      const status = /\/status\/(\d{3})$/.exec(url.pathname);
      if (url.pathname.endsWith('/redirect')) {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), {
          location: url.searchParams.get('to') ?? '/',
        });
        res.end();
      } else if (status) {
        res.writeHead(Number(status[1]), { 'content-type': 'text/plain' });
        res.end('status');
      } else if (url.pathname.endsWith('/big')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(Number(url.searchParams.get('bytes') ?? 1000)));
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'sid=abc' });
        res.end(JSON.stringify({ method: req.method, url: req.url }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
