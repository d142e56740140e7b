import type { TAuditEventPage } from '@bastion/contracts';
import type { EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository } from '../../src/audit/audit.repository';
import { MetadataTransactions } from '../../src/database/metadata-transactions';
import { DatasourceRepository } from '../../src/datasources/datasource.repository';
import { WorkspaceRepository } from '../../src/workspaces/workspace.repository';
import { addMember, call, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createDatasource } from '../harness/datasource-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

type Admin = TestSession & { workspaceId: string };

/**
 * Concurrent requests whose writes are transactions (`MetadataTransactions`): on SQLite they
 * share one connection, so without the queue the second BEGIN failed and both answered 500.
 */
describe.each<MetadataStore>(['sqlite', 'postgres'])('concurrent transactions (%s)', (store) => {
  let t: TestApp;
  let admin: Admin;
  const url = (rest = '') => `/api/workspaces/${admin.workspaceId}/datasources${rest}`;
  let n = 0;
  const restDatasource = () =>
    createDatasource(t, admin, {
      name: `concurrent ${++n}`,
      type: 'rest',
      config: { baseUrl: 'https://api.example.test/v1' },
      secrets: { bearerToken: { value: `Tok-${n}` } },
    });
  const updatesOf = async (id: string) =>
    (
      await call(
        t,
        admin,
        'GET',
        `/api/workspaces/${admin.workspaceId}/audit-events?action=datasource.updated&targetId=${id}`,
      )
    ).json<TAuditEventPage>().items;

  beforeAll(async () => {
    t = await createTestApp({ store });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("the repositories' transactions share one queue: bodies that wait never collide", async () => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
    const body = async (m: EntityManager) => {
      await m.query('SELECT 1');
      await pause();
      await m.query('SELECT 1');
      return 'ok';
    };
    const results = await Promise.all([
      t.app.get(DatasourceRepository).transaction(body),
      t.app.get(AuditRepository).transaction(body),
      t.app.get(MetadataTransactions).transaction(body),
      t.app.get(WorkspaceRepository).withMembershipLock(admin.workspaceId, async (tx) => {
        await tx.countAdmins();
        await pause();
        return (await tx.countAdmins()) > 0 ? 'ok' : 'no admin';
      }),
    ]);
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('four datasources updated at once: all 200, each at version 2 with its audit entry', async () => {
    const all = [];
    for (let i = 0; i < 4; i++) all.push(await restDatasource());
    const answers = await Promise.all(
      all.map((ds) =>
        call(t, admin, 'PATCH', url(`/${ds.id}`), {
          name: `${String(ds.name)} renamed`,
          secrets: { bearerToken: { value: 'Tok-new' } },
        }),
      ),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    for (const ds of all) {
      const read = await call(t, admin, 'GET', url(`/${ds.id}`));
      expect(read.json()).toMatchObject({ name: `${String(ds.name)} renamed`, version: 2 });
      expect(await updatesOf(ds.id)).toHaveLength(1);
    }
  });

  it('datasource updates and member removals at once: all succeed, one audit entry each', async () => {
    for (let round = 0; round < 3; round++) {
      const all = [await restDatasource(), await restDatasource()];
      const members = [
        await addMember(t, admin, admin.workspaceId, 'viewer'),
        await addMember(t, admin, admin.workspaceId, 'editor'),
      ];
      const answers = await Promise.all([
        ...all.map((ds) =>
          call(t, admin, 'PATCH', url(`/${ds.id}`), { name: `${String(ds.name)} renamed` }),
        ),
        ...members.map((m) =>
          call(t, admin, 'DELETE', `/api/workspaces/${admin.workspaceId}/members/${m.userId}`),
        ),
      ]);
      expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 204, 204]);
      for (const ds of all) {
        const read = await call(t, admin, 'GET', url(`/${ds.id}`));
        expect(read.json()).toMatchObject({ version: 2 });
        expect(await updatesOf(ds.id)).toHaveLength(1);
      }
    }
  });

  it('one datasource updated twice at once: no 500, the version counts the 200s', async () => {
    for (let round = 0; round < 3; round++) {
      const ds = await restDatasource();
      const answers = await Promise.all(
        ['a', 'b'].map((s) =>
          call(t, admin, 'PATCH', url(`/${ds.id}`), { name: `${String(ds.name)} ${s}` }),
        ),
      );
      const codes = answers.map((r) => r.statusCode);
      // Both read version 1 before writing: the later one may lose the optimistic check (409).
      expect(
        codes.every((c) => c === 200 || c === 409),
        codes.join(),
      ).toBe(true);
      const ok = codes.filter((c) => c === 200).length;
      expect(ok).toBeGreaterThanOrEqual(1);
      const read = await call(t, admin, 'GET', url(`/${ds.id}`));
      expect(read.json<{ version: number }>().version).toBe(1 + ok);
      expect(await updatesOf(ds.id)).toHaveLength(ok);
    }
  });
});
