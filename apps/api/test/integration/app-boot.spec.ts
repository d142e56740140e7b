import { Client } from 'pg';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/database/data-source-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

describe.each<MetadataStore>(['sqlite', 'postgres'])('API on the %s metadata store', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ store });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs every migration at boot', async () => {
    let names: string[];
    if (store === 'postgres') {
      const client = new Client({ connectionString: t.databaseUrl });
      await client.connect();
      names = (await client.query<{ name: string }>('SELECT name FROM migrations')).rows.map(
        (r) => r.name,
      );
      await client.end();
    } else {
      const db = new Database(join(t.dataDir, SQLITE_FILE_NAME), { readonly: true });
      names = (db.prepare('SELECT name FROM migrations').all() as { name: string }[]).map(
        (r) => r.name,
      );
      db.close();
    }
    expect(names.sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
  });

  it('re-running migrations on an existing store is a no-op', async () => {
    const again = await createTestApp({
      store: 'sqlite',
      // Same store and the same data folder, so the same (generated) vault key.
      env:
        store === 'postgres'
          ? { DATABASE_URL: t.databaseUrl!, DATA_DIR: t.dataDir }
          : { DATA_DIR: t.dataDir },
    });
    const res = await again.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.json().database).toBe('ok');
    await again.app.close();
  });

  it('GET /api/health reports the database', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    const body = res.json();
    expect(body.database).toBe('ok');
    expect(['ok', 'degraded']).toContain(body.status);
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // Plain HTTP: no HSTS (it would be ignored and break local use).
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('answers unknown routes with the error shape and a correlation id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/no-such-route' });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(body.correlationId).toBe(res.headers['x-correlation-id']);
  });

  it('reuses an incoming UUID correlation id (lower-cased) and replaces anything else', async () => {
    const good = await t.app.inject({
      method: 'GET',
      url: '/api/nope',
      headers: { 'x-correlation-id': '0B9E3C1A-5F4D-4E2B-9C8A-1D2E3F4A5B6C' },
    });
    expect(good.json().correlationId).toBe('0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c');
    expect(good.headers['x-correlation-id']).toBe('0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c');
    for (const spelling of ['x\n{"level":"fatal"}', 'proxy-req-12345', 'a'.repeat(4000)]) {
      const hostile = await t.app.inject({
        method: 'GET',
        url: '/api/nope',
        headers: { 'x-correlation-id': spelling },
      });
      expect(hostile.json().correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(hostile.headers['x-correlation-id']).toBe(hostile.json().correlationId);
    }
    expect(t.logs.join('\n')).not.toContain('proxy-req-12345');
  });

  it('rejects malformed JSON with a clear 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/health',
      headers: { 'content-type': 'application/json' },
      payload: '{"broken": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/JSON/);
  });

  it('publishes the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/docs-json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().paths).toHaveProperty('/api/health');
    const viewer = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect(viewer.statusCode).toBe(200);
    expect(viewer.headers['content-type']).toContain('text/html');
  });

  it('writes JSON log lines with the correlation id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    const id = res.headers['x-correlation-id'] as string;
    const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.correlationId === id)).toBe(true);
  });
});
