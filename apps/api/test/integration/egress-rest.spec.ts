import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestConnector } from '../../src/datasources/connectors/connector';
import { ConnectorRegistry } from '../../src/datasources/connectors/connector-registry';
import { DatasourceService } from '../../src/datasources/datasource.service';
import { call, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createDatasource, findCanaries, LOOPBACK_EGRESS } from '../harness/datasource-fixtures';
import { HttpTargetServer, startHttpTarget } from '../harness/http-target-server';
import { createTestApp, TestApp } from '../harness/test-app';

type Admin = TestSession & { workspaceId: string };
const LIMITS = { timeoutMs: 5_000, maxRows: 1000, maxBytes: 1_000_000 };

describe('egress policy on REST datasources (F5)', () => {
  let t: TestApp;
  let admin: Admin;
  let target: HttpTargetServer;
  let n = 0;

  beforeAll(async () => {
    target = await startHttpTarget();
    // production-like defaults: loopback denied
    t = await createTestApp({ store: 'sqlite' });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
    await target?.close();
  });

  const spellings = () => [
    `http://127.0.0.1:${target.port}/v1`,
    `http://127.0.0.2:${target.port}/v1`,
    `http://0.0.0.0:${target.port}/v1`,
    `http://[::1]:${target.port}/v1`,
    `http://[::ffff:127.0.0.1]:${target.port}/v1`,
    `http://2130706433:${target.port}/v1`,
    `http://0x7f000001:${target.port}/v1`,
    `http://127.1:${target.port}/v1`,
    `http://localhost:${target.port}/v1`,
    `http://localhost.:${target.port}/v1`,
    'http://[::ffff:169.254.169.254]/latest/meta-data/',
    'http://2852039166/latest/meta-data/',
    'http://0xA9FEA9FE/latest/meta-data/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://100.100.100.200/latest/meta-data/',
  ];

  it('every spelling is refused at test time (saved and unsaved) and at run time; nothing is sent', async () => {
    for (const baseUrl of spellings()) {
      const unsaved = await call(
        t,
        admin,
        'POST',
        `/api/workspaces/${admin.workspaceId}/datasources/test`,
        {
          type: 'rest',
          config: { baseUrl },
          secrets: { bearerToken: { value: 'Canary-EGRESS-TOKEN' } },
        },
      );
      expect(unsaved.json(), baseUrl).toEqual({
        ok: false,
        message: expect.stringMatching(/egress policy|not found/),
      });
      const ds = await createDatasource(t, admin, {
        name: `spelling ${++n}`,
        type: 'rest',
        config: { baseUrl },
        secrets: { bearerToken: { value: 'Canary-EGRESS-TOKEN' } },
      });
      const saved = await call(
        t,
        admin,
        'POST',
        `/api/workspaces/${admin.workspaceId}/datasources/${ds.id}/test`,
        {},
      );
      expect(saved.json<{ ok: boolean }>().ok, baseUrl).toBe(false);
      const resolved = await t.app.get(DatasourceService).resolveForRun(admin.workspaceId, ds.id);
      const rest = t.app.get(ConnectorRegistry).get('rest') as RestConnector;
      await expect(
        rest.send(resolved, { method: 'GET', path: 'x', query: [], headers: {} }, LIMITS),
        baseUrl,
      ).rejects.toMatchObject({ status: 422 });
    }
    expect(target.received).toEqual([]);
    expect(findCanaries(t.logs, ['Canary-EGRESS-TOKEN'])).toEqual([]);
  });
});

describe('REST connector against a local HTTP server (loopback allowed)', () => {
  let t: TestApp;
  let admin: Admin;
  let target: HttpTargetServer;
  let rest: RestConnector;
  let n = 0;

  beforeAll(async () => {
    target = await startHttpTarget();
    t = await createTestApp({ store: 'sqlite', env: LOOPBACK_EGRESS });
    admin = await setupOrReuse(t);
    rest = t.app.get(ConnectorRegistry).get('rest') as RestConnector;
  });
  afterAll(async () => {
    await t?.close();
    await target?.close();
  });

  const restDatasource = async (
    config: Record<string, unknown>,
    secrets: Record<string, { value: string }> = {},
  ) => {
    const ds = await createDatasource(t, admin, {
      name: `rest ${++n}`,
      type: 'rest',
      config,
      secrets,
    });
    return t.app.get(DatasourceService).resolveForRun(admin.workspaceId, ds.id);
  };

  it('the same server is reached once loopback is allowed (control for F5)', async () => {
    const before = target.received.length;
    const res = await call(
      t,
      admin,
      'POST',
      `/api/workspaces/${admin.workspaceId}/datasources/test`,
      {
        type: 'rest',
        config: { baseUrl: `http://2130706433:${target.port}/v1` },
      },
    );
    expect(res.json()).toEqual({ ok: true, message: 'Reached the API (HTTP 200)' });
    expect(target.received.length).toBe(before + 1);
  });

  it('F8: secrets from URL userinfo, query and headers are applied when sending, and only then', async () => {
    const ds = await restDatasource({
      baseUrl: `http://apiuser:Canary-URL-9@127.0.0.1:${target.port}/v1?api_key=Canary-QS-9&lang=en`,
      headers: [
        { name: 'X-Api-Key', value: 'Canary-HDR-9' },
        { name: 'Accept', value: 'application/json' },
      ],
    });
    expect(ds.config.baseUrl).toBe(`http://127.0.0.1:${target.port}/v1?lang=en`);
    const response = await rest.send(
      ds,
      {
        method: 'POST',
        path: 'people/search',
        query: [['q', 'ann']],
        headers: { 'x-trace': '1' },
        body: '{"a":1}',
      },
      LIMITS,
    );
    expect(response.status).toBe(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    const got = target.received.at(-1)!;
    expect(got.method).toBe('POST');
    const sentUrl = new URL(got.url, 'http://x');
    expect(sentUrl.pathname).toBe('/v1/people/search');
    expect(Object.fromEntries(sentUrl.searchParams)).toEqual({
      lang: 'en',
      q: 'ann',
      api_key: 'Canary-QS-9',
    });
    expect(got.headers['x-api-key']).toBe('Canary-HDR-9');
    expect(got.headers.authorization).toBe(
      `Basic ${Buffer.from('apiuser:Canary-URL-9').toString('base64')}`,
    );
    expect(got.headers['x-trace']).toBe('1');
    expect(got.body).toBe('{"a":1}');
  });

  it('a bearer token wins over an Authorization header a query sets', async () => {
    const ds = await restDatasource(
      { baseUrl: `${target.origin}/v1` },
      { bearerToken: { value: 'tok-1' } },
    );
    await rest.send(
      ds,
      { method: 'GET', path: '', query: [], headers: { Authorization: 'Bearer forged' } },
      LIMITS,
    );
    expect(target.received.at(-1)!.headers.authorization).toBe('Bearer tok-1');
  });

  it('redirects: followed within the base URL, refused elsewhere, limited in hops', async () => {
    const ds = await restDatasource(
      { baseUrl: `${target.origin}/v1` },
      { bearerToken: { value: 'Canary-REDIR' } },
    );
    const send = (path: string) =>
      rest.send(ds, { method: 'GET', path, query: [], headers: {} }, LIMITS);
    const inside = await send(`redirect?to=${encodeURIComponent('/v1/landed')}`);
    expect(inside.status).toBe(200);
    expect(target.received.at(-1)!.url).toBe('/v1/landed');
    expect(target.received.at(-1)!.headers.authorization).toBe('Bearer Canary-REDIR');

    for (const to of [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.2:${target.port}/v1/x`,
      '/admin',
      '/v10/x',
    ]) {
      const before = target.received.length;
      await expect(send(`redirect?to=${encodeURIComponent(to)}`), to).rejects.toMatchObject({
        status: 422,
        message: expect.stringMatching(/outside the base URL/),
      });
      expect(target.received.length, to).toBe(before + 1);
    }
    const loop = `/v1/redirect?to=${encodeURIComponent('/v1/redirect?to=/v1/redirect')}`;
    await expect(send(`redirect?to=${encodeURIComponent(loop)}`)).rejects.toMatchObject({
      status: 422,
    });
  });

  it('a path cannot climb out of the base URL', async () => {
    const ds = await restDatasource({ baseUrl: `${target.origin}/v1/` });
    for (const path of ['../admin', '%2e%2e/admin', 'a/../../admin', '.%2E/admin']) {
      const before = target.received.length;
      await expect(
        rest.send(ds, { method: 'GET', path, query: [], headers: {} }, LIMITS),
        path,
      ).rejects.toThrow(/below the base URL/);
      expect(target.received.length).toBe(before);
    }
    // a scheme-relative path stays a path below the base URL, never another host
    await rest.send(
      ds,
      { method: 'GET', path: '//169.254.169.254/x', query: [], headers: {} },
      LIMITS,
    );
    expect(target.received.at(-1)!.url).toBe('/v1/169.254.169.254/x');
  });

  it('response bodies are read up to maxBytes and flagged truncated', async () => {
    const ds = await restDatasource({ baseUrl: `${target.origin}/v1` });
    const res = await rest.send(
      ds,
      { method: 'GET', path: 'big', query: [['bytes', '100000']], headers: {} },
      {
        ...LIMITS,
        maxBytes: 1000,
      },
    );
    expect(res.body.length).toBe(1000);
    expect(res.truncated).toBe(true);
  });

  it('test reports refused credentials and server errors clearly', async () => {
    const base = `/api/workspaces/${admin.workspaceId}/datasources/test`;
    const r401 = await call(t, admin, 'POST', base, {
      type: 'rest',
      config: { baseUrl: `${target.origin}/v1/status/401` },
    });
    expect(r401.json()).toEqual({
      ok: false,
      message: 'The API refused the credentials (HTTP 401)',
    });
    const r503 = await call(t, admin, 'POST', base, {
      type: 'rest',
      config: { baseUrl: `${target.origin}/v1/status/503` },
    });
    expect(r503.json()).toMatchObject({ ok: false });
    const closed = await call(t, admin, 'POST', base, {
      type: 'rest',
      config: { baseUrl: 'http://127.0.0.1:1/' },
    });
    expect(closed.json()).toEqual({
      ok: false,
      message: expect.stringMatching(/refused the connection/),
    });
  });
});
