import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../harness/free-port';
import { ensureProductionBundle } from '../harness/production-bundle';
import { createPostgresDatabase } from '../harness/postgres-server';
import { noteTiming } from '../harness/timing';

// The production bundle (`tsc -p tsconfig.build.json`) started as operators start it:
// `node dist/main.js` with NODE_ENV=production on a throwaway PostgreSQL database.

const apiDir = resolve(__dirname, '../..');
const repoDir = resolve(apiDir, '../..');
const mainJs = join(apiDir, 'dist/main.js');
const cliJs = join(apiDir, 'dist/cli/cli.js');

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP(S) request; `ca` is the trust anchor for HTTPS (verification stays on). */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; ca?: string } = {},
): Promise<Response> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const target = new URL(url);
  const requester = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveResponse, reject) => {
    const req = requester(
      target,
      { method: options.method ?? 'GET', headers, ca: options.ca, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolveResponse({ status: res.statusCode ?? 0, headers: res.headers, body }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

function setCookies(res: Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []);
}

function sessionCookie(res: Response): string {
  const cookie = setCookies(res).find((c) => c.startsWith('bastion_session='));
  if (!cookie) throw new Error(`no session cookie (status ${res.status}): ${res.body}`);
  return cookie;
}

interface Server {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

const children = new Set<ChildProcess>();

function baseEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, ...extra };
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** Runs `node dist/main.js` until it exits; for settings that must be refused. */
function runToExit(
  env: Record<string, string>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [mainJs], { cwd: apiDir, env });
    children.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const started = Date.now();
    // A hang guard: a refused setting exits in 0.5-8.7 s (eight at once on a busy machine).
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      noteTiming('production server: refused setting, exit', Date.now() - started, 60_000);
      children.delete(child);
      resolveRun({ status, output });
    });
  });
}

/**
 * Starts `node dist/main.js` and waits until GET /api/health answers 200 and the server has
 * printed its ready line. `terminal`: its stdout is a terminal, as with `pnpm start` in a shell
 * (a pseudo-terminal from util-linux `script`); otherwise a pipe, as under CI, systemd or a
 * container runtime.
 */
async function startServer(
  env: Record<string, string>,
  options: { scheme?: 'http' | 'https'; ca?: string; terminal?: boolean } = {},
): Promise<Server> {
  const url = `${options.scheme ?? 'http'}://127.0.0.1:${env.PORT}`;
  const child = options.terminal
    ? // Its own process group, so stop() reaches `script` and the server it runs.
      spawn('script', ['-qfec', `${process.execPath} ${mainJs}`, '/dev/null'], {
        cwd: apiDir,
        env,
        detached: true,
      })
    : spawn(process.execPath, [mainJs], { cwd: apiDir, env });
  children.add(child);
  let output = '';
  let exited = false;
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // 'close': the process has exited and its output has been read to the end.
  const exit = new Promise<void>((r) =>
    child.on('close', () => {
      exited = true;
      children.delete(child);
      r();
    }),
  );
  const started = Date.now();
  const deadline = started + 45_000;
  for (;;) {
    if (exited) throw new Error(`server exited during start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${output}`);
    const res = await send(`${url}/api/health`, { ca: options.ca }).catch(() => null);
    // Healthy, and the start's last line read (it follows the listen by a few ms).
    if (res?.status === 200 && output.includes('Bastion is ready')) {
      noteTiming('production server: spawn to healthy', Date.now() - started, 45_000);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    output: () => output,
    stop: async () => {
      if (!exited) {
        if (options.terminal && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      }
      await exit;
    },
  };
}

describe('production server (node dist/main.js, NODE_ENV=production, PostgreSQL)', () => {
  let databaseUrl: string;
  let dbPassword: string;
  let vaultKeys: string;
  let keyMaterial: string;
  const tmp = mkdtempSync(join(tmpdir(), 'bastion-prod-'));

  /** A safe production environment on `databaseUrl`, behind a trusted local proxy. */
  const safeEnv = async (extra: Record<string, string | undefined> = {}) =>
    baseEnv({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATA_DIR: join(tmp, 'data'),
      WEB_DIST_DIR: join(tmp, 'no-web'),
      DATABASE_URL: databaseUrl,
      VAULT_KEYS: vaultKeys,
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Stops within a second of SIGTERM (the default drain is 5 s; rolling-restart.spec.ts
      // tests the drain).
      SHUTDOWN_DRAIN_MS: '200',
      ...extra,
    });

  /** Secrets of the environment that must never be printed. */
  const expectNoSecrets = (text: string) => {
    expect(text).not.toContain(keyMaterial);
    expect(text).not.toContain(dbPassword);
  };

  beforeAll(async () => {
    ensureProductionBundle();
    databaseUrl = await createPostgresDatabase(inject('postgresAdminUrl'), 'prod');
    dbPassword = decodeURIComponent(new URL(databaseUrl).password);
    // The documented way to make a key: `pnpm cli vault generate-key` (needs no database).
    const generated = execFileSync(process.execPath, [cliJs, 'vault', 'generate-key', 'prod1'], {
      cwd: apiDir,
      env: baseEnv({}),
      encoding: 'utf8',
    });
    vaultKeys = generated.split('\n')[0].trim();
    expect(vaultKeys).toMatch(/^prod1:[A-Za-z0-9+/]{43}=$/);
    keyMaterial = vaultKeys.slice('prod1:'.length);
  }, 120_000);

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses each insecure setting with exit status 1, naming the variable, printing no value', async () => {
    const envExample = readFileSync(join(repoDir, '.env.example'), 'utf8');
    const exampleKeys = /^VAULT_KEYS=(.*)$/m.exec(envExample)?.[1] ?? '';
    const exampleDbPassword = /^POSTGRES_PASSWORD=(.*)$/m.exec(envExample)?.[1] ?? '';
    expect(exampleKeys).not.toBe('');
    const docsKey = 'Hdk63j84Ly2PTotYoe4uHMAyrMo8KYlHTjPL9dHZk7k=';
    const exampleDbUrl = new URL(databaseUrl);
    exampleDbUrl.password = exampleDbPassword;
    const cases: { name: string; env: Record<string, string | undefined>; expect: RegExp[] }[] = [
      {
        name: 'no key',
        env: { VAULT_KEYS: undefined },
        expect: [/VAULT_KEYS/, /vault generate-key/],
      },
      {
        name: 'the example key from the README',
        env: { VAULT_KEYS: `docs:${docsKey}` },
        expect: [/VAULT_KEYS/, /example/, /vault generate-key/],
      },
      {
        name: 'the placeholder of .env.example',
        env: { VAULT_KEYS: exampleKeys },
        expect: [/VAULT_KEYS/, /vault generate-key/],
      },
      {
        name: 'plain HTTP: no TLS and no trusted proxy (cookies would not be Secure)',
        env: { TRUST_PROXY: undefined, HOST: '0.0.0.0' },
        expect: [/TLS_CERT_FILE/, /TRUST_PROXY/, /Secure/],
      },
      {
        name: 'CORS open to any origin',
        env: { CORS_ORIGINS: 'https://app.example.test,*' },
        expect: [/CORS_ORIGINS/, /any origin/, /Fix:/],
      },
      {
        name: 'CORS with an http:// origin',
        env: { CORS_ORIGINS: 'http://app.example.test' },
        expect: [/CORS_ORIGINS/, /https:\/\//],
      },
      {
        name: 'the example database password of .env.example',
        env: { DATABASE_URL: exampleDbUrl.toString() },
        expect: [/DATABASE_URL/, /POSTGRES_PASSWORD/],
      },
      {
        name: 'an unreadable TLS key',
        env: { TLS_CERT_FILE: join(tmp, 'missing.crt'), TLS_KEY_FILE: join(tmp, 'missing.key') },
        expect: [/TLS_CERT_FILE/, /ENOENT/],
      },
    ];
    // All at once: up to 8.7 s each on a busy machine (runToExit's guard: 60 s), 4.5-9 s in all.
    const results = await Promise.all(
      cases.map(async (c) => ({ c, result: await runToExit(await safeEnv(c.env)) })),
    );
    for (const { c, result } of results) {
      expect(result.status, `${c.name}:\n${result.output}`).toBe(1);
      for (const pattern of c.expect) expect(result.output, c.name).toMatch(pattern);
      expect(result.output, c.name).not.toContain('Bastion is ready');
      expectNoSecrets(result.output);
      expect(result.output).not.toContain(docsKey);
      if (exampleDbPassword) expect(result.output).not.toContain(exampleDbPassword);
    }
  }, 90_000);

  it('starts with a safe configuration; behind a proxy, cookies and HSTS follow X-Forwarded-Proto', async () => {
    const server = await startServer(await safeEnv());
    try {
      const health = await send(`${server.url}/api/health`);
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', database: 'ok', vault: 'ok' });

      const email = 'ops-admin@example.test';
      const password = 'Correct-Horse-Battery-Staple-42';
      const setup = await send(`${server.url}/api/setup`, {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
        body: { email, password, workspaceName: 'Ops' },
      });
      expect(setup.status).toBe(201);
      const secureCookie = sessionCookie(setup);
      expect(secureCookie).toMatch(/;\s*Secure/i);
      expect(secureCookie).toMatch(/;\s*HttpOnly/i);
      expect(secureCookie).toMatch(/;\s*SameSite=Lax/i);
      expect(setup.headers['strict-transport-security']).toMatch(/max-age=31536000/);

      // The same server reached over plain HTTP (no forwarded proto): no Secure, no HSTS.
      const login = await send(`${server.url}/api/auth/login`, {
        method: 'POST',
        body: { email, password },
      });
      expect(login.status).toBe(200);
      expect(sessionCookie(login)).not.toMatch(/;\s*Secure/i);
      expect(login.headers['strict-transport-security']).toBeUndefined();

      // CORS_ORIGINS unset: same-origin only, no CORS header for any origin.
      const cross = await send(`${server.url}/api/health`, {
        headers: { origin: 'https://evil.example.test' },
      });
      expect(cross.headers['access-control-allow-origin']).toBeUndefined();

      // Log lines are JSON (stdout is a pipe, not a terminal); neither the key nor the
      // database password nor the user's password is in them.
      const lines = server.output().split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expectNoSecrets(server.output());
      // A quiet first start at info: no route, module or request line (for the requests above);
      // the URL last, with the first-run hint (the database had no account at boot).
      const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages.filter((m) => /Mapped \{|dependencies initialized/.test(m))).toEqual([]);
      expect(messages.filter((m) => /request completed|incoming request/.test(m))).toEqual([]);
      expect(messages.at(-1)).toBe(
        `Bastion is ready: ${server.url}  (first run: open it to create the admin account)`,
      );
      expect(server.output()).not.toContain(password);
    } finally {
      await server.stop();
    }
  });

  it('first start on a terminal with LOG_LEVEL=debug: readable lines, routes and requests shown, token redacted', async () => {
    const env = await safeEnv({ LOG_LEVEL: 'debug', NO_COLOR: '1' });
    const server = await startServer(env, { terminal: true });
    const token = 'ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210-_ZyXwV';
    expect((await send(`${server.url}/api/invitations/${token}`)).status).toBeLessThan(500);
    // Its line follows the response: wait for it (stopping `script` first could drop it).
    const deadline = Date.now() + 10_000;
    while (
      !/request completed GET \/api\/invitations/.test(server.output()) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.stop();
    const lines = server
      .output()
      .split(/\r?\n/)
      // `script`'s own farewell when stopped.
      .filter((line) => line && !line.startsWith('Session terminated'));
    // `[10:42:07] LEVEL: text`, not JSON.
    for (const line of lines) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] [A-Z]+: /);
    expect(
      lines.some((l) => /DEBUG: \[RouterExplorer\] Mapped \{\/api\/health, GET\}/.test(l)),
    ).toBe(true);
    expect(
      lines.some((l) => l.includes(`INFO: Bastion is ready: http://127.0.0.1:${env.PORT}`)),
    ).toBe(true);
    expect(
      lines.some((l) =>
        /DEBUG: request completed GET \/api\/invitations\/\[redacted\] \d{3} \d+ ms/.test(l),
      ),
    ).toBe(true);
    expect(server.output()).not.toContain(token);
    expectNoSecrets(server.output());
  });

  it('serves HTTPS with a certificate made at test time: HSTS, Secure cookies, HTTP redirect', async () => {
    const certFile = join(tmp, 'tls.crt');
    const keyFile = join(tmp, 'tls.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
    const ca = readFileSync(certFile, 'utf8');
    const redirectPort = await freePort();
    const tlsDb = await createPostgresDatabase(inject('postgresAdminUrl'), 'tls');
    const env = await safeEnv({
      DATABASE_URL: tlsDb,
      TRUST_PROXY: undefined,
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
      HTTP_REDIRECT_PORT: String(redirectPort),
    });
    const server = await startServer(env, { scheme: 'https', ca });
    try {
      // Certificate verification stays on: the test trusts only the certificate it made.
      const health = await send(`${server.url}/api/health`, { ca });
      expect(health.status).toBe(200);
      expect(health.headers['strict-transport-security']).toBe(
        'max-age=31536000; includeSubDomains',
      );
      await expect(send(`${server.url}/api/health`)).rejects.toThrow(/self-signed|certificate/i);

      const setup = await send(`${server.url}/api/setup`, {
        method: 'POST',
        ca,
        body: { email: 'tls@example.test', password: 'Tls-Admin-Password-123', workspaceName: 'T' },
      });
      expect(setup.status).toBe(201);
      expect(sessionCookie(setup)).toMatch(/;\s*Secure/i);

      // Plain HTTP on the TLS port is not served.
      const plain = await send(`http://127.0.0.1:${env.PORT}/api/health`).catch(() => null);
      expect(plain?.status ?? 0).not.toBe(200);

      // The redirect listener: 308 to the same host, path and query over HTTPS.
      const redirected = await send(`http://127.0.0.1:${redirectPort}/apps/x?tab=2`, {
        method: 'POST',
        headers: { host: `localhost:${redirectPort}` },
      });
      expect(redirected.status).toBe(308);
      expect(redirected.headers.location).toBe(`https://localhost:${env.PORT}/apps/x?tab=2`);
      const follow = await send(
        String(redirected.headers.location).replace('/apps/x?tab=2', '/api/health'),
        { ca },
      );
      expect(follow.status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('two instances on one database: boot together, share sessions and the login rate limit', async () => {
    const sharedDb = await createPostgresDatabase(inject('postgresAdminUrl'), 'replicas');
    const limits = { LOGIN_LIMIT_PER_ACCOUNT: '3', DATABASE_URL: sharedDb };
    // Started at the same moment on an empty database: the boot lock serializes migrations.
    const [a, b] = await Promise.all([
      safeEnv(limits).then((env) => startServer(env)),
      safeEnv(limits).then((env) => startServer(env)),
    ]);
    try {
      const email = 'replica-admin@example.test';
      const password = 'Replica-Admin-Password-9';
      const setup = await send(`${a.url}/api/setup`, {
        method: 'POST',
        body: { email, password, workspaceName: 'R' },
      });
      expect(setup.status).toBe(201);
      const cookie = sessionCookie(setup).split(';')[0];
      const { csrfToken } = JSON.parse(setup.body) as { csrfToken: string };

      // A session made on A works on B, writes included (CSRF token from A).
      const me = await send(`${b.url}/api/me`, { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body)).toMatchObject({ user: { email } });
      const created = await send(`${b.url}/api/workspaces`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken },
        body: { name: 'Made on B' },
      });
      expect(created.status).toBe(201);

      // Logout on B ends the session on A too.
      const logout = await send(`${b.url}/api/auth/logout`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken },
      });
      expect(logout.status).toBeLessThan(300);
      expect((await send(`${a.url}/api/me`, { headers: { cookie } })).status).toBe(401);

      // Three wrong passwords allowed per account, counted across both instances: the
      // fourth attempt is refused even though B has seen only two of them.
      const wrong = { email, password: 'Wrong-Password-000' };
      const statuses: number[] = [];
      for (const server of [a, a, b, b]) {
        const res = await send(`${server.url}/api/auth/login`, { method: 'POST', body: wrong });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Refused on A as well, even with the right password, until the window passes.
      const blocked = await send(`${a.url}/api/auth/login`, {
        method: 'POST',
        body: { email, password },
      });
      expect(blocked.status).toBe(429);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
