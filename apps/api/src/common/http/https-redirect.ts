import { createServer, Server } from 'node:http';

/** A host name or IPv4 address, or a bracketed IPv6 address, optionally with `:port`. */
const HOST_HEADER = /^(?<host>[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The `https://` URL a plain-HTTP request should go to: same host name (from the `Host`
 * header, its port dropped), `httpsPort` (left out when 443), same path and query.
 * @param url the request target; only origin-form (`/path?query`) is accepted (RFC 9112 3.2.1).
 * @returns null when the Host header or the target is malformed (the caller answers 400).
 */
export function httpsRedirectLocation(
  hostHeader: string | undefined,
  url: string | undefined,
  httpsPort: number,
): string | null {
  const match = hostHeader ? HOST_HEADER.exec(hostHeader) : null;
  if (!match?.groups || !url?.startsWith('/')) return null;
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return `https://${match.groups.host}${port}${url}`;
}

/**
 * Starts a plain-HTTP listener that answers every request with 308 Permanent Redirect to the
 * HTTPS URL (308 keeps the method and body, RFC 9110 15.4.9), so `http://` links and typed
 * addresses reach TLS. It serves nothing else; HSTS on the HTTPS side then keeps browsers off
 * plain HTTP. The server is unref'd: it never keeps the process alive on its own.
 * @throws the listen error (e.g. EADDRINUSE) when the port cannot be bound.
 */
export function startHttpsRedirect(options: {
  host: string;
  port: number;
  httpsPort: number;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const location = httpsRedirectLocation(req.headers.host, req.url, options.httpsPort);
    if (!location) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('Bad Request: use https://\n');
      return;
    }
    res.writeHead(308, {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
    });
    res.end(`Moved to ${location}\n`);
  });
  // Slow or idle clients must not hold sockets open on a port that only redirects.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.unref();
      resolve(server);
    });
  });
}
