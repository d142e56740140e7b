import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CredentialVaultService } from '../../src/credential-vault/credential-vault.service';
import { call, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createEngineDb, EngineDb } from '../harness/query-engines';
import {
  createApp,
  createDatasourceFor,
  createQuery,
  publish,
  runQuery,
} from '../harness/query-fixtures';
import { createTestApp, TestApp } from '../harness/test-app';

/**
 * Runs reuse the live pool of a datasource id + version without reading or decrypting its
 * secrets (query-proxy/README.md); an update (new version) or a delete takes effect on the
 * next run: a changed password is used at once, a removed datasource is 404.
 */
describe('query runs reuse the live pool, and updates take effect at once', () => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  let db: EngineDb;
  let dsId: string;
  let appId: string;
  let queryId: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { EGRESS_ALLOW_LOOPBACK: 'true' } });
    admin = await setupOrReuse(t);
    db = await createEngineDb('postgres', 2);
    dsId = await createDatasourceFor(t, admin, admin.workspaceId, db);
    appId = await createApp(t, admin, admin.workspaceId, 'Pool reuse');
    queryId = await createQuery(t, admin, admin.workspaceId, appId, {
      name: 'one',
      datasourceId: dsId,
      body: { sql: 'SELECT {{ n }}::int + 1 AS next' },
      params: [{ name: 'n', type: 'number', required: true }],
    });
    await publish(t, admin, admin.workspaceId, appId);
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  const run = (n: number) =>
    runQuery(t, admin, admin.workspaceId, appId, queryId, { params: { n } });
  const dsUrl = () => `/api/workspaces/${admin.workspaceId}/datasources/${dsId}`;

  it('decrypts the secrets once per pool, not per run', async () => {
    const decrypt = vi.spyOn(t.app.get(CredentialVaultService), 'decryptSecret');
    try {
      expect((await run(1)).json()).toMatchObject({ rows: [{ next: 2 }] });
      const afterFirst = decrypt.mock.calls.length;
      for (let i = 2; i <= 5; i++) {
        expect((await run(i)).json()).toMatchObject({ rows: [{ next: i + 1 }] });
      }
      expect(decrypt.mock.calls.length).toBe(afterFirst);
    } finally {
      decrypt.mockRestore();
    }
  });

  it('a password update is used on the very next run (the old pool is not reused)', async () => {
    expect((await run(1)).statusCode).toBe(200);
    const wrong = await call(t, admin, 'PATCH', dsUrl(), {
      secrets: { password: { value: 'Wrong-password-0123' } },
    });
    expect(wrong.statusCode).toBe(200);
    const refused = await run(1);
    expect(refused.statusCode).toBe(422);
    const right = await call(t, admin, 'PATCH', dsUrl(), {
      secrets: { password: { value: decodeURIComponent(new URL(db.url).password) } },
    });
    expect(right.statusCode).toBe(200);
    expect((await run(7)).json()).toMatchObject({ rows: [{ next: 8 }] });
  });

  it('a deleted datasource is gone on the next run', async () => {
    expect((await run(1)).statusCode).toBe(200);
    expect((await call(t, admin, 'DELETE', dsUrl())).statusCode).toBe(204);
    expect((await run(1)).statusCode).toBe(404);
  });
});
