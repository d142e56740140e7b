import { readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SqlConnector } from '../../src/datasources/connectors/connector';
import { ConnectorRegistry } from '../../src/datasources/connectors/connector-registry';
import { DatasourceService } from '../../src/datasources/datasource.service';
import { call, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createDatasource, createPgUser, LOOPBACK_EGRESS } from '../harness/datasource-fixtures';
import { createApp, createQuery, runQuery } from '../harness/query-fixtures';
import {
  createTestCa,
  issueServerCert,
  startTlsPostgres,
  TestCa,
  TlsPostgresServer,
} from '../harness/tls-postgres-server';
import { createTestApp, TestApp } from '../harness/test-app';

/** Runs a saved datasource's connection test (as its admin). */
const testDatasource = async (
  t: TestApp,
  admin: TestSession & { workspaceId: string },
  id: string,
) =>
  (
    await call(t, admin, 'POST', `/api/workspaces/${admin.workspaceId}/datasources/${id}/test`, {})
  ).json<{ ok: boolean; message: string }>();

/**
 * F12: PostgreSQL with `ssl=on` and a certificate from a private CA made at test time, valid
 * for `DNS:localhost` only.
 */
describe('TLS to PostgreSQL (F12)', () => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  let server: TlsPostgresServer;
  let otherCa: TestCa;
  let n = 0;
  const user = 'tls_user';
  const password = 'Pw-tls-1';

  const datasource = (config: Record<string, unknown>) =>
    createDatasource(t, admin, {
      name: `tls ${++n}`,
      type: 'postgres',
      config: { host: 'localhost', port: server.port, database: 'postgres', user, ...config },
      secrets: { password: { value: password } },
    });
  const test = (id: string) => testDatasource(t, admin, id);
  const run = async (id: string, sql: string) => {
    const ds = await t.app.get(DatasourceService).resolveForRun(admin.workspaceId, id);
    const pool = await (t.app.get(ConnectorRegistry).get(ds.type) as SqlConnector).getPool(ds);
    return (await pool.raw(sql)).rows;
  };

  beforeAll(async () => {
    server = await startTlsPostgres('DNS:localhost');
    await createPgUser(server.url, user, password);
    otherCa = createTestCa('Some Other CA');
    t = await createTestApp({ store: 'sqlite', env: LOOPBACK_EGRESS });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
    server?.stop();
    if (otherCa) rmSync(otherCa.dir, { recursive: true, force: true });
  });

  it('(a) the right CA connects, and the session really is encrypted', async () => {
    const ds = await datasource({ tls: 'verify-full', caCert: server.ca.certPem });
    expect(await test(ds.id)).toEqual({ ok: true, message: 'Connected successfully' });
    expect(await run(ds.id, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()')).toEqual([
      { ssl: true },
    ]);
  });

  it('(b) another CA fails with a certificate error, in test and in runs', async () => {
    const ds = await datasource({ tls: 'verify-full', caCert: otherCa.certPem });
    expect(await test(ds.id)).toEqual({ ok: false, message: expect.stringMatching(/certificate/) });
    await expect(run(ds.id, 'select 1')).rejects.toThrow();
  });

  it('(c) the right CA but an address not in the certificate fails under verify-full', async () => {
    const ds = await datasource({
      host: '127.0.0.1',
      tls: 'verify-full',
      caCert: server.ca.certPem,
    });
    expect(await test(ds.id)).toEqual({ ok: false, message: expect.stringMatching(/certificate/) });
    await expect(run(ds.id, 'select 1')).rejects.toThrow();
  });

  it('(d) no CA fails unless "require" (skip verification) was chosen explicitly', async () => {
    const defaults = await datasource({});
    expect(defaults.config).toMatchObject({ tls: 'verify-full' });
    expect(await test(defaults.id)).toEqual({
      ok: false,
      message: expect.stringMatching(/certificate/),
    });
    const skip = await datasource({ tls: 'require' });
    expect(await test(skip.id)).toMatchObject({ ok: true });
    expect(await run(skip.id, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()')).toEqual([
      { ssl: true },
    ]);
  });

  it('a given CA is used in "require" mode too (chain checked, host name not)', async () => {
    const wrongCa = await datasource({ tls: 'require', caCert: otherCa.certPem });
    expect(await test(wrongCa.id)).toEqual({
      ok: false,
      message: expect.stringMatching(/certificate/),
    });
    const rightCaByIp = await datasource({
      host: '127.0.0.1',
      tls: 'require',
      caCert: server.ca.certPem,
    });
    expect(await test(rightCaByIp.id)).toMatchObject({ ok: true });
  });

  it('run and preview answer the 422 "Test connection" gives: TLS mismatch, untrusted CA, refused login', async () => {
    // The run's PostgreSQL has no TLS: the default mode (verify-full) cannot connect to it.
    const plain = new URL(inject('postgresAdminUrl'));
    const plainUser = `plain_${Math.random().toString(36).slice(2, 8)}`;
    await createPgUser(plain.toString(), plainUser, password);
    const cases = [
      createDatasource(t, admin, {
        name: `tls ${++n}`,
        type: 'postgres',
        config: {
          host: 'localhost',
          port: Number(plain.port),
          database: plain.pathname.slice(1) || 'postgres',
          user: plainUser,
        },
        secrets: { password: { value: password } },
      }),
      datasource({ tls: 'verify-full', caCert: otherCa.certPem }),
      createDatasource(t, admin, {
        name: `tls ${++n}`,
        type: 'postgres',
        config: {
          host: 'localhost',
          port: server.port,
          database: 'postgres',
          user,
          tls: 'verify-full',
          caCert: server.ca.certPem,
        },
        secrets: { password: { value: 'Not-the-password-1' } },
      }),
    ];
    const messages: string[] = [];
    for (const ds of await Promise.all(cases)) {
      const tested = await test(ds.id);
      expect(tested.ok).toBe(false);
      messages.push(tested.message);
      const preview = await call(
        t,
        admin,
        'POST',
        `/api/workspaces/${admin.workspaceId}/datasources/${ds.id}/preview`,
        { query: { sql: 'SELECT 1 AS one' }, params: {} },
      );
      expect(preview.statusCode, preview.body).toBe(422);
      expect(preview.json<{ message: string }>().message).toBe(tested.message);
      const appId = await createApp(t, admin, admin.workspaceId, `TLS ${n}-${ds.id.slice(0, 6)}`);
      const queryId = await createQuery(t, admin, admin.workspaceId, appId, {
        name: 'one',
        datasourceId: ds.id,
        body: { sql: 'SELECT 1 AS one' },
      });
      const run = await runQuery(t, admin, admin.workspaceId, appId, queryId, { params: {} }, true);
      expect(run.statusCode, run.body).toBe(422);
      expect(run.json<{ message: string }>().message).toBe(tested.message);
    }
    expect(messages[0]).toMatch(/does not accept TLS/);
    expect(messages[1]).toMatch(/certificate/);
    expect(messages[2]).toMatch(/refused the credentials/);
  });

  it('certificate fields are validated, and a client certificate needs its key', async () => {
    const bad = await call(t, admin, 'POST', `/api/workspaces/${admin.workspaceId}/datasources`, {
      name: 'bad ca',
      type: 'postgres',
      config: { host: 'localhost', database: 'postgres', user, caCert: 'not a certificate' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('config.caCert');
    const noKey = await datasource({
      tls: 'verify-full',
      caCert: server.ca.certPem,
      clientCert: server.ca.certPem,
    });
    expect(await test(noKey.id)).toEqual({
      ok: false,
      message: expect.stringMatching(/clientKey/),
    });
  });
});

/**
 * A REST API over HTTPS whose certificate comes from a private CA (made at test time, valid for
 * `DNS:localhost` only): the datasource's `caCert` is trusted instead of the public roots, for
 * the connection test and for runs; without it, or with another CA, the request fails on the
 * certificate and the bearer token is never sent.
 */
describe('TLS to a REST API with a private CA', () => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  let ca: TestCa;
  let otherCa: TestCa;
  let server: Server;
  let port: number;
  let n = 0;
  const authorizations: (string | undefined)[] = [];
  const bearer = `Tls-Token-${Math.random().toString(36).slice(2)}`;

  const datasource = (config: Record<string, unknown>) =>
    createDatasource(t, admin, {
      name: `rest tls ${++n}`,
      type: 'rest',
      config: { baseUrl: `https://localhost:${port}/v1`, ...config },
      secrets: { bearerToken: { value: bearer } },
    });
  const test = (id: string) => testDatasource(t, admin, id);
  /** Saves a query on the datasource in a new app and runs its draft (admin is an editor too). */
  const runThrough = async (datasourceId: string) => {
    const appId = await createApp(t, admin, admin.workspaceId, `Rest TLS ${n}`);
    const queryId = await createQuery(t, admin, admin.workspaceId, appId, {
      name: 'items',
      datasourceId,
      body: { method: 'GET', path: '/items' },
    });
    return runQuery(t, admin, admin.workspaceId, appId, queryId, { params: {} }, true);
  };

  beforeAll(async () => {
    ca = createTestCa('Bastion REST Test CA');
    otherCa = createTestCa('Some Other CA');
    const { cert, key } = issueServerCert(ca, 'DNS:localhost');
    server = createHttpsServer({ cert, key }, (req, res) => {
      authorizations.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([{ id: 1, via: 'tls' }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    t = await createTestApp({ store: 'sqlite', env: LOOPBACK_EGRESS });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
    server?.close();
    for (const dir of [ca?.dir, otherCa?.dir])
      if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the given CA for the connection test and for runs', async () => {
    const ds = await datasource({ caCert: ca.certPem });
    expect(await test(ds.id)).toMatchObject({ ok: true });
    const res = await runThrough(ds.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ rows: unknown[] }>().rows).toEqual([{ id: 1, via: 'tls' }]);
    expect(authorizations.at(-1)).toBe(`Bearer ${bearer}`);
  });

  it('without the CA, or with another one, fails on the certificate and sends no token', async () => {
    const before = authorizations.length;
    for (const config of [{}, { caCert: otherCa.certPem }]) {
      const ds = await datasource(config);
      expect(await test(ds.id)).toEqual({
        ok: false,
        message: expect.stringMatching(/certificate/),
      });
      const res = await runThrough(ds.id);
      expect(res.statusCode).toBe(422);
      expect(res.json<{ message: string }>().message).toMatch(/certificate/);
    }
    expect(authorizations.length).toBe(before);
  });

  it('validates the certificate field, and changing it needs the secrets again', async () => {
    const bad = await call(t, admin, 'POST', `/api/workspaces/${admin.workspaceId}/datasources`, {
      name: 'bad rest ca',
      type: 'rest',
      config: { baseUrl: `https://localhost:${port}/v1`, caCert: 'not a certificate' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('config.caCert');
    // Only certificates: a key pasted along would sit in config, which editors can read.
    const key = readFileSync(ca.keyFile, 'utf8');
    for (const [baseUrl, caCert] of [
      [`https://localhost:${port}/v1`, `${ca.certPem}\n${key}`],
      [`https://localhost:${port}/v1`, `${ca.certPem}\ntrailing text`],
      [`http://localhost:${port}/v1`, ca.certPem], // nothing would be verified
    ]) {
      const refused = await call(
        t,
        admin,
        'POST',
        `/api/workspaces/${admin.workspaceId}/datasources`,
        {
          name: `refused ${++n}`,
          type: 'rest',
          config: { baseUrl, caCert },
        },
      );
      expect(refused.statusCode, caCert.slice(-40)).toBe(400);
      expect(refused.json<{ message: string }>().message).toContain('config.caCert');
      expect(refused.body).not.toContain('PRIVATE KEY');
    }
    const bundle = await datasource({ caCert: `${otherCa.certPem}\n${ca.certPem}` });
    expect(await test(bundle.id)).toMatchObject({ ok: true });
    const ds = await datasource({ caCert: ca.certPem });
    const swap = await call(
      t,
      admin,
      'PATCH',
      `/api/workspaces/${admin.workspaceId}/datasources/${ds.id}`,
      { config: { baseUrl: `https://localhost:${port}/v1`, caCert: otherCa.certPem } },
    );
    expect(swap.statusCode).toBe(400);
  });
});
