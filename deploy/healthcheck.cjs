// Container health check (Dockerfile HEALTHCHECK): GET /api/health/ready on this container.
// Exit 0 when it answers 200 (database and vault ok, not shutting down), 1 otherwise (503 while
// the metadata database or the vault is down, and from SIGTERM on while the replica drains).
// Over HTTPS when the server itself serves TLS; the certificate is issued for the public name,
// not 127.0.0.1, so it is not verified on this loopback call to ourselves.
'use strict';
const tls = Boolean(process.env.TLS_CERT_FILE);
const client = require(tls ? 'node:https' : 'node:http');
const req = client.get(
  {
    host: '127.0.0.1',
    port: Number(process.env.PORT || 3000),
    path: '/api/health/ready',
    timeout: 4000,
    rejectUnauthorized: false,
  },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
